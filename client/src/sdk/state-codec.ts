// Turns wire values into what the SDK returns, using the state's description (kind, key type):
// a MapState's `[userKey, value]` pairs become a Map, and in JSON a bigint key's decimal string
// becomes a bigint again. With no description (describe failed) values pass through untouched.
import type { KeyType, StateKind } from '../protocol/http-bodies.ts'
import type { Key } from '../protocol/keys.ts'
import type { LivestateError } from '../protocol/livestate-error.ts'

export interface StateInfo {
  kind?: StateKind
  keyType?: KeyType
  /** Why the description failed, when it did (values then pass through undecoded). */
  error?: LivestateError
}

export interface ValueSelection {
  mapKey?: unknown
}

export function decodeStateValue(info: StateInfo, value: unknown, selection: ValueSelection = {}): unknown {
  if (info.kind === 'map' && selection.mapKey === undefined) return toMap(value)
  return value
}

function toMap(value: unknown): unknown {
  if (value instanceof Map) return value
  if (Array.isArray(value)) return new Map(value as [unknown, unknown][])
  // Tolerate an object of entries (string user keys) from a server that chose that form.
  if (typeof value === 'object' && value !== null) return new Map(Object.entries(value))
  return value
}

export function decodeStateKey(info: StateInfo, key: Key): Key {
  if (info.keyType !== 'bigint') return key
  if (typeof key === 'string' && /^-?\d+$/.test(key)) return BigInt(key)
  if (typeof key === 'number' && Number.isSafeInteger(key)) return BigInt(key)
  return key
}
