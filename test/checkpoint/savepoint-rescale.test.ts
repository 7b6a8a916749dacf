// Savepoints and rescaling: a savepoint taken mid-input (`livestate savepoint` and POST …/savepoints)
// restores into another parallelism with `run --from-savepoint DIR --parallelism N`, 2 → 3 → 1. After
// each rescale every key is answered by exactly the subtask Flink's key-group assignment names, and the
// final values equal the oracle. Changing maxParallelism is refused with one clear line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sourceCount, traceOf, type ManifestSummary, waitUntil } from '../support/checkpoint-inspect.ts'
import {
  killHard,
  type LivestateProcess,
  ROOT,
  runCli,
  runJobProcess,
  stopQuietly,
} from '../support/livestate-process.ts'
import { type TotalsOracle, writeTotalsNdjson } from '../support/totals-input.ts'
import {
  getJob,
  ownershipViolations,
  scanState,
  settledDiff,
  TOTALS_JOB,
  totalProcessed,
} from '../support/totals-state.ts'

const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const N = 12_000
// Paced input (the 'total' operator waits 10 ms every 20 records, ≤ 2,000 records/s; the first run
// every 10, as the CLI may need seconds to start on a busy machine): savepoints are taken mid-input.
const SLOW = { LS_PAUSE_EVERY: '20', LS_PAUSE_MS: '10' }
const SLOWER = { LS_PAUSE_EVERY: '10', LS_PAUSE_MS: '10' }
let root: string
let input: string
let oracle: TotalsOracle
const procs: LivestateProcess[] = []

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'livestate-rescale-'))
  input = join(root, 'events.ndjson')
  oracle = writeTotalsNdjson(input, N, 81)
})

afterAll(async () => {
  for (const p of procs) await stopQuietly(p)
  rmSync(root, { recursive: true, force: true })
})

/** No periodic checkpoints (a savepoint would queue behind a pending one); the final one still runs. */
function start(name: string, args: string[], env: Record<string, string> = {}): LivestateProcess {
  const p = runJobProcess(JOB, join(root, name), [...args, '--checkpoint-interval', '1h'], {
    LS_INPUT: input,
    LS_TRACE: join(root, 'trace.ndjson'),
    ...env,
  })
  procs.push(p)
  return p
}

function readSavepoint(dir: string): ManifestSummary {
  const manifest = JSON.parse(readFileSync(join(dir, '_manifest.json'), 'utf8'))
  return { id: manifest.checkpointId, dir, manifest }
}

/** Every key of the final state, each read by point lookup: its owner must be Flink's. */
async function expectOwnership(url: string, parallelism: number): Promise<void> {
  const keys = [...(await scanState(url, 'count')).keys()]
  expect(keys.length).toBeGreaterThan(1000)
  expect(await ownershipViolations(url, 'count', keys, parallelism)).toEqual([])
  expect(await ownershipViolations(url, 'total', ['all'], parallelism)).toEqual([])
}

describe('savepoints and rescaling 2 → 3 → 1', () => {
  let sp1: ManifestSummary
  let sp2: ManifestSummary

  it('`livestate savepoint` at parallelism 2 mid-input prints a complete savepoint directory', async () => {
    const p = start('a', ['--parallelism', '2'], SLOWER)
    const url = await p.url
    await waitUntil('part of the input processed', async () => ((await totalProcessed(url)) ?? 0) >= 1000, 30_000, 20)
    const cli = await runCli(['savepoint', TOTALS_JOB, '--url', url])
    expect(cli.code, cli.stderr).toBe(0)
    const dir = cli.stdout.trim()
    expect(dir.split('\n')).toHaveLength(1)
    sp1 = readSavepoint(dir)
    expect(sp1.manifest).toMatchObject({ savepoint: true })
    expect(Object.values(sp1.manifest.operators).map((o) => o.parallelism)).toEqual([2, 2, 2])
    expect(sourceCount(sp1)).toBeGreaterThanOrEqual(1000)
    expect(sourceCount(sp1)).toBeLessThan(N)
    expect((await killHard(p)).signal).toBe('SIGKILL')
  })

  it('restored at parallelism 3: resumes at the savepoint, takes a savepoint over HTTP, ends exact with every key on its owner', async () => {
    const p = start('b', ['--parallelism', '3', '--from-savepoint', sp1.dir], SLOW)
    const url = await p.url
    const from = sourceCount(sp1)
    await waitUntil('more input processed', async () => ((await totalProcessed(url)) ?? 0) >= from + 1000, 30_000, 20)
    const res = await fetch(`${url}/v1/jobs/${TOTALS_JOB}/savepoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { path: string; checkpointId: number }
    sp2 = readSavepoint(body.path)
    expect(sp2.id).toBe(body.checkpointId)
    expect(Object.values(sp2.manifest.operators).map((o) => o.parallelism)).toEqual([3, 3, 3])
    expect(sourceCount(sp2)).toBeLessThan(N)
    await waitUntil(
      'the job to finish',
      async () => (await getJob(url).catch(() => undefined))?.status === 'FINISHED',
      60_000,
      50,
    )
    expect(
      traceOf(join(root, 'trace.ndjson'), p.child.pid),
      'the first update started from the savepoint state',
    ).toEqual([from])
    expect(await settledDiff(url, oracle)).toEqual([])
    await expectOwnership(url, 3)
  })

  it('the parallelism-3 savepoint restored at parallelism 1 ends exact', async () => {
    const p = start('c', ['--parallelism', '1', '--from-savepoint', sp2.dir])
    const url = await p.url
    await waitUntil(
      'the job to finish',
      async () => (await getJob(url).catch(() => undefined))?.status === 'FINISHED',
      60_000,
      50,
    )
    expect(traceOf(join(root, 'trace.ndjson'), p.child.pid)).toEqual([sourceCount(sp2)])
    expect(await settledDiff(url, oracle)).toEqual([])
    await expectOwnership(url, 1)
  })

  it('a different maxParallelism is refused with one line naming it, and nothing runs', async () => {
    const p = start('d', ['--parallelism', '2', '--from-savepoint', sp1.dir], { LS_MAX_PARALLELISM: '256' })
    const exit = await p.exited
    expect(exit.code, p.stderr()).not.toBe(0)
    const lines = p.stderr().trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/maxParallelism/)
    expect(lines[0]).toMatch(/256/)
    expect(lines[0]).toMatch(/128/)
    expect(p.stderr()).not.toContain('serving on')
  })
})
