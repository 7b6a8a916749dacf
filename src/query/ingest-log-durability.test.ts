// When ingested events become readable and when they are answered, over a real LevelDB whose batch
// writes a test can hold back or fail (a Proxy in front of the store, as a slow or broken disk): the
// source reads an event as soon as it has its offset, the 202 and durable() wait for the synced
// write, appends that arrive meanwhile share one write, and a failed write drops what it held. A job
// reading them on a MiniCluster completes a checkpoint only once what it read is durable.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LevelStore } from '../../storage/leveldb/level-store.ts'
import type { BatchOp, OrderedStore } from '../../storage/ordered-store.ts'
import { StorageError } from '../../storage/storage-error.ts'
import { defineJob } from '../api/job.ts'
import { DEFAULT_CHECKPOINT_OPTIONS } from '../checkpoint/checkpoint-coordinator.ts'
import { CheckpointStorage } from '../checkpoint/checkpoint-storage.ts'
import { MiniCluster } from '../cluster/mini-cluster.ts'
import { IngestLog } from './ingest-log.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A real LevelStore whose batches wait while `held` (then go on, or fail with `fail`). */
async function gatedStore(dir: string) {
  const real = await LevelStore.open(join(dir, 'log'))
  const waiting: { go: () => void; fail: (e: unknown) => void }[] = []
  const batchSizes: number[] = []
  let held = false
  const store = new Proxy(real, {
    get(target, prop) {
      if (prop === 'batch') {
        return async (ops: BatchOp[], options?: { sync?: boolean }) => {
          batchSizes.push(ops.length)
          if (held) await new Promise<void>((go, fail) => waiting.push({ go, fail }))
          return target.batch(ops, options)
        }
      }
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  }) as OrderedStore
  return {
    store,
    batchSizes,
    hold: () => {
      held = true
    },
    release: () => {
      held = false
      for (const w of waiting.splice(0)) w.go()
    },
    failHeld: (e: unknown) => {
      for (const w of waiting.splice(0)) w.fail(e)
    },
    waiting: () => waiting.length,
  }
}

async function openGated() {
  const dir = mkdtempSync(join(tmpdir(), 'livestate-ingest-'))
  dirs.push(dir)
  const gate = await gatedStore(dir)
  return { dir, gate, log: await IngestLog.open(gate.store) }
}

/** Whether `p` has settled after the event loop went round a few times. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
  return done
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r))
}

describe('IngestLog durability', () => {
  it('events are readable once they have offsets; the answer and durable() wait for the synced write', async () => {
    const { dir, gate, log } = await openGated()
    gate.hold()
    const answer = log.append([{ a: 1 }, { a: 2 }])
    await log.waitFor(0)
    expect((await log.read(0, 10)).map((e) => e.value)).toEqual([{ a: 1 }, { a: 2 }])
    const durable = log.durable(2)
    expect(gate.waiting()).toBe(1)
    expect(await settled(answer)).toBe(false)
    expect(await settled(durable)).toBe(false)
    gate.release()
    expect(await answer).toEqual({ accepted: 2, position: '2' })
    await durable
    await log.close()
    const reopened = await IngestLog.open(await LevelStore.open(join(dir, 'log')))
    expect((await reopened.read(0, 10)).map((e) => e.value)).toEqual([{ a: 1 }, { a: 2 }])
    await reopened.close()
  })

  it('appends that arrive during a synced write share the next one, with consecutive positions', async () => {
    const { dir, gate, log } = await openGated()
    gate.hold()
    const first = log.append([{ n: 0 }])
    await until(() => gate.waiting() === 1)
    const later = Array.from({ length: 5 }, (_, i) => log.append([{ n: i + 1 }, { n: i + 1 }]))
    await log.waitFor(10)
    expect(gate.waiting()).toBe(1)
    gate.release()
    const answers = await Promise.all([first, ...later])
    expect(answers.map((a) => a.position)).toEqual(['1', '3', '5', '7', '9', '11'])
    // one write for the first append, one for the five that came while it was held (+ end offset)
    expect(log.stats).toEqual({ appends: 6, syncedWrites: 2 })
    expect(gate.batchSizes).toEqual([2, 2])
    await log.close()
    const reopened = await IngestLog.open(await LevelStore.open(join(dir, 'log')))
    expect((await reopened.read(0, 100)).map((e) => (e.value as { n: number }).n)).toEqual([
      0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    ])
    await reopened.close()
  })

  it('a failed write drops its events: a reader past them fails, one before them reads on, appends are refused', async () => {
    const { gate, log } = await openGated()
    await log.append([{ a: 0 }])
    gate.hold()
    const lost = log.append([{ a: 1 }, { a: 2 }])
    lost.catch(() => {})
    await until(() => gate.waiting() === 1)
    expect((await log.read(1, 10)).map((e) => e.value)).toEqual([{ a: 1 }, { a: 2 }])
    const durable = log.durable(3)
    durable.catch(() => {})
    gate.failHeld(new StorageError('STORE_IO_ERROR', 'IO error: No space left on device (injected)'))
    await expect(lost).rejects.toThrow(/No space left/)
    await expect(durable).rejects.toThrow(/No space left/)
    expect(log.endOffset).toBe(1)
    // the reader that read offsets 1 and 2 must not go on as if they had been logged
    await expect(log.read(3, 10)).rejects.toThrow(/could not write the events from offset 1 on/)
    // a reader rewound to a checkpoint before them reads what is durable
    expect((await log.read(0, 10)).map((e) => e.value)).toEqual([{ a: 0 }])
    expect(await log.read(1, 10)).toEqual([])
    await log.durable(1)
    await expect(log.append([{ a: 3 }])).rejects.toThrow(/No space left/)
    gate.release()
    await log.close()
  })

  it('a batch retried with its Idempotency-Key while the first is being written is appended once', async () => {
    const { gate, log } = await openGated()
    gate.hold()
    const first = log.append([{ a: 1 }], 'key-1')
    const retry = log.append([{ a: 1 }], 'key-1')
    await log.waitFor(0)
    gate.release()
    expect(await first).toEqual({ accepted: 1, position: '1' })
    expect(await retry).toEqual({ accepted: 1, position: '1' })
    expect(log.endOffset).toBe(1)
    expect(await log.append([{ a: 1 }], 'key-1')).toEqual({ accepted: 1, position: '1' })
    expect(log.stats.appends).toBe(1)
    await log.close()
  })
})

describe('a checkpoint of an HTTP source', () => {
  const totals = defineJob({ name: 'ingest-durability' }, (env) => {
    env
      .fromHttp<{ k: string; n: number }>('events')
      .keyBy((e) => e.k)
      .asQueryableState('totals', { reduce: (a, b) => ({ k: a.k, n: a.n + b.n }) })
  })

  async function start() {
    const { dir, gate, log } = await openGated()
    const cluster = new MiniCluster({ ingestLog: () => log })
    const master = cluster.submit(totals, {
      checkpointing: {
        storage: new CheckpointStorage(join(dir, 'checkpoints'), join(dir, 'savepoints')),
        options: { ...DEFAULT_CHECKPOINT_OPTIONS, interval: 0 },
        highestId: 0,
      },
    })
    const recordsIn = () =>
      cluster.taskManagers.flatMap((tm) => tm.tasksOf(master.jobId)).reduce((n, t) => n + t.metrics.recordsIn, 0)
    await until(() => master.status === 'RUNNING')
    return { gate, log, cluster, master, recordsIn }
  }

  it('completes only once the events it read are durably in the log', async () => {
    const { gate, log, cluster, master, recordsIn } = await start()
    await log.append([{ k: 'a', n: 1 }])
    gate.hold()
    const answer = log.append([
      { k: 'a', n: 2 },
      { k: 'b', n: 3 },
    ])
    await until(() => recordsIn() === 3)
    const checkpoint = master.coordinator!.trigger()
    await new Promise((r) => setTimeout(r, 200))
    expect(await settled(checkpoint)).toBe(false)
    gate.release()
    const completed = await checkpoint
    expect(completed.manifest.sources.events!.positions).toEqual([3])
    expect(await answer).toEqual({ accepted: 2, position: '3' })
    await cluster.close()
    await log.close()
  })

  it('is declined when the events it read could not be written, and the job does not keep them', async () => {
    const { gate, log, cluster, master, recordsIn } = await start()
    gate.hold()
    const lost = log.append([{ k: 'a', n: 1 }])
    lost.catch(() => {})
    await until(() => recordsIn() === 1)
    const checkpoint = master.coordinator!.trigger()
    checkpoint.catch(() => {})
    await until(() => gate.waiting() === 1)
    gate.failHeld(new StorageError('STORE_IO_ERROR', 'IO error: No space left on device (injected)'))
    // declined (the source's durable() rejects) or aborted (the source task failed first): never completed
    await expect(checkpoint).rejects.toThrow(/No space left|not running/)
    await until(() => master.isTerminal() || master.restarts > 0)
    expect(master.failureCause?.message ?? '').toMatch(/could not write the events from offset 0 on/)
    expect(master.coordinator!.latest).toBeUndefined()
    gate.release()
    await cluster.close()
    await log.close()
  })
})
