// Timers in snapshot files: key = [kg][canonical key][namespace][domain: 0 event, 1 processing]
// [timestamp: float64 BE], empty value — so timers are partitioned by key group like state.
import { decodeKey } from '../keys/key-codec.ts'
import type { InternalTimer } from '../runtime/timer-service.ts'

export function encodeTimer(t: InternalTimer, domain: 0 | 1): [Uint8Array, Uint8Array] {
  const head = Buffer.from(t.keyPrefix + t.namespace, 'latin1')
  const out = Buffer.allocUnsafe(head.length + 9)
  head.copy(out, 0)
  out[head.length] = domain
  out.writeDoubleBE(t.timestamp, head.length + 1)
  return [out, new Uint8Array(0)]
}

export function decodeTimer(key: Uint8Array): { timer: InternalTimer; domain: 0 | 1 } {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength)
  const { key: k, end } = decodeKey(b, 2)
  const nsLen = 1 + b[end]!
  const keyPrefix = b.subarray(0, end).toString('latin1')
  const namespace = b.subarray(end, end + nsLen).toString('latin1')
  const domain = b[end + nsLen] as 0 | 1
  const timestamp = b.readDoubleBE(end + nsLen + 1)
  return { timer: { key: k, keyPrefix, namespace, timestamp }, domain }
}
