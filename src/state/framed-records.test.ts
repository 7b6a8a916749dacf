// FramedGroups frames records by key group exactly as a state file holds them: parseRecords gives
// back every record of a group in the order it was added (tombstones as null), groups ascending.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FramedGroups, frameRecord, framedSize, parseRecords } from './framed-records.ts'

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1')

describe('FramedGroups', () => {
  it('gives back each key group’s records in the order added, groups ascending, within a range', () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kg: fc.integer({ min: 0, max: 5 }),
            key: fc.string({ maxLength: 40 }),
            // large values make a group outgrow its first buffer
            value: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: null }),
          }),
          { maxLength: 200 },
        ),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        (records, lo, hi) => {
          const framed = new FramedGroups()
          const expected = new Map<number, [string, number[] | null][]>()
          for (const r of records) {
            const key = String.fromCharCode(0, r.kg) + Buffer.from(r.key, 'utf8').toString('latin1')
            framed.add(key, r.value)
            const list = expected.get(r.kg) ?? []
            list.push([key, r.value === null ? null : [...r.value]])
            expected.set(r.kg, list)
          }
          const groups = framed.groups(lo, hi)
          expect(groups.map((g) => g.kg)).toEqual([...expected.keys()].filter((kg) => kg >= lo && kg <= hi).sort())
          for (const g of groups) {
            const got = [...parseRecords(g.bytes, 'test')].map(([k, v]) => [latin1(k), v === null ? null : [...v]])
            expect(got).toEqual(expected.get(g.kg))
            expect(g.records).toBe(got.length)
          }
          expect(framed.records).toBe(records.length)
        },
      ),
    ))

  it('frameRecord writes framedSize bytes', () => {
    const buf = Buffer.alloc(64)
    expect(frameRecord(buf, 3, '\x00\x01ab', Uint8Array.of(1, 2, 3))).toBe(
      3 + framedSize('\x00\x01ab', Uint8Array.of(1, 2, 3)),
    )
    expect(frameRecord(buf, 0, Uint8Array.of(0, 1), null)).toBe(framedSize(Uint8Array.of(0, 1), null))
  })
})
