// The canonical key codec: order-preserving, self-delimiting bytes for every queryable key, the
// bytes a stored key, a range scan and a cache lookup use. Flink has no equivalent (its keys are
// serializer bytes, not ordered); the layout follows FoundationDB's tuple layer, with one change.
//
//   key    := string | array | bigint | number | false | true     (tag byte first)
//   string := 02  utf8 bytes, each 00 written as 00 FF  00 01
//   array  := 05  key*  00                                       (a composite key: a tuple)
//   bigint := 1F  int64, two's complement, big-endian, sign bit flipped
//   number := 21  IEEE-754 binary64 big-endian; positive: sign bit flipped, negative: all bits
//                 flipped; -0 is written as 0
//   false  := 26
//   true   := 27
//
// Order: bytewise comparison (compareBytes) of two encodings is the natural order of the keys.
// Keys of different types order by tag (string < array < bigint < number < boolean). Strings
// order by code point (= by UTF-8 bytes), which is NOT JS `<` order (UTF-16 units) above U+FFFF.
// Arrays order element-wise, a proper prefix first ([] < ["a"] < ["a", 1]).
//
// Self-delimiting: no encoding is a prefix of another, so any bytes may follow a key (namespace,
// user key) and two stored keys with different keys still compare by key alone; decodeKey finds
// the end. That is why a string ends with 00 01 and not FoundationDB's bare 00: with 00 alone,
// "a" (02 61 00) is a prefix of "a\0" (02 61 00 FF 00), and a suffix starting with FF is
// ambiguous. Array elements never start with 00 (no tag is 00), so 00 ends an array.
//
// Canonical: every key has exactly one encoding and decodeKey rejects any other bytes (bad tags,
// truncation, bad escapes, invalid or overlong UTF-8, NaN, ±Infinity, -0), so bytes can be
// compared for equality. Validity rules for keys are in key.ts.

import { bytesToBinaryString } from './bytes.ts'
import type { Key } from './key.ts'
import { MAX_KEY_DEPTH, validateKey } from './key.ts'

export { compareBytes } from './bytes.ts'
export type { Key } from './key.ts'
export { keyEquals, keyToString, validateKey } from './key.ts'

export const TAG_STRING = 0x02
export const TAG_ARRAY = 0x05
export const TAG_BIGINT = 0x1f
export const TAG_NUMBER = 0x21
export const TAG_FALSE = 0x26
export const TAG_TRUE = 0x27
const END = 0x00
const STRING_END = 0x01 // second byte of the string terminator 00 01
const ESCAPED_NUL = 0xff // second byte of an escaped 00

// ---------------------------------------------------------------------------------------------
// Encoding. One module-level scratch buffer: encoding is synchronous and never re-entered, so the
// only allocation per call is the result copy.

let buf = new Uint8Array(256)
let view = new DataView(buf.buffer)
let pos = 0
let root: unknown // the key being encoded, to build a precise error message if it is invalid

function ensure(extra: number): void {
  const need = pos + extra
  if (need <= buf.length) return
  const grown = new Uint8Array(Math.max(need, buf.length * 2))
  grown.set(buf.subarray(0, pos))
  buf = grown
  view = new DataView(buf.buffer)
}

// A huge key must not pin a huge scratch buffer for the life of the process.
function releaseLargeScratch(): void {
  if (buf.length <= 64 * 1024) return
  buf = new Uint8Array(256)
  view = new DataView(buf.buffer)
}

function invalid(): never {
  validateKey(root) // throws the precise TypeError
  throw new TypeError('key cannot be encoded')
}

/** The canonical bytes of `key`. Throws TypeError if it is not a valid key (see validateKey). */
export function encodeKey(key: Key): Uint8Array {
  if (typeof key === 'string') {
    // Hot path: a string of chars 01..7F is its own UTF-8 and needs no escaping.
    const n = key.length
    const out = new Uint8Array(n + 3)
    out[0] = TAG_STRING
    let i = 0
    for (; i < n; i++) {
      const c = key.charCodeAt(i)
      if (c === 0 || c > 0x7f) break
      out[i + 1] = c
    }
    if (i === n) {
      out[n + 2] = STRING_END // out[n + 1] is already 00
      return out
    }
  }
  writeRoot(key)
  const out = buf.slice(0, pos)
  releaseLargeScratch()
  return out
}

