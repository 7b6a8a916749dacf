// Chains of incremental checkpoints: reading a chain equals applying its files in order (any key-group
// range), compaction (on a real worker thread) gives a full file with the same entries, the
// coordinator links a delta to its base's chain and later to a compacted file, and retention keeps
// exactly the directories retained chains name.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { compactChain, compactChainsOffThread } from './chain-compaction.ts'
import { CheckpointStorage } from './checkpoint-storage.ts'
import { compactionWorker } from './compaction-worker.ts'
import { type CheckpointManifest, MANIFEST_FILE } from './manifest.ts'
import { readChain } from './state-chain.ts'
import { StateChains } from './state-chains.ts'
import { inChunks, type StateFileHandle, writeStateFile } from './state-file.ts'

const root = mkdtempSync(join(tmpdir(), 'livestate-chain-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Stored key: [kg: 2 bytes][name]. */
const keyOf = (kg: number, name: string) => Buffer.concat([Buffer.from([kg >> 8, kg & 0xff]), Buffer.from(name)])
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

async function write(dir: string, file: string, entries: Map<string, Uint8Array | null>): Promise<StateFileHandle> {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  mkdirSync(join(dir, file, '..'), { recursive: true })
  return writeStateFile(join(dir, file), file, inChunks(sorted.map(([k, v]) => [Buffer.from(k, 'hex'), v] as const)))
}

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const [k, v] of it) out.set(hex(k), hex(v))
  return out
}

const changeArb = fc.record({
  kg: fc.nat(5),
  name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'ff', 'g'),
  value: fc.option(fc.uint8Array({ minLength: 0, maxLength: 6 }), { nil: null }),
})

