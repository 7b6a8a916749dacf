// createClient (DESIGN §6): a typed facade over untyped transports. Types come from the job's
// phantom fields (job-types.ts); at run time every handle is the same StateHandleImpl.
import type { JobSummary } from '../protocol/http-bodies.ts'
import { ClientCore } from './client-core.ts'
import type { ClientOptions, JobHandle, LivestateClient } from './client-types.ts'
import type { JobLike, UntypedJob } from './job-types.ts'
import { StateHandleImpl } from './state-handle.ts'

/**
 * `createClient<typeof job>({ url, job: 'clicks' })` is typed from the job; without a type argument,
 * `createClient({ url }).job('clicks').state<K, V>('name')`. No connection is made until first use.
 */
export function createClient<J extends JobLike = UntypedJob>(options: ClientOptions): LivestateClient<J> {
  const core = new ClientCore(options)
  const client = {
    state: (name: string) => new StateHandleImpl(core, undefined, name),
    job: (name: string): JobHandle => {
      if (typeof name !== 'string' || name.length === 0) throw new TypeError('job name must be a non-empty string')
      return { name, state: (state: string) => new StateHandleImpl(core, name, state) as never }
    },
    jobs: (): Promise<JobSummary[]> => core.jobs(),
    close: (): Promise<void> => core.close(),
  }
  return client as unknown as LivestateClient<J>
}
