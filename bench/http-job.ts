// The http suite's data: 100k user profiles, one per key, written by a bounded generator job into a
// queryable value state. The Hono baseline builds the same Map with the same generate function.
import type { DataStream } from '../src/api/data-stream.ts'
import { defineJob } from '../src/api/job.ts'

export const HTTP_JOB = 'bench-http'
export const HTTP_STATE = 'profiles'
export const HTTP_SEED = 7
const PLANS = ['free', 'team', 'business', 'enterprise']

export interface Profile {
  user: string
  plan: string
  visits: number
  lastSeen: number
}

export function generateProfile(index: number, random: () => number): Profile {
  return {
    user: userKey(index),
    plan: PLANS[Math.floor(random() * PLANS.length)]!,
    visits: Math.floor(random() * 10_000),
    lastSeen: 1_700_000_000_000 + Math.floor(random() * 86_400_000),
  }
}

export function userKey(index: number): string {
  return `user-${index}`
}

export function keyPath(index: number): string {
  return `/v1/jobs/${HTTP_JOB}/states/${HTTP_STATE}/keys/${userKey(index)}`
}

/**
 * Writes `keys` profiles, then finishes. `keepAlive` unions an idle source that never emits, so the
 * job stays RUNNING and keeps serving: needed while a FINISHED job answers STATE_NOT_READY instead of
 * serving its final state (DESIGN §3, `run` without --exit-on-finish).
 */
export function profilesJob(keys: number, keepAlive: boolean) {
  return defineJob({ name: HTTP_JOB, parallelism: 1 }, (env) => {
    let profiles = env.fromGenerator('profiles', generateProfile, { count: keys, seed: HTTP_SEED })
    if (keepAlive) {
      const idle = env.fromGenerator('keep-alive', () => null, { ratePerSecond: 1 }).filter(() => false)
      profiles = profiles.union(idle as unknown as DataStream<Profile>)
    }
    return { profiles: profiles.keyBy((p) => p.user).asQueryableState(HTTP_STATE) }
  })
}
