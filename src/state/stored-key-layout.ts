// Where the primary key ends inside a stored key: [kg: 2][canonical key][namespace: 1 + len]
// [secondary…]. The canonical key is self-delimiting and the namespace length-prefixed.
import { decodeKey } from '../keys/key-codec.ts'

export function primaryLength(stored: Uint8Array): number {
  const { end } = decodeKey(stored, 2)
  return end + 1 + stored[end]!
}
