// The fanout suite's job and wire shapes: updates POSTed to the HTTP source `updates` land in the
// queryable value state `latest` (the latest update per key, LevelDB). Each update carries the
// producer's clock, so a subscriber computes "state update → frame received" from the value itself.
import { defineJob } from '../src/api/job.ts'

export const FANOUT_JOB = 'bench-fanout'
export const FANOUT_SOURCE = 'updates'
export const FANOUT_STATE = 'latest'

export interface Update {
  k: string
  /** Producer's wall clock in ms with fractions (performance.timeOrigin + performance.now()). */
  ts: number
  /** The how-manyth update of this key: a subscriber that sees n jump by more than 1 got a conflated value. */
  n: number
}

export function fanoutKey(i: number): string {
  return `key-${String(i).padStart(2, '0')}`
}

/** A wall clock with sub-ms resolution that agrees across processes on one machine. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now()
}

export function updatesPath(): string {
  return `/v1/jobs/${FANOUT_JOB}/sources/${FANOUT_SOURCE}/events`
}

export const fanoutJob = defineJob({ name: FANOUT_JOB, parallelism: 1 }, (env) => ({
  latest: env
    .fromHttp<Update>(FANOUT_SOURCE)
    .keyBy((u) => u.k)
    .asQueryableState(FANOUT_STATE),
}))
