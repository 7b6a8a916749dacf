// Crash points for fault tests: LIVESTATE_CRASH_AT names a step (optionally `step:N` for the N-th
// time it is reached); reaching it SIGKILLs this process, so tests can prove each step is safe.
export type CrashPoint =
  | 'mid-data-write'
  | 'before-manifest-rename'
  | 'after-manifest-rename'
  | 'mid-restore'
  | 'mid-rescale'

const counts = new Map<string, number>()

export function crashPoint(step: CrashPoint): void {
  const spec = process.env.LIVESTATE_CRASH_AT
  if (!spec) return
  const [name, nth] = spec.split(':')
  if (name !== step) return
  const n = (counts.get(step) ?? 0) + 1
  counts.set(step, n)
  if (n >= Number(nth ?? 1)) {
    process.stderr.write(`livestate: crash point '${step}' reached (LIVESTATE_CRASH_AT), killing the process\n`)
    process.kill(process.pid, 'SIGKILL')
  }
}
