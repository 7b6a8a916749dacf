// Restart strategies (Flink's FixedDelayRestartBackoffTimeStrategy and
// ExponentialDelayRestartBackoffTimeStrategy): the delay before restart n, or undefined to give up.
import type { RestartStrategy } from '../api/job.ts'

export function nextRestartDelay(s: RestartStrategy, restartsSoFar: number): number | undefined {
  if (s.type === 'none') return undefined
  if (restartsSoFar >= (s.maxAttempts ?? 10)) return undefined
  const base = s.delay ?? 1_000
  if (s.type === 'fixed-delay') return base
  return Math.min(s.maxDelay ?? 60_000, base * 2 ** restartsSoFar)
}
