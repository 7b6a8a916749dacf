// The `shop` fixture job (test/fixtures/client/shop-job.ts) as the SDK tests use it: a real
// `livestate run` child process, visits POSTed to its HTTP source, and an oracle of what every
// queryable state must hold once the acknowledged visits are processed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Visit } from '../../fixtures/client/shop-job.ts'
import { WINDOW_MS } from '../../fixtures/client/shop-job.ts'
import { type LivestateProcess, spawnLivestate } from '../../support/livestate-process.ts'

export type { Visit }
export const SHOP_JOB_FILE = fileURLToPath(new URL('../../fixtures/client/shop-job.ts', import.meta.url))
/** A minute boundary: event times are offsets from it, so window starts are predictable. */
export const T0 = 1_700_000_040_000

const tempDirs: string[] = []

/** A fresh state dir under the OS temp dir; removeTempDirs() deletes every one made so far. */
export function tempStateDir(prefix = 'livestate-client-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

/** Deletes the dirs tempStateDir() made (call once their processes have stopped). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** `livestate run shop-job.ts` on `port` (0: any) with checkpoints every 200 ms. */
export function runShop(stateDir: string, port = 0, extraArgs: string[] = []): LivestateProcess {
  return spawnLivestate([
    'run',
    SHOP_JOB_FILE,
    '--state-dir',
    stateDir,
    '--checkpoint-interval',
    '200ms',
    '--port',
    String(port),
    ...extraArgs,
  ])
}

/** POSTs visits; resolves the 202 body, throws on any other answer (and on connection errors). */
export async function postVisits(
  url: string,
  visits: readonly Visit[],
  idempotencyKey?: string,
  token?: string,
): Promise<{ accepted: number; position: string }> {
  const res = await fetch(`${url}/v1/jobs/shop/sources/visits/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(visits),
  })
  const body = await res.text()
  if (res.status !== 202) throw new Error(`POST visits: ${res.status} ${body}`)
  return JSON.parse(body)
}

/** The id of the latest completed checkpoint, from GET /v1/jobs/shop. */
export async function latestCheckpointId(url: string): Promise<number | null> {
  const res = await fetch(`${url}/v1/jobs/shop`)
  if (res.status !== 200) throw new Error(`GET /v1/jobs/shop: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { checkpoints: { latestId: number | null } }).checkpoints.latestId
}

export interface WindowRecord {
  key: string
  window: { start: number; end: number }
  value: number
}

/** What each state of the shop job holds after `add`ed visits, in ingest order. */
export class ShopOracle {
  readonly pageViews = new Map<string, number>()
  readonly userTime = new Map<string, Visit>()
  readonly lastVisit = new Map<string, Visit>()
  readonly visitById = new Map<bigint, Visit>()
  readonly userPages = new Map<string, string[]>()
  readonly userPageCounts = new Map<string, Map<string, number>>()
  private readonly windows = new Map<string, Map<number, number>>()

  add(visits: readonly Visit[]): void {
    for (const v of visits) {
      this.pageViews.set(v.page, (this.pageViews.get(v.page) ?? 0) + 1)
      const before = this.userTime.get(v.user)
      this.userTime.set(v.user, before === undefined ? v : { ...v, ms: before.ms + v.ms })
      this.lastVisit.set(v.user, v)
      if (v.id !== undefined) this.visitById.set(BigInt(v.id), v)
      this.userPages.set(v.user, [...(this.userPages.get(v.user) ?? []), v.page])
      const counts = this.userPageCounts.get(v.user) ?? new Map<string, number>()
      counts.set(v.page, (counts.get(v.page) ?? 0) + 1)
      this.userPageCounts.set(v.user, counts)
      const start = Math.floor(v.ts / WINDOW_MS) * WINDOW_MS
      const byStart = this.windows.get(v.page) ?? new Map<number, number>()
      byStart.set(start, (byStart.get(start) ?? 0) + 1)
      this.windows.set(v.page, byStart)
    }
  }

  /** The in-flight windows of a page, ascending by start. */
  windowsOf(page: string): WindowRecord[] {
    return [...(this.windows.get(page) ?? new Map<number, number>())]
      .sort(([a], [b]) => a - b)
      .map(([start, value]) => ({ key: page, window: { start, end: start + WINDOW_MS }, value }))
  }
}

/**
 * `n` visits spread over `users` users and `pages` pages, one every `stepMs` of event time from
 * `T0 + offsetMs`, every `idEvery`-th with a bigint-sized id. Deterministic.
 */
export function makeVisits(
  n: number,
  o: { users: string[]; pages: string[]; stepMs?: number; offsetMs?: number; idEvery?: number },
): Visit[] {
  const out: Visit[] = []
  for (let i = 0; i < n; i++) {
    const visit: Visit = {
      user: o.users[(i * 7) % o.users.length]!,
      page: o.pages[(i % (o.pages.length + 3)) % o.pages.length]!, // the first pages get more
      ts: T0 + (o.offsetMs ?? 0) + i * (o.stepMs ?? 250),
      ms: 10 + ((i * 31) % 900),
    }
    if (o.idEvery !== undefined && i % o.idEvery === 0) visit.id = String(9_007_199_254_740_993n + BigInt(i))
    out.push(visit)
  }
  return out
}

/** Polls `condition` (sync or async) every 25 ms until true; throws `describe()` after `ms`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${describe()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/**
 * Sends batches in order, each with Idempotency-Key `<prefix>-<index>`, retrying a batch (connection
 * refused or reset, 5xx, 429) until it gets its 202: across a server's death and restart every batch is
 * appended exactly once, so the oracle is over every batch once `run` resolves.
 */
export class VisitFeeder {
  readonly acked: number[] = []
  failures = 0
  private url: string

  constructor(
    url: string,
    readonly batches: readonly Visit[][],
    private readonly prefix: string,
  ) {
    this.url = url
  }

  /** Where the batches go from now on (the server's port is kept across restarts, but need not be). */
  retarget(url: string): void {
    this.url = url
  }

  async run(o: {
    pauseMs: number
    retryMs: number
    giveUpMs: number
    onAcked?: (index: number) => void
  }): Promise<void> {
    for (let i = 0; i < this.batches.length; i++) {
      const since = Date.now()
      for (;;) {
        try {
          await postVisits(this.url, this.batches[i]!, `${this.prefix}-${i}`)
          break
        } catch (error) {
          this.failures++
          if (Date.now() - since > o.giveUpMs)
            throw new Error(`batch ${i} not accepted for ${o.giveUpMs} ms`, { cause: error })
          await new Promise((r) => setTimeout(r, o.retryMs))
        }
      }
      this.acked.push(i)
      o.onAcked?.(i)
      await new Promise((r) => setTimeout(r, o.pauseMs))
    }
  }
}
