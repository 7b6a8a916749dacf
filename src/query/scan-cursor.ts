// Range-scan bounds and opaque cursors: a cursor is the canonical bytes of the last key returned,
// base64url-encoded, so the next page starts strictly after it in the global key order.
import { LivestateError } from '@livestate/client'
import { encodeKeyToBinaryString, encodeStringPrefix, type Key, validateKey } from '../keys/key-codec.ts'
import type { ScanOptions } from './query-gateway.ts'

export function encodeCursor(keyChars: string): string {
  return Buffer.from(keyChars, 'latin1').toString('base64url')
}

export function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor))
    throw new LivestateError('BAD_REQUEST', 'cursor is not one this server issued')
  return Buffer.from(cursor, 'base64url').toString('latin1')
}

function keyChars(k: Key, what: string): string {
  try {
    return encodeKeyToBinaryString(validateKey(k, what))
  } catch (e) {
    throw new LivestateError('BAD_REQUEST', (e as Error).message)
  }
}

/** Scan bounds as binary strings: from inclusive, to exclusive, prefix over string keys. */
export function scanBounds(o: ScanOptions): { fromKey?: string; toKey?: string; prefix?: string } {
  const out: { fromKey?: string; toKey?: string; prefix?: string } = {}
  if (o.from !== undefined) out.fromKey = keyChars(o.from, 'from')
  if (o.to !== undefined) out.toKey = keyChars(o.to, 'to')
  if (o.prefix !== undefined && o.prefix !== '')
    out.prefix = Buffer.from(encodeStringPrefix(o.prefix)).toString('latin1')
  return out
}
