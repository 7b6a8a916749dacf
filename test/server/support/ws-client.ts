// A WebSocket test client over a real socket: sends JSON (text) or msgpack (binary) frames, records
// every frame it receives (decoded), answers request/response by id, and exposes the close event.
import { decodeMsgpack, encodeMsgpack } from '@livestate/client'
import WebSocket from 'ws'

export type Frame = Record<string, unknown>
export interface Received {
  binary: boolean
  frame: Frame
}

export class TestWsClient {
  readonly ws: WebSocket
  readonly received: Received[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = []

  private constructor(ws: WebSocket) {
    this.ws = ws
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    )
    ws.on('message', (data, binary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      const frame = (binary ? decodeMsgpack(buf) : JSON.parse(buf.toString('utf8'))) as Frame
      const r = { binary, frame }
      this.received.push(r)
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(r)) return true
        w.resolve(r)
        return false
      })
    })
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestWsClient> {
    const ws = new WebSocket(url, options)
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestWsClient(ws)))
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
      )
    })
  }

  send(frame: unknown, binary = false): void {
    this.ws.send(binary ? encodeMsgpack(frame) : JSON.stringify(frame), { binary })
  }

  /** Waits for the first received frame (past or future) that matches. */
  waitFor(match: (r: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    const seen = this.received.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs)
      this.#waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer)
          resolve(r)
        },
      })
    })
  }

  async request(frame: Frame, binary = false): Promise<Received> {
    this.send(frame, binary)
    return this.waitFor((r) => r.frame.id === frame.id && 'ok' in r.frame)
  }

  close(): void {
    this.ws.terminate()
  }
}