// Encodes `key` into buf[0, pos).
function writeRoot(key: Key): void {
  root = key
  pos = 0
  writeKey(key, 0)
  root = undefined
}

/**
 * The same bytes as encodeKey, as a latin1 string (one char per byte): a cheap Map key.
 * Strings of chars 01..7F take a fast path that allocates only the result string.
 */
export function encodeKeyToBinaryString(key: Key): string {
  if (typeof key === 'string' && isPlainAscii(key)) return '\x02' + key + '\x00\x01'
  writeRoot(key)
  const out = bytesToBinaryString(buf.subarray(0, pos))
  releaseLargeScratch()
  return out
}

function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0 || c > 0x7f) return false
  }
  return true
}

/**
 * Bytes that every string key starting with `prefix` (and no other key) begins with: the tag and
 * the escaped UTF-8 of `prefix`, without the terminator. Use with prefixUpperBound for a scan.
 */
export function encodeStringPrefix(prefix: string): Uint8Array {
  if (typeof prefix !== 'string') throw new TypeError(`prefix must be a string; got ${typeof prefix}`)
  validateKey(prefix, 'prefix') // rejects lone surrogates with a message that names the prefix
  root = prefix
  pos = 0
  ensure(1 + 3 * prefix.length)
  buf[pos++] = TAG_STRING
  writeStringBody(prefix)
  root = undefined
  const out = buf.slice(0, pos)
  releaseLargeScratch()
  return out
}

function writeKey(key: unknown, depth: number): void {
  switch (typeof key) {
    case 'string':
      ensure(3 + 3 * key.length) // a UTF-16 unit is at most 3 UTF-8 bytes; an escaped 00 is 2
      buf[pos++] = TAG_STRING
      writeStringBody(key)
      buf[pos++] = END
      buf[pos++] = STRING_END
      return
    case 'number':
      if (!Number.isFinite(key)) invalid()
      ensure(9)
      buf[pos++] = TAG_NUMBER
      view.setFloat64(pos, key === 0 ? 0 : key) // -0 → 0
      if ((buf[pos] as number) & 0x80) {
        for (let i = pos; i < pos + 8; i++) buf[i] = ~(buf[i] as number) & 0xff
      } else {
        buf[pos] = (buf[pos] as number) | 0x80
      }
      pos += 8
      return
    case 'bigint':
      if (BigInt.asIntN(64, key) !== key) invalid()
      ensure(9)
      buf[pos++] = TAG_BIGINT
      view.setBigInt64(pos, key)
      buf[pos] = (buf[pos] as number) ^ 0x80
      pos += 8
      return
    case 'boolean':
      ensure(1)
      buf[pos++] = key ? TAG_TRUE : TAG_FALSE
      return
    case 'object':
      if (Array.isArray(key) && depth < MAX_KEY_DEPTH) {
        ensure(1)
        buf[pos++] = TAG_ARRAY
        for (let i = 0; i < key.length; i++) writeKey(key[i], depth + 1)
        ensure(1)
        buf[pos++] = END
        return
      }
  }
  invalid()
}

// Escaped UTF-8 of `s`; the caller has ensured 3 bytes per UTF-16 unit.
function writeStringBody(s: string): void {
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) {
      if (c === 0) {
        buf[pos++] = END
        buf[pos++] = ESCAPED_NUL
      } else {
        buf[pos++] = c
      }
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6)
      buf[pos++] = 0x80 | (c & 0x3f)
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[pos++] = 0xe0 | (c >> 12)
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f)
      buf[pos++] = 0x80 | (c & 0x3f)
    } else {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) invalid() // lone surrogate
      const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
      buf[pos++] = 0xf0 | (cp >> 18)
      buf[pos++] = 0x80 | ((cp >> 12) & 0x3f)
      buf[pos++] = 0x80 | ((cp >> 6) & 0x3f)
      buf[pos++] = 0x80 | (cp & 0x3f)
      i++
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding. `at` is the read cursor of the current decodeKey call (synchronous, not re-entered).

