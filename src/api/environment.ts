// StreamExecutionEnvironment: the sources of a job and the list of Transformations the fluent API
// appends to. One environment per job build; src/graph reads `transformations` afterwards.
import { DataStream, type TransformationBuilder } from './data-stream.ts'
import type { KeySelector } from './functions.ts'
import type { OperatorSpec, SourceSpec, Transformation, TransformationInput } from './transformation.ts'

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export function checkName(what: string, name: string): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new TypeError(`${what} name ${JSON.stringify(name)} is invalid: use 1-128 letters, digits, '.', '_' or '-'`)
  }
  return name
}

export interface GeneratorOptions {
  /** Number of events; omitted = unbounded. */
  count?: number
  /** Seed of the deterministic random numbers passed to the generate function. */
  seed?: number
  /** Events per second across the source; omitted = as fast as possible. */
  ratePerSecond?: number
}

export class StreamExecutionEnvironment implements TransformationBuilder {
  readonly transformations: Transformation[] = []
  private readonly sourceNames = new Set<string>()

  addTransformation(
    operator: OperatorSpec,
    inputs: TransformationInput[],
    options: {
      keySelectors?: (KeySelector<any, any> | undefined)[]
      preservesPartitioning?: boolean
      name?: string
    } = {},
  ): Transformation {
    const t: Transformation = {
      id: this.transformations.length + 1,
      name: options.name ?? operator.kind,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      inputs,
      operator,
      keySelectors: options.keySelectors ?? [],
      preservesPartitioning: options.preservesPartitioning ?? false,
      chaining: 'always',
    }
    this.transformations.push(t)
    return t
  }

  private addSource<T>(name: string, source: SourceSpec, parallelism?: number): DataStream<T> {
    checkName('source', name)
    if (this.sourceNames.has(name)) throw new TypeError(`two sources are named '${name}': source names must be unique`)
    this.sourceNames.add(name)
    const t = this.addTransformation({ kind: 'source', name, source }, [], { name: `Source: ${name}` })
    t.uid = `source-${name}`
    if (parallelism !== undefined) t.parallelism = parallelism
    return new DataStream<T>(this, [{ transformation: t, partitioning: undefined }])
  }

  /** A bounded source over an in-memory array (parallelism 1). */
  fromCollection<T>(items: readonly T[], name = 'collection'): DataStream<T> {
    if (!Array.isArray(items)) throw new TypeError('fromCollection needs an array')
    return this.addSource<T>(name, { type: 'collection', items: [...items] }, 1)
  }

  /**
   * A deterministic generator: event i is generate(i, random) with a seeded random per subtask.
   * Parallel instances split the index space round-robin (subtask s emits i ≡ s mod p).
   */
  fromGenerator<T>(
    name: string,
    generate: (index: number, random: () => number) => T,
    options: GeneratorOptions = {},
  ): DataStream<T> {
    if (typeof generate !== 'function') throw new TypeError('fromGenerator needs a generate(index, random) function')
    if (options.count !== undefined && !(Number.isInteger(options.count) && options.count >= 0)) {
      throw new TypeError('fromGenerator count must be a non-negative integer')
    }
    const spec: SourceSpec = { type: 'generator', generate, seed: options.seed ?? 42 }
    if (options.count !== undefined) spec.count = options.count
    if (options.ratePerSecond !== undefined) spec.ratePerSecond = options.ratePerSecond
    return this.addSource<T>(name, spec)
  }

  /** NDJSON file, one JSON value per line; the byte offset is the source position (parallelism 1). */
  fromNdjson<T>(name: string, path: string): DataStream<T> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('fromNdjson needs a file path')
    return this.addSource<T>(name, { type: 'ndjson', path }, 1)
  }

  /** Events POSTed to /v1/jobs/:job/sources/:name/events, read from the durable ingest log. */
  fromHttp<T>(name: string): DataStream<T> {
    return this.addSource<T>(name, { type: 'http' }, 1)
  }
}
