// msgpack encoding shared by server and client: one Packr configured so any msgpack decoder can read
// what we write (no records extension), and a guarded decode for untrusted input that checks size
// and nesting before msgpackr sees the bytes (msgpackr can allocate huge arrays from a declared length).
import { Packr } from 'msgpackr'
import { LivestateError } from './livestate-error.ts'

// msgpackr's fast object writer (options such as skipValues or variableMapSize select a generic
// writer that packs about 2.5× slower). An `undefined` field is written as msgpackr's fixext1
// `undefined` (d4 00 00), which decodeUntrustedMsgpack accepts and nothing else of its kind.
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  mapsAsObjects: true,
  largeBigIntToFloat: false,
  useBigIntExtension: false,
  int64AsType: 'bigint',
})

export function encodeMsgpack(value: unknown): Uint8Array {
  return packr.pack(value)
}

/** Encodes a protocol frame (the same writer; kept as the name hot paths call). */
export function encodeMsgpackFrame(frame: object): Uint8Array {
  return packr.pack(frame)
}

/** Decodes trusted bytes (our own storage, our own peers). */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}

export interface DecodeLimits {
  maxBytes: number
  maxDepth: number
  /** Largest declared array/map/str/bin length accepted (elements or bytes). */
  maxLength: number
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 1 << 20, maxDepth: 32, maxLength: 100_000 }

/**
 * Decodes untrusted msgpack: validates the structure first (no allocation proportional to declared
 * lengths), rejects extension types, then decodes and strips `__proto__` keys.
 * Throws LivestateError BAD_REQUEST (or PAYLOAD_TOO_LARGE) on anything malformed.
 */
export function decodeUntrustedMsgpack(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): unknown {
  if (bytes.byteLength > limits.maxBytes) {
    throw new LivestateError(
      'PAYLOAD_TOO_LARGE',
      `msgpack body of ${bytes.byteLength} bytes exceeds ${limits.maxBytes}`,
    )
  }
  const end = validateMsgpack(bytes, limits)
  if (end !== bytes.byteLength) throw bad(`trailing bytes after msgpack value at offset ${end}`)
  let value: unknown
  try {
    value = packr.unpack(bytes)
  } catch (cause) {
    throw new LivestateError('BAD_REQUEST', `malformed msgpack: ${(cause as Error).message}`, { cause })
  }
  // The walk below costs as much as the validation; it only runs when some map key could decode to
  // "__proto__" (never, in frames of our own server).
  return hasSuspectKey ? stripProto(value) : value
}

function bad(message: string): LivestateError {
  return new LivestateError('BAD_REQUEST', `malformed msgpack: ${message}`)
}

// The validator's stack (values left per open container; whether it is a map), kept between calls:
// it runs on every frame the client receives and every msgpack body or frame the server accepts.
let stackLeft = new Float64Array(66)
let stackIsMap = new Uint8Array(66)
/** Set by validateMsgpack: a map key of the last input might decode to "__proto__". */
let hasSuspectKey = false

