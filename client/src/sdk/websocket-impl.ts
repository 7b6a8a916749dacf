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

/** The part of `ws`'s own API (beyond the WHATWG one) used when present. */
interface NodeWs {
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): void
  terminate(): void
  _socket?: { cork?: () => void; uncork?: () => void } | null
}

/**
 * Calls `receive` with each message's payload (string for text frames). Under `ws` in Node it listens
 * through ws's EventEmitter API, which hands over the payload itself, where `onmessage` would first
 * wrap each message in a MessageEvent (an allocation per answer on the hot path).
 */
export function onMessageData(socket: WebSocketLike, receive: (data: unknown) => void): void {
  const ws = socket as Partial<NodeWs>
  if (typeof ws.on === 'function' && typeof ws.terminate === 'function') {
    ws.on('message', (data, isBinary) => receive(isBinary ? data : String(data)))
  } else {
    socket.onmessage = (event) => receive(event.data)
  }
}

/**
 * Under `ws` in Node: the TCP socket's cork/uncork, so a connection can let several frames leave in
 * one write system call instead of one each (the syscall was over half the client's CPU per read at
 * 64 in flight). Undefined elsewhere: `_socket` is not public `ws` API, hence the feature test;
 * browsers batch on their own.
 */
export function corkableTransport(socket: WebSocketLike): { cork(): void; uncork(): void } | undefined {
  const tcp = (socket as Partial<NodeWs>)._socket
  if (typeof tcp?.cork !== 'function' || typeof tcp.uncork !== 'function') return undefined
  return tcp as { cork(): void; uncork(): void }
}
