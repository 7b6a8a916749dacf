// HTTP helpers for server tests: fetch with decoded JSON/msgpack bodies, and raw node:http requests
// for what fetch will not send (a Host header, a streamed body of unbounded length).
import { request as httpRequest } from 'node:http'
import { decodeMsgpack } from '@livestate/client'

export interface Answer {
  status: number
  headers: Headers
  body: any
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init)
  const bytes = new Uint8Array(await res.arrayBuffer())
  const type = res.headers.get('content-type') ?? ''
  let body: unknown = bytes
  if (type.startsWith('application/msgpack')) body = decodeMsgpack(bytes)
  else if (type.startsWith('application/json')) body = JSON.parse(new TextDecoder().decode(bytes))
  else body = new TextDecoder().decode(bytes)
  return { status: res.status, headers: res.headers, body }
}

/** node:http request with arbitrary headers; resolves status and text body. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Streams a chunked body of `chunk`s until the server answers (or `maxBytes` were written).
 * Resolves the status and how many bytes were written before the answer arrived.
 */
export function streamUntilAnswered(
  url: string,
  headers: Record<string, string>,
  maxBytes: number,
): Promise<{ status: number; written: number; text: string }> {
  return new Promise((resolve, reject) => {
    let written = 0
    let answered = false
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, written, text: Buffer.concat(chunks).toString('utf8') }),
      )
    })
    req.on('error', (err) => (answered ? undefined : reject(err)))
    const pump = () => {
      while (!answered && written < maxBytes) {
        written += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', pump)
          return
        }
      }
      if (!answered) req.end()
    }
    pump()
  })
}
