// JSON encoding of wire values: JSON has no bigint, so bigints are written as decimal strings
// (see messages.ts); the receiver parses them back by the state's key type.

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v))
}

/** Parses a JSON text, turning a syntax error into BAD_REQUEST-worthy information for the caller. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text)
}
