// Which WebSocket class the SDK uses: the one passed in, else the platform's global (browsers, Node 22+),
// else the `ws` package loaded lazily in Node 20. The specifier is a variable so that browser bundlers
// never try to resolve `ws`; the browser build also marks it external.

/** The subset of the WHATWG WebSocket that both browsers and `ws` implement. */
export interface WebSocketLike {
  readonly readyState: number
  binaryType: string
  send(data: string | ArrayBuffer | Uint8Array): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
}

export type WebSocketConstructorLike = new (url: string) => WebSocketLike

export async function resolveWebSocket(given: WebSocketConstructorLike | undefined): Promise<WebSocketConstructorLike> {
  if (given !== undefined) return given
  const global = (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket
  if (global !== undefined) return global
  const specifier = 'ws'
  try {
    const mod = (await import(/* @vite-ignore */ specifier)) as {
      WebSocket?: WebSocketConstructorLike
      default?: WebSocketConstructorLike
    }
    const ctor = mod.WebSocket ?? mod.default
    if (ctor !== undefined) return ctor
  } catch (cause) {
    throw new TypeError('no WebSocket available: install the "ws" package or pass { WebSocket } to createClient', {
      cause,
    })
  }
  throw new TypeError('the "ws" package exports no WebSocket class; pass { WebSocket } to createClient')
}
