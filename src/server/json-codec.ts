// JSON on the wire. Writing: bigint has no JSON form, so bigints are written as decimal strings (the
// server parses them back by the state's key type). Reading untrusted JSON: bounded nesting and no
// `__proto__` keys, checked iteratively so hostile depth cannot overflow the stack.
import { LivestateError } from '@livestate/client'

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

export function stringifyJson(value: unknown): string {
  // A replacer function makes JSON.stringify several times slower; most answers hold no bigint,
  // so try the plain form first (it throws a TypeError on a bigint, or on a throwing toJSON).
  try {
    return JSON.stringify(value)
  } catch {
    return JSON.stringify(value, replacer)
  }
}

/** What a point get answers (DESIGN §4): `{"key","value","meta"}`. */
export interface GetAnswer {
  key: unknown
  value: unknown
  meta: { keyGroup: number; subtask: number; epoch: number; checkpointId: number | null; consistency: string }
}

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n)

/**
 * stringifyJson({ key, value, meta }) built from parts: meta's fields are written directly and only
 * key and value go through JSON.stringify. undefined when a part has no JSON text of its own (a
 * value that stringifies to nothing, meta of an unexpected shape): the caller encodes the object.
 */
export function stringifyGetAnswer(a: GetAnswer): string | undefined {
  const m = a.meta
  const consistency = m.consistency
  if (
    !isInt(m.keyGroup) ||
    !isInt(m.subtask) ||
    !isInt(m.epoch) ||
    !(m.checkpointId === null || isInt(m.checkpointId)) ||
    (consistency !== 'live' && consistency !== 'committed')
  ) {
    return undefined
  }
  const key = stringifyJson(a.key) as string | undefined
  const value = stringifyJson(a.value) as string | undefined
  if (key === undefined || value === undefined) return undefined
  return `{"key":${key},"value":${value},"meta":{"keyGroup":${m.keyGroup},"subtask":${m.subtask},"epoch":${m.epoch},"checkpointId":${m.checkpointId},"consistency":"${consistency}"}}`
}

/** Parses untrusted JSON text; BAD_REQUEST on a syntax error or nesting deeper than maxDepth. */
export function parseUntrustedJson(text: string, maxDepth: number, what = 'JSON body'): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new LivestateError('BAD_REQUEST', `malformed ${what}: ${(cause as Error).message}`, { cause })
  }
  return sanitizeParsed(value, maxDepth, what)
}

/**
 * Walks a freshly parsed value without recursion: rejects nesting deeper than maxDepth and deletes
 * own `__proto__` keys (JSON.parse creates them as data properties; Object.assign would not).
 */
export function sanitizeParsed(value: unknown, maxDepth: number, what = 'body'): unknown {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }]
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth >= maxDepth) throw new LivestateError('BAD_REQUEST', `${what} nests deeper than ${maxDepth} levels`)
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') stack.push({ v: item, depth: depth + 1 })
      continue
    }
    const o = v as Record<string, unknown>
    if (Object.hasOwn(o, '__proto__')) Reflect.deleteProperty(o, '__proto__')
    for (const key of Object.keys(o)) {
      const item = o[key]
      if (item !== null && typeof item === 'object') stack.push({ v: item, depth: depth + 1 })
    }
  }
  return value
}
