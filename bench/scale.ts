// BENCH_SCALE shrinks (or grows) every workload: event counts, key counts and load durations are
// multiplied by it, so `BENCH_SCALE=0.05 npm run bench` is a quick smoke run on a shared machine.
export const SCALE = readScale(process.env.BENCH_SCALE)

function readScale(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1
  const n = Number(raw)
  if (!(Number.isFinite(n) && n > 0))
    throw new TypeError(`BENCH_SCALE must be a positive number, got ${JSON.stringify(raw)}`)
  return n
}

/** n × BENCH_SCALE, rounded, never below `min`. */
export function scaled(n: number, min: number): number {
  return Math.max(min, Math.round(n * SCALE))
}
