// The ingest log over a real LevelDB: reads return every appended event once per pass, in offset
// order, whether they come from the in-memory unread tail or from LevelDB; a rewound reader gets
// fresh objects (never an instance handed out before); a reopened log continues the numbering; each
// synced write is one stored chunk, and truncation deletes the chunks wholly behind its offset.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { LevelStore } from '../../storage/leveldb/level-store.ts'
import { IngestLog } from './ingest-log.ts'
import { TAIL_CAPACITY } from './ingest-tail.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function openLog(dir = mkdtempSync(join(tmpdir(), 'livestate-ingest-'))) {
  dirs.push(dir)
  const store = await LevelStore.open(join(dir, 'log'))
  return { dir, store, log: await IngestLog.open(store, { maxLag: 1_000_000 }) }
}

/** First offsets of the chunks stored (keys [0x04][offset: u64 BE]). */
async function chunkStarts(store: LevelStore): Promise<number[]> {
  const out: number[] = []
  for await (const [k] of store.iterator({ gte: Uint8Array.of(0x04), lt: Uint8Array.of(0x05) }))
    out.push(Number(Buffer.from(k).readBigUInt64BE(1)))
  return out
}

async function readAll(log: IngestLog, from: number, max: number): Promise<{ offset: number; value: unknown }[]> {
  const out: { offset: number; value: unknown }[] = []
  for (let next = from; ; ) {
    const batch = await log.read(next, max)
    if (batch.length === 0) return out
    out.push(...batch)
    next = batch.at(-1)!.offset + 1
  }
}

describe('IngestLog', () => {
  it('truncations delete exactly the events before each offset; an offset behind an earlier one changes nothing', async () => {
    const { log } = await openLog()
    await log.append(Array.from({ length: 30 }, (_, i) => ({ i })))
    expect((await readAll(log, 0, 7)).map((e) => e.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    await log.truncateBefore(10)
    expect((await readAll(log, 0, 100))[0]!.offset).toBe(10)
    await log.truncateBefore(20)
    await log.truncateBefore(15) // behind an earlier truncation: nothing to do
    expect((await readAll(log, 0, 100)).map((e) => e.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i))
    await log.close()
  })

  it('interleaved appends and reads of any sizes return every event once, in order (tail or LevelDB alike)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 9_000 }), fc.constant(0)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5_000 }),
        async (steps, max) => {
          const { log } = await openLog()
          let appended = 0
          let next = 0
          const got: number[] = []
          for (const n of steps) {
            if (n > 0) {
              const events = Array.from({ length: n }, (_, i) => ({ i: appended + i }))
              await log.append(events)
              appended += n
            } else {
              const batch = await log.read(next, max)
              for (const e of batch) {
                expect(e.value).toEqual({ i: e.offset })
                got.push(e.offset)
              }
              if (batch.length > 0) next = batch.at(-1)!.offset + 1
            }
          }
          for (const e of await readAll(log, next, max)) got.push(e.offset)
          expect(got).toEqual(Array.from({ length: appended }, (_, i) => i))
          await log.close()
        },
      ),
      { numRuns: 25 },
    )
  }, 60_000)

  it('a reader rewound to an offset it has read gets fresh objects, equal to what was appended', async () => {
    const { log } = await openLog()
    await log.append([{ n: 1 }, { n: 2 }, { n: 3 }])
    const first = await log.read(0, 10)
    expect(first.map((e) => e.value)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    for (const e of first) (e.value as { n: number }).n = -1 // a failed attempt changed them in place
    const again = await log.read(1, 10)
    expect(again).toEqual([
      { offset: 1, value: { n: 2 } },
      { offset: 2, value: { n: 3 } },
    ])
    await log.close()
  })

  it('a reopened log continues the numbering and serves what was appended before', async () => {
    const { dir, log } = await openLog()
    await log.append([{ a: 1 }, { a: 2 }])
    await log.close()
    const { log: reopened } = await openLog(dir)
    expect(reopened.endOffset).toBe(2)
    await reopened.append([{ a: 3 }])
    expect((await readAll(reopened, 0, 10)).map((e) => e.value)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }])
    await reopened.close()
  })

  it('stores each synced write as one chunk; truncation deletes the chunks wholly before its offset', async () => {
    const { dir, store, log } = await openLog()
    for (let b = 0; b < 3; b++) await log.append(Array.from({ length: 10 }, (_, i) => ({ i: b * 10 + i })))
    expect(await chunkStarts(store)).toEqual([0, 10, 20])
    await log.truncateBefore(15)
    // [0, 10) is gone; [10, 20) holds offset 15 and stays, but what is before 15 is no longer read
    expect(await chunkStarts(store)).toEqual([10, 20])
    expect((await readAll(log, 0, 4)).map((e) => e.offset)).toEqual(Array.from({ length: 15 }, (_, i) => 15 + i))
    await log.truncateBefore(20)
    expect(await chunkStarts(store)).toEqual([20])
    await log.truncateBefore(30)
    expect(await chunkStarts(store)).toEqual([])
    await log.close()
    const { store: again, log: reopened } = await openLog(dir)
    expect(reopened.endOffset).toBe(30)
    await reopened.append([{ i: 30 }])
    expect(await chunkStarts(again)).toEqual([30])
    expect(await readAll(reopened, 30, 10)).toEqual([{ offset: 30, value: { i: 30 } }])
    await reopened.close()
  })

  it('a reader rewound inside a stored chunk gets fresh objects (events past the in-memory tail)', async () => {
    const { log } = await openLog()
    // more than the unread tail holds: these are read from the stored chunk
    const n = TAIL_CAPACITY + 100
    await log.append(Array.from({ length: n }, (_, i) => ({ i })))
    const first = await log.read(0, 5)
    expect(first.map((e) => e.value)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })))
    for (const e of first) (e.value as { i: number }).i = -1
    const next = await log.read(5, 3) // goes on where the last read stopped
    expect(next.map((e) => e.value)).toEqual([5, 6, 7].map((i) => ({ i })))
    const again = await log.read(2, 3) // rewound into what was handed out
    expect(again).toEqual([2, 3, 4].map((i) => ({ offset: i, value: { i } })))
    expect(again[0]!.value).not.toBe(first[2]!.value)
    expect((await readAll(log, 5, 1000)).length).toBe(n - 5)
    await log.close()
  })

  it('refuses a log stored one event per key (the format before chunks) rather than skip its events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livestate-ingest-'))
    dirs.push(dir)
    const store = await LevelStore.open(join(dir, 'log'))
    await store.put(Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0, 0), Uint8Array.of(0xc0))
    await expect(IngestLog.open(store)).rejects.toThrow(/stored one per key by an earlier livestate/)
  })
})
