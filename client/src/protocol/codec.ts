// msgpack encoding shared by server and client: one Packr configured so any msgpack decoder can read
// what we write (no records extension), and a guarded decode for untrusted input that checks size
// and nesting before msgpackr sees the bytes (msgpackr can allocate huge arrays from a declared length).
import { Packr } from 'msgpackr'
import { LivestateError } from './livestate-error.ts'

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  mapsAsObjects: true,
  largeBigIntToFloat: false,
  useBigIntExtension: false,
  int64AsType: 'bigint',
  variableMapSize: true,
  // `undefined` fields are dropped, as JSON.stringify does (msgpack would need an extension type);
  // msgpackr 2 supports skipValues but its Options type does not declare it.
  ...({ skipValues: [undefined] } as object),
})

export function encodeMsgpack(value: unknown): Uint8Array {
  return packr.pack(value)
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
  const end = validateMsgpack(bytes, 0, 0, limits)
  if (end !== bytes.byteLength) throw bad(`trailing bytes after msgpack value at offset ${end}`)
  let value: unknown
  try {
    value = packr.unpack(bytes)
  } catch (cause) {
    throw new LivestateError('BAD_REQUEST', `malformed msgpack: ${(cause as Error).message}`, { cause })
  }
  return stripProto(value)
}

function bad(message: string): LivestateError {
  return new LivestateError('BAD_REQUEST', `malformed msgpack: ${message}`)
}

// Walks one msgpack value starting at `pos`, returning the offset after it. Iterative over the
// elements of a container, recursive over depth (bounded by maxDepth).
function validateMsgpack(b: Uint8Array, pos: number, depth: number, limits: DecodeLimits): number {
  if (depth > limits.maxDepth) throw bad(`nesting deeper than ${limits.maxDepth}`)
  if (pos >= b.length) throw bad('truncated input')
  const t = b[pos]!
  const need = (n: number) => {
    if (pos + n > b.length) throw bad('truncated input')
  }
  const len = (n: number, at: number): number => {
    need(at - pos + n)
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!
    if (v > limits.maxLength) throw bad(`declared length ${v} exceeds ${limits.maxLength}`)
    return v
  }
  const container = (count: number, start: number, perEntry: number): number => {
    if (count > b.length - start) throw bad('declared length larger than the input')
    let p = start
    for (let i = 0; i < count * perEntry; i++) p = validateMsgpack(b, p, depth + 1, limits)
    return p
  }
  const blob = (n: number, start: number): number => {
    if (start + n > b.length) throw bad('truncated input')
    return start + n
  }
  if (t <= 0x7f || t >= 0xe0) return pos + 1
  if (t >= 0x80 && t <= 0x8f) return container(t & 0x0f, pos + 1, 2)
  if (t >= 0x90 && t <= 0x9f) return container(t & 0x0f, pos + 1, 1)
  if (t >= 0xa0 && t <= 0xbf) return blob(t & 0x1f, pos + 1)
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return pos + 1
    case 0xc4:
      return blob(len(1, pos + 1), pos + 2)
    case 0xc5:
      return blob(len(2, pos + 1), pos + 3)
    case 0xc6:
      return blob(len(4, pos + 1), pos + 5)
    case 0xca:
      need(5)
      return pos + 5
    case 0xcb:
      need(9)
      return pos + 9
    case 0xcc:
    case 0xd0:
      need(2)
      return pos + 2
    case 0xcd:
    case 0xd1:
      need(3)
      return pos + 3
    case 0xce:
    case 0xd2:
      need(5)
      return pos + 5
    case 0xcf:
    case 0xd3:
      need(9)
      return pos + 9
    case 0xd9:
      return blob(len(1, pos + 1), pos + 2)
    case 0xda:
      return blob(len(2, pos + 1), pos + 3)
    case 0xdb:
      return blob(len(4, pos + 1), pos + 5)
    case 0xdc:
      return container(len(2, pos + 1), pos + 3, 1)
    case 0xdd:
      return container(len(4, pos + 1), pos + 5, 1)
    case 0xde:
      return container(len(2, pos + 1), pos + 3, 2)
    case 0xdf:
      return container(len(4, pos + 1), pos + 5, 2)
    case 0xc1:
      throw bad('reserved type byte 0xc1')
    default:
      // 0xc7-0xc9, 0xd4-0xd8: extension types are never accepted from untrusted peers.
      throw bad(`extension type 0x${t.toString(16)} not accepted`)
  }
}

/** Removes `__proto__` own keys recursively so a decoded object can never pollute a prototype. */
export function stripProto(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = stripProto(value[i])
    return value
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const o = value as Record<string, unknown>
    if (Object.hasOwn(o, '__proto__')) Reflect.deleteProperty(o, '__proto__')
    for (const k of Object.keys(o)) o[k] = stripProto(o[k])
    if (Object.getPrototypeOf(o) !== Object.prototype && Object.getPrototypeOf(o) !== null) {
      Object.setPrototypeOf(o, Object.prototype)
    }
  }
  return value
}
