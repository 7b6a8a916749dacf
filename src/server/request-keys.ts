// Keys arriving in requests. validateKey's TypeError (a programmer mistake in-process) becomes
// BAD_REQUEST here, because over the wire a bad key is the client's mistake. In JSON a bigint key
// travels as a decimal string, so scalar string keys from JSON go through the state's key parser.
import { LivestateError } from '@livestate/client'
import { type Key, validateKey } from '../keys/key-codec.ts'
import type { QueryGateway } from '../query/query-gateway.ts'
import type { WireFormat } from './encoding.ts'

function asBadRequest(e: unknown): unknown {
  return e instanceof TypeError ? new LivestateError('BAD_REQUEST', e.message, { cause: e }) : e
}

export function requestKey(value: unknown, what = 'key'): Key {
  try {
    return validateKey(value, what)
  } catch (e) {
    throw asBadRequest(e)
  }
}

/** A URL path segment (already decoded) → key of the state's key type, validated (e.g. int64 range). */
export function pathKey(gateway: QueryGateway, job: string, state: string, segment: string): Key {
  let key: Key
  try {
    key = gateway.parsePathKey(job, state, segment)
  } catch (e) {
    throw asBadRequest(e)
  }
  return requestKey(key)
}

/** A key from a decoded body or frame; `format` is the wire format it came in. */
export function wireKey(
  gateway: QueryGateway,
  job: string,
  state: string,
  value: unknown,
  format: WireFormat,
  what = 'key',
): Key {
  if (format === 'json' && typeof value === 'string') return pathKey(gateway, job, state, value)
  return requestKey(value, what)
}
