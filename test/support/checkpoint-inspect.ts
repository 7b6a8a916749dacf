// Reads a job's checkpoint directories the way a test needs them: which checkpoints are complete
// (have _manifest.json), their ids and source positions; and polling helpers.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ManifestSummary {
  id: number
  dir: string
  manifest: {
    checkpointId: number
    sources: Record<string, { parallelism: number; positions: unknown[] }>
    operators: Record<
      string,
      { parallelism: number; maxParallelism: number; subtasks: { states: Record<string, { file: string }> }[] }
    >
  }
}

export function checkpointsDir(stateDir: string, job: string): string {
  return join(stateDir, job, 'checkpoints')
}

/** Complete checkpoints (a readable, parseable manifest), newest first. */
export function completeCheckpoints(stateDir: string, job: string): ManifestSummary[] {
  const root = checkpointsDir(stateDir, job)
  if (!existsSync(root)) return []
  const out: ManifestSummary[] = []
  for (const name of readdirSync(root)) {
    const id = /^chk-(\d+)$/.exec(name)?.[1]
    if (id === undefined) continue
    const dir = join(root, name)
    try {
      out.push({ id: Number(id), dir, manifest: JSON.parse(readFileSync(join(dir, '_manifest.json'), 'utf8')) })
    } catch {
      // not complete (or being replaced by retain)
    }
  }
  return out.sort((a, b) => b.id - a.id)
}

/** Events consumed at the checkpoint: line count of an NDJSON source, offset of an HTTP source. */
export function sourceCount(m: ManifestSummary, source = 'events'): number {
  const p = m.manifest.sources[source]?.positions[0]
  if (typeof p === 'number') return p
  if (p && typeof p === 'object' && 'line' in p) return Number((p as { line: number }).line)
  throw new Error(`checkpoint ${m.id} has no position of source '${source}'`)
}

export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
  every = 20,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

/**
 * The `before` values the totals fixture's 'total' operator traced (LS_TRACE) for process `pid`: one
 * per task attempt, the counter it started from — so a test sees which state a restart began from.
 */
export function traceOf(file: string, pid: number | undefined): number[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { pid: number; before: number })
    .filter((t) => t.pid === pid)
    .map((t) => t.before)
}
