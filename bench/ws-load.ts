// WebSocket point-lookup load: one connection to /v1/ws, `inFlight` `get` frames outstanding at all
// times (DESIGN §5, JSON text frames), each for a random existing key; a warm-up, then a measured period.
import WebSocket from 'ws'
import { HTTP_JOB, HTTP_STATE, userKey } from './http-job.ts'
import { type LoadResult, percentile } from './http-load.ts'

export interface WsLoadOptions {
  keys: number
  inFlight: number
  warmupSeconds: number
  seconds: number
}

/** An answer slower than this after the end of a phase means the server stopped answering. */
const DRAIN_TIMEOUT_MS = 10_000

export async function wsLoad(url: string, o: WsLoadOptions): Promise<LoadResult> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`)
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    await phase(socket, o, o.warmupSeconds)
    return await phase(socket, o, o.seconds)
  } finally {
    socket.terminate()
  }
}

let nextId = 1

function phase(socket: WebSocket, o: WsLoadOptions, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const sentAt = new Map<number, number>()
    const latencies: number[] = []
    let errors = 0
    const t0 = performance.now()
    const deadline = t0 + seconds * 1000
    const send = () => {
      const id = nextId++
      sentAt.set(id, performance.now())
      const key = userKey(Math.floor(Math.random() * o.keys))
      socket.send(JSON.stringify({ id, op: 'get', job: HTTP_JOB, state: HTTP_STATE, key }))
    }
    const finish = (error?: Error) => {
      clearTimeout(watchdog)
      socket.off('message', onMessage)
      socket.off('close', onClose)
      if (error) return reject(error)
      latencies.sort((a, b) => a - b)
      resolve({
        perSecond: latencies.length / seconds,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        total: latencies.length,
        errors,
        non2xx: 0,
      })
    }
    const onMessage = (data: WebSocket.RawData) => {
      const now = performance.now()
      const frame = JSON.parse(data.toString()) as { id?: number; ok?: boolean }
      const sent = frame.id === undefined ? undefined : sentAt.get(frame.id)
      if (sent === undefined) return
      sentAt.delete(frame.id!)
      if (now <= deadline) {
        latencies.push(now - sent)
        if (frame.ok !== true) errors++
        send()
      } else if (sentAt.size === 0) finish()
    }
    const onClose = (code: number) => finish(new Error(`WebSocket closed (${code}) during the load`))
    const watchdog = setTimeout(
      () => finish(new Error(`WebSocket answers stopped (${sentAt.size} in flight)`)),
      seconds * 1000 + DRAIN_TIMEOUT_MS,
    )
    socket.on('message', onMessage)
    socket.on('close', onClose)
    for (let i = 0; i < o.inFlight; i++) send()
  })
}
