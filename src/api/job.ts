// defineJob: the default export of a job module. The build function wires the dataflow and returns
// the queryable streams that typed clients see (the phantom '~states' carries their types).
import { checkName, StreamExecutionEnvironment } from './environment.ts'

export interface RestartStrategy {
  type: 'fixed-delay' | 'exponential-backoff' | 'none'
  maxAttempts?: number
  delay?: number
  maxDelay?: number
}

export interface JobOptions {
  name: string
  parallelism?: number
  maxParallelism?: number
  checkpointInterval?: number
  restartStrategy?: RestartStrategy
}

export interface JobDefinition<R = unknown> {
  readonly kind: 'livestate-job'
  readonly name: string
  readonly options: Readonly<JobOptions>
  readonly build: (env: StreamExecutionEnvironment) => R
  readonly '~states'?: R
}

export function defineJob<R>(options: JobOptions, build: (env: StreamExecutionEnvironment) => R): JobDefinition<R> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('defineJob(options, build): options must be an object')
  checkName('job', options.name)
  if (typeof build !== 'function')
    throw new TypeError(`defineJob '${options.name}': build must be a function (env) => states`)
  for (const k of ['parallelism', 'maxParallelism'] as const) {
    const v = options[k]
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new TypeError(`defineJob '${options.name}': ${k} must be a positive integer`)
  }
  return Object.freeze({
    kind: 'livestate-job' as const,
    name: options.name,
    options: Object.freeze({ ...options }),
    build,
  })
}

export function isJobDefinition(value: unknown): value is JobDefinition<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'livestate-job'
}

/** Runs the build function on a fresh environment. */
export function buildJob<R>(job: JobDefinition<R>): { env: StreamExecutionEnvironment; states: R } {
  const env = new StreamExecutionEnvironment()
  const states = job.build(env)
  return { env, states }
}