// Walks one msgpack value from offset 0 and returns the offset after it. Iterative, no closures and
// no allocation. Also notes in hasSuspectKey whether a map key might decode to "__proto__".
function validateMsgpack(b: Uint8Array, limits: DecodeLimits): number {
  if (stackLeft.length < limits.maxDepth + 2) {
    stackLeft = new Float64Array(limits.maxDepth + 2)
    stackIsMap = new Uint8Array(limits.maxDepth + 2)
  }
  const left = stackLeft
  const isMap = stackIsMap
  let level = 0
  left[0] = 1
  isMap[0] = 0
  let pos = 0
  let suspect = false
  while (level >= 0) {
    if (left[level] === 0) {
      level--
      continue
    }
    // In a map, keys and values alternate: an odd count left after this value means it is a key.
    const remaining = left[level]! - 1
    left[level] = remaining
    const isKey = isMap[level] === 1 && remaining % 2 === 1
    if (level > limits.maxDepth) throw bad(`nesting deeper than ${limits.maxDepth}`)
    if (pos >= b.length) throw bad('truncated input')
    const t = b[pos]!
    let entries = 0
    let perEntry = 0
    let strLength = -1
    if (t <= 0x7f || t >= 0xe0) {
      pos += 1
      continue
    }
    if (t <= 0x8f) {
      entries = t & 0x0f
      perEntry = 2
      pos += 1
    } else if (t <= 0x9f) {
      entries = t & 0x0f
      perEntry = 1
      pos += 1
    } else if (t <= 0xbf) {
      strLength = t & 0x1f
      pos = skipBytes(b, pos + 1, strLength)
    } else {
      switch (t) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          pos += 1
          break
        case 0xc4:
        case 0xd9:
          strLength = lengthAt(b, pos, 1, limits)
          pos = skipBytes(b, pos + 2, strLength)
          break
        case 0xc5:
        case 0xda:
          strLength = lengthAt(b, pos, 2, limits)
          pos = skipBytes(b, pos + 3, strLength)
          break
        case 0xc6:
        case 0xdb:
          strLength = lengthAt(b, pos, 4, limits)
          pos = skipBytes(b, pos + 5, strLength)
          break
        case 0xca:
        case 0xce:
        case 0xd2:
          pos = skipFixed(b, pos, 5)
          break
        case 0xcb:
        case 0xcf:
        case 0xd3:
          pos = skipFixed(b, pos, 9)
          break
        case 0xcc:
        case 0xd0:
          pos = skipFixed(b, pos, 2)
          break
        case 0xcd:
        case 0xd1:
          pos = skipFixed(b, pos, 3)
          break
        case 0xdc:
        case 0xde:
          entries = lengthAt(b, pos, 2, limits)
          perEntry = t === 0xde ? 2 : 1
          pos += 3
          break
        case 0xdd:
        case 0xdf:
          entries = lengthAt(b, pos, 4, limits)
          perEntry = t === 0xdf ? 2 : 1
          pos += 5
          break
        case 0xc1:
          throw bad('reserved type byte 0xc1')
        case 0xd4:
          // fixext1 type 0, data 0: msgpackr's `undefined` (a field JSON would leave out). No other
          // extension is accepted.
          if (pos + 2 < b.length && b[pos + 1] === 0 && b[pos + 2] === 0) {
            pos += 3
            break
          }
          throw bad('extension type 0xd4 not accepted')
        default:
          // 0xc7-0xc9, 0xd4-0xd8: extension types are never accepted from untrusted peers.
          throw bad(`extension type 0x${t.toString(16)} not accepted`)
      }
    }
    // A string key is checked by its bytes (they end at pos); bin, array and map keys are suspect
    // whatever they hold, as a decoder may turn them into a string. Numbers, nil and booleans are not.
    if (isKey && !suspect) {
      if (strLength >= 0) suspect = t === 0xc4 || t === 0xc5 || t === 0xc6 || isSuspectString(b, pos - strLength, pos)
      else suspect = perEntry > 0
    }
    if (perEntry > 0) {
      // Every value takes at least one byte: a count beyond the input is a lie, refused before use.
      if (entries > b.length - pos) throw bad('declared length larger than the input')
      if (entries > 0) {
        level++
        left[level] = entries * perEntry
        isMap[level] = perEntry === 2 ? 1 : 0
      }
    }
  }
  hasSuspectKey = suspect
  return pos
}

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f] // "__proto__"

/**
 * Whether UTF-8 bytes [start, end) might decode to "__proto__": exactly those 9 bytes, or 10 to 36
 * bytes (4 per character at most) with a non-ASCII byte, which a lenient decoder could fold into
 * fewer characters. Pure ASCII decodes to as many characters as bytes.
 */
function isSuspectString(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start
  if (n === 9) {
    for (let i = 0; i < 9; i++) if (b[start + i] !== PROTO[i]) return false
    return true
  }
  return n > 9 && n <= 36 && hasNonAscii(b, start, end)
}

function hasNonAscii(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return true
  return false
}

/** The big-endian length of `n` bytes after the type byte at `typeAt`, within maxLength. */
function lengthAt(b: Uint8Array, typeAt: number, n: number, limits: DecodeLimits): number {
  if (typeAt + 1 + n > b.length) throw bad('truncated input')
  let v = 0
  for (let i = 1; i <= n; i++) v = v * 256 + b[typeAt + i]!
  if (v > limits.maxLength) throw bad(`declared length ${v} exceeds ${limits.maxLength}`)
  return v
}

function skipBytes(b: Uint8Array, start: number, n: number): number {
  if (start + n > b.length) throw bad('truncated input')
  return start + n
}

function skipFixed(b: Uint8Array, pos: number, size: number): number {
  if (pos + size > b.length) throw bad('truncated input')
  return pos + size
}

/** Removes `__proto__` own keys recursively so a decoded object can never pollute a prototype. */
export function stripProto(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) stripProto(value[i])
    return value
  }
  const o = value as Record<string, unknown>
  if (Object.hasOwn(o, '__proto__')) Reflect.deleteProperty(o, '__proto__')
  const proto = Object.getPrototypeOf(o)
  if (proto !== Object.prototype && proto !== null) Object.setPrototypeOf(o, Object.prototype)
  // for…in allocates no key array; with the prototype fixed it sees only own properties.
  for (const k in o) stripProto(o[k])
  return value
}