let at = 0
const scratch8 = new DataView(new ArrayBuffer(8))
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function malformed(why: string): never {
  throw new TypeError(`malformed key bytes at offset ${at}: ${why}`)
}

/** Decodes one key at `offset`; `end` is the offset just past it. Throws TypeError if malformed. */
export function decodeKey(bytes: Uint8Array, offset = 0): { key: Key; end: number } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeKey expects a Uint8Array')
  if (!Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
    throw new TypeError(`decodeKey offset ${offset} is outside 0..${bytes.length}`)
  }
  at = offset
  const key = readKey(bytes, 0)
  return { key, end: at }
}

function readKey(b: Uint8Array, depth: number): Key {
  if (at >= b.length) malformed('truncated, expected a type tag')
  const tag = b[at] as number
  at++
  switch (tag) {
    case TAG_STRING:
      return readString(b)
    case TAG_NUMBER:
      return readNumber(b)
    case TAG_BIGINT:
      readEight(b)
      scratch8.setUint8(0, scratch8.getUint8(0) ^ 0x80)
      return scratch8.getBigInt64(0)
    case TAG_FALSE:
      return false
    case TAG_TRUE:
      return true
    case TAG_ARRAY: {
      if (depth >= MAX_KEY_DEPTH) malformed(`arrays nested more than ${MAX_KEY_DEPTH} deep`)
      const items: Key[] = []
      for (;;) {
        if (at >= b.length) malformed('truncated array')
        if (b[at] === END) {
          at++
          return items
        }
        items.push(readKey(b, depth + 1))
      }
    }
  }
  at--
  return malformed(`unknown type tag 0x${tag.toString(16).padStart(2, '0')}`)
}

function readEight(b: Uint8Array): void {
  if (at + 8 > b.length) malformed('truncated, expected 8 bytes')
  for (let i = 0; i < 8; i++) scratch8.setUint8(i, b[at + i] as number)
  at += 8
}

function readNumber(b: Uint8Array): number {
  readEight(b)
  if (scratch8.getUint8(0) & 0x80) {
    scratch8.setUint8(0, scratch8.getUint8(0) ^ 0x80)
  } else {
    for (let i = 0; i < 8; i++) scratch8.setUint8(i, ~scratch8.getUint8(i) & 0xff)
  }
  const n = scratch8.getFloat64(0)
  if (!Number.isFinite(n) || Object.is(n, -0)) {
    at -= 8
    malformed(`non-canonical number ${Object.is(n, -0) ? '-0' : n}`)
  }
  return n
}

function readString(b: Uint8Array): string {
  const start = at
  let i = start
  let ascii = true
  while (i < b.length) {
    const c = b[i] as number
    if (c === 0) break
    if (c > 0x7f) ascii = false
    i++
  }
  if (i + 1 >= b.length) malformed('truncated string')
  if (b[i + 1] === STRING_END) {
    // No escaped 00: decode the bytes in place.
    at = i + 2
    if (ascii && i - start <= 64) return String.fromCharCode.apply(null, b.subarray(start, i) as unknown as number[])
    return decodeUtf8(b.subarray(start, i), start)
  }
  return readEscapedString(b, start)
}

function readEscapedString(b: Uint8Array, start: number): string {
  const out = new Uint8Array(b.length - start)
  let n = 0
  let i = start
  for (;;) {
    if (i >= b.length) malformed('truncated string')
    const c = b[i] as number
    if (c !== 0) {
      out[n++] = c
      i++
      continue
    }
    const next = b[i + 1]
    if (next === STRING_END) break
    if (next !== ESCAPED_NUL) {
      at = i
      malformed(next === undefined ? 'truncated string' : 'bad escape in string')
    }
    out[n++] = 0
    i += 2
  }
  at = i + 2
  return decodeUtf8(out.subarray(0, n), start)
}

function decodeUtf8(bytes: Uint8Array, start: number): string {
  try {
    return utf8.decode(bytes)
  } catch {
    at = start
    return malformed('invalid UTF-8 in string')
  }
}
