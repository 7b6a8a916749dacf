// Merges a LevelDB snapshot iterator with a sorted overlay of newer writes (null = deleted): the
// overlay wins on equal keys. Both sides are in byte order; binary strings compare like bytes.
export async function* mergeOverlay(
  disk: AsyncIterable<[Uint8Array, Uint8Array]>,
  overlay: [string, Uint8Array | null][],
  toBytes: (chars: string) => Uint8Array,
): AsyncIterable<[Uint8Array, Uint8Array]> {
  let i = 0
  for await (const [k, v] of disk) {
    const key = Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1')
    while (i < overlay.length && overlay[i]![0] < key) {
      const [ok, ov] = overlay[i++]!
      if (ov !== null) yield [toBytes(ok), ov]
    }
    if (i < overlay.length && overlay[i]![0] === key) {
      const ov = overlay[i++]![1]
      if (ov !== null) yield [k, ov]
      continue
    }
    yield [k, v]
  }
  for (; i < overlay.length; i++) {
    const [ok, ov] = overlay[i]!
    if (ov !== null) yield [toBytes(ok), ov]
  }
}
