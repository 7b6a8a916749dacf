// WebSocket frames of DESIGN §5 (contract) as types, plus the validator the server runs on every
// client frame. The server answers in the frame kind it received: binary = msgpack, text = JSON.
//
// Wire conventions both sides rely on (resolved ambiguities of the contract, documented here once):
// - Read options ride on `get` / `getMany` frames as top-level fields named like the HTTP query
//   parameters of §4: `consistency`, `minCheckpoint`, `timeout` (ms), `mapKey`, `window`.
// - A `get` of a missing key answers `{id, ok:false, error:{code:'KEY_NOT_FOUND',…}}`, as HTTP does
//   with 404; the SDK turns it into `undefined`.
// - A MapState value travels as an array of `[userKey, value]` pairs (msgpack and JSON alike); the SDK
//   turns it into a `Map`. With `mapKey` the answer is that one entry's value.
// - A window state value is the window record `{key, window:{start,end}, value}`; with `window:'all'`
//   it is an array of such records in ascending `window.start`.
// - bigint in JSON: JSON has no bigint, so bigint keys and values travel as decimal strings in text
//   frames and JSON bodies (the server parses them by the state's key type, as with path keys).
//   msgpack carries them natively as int64.
// - `seq` comes from the owning task's change feed (shared by every subscription of that owner, not
//   numbered per subscription), so `(epoch, seq)` compares across subscriptions and reconnects: the
//   SDK resubscribes after a drop and discards frames not strictly newer than the last it delivered
//   for that key. A snapshot carries the feed's seq at read time, so after a reconnect an unchanged
//   key may come again as a snapshot of the same value (never as an older one).
import { type Key, isKey } from './keys.ts'
import { LivestateError } from './livestate-error.ts'
import type { ErrorBody } from './livestate-error.ts'
import type { Consistency, StateMeta } from './http-bodies.ts'

export type WindowSelector = 'latest' | 'all' | number

/** Read options shared by HTTP query parameters and WS get/getMany frames. */
export interface WireReadOptions {
  consistency?: Consistency
  minCheckpoint?: number
  /** Milliseconds the server may wait for `minCheckpoint` before NOT_CAUGHT_UP. */
  timeout?: number
  mapKey?: Key
  window?: WindowSelector
}

export interface GetFrame extends WireReadOptions {
  id: number
  op: 'get'
  job: string
  state: string
  key: Key
}

export interface GetManyFrame extends WireReadOptions {
  id: number
  op: 'getMany'
  job: string
  state: string
  keys: Key[]
}

/** Exactly one of `keys`, `prefix`, `all` is present. */
export type SubscribeSelector = { keys: Key[] } | { prefix: string } | { all: true }

export type SubscribeFrame = { id: number; op: 'subscribe'; job: string; state: string } & SubscribeSelector

export interface UnsubscribeFrame {
  id: number
  op: 'unsubscribe'
  sub: string
}

export type ClientFrame = GetFrame | GetManyFrame | SubscribeFrame | UnsubscribeFrame
export type ClientOp = ClientFrame['op']

// ---- server → client ----

export interface GetOkFrame {
  id: number
  ok: true
  value: unknown
  meta: StateMeta
}

export type GetManyEntry = { key: Key; value: unknown } | { key: Key; error: ErrorBody }

export interface GetManyOkFrame {
  id: number
  ok: true
  entries: GetManyEntry[]
  meta: Partial<StateMeta>
}

export interface SubscribeOkFrame {
  id: number
  ok: true
  sub: string
}

export interface UnsubscribeOkFrame {
  id: number
  ok: true
}

export interface ErrorFrame {
  id: number
  ok: false
  error: ErrorBody
}

export type ResponseFrame = GetOkFrame | GetManyOkFrame | SubscribeOkFrame | UnsubscribeOkFrame | ErrorFrame

export type ChangeFrame =
  | { sub: string; type: 'snapshot'; key: Key; value: unknown; epoch: number; seq: number }
  | { sub: string; type: 'update'; key: Key; value: unknown; epoch: number; seq: number }
  | { sub: string; type: 'delete'; key: Key; epoch: number; seq: number }

export interface StatusFrame {
  sub: string
  type: 'status'
  state: 'restoring' | 'live'
}

export type SubscriptionFrame = ChangeFrame | StatusFrame
export type ServerFrame = ResponseFrame | SubscriptionFrame

/** Same cap as HTTP `POST …/get` and `entries?limit=`. */
export const MAX_KEYS_PER_REQUEST = 1000

export function isResponseFrame(frame: unknown): frame is ResponseFrame {
  const f = frame as Partial<ResponseFrame> | null
  return typeof f === 'object' && f !== null && typeof f.id === 'number' && typeof f.ok === 'boolean'
}

