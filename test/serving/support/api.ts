// The HTTP API of DESIGN §4 in one encoding: requests carry Accept (and request bodies
// Content-Type) of JSON or msgpack, answers are decoded; `scanAll` follows entry cursors to the end.
import { encodeMsgpack } from '@livestate/client'
import { type Answer, call } from '../../server/support/http.ts'
import type { Entry, Key } from './oracle.ts'

export type Encoding = 'json' | 'msgpack'
export const ENCODINGS: Encoding[] = ['json', 'msgpack']

const MEDIA = { json: 'application/json', msgpack: 'application/msgpack' } as const

/** A value as the wire carries it, comparable across encodings: bigints as decimal strings (as JSON has them). */
export function wire(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(wire)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wire(v)]))
  }
  return value
}

export interface ScanParams {
  prefix?: string
  from?: string
  to?: string
  limit?: number
}

export class Api {
  constructor(
    readonly url: string,
    readonly encoding: Encoding,
  ) {}

  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return call(`${this.url}${path}`, { headers: { accept: MEDIA[this.encoding], ...headers } })
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const encoded =
      this.encoding === 'json'
        ? JSON.stringify(body, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
        : encodeMsgpack(body)
    return call(`${this.url}${path}`, {
      method: 'POST',
      headers: { accept: MEDIA[this.encoding], 'content-type': MEDIA[this.encoding], ...headers },
      body: encoded as BodyInit,
    })
  }

  /** GET …/keys/:key with the key as a path segment (numbers and bigints as decimals). */
  key(job: string, state: string, key: string | number | bigint, query = ''): Promise<Answer> {
    return this.get(`/v1/jobs/${job}/states/${state}/keys/${encodeURIComponent(String(key))}${query}`)
  }

  batchGet(job: string, state: string, keys: Key[], query = ''): Promise<Answer> {
    return this.post(`/v1/jobs/${job}/states/${state}/get${query}`, { keys })
  }

  ingest(job: string, source: string, events: unknown[], idempotencyKey?: string): Promise<Answer> {
    return this.post(
      `/v1/jobs/${job}/sources/${source}/events`,
      events,
      idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
    )
  }

  /** Every entry of a state, page by page (`limit` per page); fails on any non-200 page. */
  async scanAll(job: string, state: string, params: ScanParams = {}): Promise<{ entries: Entry[]; pages: number }> {
    const entries: Entry[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const q = new URLSearchParams()
      if (params.prefix !== undefined) q.set('prefix', params.prefix)
      if (params.from !== undefined) q.set('from', params.from)
      if (params.to !== undefined) q.set('to', params.to)
      if (params.limit !== undefined) q.set('limit', String(params.limit))
      if (cursor !== null) q.set('cursor', cursor)
      const res = await this.get(`/v1/jobs/${job}/states/${state}/entries?${q}`)
      if (res.status !== 200) throw new Error(`entries of ${state}: HTTP ${res.status} ${JSON.stringify(res.body)}`)
      entries.push(...res.body.entries)
      cursor = res.body.cursor
      pages++
      if (pages > 10_000) throw new Error('entries: cursor never ends')
    } while (cursor !== null)
    return { entries, pages }
  }
}
