// What a benchmark suite produces: rows that compare livestate with a baseline measured in the same
// run, extra markdown sections (e.g. a CPU profile) and free-form details for results/latest.json.
export interface Target {
  /** `>=`: higher is better (throughput); `<=`: lower is better (latency). */
  op: '>=' | '<='
  value: number
}

export interface BenchRow {
  name: string
  /** Unit of both the livestate and the baseline figure, e.g. 'events/s', 'req/s', 'ms'. */
  unit: string
  livestate: number
  baseline: number
  target: Target
  /** Why the figures cannot be trusted (errors, non-2xx answers, results that differ); fails the row. */
  problems: string[]
}

export interface SuiteReport {
  rows: BenchRow[]
  sections: { title: string; markdown: string }[]
  notes: string[]
  details: Record<string, unknown>
}

export interface Suite {
  name: string
  title: string
  run(): Promise<SuiteReport>
}

export function ratioOf(row: BenchRow): number {
  return row.baseline === 0 ? Number.NaN : row.livestate / row.baseline
}

export function isMet(row: BenchRow): boolean {
  const r = ratioOf(row)
  if (row.problems.length > 0 || Number.isNaN(r)) return false
  return row.target.op === '>=' ? r >= row.target.value : r <= row.target.value
}