export function isSubscriptionFrame(frame: unknown): frame is SubscriptionFrame {
  const f = frame as Partial<SubscriptionFrame> | null
  if (typeof f !== 'object' || f === null || typeof f.sub !== 'string') return false
  if (f.type === 'status') return f.state === 'restoring' || f.state === 'live'
  if (f.type !== 'snapshot' && f.type !== 'update' && f.type !== 'delete') return false
  return isKey(f.key) && typeof f.epoch === 'number' && typeof f.seq === 'number'
}

// ---- validation of client frames (used by the server) ----

function bad(message: string): LivestateError {
  return new LivestateError('BAD_REQUEST', message)
}

function requireName(o: Record<string, unknown>, field: 'job' | 'state' | 'sub', op: string): string {
  const v = o[field]
  if (typeof v !== 'string' || v.length === 0) throw bad(`${op} frame needs "${field}" as a non-empty string`)
  return v
}

function requireKeys(v: unknown, op: string, field: string): Key[] {
  if (!Array.isArray(v)) throw bad(`${op} frame needs "${field}" as an array of keys`)
  if (v.length > MAX_KEYS_PER_REQUEST) throw bad(`${op} frame has ${v.length} keys; at most ${MAX_KEYS_PER_REQUEST}`)
  v.forEach((k, i) => {
    if (!isKey(k)) throw bad(`${op} frame: ${field}[${i}] is not a key (${KEY_RULE})`)
  })
  return v as Key[]
}

const KEY_RULE = 'a string, a safe integer, a bigint, a boolean, or a non-empty array of these'

function readOptions(o: Record<string, unknown>, op: string): WireReadOptions {
  const out: WireReadOptions = {}
  if (o.consistency !== undefined) {
    if (o.consistency !== 'live' && o.consistency !== 'committed') {
      throw bad(`${op} frame: "consistency" must be "live" or "committed"`)
    }
    out.consistency = o.consistency
  }
  for (const field of ['minCheckpoint', 'timeout'] as const) {
    const v = o[field]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw bad(`${op} frame: "${field}" must be a non-negative integer`)
    }
    out[field] = v
  }
  if (o.mapKey !== undefined) {
    if (!isKey(o.mapKey)) throw bad(`${op} frame: "mapKey" must be ${KEY_RULE}`)
    out.mapKey = o.mapKey
  }
  if (o.window !== undefined) {
    const w = o.window
    if (w !== 'latest' && w !== 'all' && !(typeof w === 'number' && Number.isSafeInteger(w))) {
      throw bad(`${op} frame: "window" must be "latest", "all" or a window start (integer ms)`)
    }
    out.window = w
  }
  return out
}

/**
 * Validates a decoded client frame and returns a fresh frame holding only known fields.
 * Unknown extra fields are ignored (forward compatibility). Throws LivestateError BAD_REQUEST.
 */
export function parseClientFrame(value: unknown): ClientFrame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('frame must be an object')
  const o = value as Record<string, unknown>
  const { id, op } = o
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw bad('frame needs "id" as a non-negative integer')
  }
  switch (op) {
    case 'get': {
      const job = requireName(o, 'job', op)
      const state = requireName(o, 'state', op)
      if (!isKey(o.key)) throw bad(`get frame: "key" must be ${KEY_RULE}`)
      return { id, op, job, state, key: o.key, ...readOptions(o, op) }
    }
    case 'getMany': {
      const job = requireName(o, 'job', op)
      const state = requireName(o, 'state', op)
      const keys = requireKeys(o.keys, op, 'keys')
      return { id, op, job, state, keys, ...readOptions(o, op) }
    }
    case 'subscribe': {
      const job = requireName(o, 'job', op)
      const state = requireName(o, 'state', op)
      const given = (['keys', 'prefix', 'all'] as const).filter((f) => o[f] !== undefined)
      if (given.length !== 1) {
        throw bad('subscribe frame needs exactly one of "keys", "prefix" or "all"')
      }
      if (o.keys !== undefined) {
        const keys = requireKeys(o.keys, op, 'keys')
        if (keys.length === 0) throw bad('subscribe frame: "keys" must not be empty')
        return { id, op, job, state, keys }
      }
      if (o.prefix !== undefined) {
        if (typeof o.prefix !== 'string') throw bad('subscribe frame: "prefix" must be a string')
        return { id, op, job, state, prefix: o.prefix }
      }
      if (o.all !== true) throw bad('subscribe frame: "all" must be true')
      return { id, op, job, state, all: true }
    }
    case 'unsubscribe':
      return { id, op, sub: requireName(o, 'sub', op) }
    default:
      throw bad(`unknown op ${JSON.stringify(op)?.slice(0, 40)}; expected get, getMany, subscribe or unsubscribe`)
  }
}
