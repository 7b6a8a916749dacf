// Reads the whole state of the totals fixture job over HTTP (ordered scans with cursors) and compares
// every key with the oracle, listing the first differences so a failure says what went wrong.
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../../src/keys/key-group-range-assignment.ts'
import type { TotalsOracle } from './totals-input.ts'
import { waitUntil } from './checkpoint-inspect.ts'

export const TOTALS_JOB = 'totals'

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined }
}

export async function getJob(base: string, job = TOTALS_JOB): Promise<any> {
  const r = await json(`${base}/v1/jobs/${job}`)
  if (r.status !== 200) throw new Error(`GET /v1/jobs/${job}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** One key of a state: the value, or undefined when absent or not ready. */
export async function getKey(
  base: string,
  state: string,
  key: string,
  query = '',
  job = TOTALS_JOB,
): Promise<{ status: number; body: any }> {
  return json(`${base}/v1/jobs/${job}/states/${state}/keys/${encodeURIComponent(key)}${query}`)
}

/** Every entry of a state, in key order, through `entries` pages of up to 1000 with cursors. */
export async function scanState(
  base: string,
  state: string,
  job = TOTALS_JOB,
  query = '',
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>()
  let cursor: string | null = null
  let previous: string | undefined
  do {
    const url = `${base}/v1/jobs/${job}/states/${state}/entries?limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}${query}`
    const r = await json(url)
    if (r.status !== 200) throw new Error(`scan of '${state}': ${r.status} ${JSON.stringify(r.body)}`)
    for (const e of r.body.entries as { key: string; value: unknown }[]) {
      if (out.has(e.key)) throw new Error(`scan of '${state}' returned key ${e.key} twice`)
      if (previous !== undefined && !(previous < e.key) && typeof e.key === 'string') {
        // keys are canonical-ordered by bytes; for our ASCII keys that is string order
        throw new Error(`scan of '${state}' is not ascending: ${previous} then ${e.key}`)
      }
      previous = e.key
      out.set(e.key, e.value)
    }
    cursor = r.body.cursor
  } while (cursor !== null)
  return out
}

export interface TotalsDump {
  count: Map<string, unknown>
  sum: Map<string, unknown>
  lastSeq: Map<string, unknown>
  sumAgg: Map<string, unknown>
  total: unknown
}

export async function dumpTotals(base: string): Promise<TotalsDump> {
  const [count, sum, lastSeq, sumAgg, total] = await Promise.all([
    scanState(base, 'count'),
    scanState(base, 'sum'),
    scanState(base, 'last-seq'),
    scanState(base, 'sum-agg'),
    getKey(base, 'total', 'all'),
  ])
  return { count, sum, lastSeq, sumAgg, total: total.status === 200 ? total.body.value : undefined }
}

/** Differences between the job's state and the oracle (empty when exact), at most `max` listed. */
export function diffTotals(dump: TotalsDump, oracle: TotalsOracle, max = 12): string[] {
  const out: string[] = []
  let expectedTotal = 0
  const check = (what: string, state: Map<string, unknown>, expected: (k: string) => number) => {
    for (const [k] of oracle) {
      const want = expected(k)
      const got = state.get(k)
      if (got !== want) out.push(`${what}[${k}] = ${JSON.stringify(got)}, oracle ${want}`)
    }
    for (const k of state.keys())
      if (!oracle.has(k)) out.push(`${what}[${k}] = ${JSON.stringify(state.get(k))}, not in the oracle`)
  }
  for (const t of oracle.values()) expectedTotal += t.count
  check('count', dump.count, (k) => oracle.get(k)!.count)
  check('sum', dump.sum, (k) => oracle.get(k)!.sum)
  check('last-seq', dump.lastSeq, (k) => oracle.get(k)!.lastSeq)
  check('sum-agg', dump.sumAgg, (k) => oracle.get(k)!.sum)
  if (dump.total !== expectedTotal) out.push(`total = ${JSON.stringify(dump.total)}, oracle ${expectedTotal}`)
  return out.length > max ? [...out.slice(0, max), `… ${out.length - max} more`] : out
}

/** The 'total' counter (events processed so far), or undefined while not readable. */
export async function totalProcessed(base: string): Promise<number | undefined> {
  const r = await getKey(base, 'total', 'all').catch(() => undefined)
  return r?.status === 200 ? (r.body.value as number) : undefined
}

/** NDJSON batch POST with an Idempotency-Key; resolves the status (throws on connection errors). */
export async function postBatch(
  base: string,
  events: unknown[],
  idempotencyKey: string,
  source = 'events',
  job = TOTALS_JOB,
): Promise<{ status: number; body: any }> {
  return json(`${base}/v1/jobs/${job}/sources/${source}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': idempotencyKey },
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  })
}

/**
 * The differences once the job's operators have caught up: operators run independently, so a dump
 * taken when one of them is done may still see another behind; retried until exact or `ms` passed.
 */
export async function settledDiff(base: string, oracle: TotalsOracle, ms = 10_000): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const diff = diffTotals(await dumpTotals(base), oracle)
    if (diff.length === 0 || Date.now() > deadline) return diff
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * Point reads of `keys`: each answer's meta.subtask must be the owner Flink's key-group assignment
 * gives at this parallelism. Returns the violations (empty when every key is where it belongs).
 */
export async function ownershipViolations(
  base: string,
  state: string,
  keys: string[],
  parallelism: number,
  maxParallelism = 128,
): Promise<string[]> {
  const out: string[] = []
  let next = 0
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!
      const r = await getKey(base, state, key)
      const kg = assignToKeyGroup(key, maxParallelism)
      const owner = computeOperatorIndexForKeyGroup(maxParallelism, parallelism, kg)
      if (r.status !== 200) out.push(`${state}[${key}]: ${r.status} ${JSON.stringify(r.body)}`)
      else if (r.body.meta.subtask !== owner || r.body.meta.keyGroup !== kg) {
        out.push(
          `${state}[${key}]: answered by subtask ${r.body.meta.subtask} (key group ${r.body.meta.keyGroup}), owner is ${owner} (key group ${kg})`,
        )
      }
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return out
}

/** Waits (up to 60 s) until the totals job reports FINISHED. */
export async function waitForFinished(url: string): Promise<void> {
  await waitUntil(
    'the job to finish',
    async () => (await getJob(url).catch(() => undefined))?.status === 'FINISHED',
    60_000,
    50,
  )
}
