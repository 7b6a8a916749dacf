// Queryable keys on the wire (DESIGN §1 "Key groups"): strings, integers, bigints, booleans, or a
// composite array of these. The client never hashes keys; it only validates and identifies them.

export type KeyScalar = string | number | bigint | boolean
export type Key = KeyScalar | readonly KeyScalar[]

export function isKeyScalar(value: unknown): value is KeyScalar {
  switch (typeof value) {
    case 'string':
    case 'bigint':
    case 'boolean':
      return true
    case 'number':
      return Number.isSafeInteger(value)
    default:
      return false
  }
}

/** A key is a scalar or a non-empty flat array of scalars (a composite key). */
export function isKey(value: unknown): value is Key {
  if (Array.isArray(value)) return value.length > 0 && value.every(isKeyScalar)
  return isKeyScalar(value)
}

/**
 * An identity string for using keys in JS maps. Deliberately loose across types (`5`, `5n` and
 * `'5'` collide): within one state the key type is fixed, and in JSON a bigint key travels as its
 * decimal string, so the loose id matches a key whatever encoding brought it.
 */
export function keyId(key: Key): string {
  if (Array.isArray(key)) return JSON.stringify(key.map((k) => String(k)))
  return typeof key === 'string' ? key : String(key)
}
