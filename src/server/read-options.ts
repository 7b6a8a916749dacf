// Read options (DESIGN §4 query parameters) from a query string or a body → the gateway's
// ReadOptions. Bounds are checked here; what the options mean is the gateway's business.
import { LivestateError } from '@livestate/client'
import type { Key } from '../keys/key-codec.ts'
import type { ReadOptions } from '../query/query-gateway.ts'

export interface QueryReadOptions {
  consistency?: 'live' | 'committed' | undefined
  minCheckpoint?: string | undefined
  timeout?: string | undefined
  mapKey?: string | undefined
  window?: string | undefined
}

export interface BodyReadOptions {
  consistency?: 'live' | 'committed' | undefined
  minCheckpoint?: number | undefined
  timeout?: number | undefined
  mapKey?: Key | undefined
  window?: 'latest' | 'all' | number | undefined
}

function bad(message: string): LivestateError {
  return new LivestateError('BAD_REQUEST', message)
}

/** Query strings are already shape-checked by the zod schema (digits, enum values). */
export function fromQuery(q: QueryReadOptions): BodyReadOptions {
  const out: BodyReadOptions = {}
  if (q.consistency !== undefined) out.consistency = q.consistency
  if (q.minCheckpoint !== undefined) out.minCheckpoint = Number(q.minCheckpoint)
  if (q.timeout !== undefined) out.timeout = Number(q.timeout)
  if (q.mapKey !== undefined) out.mapKey = q.mapKey
  if (q.window !== undefined) out.window = q.window === 'latest' || q.window === 'all' ? q.window : Number(q.window)
  return out
}

/** Merges query and body options (the same option in both is a 400) and bounds the wait. */
export function toReadOptions(maxWaitMs: number, ...sources: BodyReadOptions[]): ReadOptions {
  const merged: BodyReadOptions = {}
  for (const source of sources) {
    for (const [name, value] of Object.entries(source) as [keyof BodyReadOptions, unknown][]) {
      if (value === undefined) continue
      if (merged[name] !== undefined) throw bad(`read option "${name}" given twice (query and body)`)
      ;(merged as Record<string, unknown>)[name] = value
    }
  }
  if (merged.timeout !== undefined && merged.timeout > maxWaitMs) {
    throw bad(`timeout ${merged.timeout} ms exceeds the server's maximum of ${maxWaitMs} ms`)
  }
  const { timeout, ...rest } = merged
  const options: ReadOptions = {}
  for (const [name, value] of Object.entries(rest))
    if (value !== undefined) (options as Record<string, unknown>)[name] = value
  if (timeout !== undefined) options.timeoutMs = timeout
  return options
}
