// Committed reads (`?consistency=committed`) while events stream in, across a SIGKILL and restart:
// every answer equals the oracle at the checkpoint it names (`meta.checkpointId`: the 'total' counter
// at that checkpoint says how many events it covers), and neither the checkpoint id nor any value
// ever goes back, not even right after the restart.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { IngestFeeder } from '../support/ingest-feeder.ts'
import { killHard, type LivestateProcess, ROOT, runJobProcess, stopQuietly } from '../support/livestate-process.ts'
import { type TotalsEvent, totalsEvents } from '../support/totals-input.ts'
import { getKey, TOTALS_JOB } from '../support/totals-state.ts'

const JOB = join(ROOT, 'test/fixtures/checkpoint/totals-job.ts')
const N = 8_000
const events = totalsEvents(N, 91)
const procs: LivestateProcess[] = []
const root = mkdtempSync(join(tmpdir(), 'livestate-committed-'))

afterAll(async () => {
  for (const p of procs) await stopQuietly(p)
  rmSync(root, { recursive: true, force: true })
})

/** Per sample key, the seqs of its events: the oracle count at a prefix of P events is a plain count. */
function sampleKeys(all: TotalsEvent[]): Map<string, number[]> {
  const seqs = new Map<string, number[]>()
  for (const e of all) {
    const list = seqs.get(e.k) ?? []
    list.push(e.seq)
    seqs.set(e.k, list)
  }
  const keys = [...seqs.keys()]
  const chosen = [
    ...keys.filter((k) => k.startsWith('k')).slice(0, 30),
    ...keys.filter((k) => k.startsWith('n')).filter((_, i) => i % 20 === 0),
  ]
  return new Map(chosen.map((k) => [k, seqs.get(k)!]))
}

const SAMPLE = sampleKeys(events)

interface Observation {
  checkpointId: number
  covered: number
  verified: boolean
}

/** One committed read of 'total' and of the sample's counts; undefined while nothing is committed or reachable. */
async function observe(url: string): Promise<Observation | undefined> {
  const t = await getKey(url, 'total', 'all', '?consistency=committed').catch(() => undefined)
  if (t?.status !== 200) return undefined
  expect(t.body.meta.consistency).toBe('committed')
  const checkpointId = t.body.meta.checkpointId as number
  const covered = t.body.value as number
  const res = await fetch(`${url}/v1/jobs/${TOTALS_JOB}/states/count/get?consistency=committed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [...SAMPLE.keys()] }),
  }).catch(() => undefined)
  if (res?.status !== 200) return { checkpointId, covered, verified: false }
  const body = (await res.json()) as {
    entries: { key: string; value?: number; error?: { code: string } }[]
    meta: { checkpointId: number }
  }
  if (body.meta.checkpointId !== checkpointId) return { checkpointId, covered, verified: false }
  const wrong: string[] = []
  for (const entry of body.entries) {
    const want = SAMPLE.get(entry.key)!.filter((s) => s < covered).length
    const got = entry.error ? (entry.error.code === 'KEY_NOT_FOUND' ? 0 : entry.error.code) : entry.value
    if (got !== want)
      wrong.push(`count[${entry.key}] = ${got}, oracle at checkpoint ${checkpointId} (${covered} events) ${want}`)
  }
  expect(wrong).toEqual([])
  return { checkpointId, covered, verified: true }
}

describe('committed reads', () => {
  it('equal the oracle at their checkpoint and never decrease, across a SIGKILL and restart', async () => {
    const stateDir = join(root, 'state')
    const feeder = new IngestFeeder(events, 200)
    const seen: Observation[] = []
    const record = (o: Observation | undefined) => {
      if (!o) return
      const last = seen[seen.length - 1]
      if (last) {
        expect(o.checkpointId, 'the committed checkpoint never goes back').toBeGreaterThanOrEqual(last.checkpointId)
        expect(o.covered, 'committed values never go back').toBeGreaterThanOrEqual(last.covered)
        if (o.checkpointId === last.checkpointId) expect(o.covered).toBe(last.covered)
      }
      seen.push(o)
    }
    const pollWhile = async (url: string, feeding: Promise<unknown>) => {
      let done = false
      void feeding.finally(() => (done = true))
      while (!done) {
        record(await observe(url))
        await new Promise((r) => setTimeout(r, 30))
      }
    }

    const first = runJobProcess(JOB, stateDir, [], { LS_SOURCE: 'http' })
    procs.push(first)
    let url = await first.url
    // Killed while events still stream in, once a few committed reads were verified.
    const feeding = feeder.run(url, { pauseMs: 10 })
    for (
      let i = 0;
      i < 500 && (seen.filter((o) => o.verified).length < 3 || feeder.acked.size < feeder.batches.length / 3);
      i++
    ) {
      record(await observe(url))
      await new Promise((r) => setTimeout(r, 30))
    }
    expect((await killHard(first)).signal).toBe('SIGKILL')
    expect(await feeding, 'the kill interrupted the input').toBe('connection-lost')
    const beforeKill = seen.length

    const second = runJobProcess(JOB, stateDir, [], { LS_SOURCE: 'http' })
    procs.push(second)
    url = await second.url
    record(await observe(url))
    await pollWhile(url, feeder.run(url, { pauseMs: 10 }))
    for (let i = 0; i < 300 && seen[seen.length - 1]?.covered !== N; i++) {
      record(await observe(url))
      await new Promise((r) => setTimeout(r, 30))
    }
    expect(feeder.isComplete).toBe(true)
    const last = seen[seen.length - 1]!
    expect(last.covered, 'the committed view caught up with every event').toBe(N)
    expect(seen.filter((o) => o.verified).length).toBeGreaterThanOrEqual(5)
    expect(
      seen.slice(beforeKill).some((o) => o.verified),
      'verified after the restart too',
    ).toBe(true)
    expect(new Set(seen.map((o) => o.checkpointId)).size, 'observed several checkpoints').toBeGreaterThan(2)
  })
})