describe('state chains', () => {
  it('reading a chain equals applying its full file and deltas in order, in any key-group range', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(changeArb, { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.nat(5),
        fc.nat(5),
        async (files, a, b) => {
          const dir = join(root, `prop-${run++}`)
          const model = new Map<string, string>()
          const chain: StateFileHandle[] = []
          for (const [i, changes] of files.entries()) {
            const entries = new Map<string, Uint8Array | null>()
            for (const c of changes) {
              const k = hex(keyOf(c.kg, c.name))
              // the full file (first) never holds deletions
              const v = i === 0 && c.value === null ? new Uint8Array([7]) : c.value
              entries.set(k, v)
            }
            for (const [k, v] of entries) v === null ? model.delete(k) : model.set(k, hex(v))
            const h = await write(dir, `f${i}.bin`, entries)
            chain.push(i === 0 ? h : { ...h, deltaOf: i - 1 })
          }
          const newest = { ...chain.at(-1)!, base: chain.slice(0, -1) }
          const [lo, hi] = [Math.min(a, b), Math.max(a, b)]
          const expected = new Map(
            [...model].filter(([k]) => {
              const kg = Number.parseInt(k.slice(0, 4), 16)
              return kg >= lo && kg <= hi
            }),
          )
          expect(await collect(readChain(dir, chain.length === 1 ? chain[0]! : newest, lo, hi))).toEqual(
            new Map([...expected].sort()),
          )
          const compacted = await compactChain({ dir, handle: chain.length === 1 ? chain[0]! : newest, file: 'c.bin' })
          expect(compacted.deltaOf).toBeUndefined()
          expect(await collect(readChain(dir, compacted, 0, 0xffff))).toEqual(new Map([...model].sort()))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('a chain that starts with a delta is refused', async () => {
    const dir = join(root, 'bad')
    const h = await write(dir, 'd.bin', new Map([[hex(keyOf(0, 'a')), null]]))
    await expect(collect(readChain(dir, { ...h, deltaOf: 1 }, 0, 0xffff))).rejects.toThrow(
      /must start with a full file/,
    )
  })

  it('compaction on a worker thread writes the same file as in-thread, and reports errors per chain', async () => {
    const dir = join(root, 'worker')
    const full = await write(dir, 'op/s-0.bin', new Map([[hex(keyOf(1, 'a')), new Uint8Array([1])]]))
    const delta = await write(
      dir,
      'op/s-0.d.bin',
      new Map<string, Uint8Array | null>([
        [hex(keyOf(1, 'a')), null],
        [hex(keyOf(2, 'b')), new Uint8Array([2])],
      ]),
    )
    const handle = { ...delta, deltaOf: 1, base: [full] }
    const results = await compactChainsOffThread([
      { dir, handle, file: 'op/s-0.full.bin' },
      { dir, handle: { ...handle, base: [{ ...full, file: 'missing.bin' }] }, file: 'op/x.full.bin' },
    ])
    expect('handle' in results[0]! && results[0].handle.entries).toBe(1)
    expect('error' in results[1]! && results[1].error).toMatch(/missing\.bin|ENOENT/)
    const inThread = await compactChain({ dir, handle, file: 'op/s-0.again.bin' })
    expect('handle' in results[0]! && results[0].handle.sha256).toBe(inThread.sha256)
  })

  it('compactions one after another reuse one worker thread', async () => {
    const dir = join(root, 'reuse')
    const full = await write(dir, 'op/s-0.bin', new Map([[hex(keyOf(1, 'a')), new Uint8Array([1])]]))
    const delta = await write(dir, 'op/s-0.d.bin', new Map([[hex(keyOf(1, 'b')), new Uint8Array([2])]]))
    const handle = { ...delta, deltaOf: 1, base: [full] }
    const threadsBefore = readdirSync(`/proc/${process.pid}/task`).length
    const first = await compactChainsOffThread([{ dir, handle, file: 'op/1.full.bin' }])
    const worker = compactionWorker()
    const second = await compactChainsOffThread([{ dir, handle, file: 'op/2.full.bin' }])
    const third = await compactChainsOffThread([{ dir, handle, file: 'op/3.full.bin' }])
    expect(compactionWorker()).toBe(worker)
    expect([first, second, third].map((r) => 'handle' in r[0]! && r[0].handle.entries)).toEqual([2, 2, 2])
    // no thread per compaction: at most the one worker (if an earlier test had not started it yet)
    if (process.platform === 'linux')
      expect(readdirSync(`/proc/${process.pid}/task`).length).toBeLessThanOrEqual(threadsBefore + 1)
  })
})

describe('StateChains and retention', () => {
  const handle = (file: string, extra: Partial<StateFileHandle> = {}): StateFileHandle => ({
    file,
    size: 10,
    sha256: 'x',
    entries: 1,
    index: [],
    ...extra,
  })
  const manifest = (id: number, states: Record<string, StateFileHandle>): CheckpointManifest => ({
    version: 1,
    job: 'j',
    checkpointId: id,
    savepoint: false,
    completedAt: '',
    sources: {},
    operators: {
      op: {
        operatorName: 'op',
        maxParallelism: 128,
        parallelism: 1,
        subtasks: [{ keyGroupRange: { start: 0, end: 127 }, states, timers: undefined }],
      },
    },
  })

  it('link gives a delta the chain of its base, named from a sibling directory; a missing base is refused', () => {
    const chains = new StateChains(32)
    const base = manifest(4, { s: handle('op/s-0.bin', { deltaOf: 3, base: [handle('../chk-3/op/s-0.bin')] }) })
    const next = manifest(5, { s: handle('op/s-0.bin', { deltaOf: 4 }) })
    chains.link(next, { checkpointId: 4, dir: '/x/chk-4', manifest: base })
    expect(next.operators.op!.subtasks[0]!.states.s!.base!.map((f) => f.file)).toEqual([
      '../chk-3/op/s-0.bin',
      '../chk-4/op/s-0.bin',
    ])
    const orphan = manifest(6, { s: handle('op/s-0.bin', { deltaOf: 2 }) })
    expect(() => chains.link(orphan, { checkpointId: 4, dir: '/x/chk-4', manifest: base })).toThrow(/checkpoint 2/)
  })

  it('retention keeps the directories retained chains name (without their manifests) and deletes the rest', async () => {
    const dir = join(root, 'retain')
    const storage = new CheckpointStorage(dir, join(root, 'retain-sp'))
    const put = (id: number, m: CheckpointManifest | undefined) => {
      mkdirSync(join(dir, `chk-${id}`), { recursive: true })
      if (m) writeFileSync(join(dir, `chk-${id}`, MANIFEST_FILE), JSON.stringify(m))
    }
    put(1, manifest(1, { s: handle('op/s-0.bin') }))
    put(2, manifest(2, { s: handle('op/s-0.bin') }))
    put(3, manifest(3, { s: handle('op/s-0.bin', { deltaOf: 2, base: [handle('../chk-2/op/s-0.bin')] }) }))
    put(
      4,
      manifest(4, {
        s: handle('op/s-0.bin', { deltaOf: 3, base: [handle('../chk-2/op/s-0.bin'), handle('../chk-3/op/s-0.bin')] }),
      }),
    )
    put(5, undefined) // an incomplete one older than the newest complete: never named, deleted
    put(
      6,
      manifest(6, {
        s: handle('op/s-0.bin', {
          deltaOf: 4,
          base: [handle('../chk-2/op/s-0.bin'), handle('../chk-3/op/s-0.bin'), handle('../chk-4/op/s-0.bin')],
        }),
      }),
    )
    await storage.retain(2, 6)
    expect([1, 2, 3, 4, 5, 6].filter((id) => existsSync(join(dir, `chk-${id}`)))).toEqual([2, 3, 4, 6])
    // chk-2 and chk-3 are beyond the 2 retained: kept for their files, but no longer checkpoints
    expect(existsSync(join(dir, 'chk-2', MANIFEST_FILE))).toBe(false)
    expect(existsSync(join(dir, 'chk-3', MANIFEST_FILE))).toBe(false)
    expect(existsSync(join(dir, 'chk-4', MANIFEST_FILE))).toBe(true)
    // a pinned directory (a compaction reads it) survives too
    await storage.retain(1, 6, new Set(['chk-4']))
    expect([2, 3, 4, 6].filter((id) => existsSync(join(dir, `chk-${id}`)))).toEqual([2, 3, 4, 6])
    await storage.retain(1, 6)
    expect([2, 3, 4, 6].filter((id) => existsSync(join(dir, `chk-${id}`)))).toEqual([2, 3, 4, 6])
  })
})
