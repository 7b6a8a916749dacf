// A small in-memory QueryGateway to develop the server against until the real query proxy runs in
// these tests. Not an engine: values are set directly with set()/remove(); no key groups, no
// checkpoints. Throws the same LivestateError codes the contract says the gateway throws.
import { LivestateError } from '@livestate/client'
import { type Key, keyToString } from '../../../src/keys/key-codec.ts'
import type {
  ChangeEvent,
  ChangeSubscription,
  GetManyResult,
  GetResult,
  IngestResult,
  JobDetail,
  JobSummary,
  KeyType,
  QueryGateway,
  ReadOptions,
  ScanOptions,
  ScanResult,
  StateDescription,
  StateKind,
  SubscriptionSelector,
} from '../../../src/query/query-gateway.ts'

export interface MemoryStateSpec {
  kind?: StateKind
  keyType?: KeyType
}

export interface MemoryJobSpec {
  name: string
  states: Record<string, MemoryStateSpec>
  sources: string[]
}

interface StateData {
  spec: Required<MemoryStateSpec>
  values: Map<string, { key: Key; value: unknown; seq: number }>
  seq: number
}

interface Subscriber {
  job: string
  state: string
  selector: SubscriptionSelector
  listener: (e: ChangeEvent) => void
  closed: boolean
}

const EPOCH = 1

export class MemoryGateway implements QueryGateway {
  readonly jobs = new Map<
    string,
    { spec: MemoryJobSpec; states: Map<string, StateData>; status: JobSummary['status'] }
  >()
  readonly ingested: { job: string; source: string; events: unknown[]; idempotencyKey: string | undefined }[] = []
  readonly #idempotent = new Map<string, IngestResult>()
  readonly #subscribers = new Set<Subscriber>()
  #position = 0
  #checkpoint = 0

  constructor(jobs: MemoryJobSpec[]) {
    for (const spec of jobs) {
      const states = new Map<string, StateData>()
      for (const [name, s] of Object.entries(spec.states)) {
        states.set(name, {
          spec: { kind: s.kind ?? 'value', keyType: s.keyType ?? 'string' },
          values: new Map(),
          seq: 0,
        })
      }
      this.jobs.set(spec.name, { spec, states, status: 'RUNNING' })
    }
  }

  get subscriberCount(): number {
    return [...this.#subscribers].filter((s) => !s.closed).length
  }

  set(job: string, state: string, key: Key, value: unknown): void {
    const data = this.#state(job, state)
    const seq = ++data.seq
    data.values.set(keyToString(key), { key, value, seq })
    this.#emit(job, state, key, { type: 'update', key, value, epoch: EPOCH, seq })
  }

  remove(job: string, state: string, key: Key): void {
    const data = this.#state(job, state)
    if (!data.values.delete(keyToString(key))) return
    this.#emit(job, state, key, { type: 'delete', key, epoch: EPOCH, seq: ++data.seq })
  }

  listJobs(): JobSummary[] {
    return [...this.jobs.values()].map((j) => this.#summary(j.spec.name))
  }

  describeJob(job: string): JobDetail {
    const j = this.#job(job)
    return {
      ...this.#summary(job),
      plan: {
        vertices: [{ id: 'v1', name: 'source', operators: ['source'], parallelism: 1, maxParallelism: 128 }],
        edges: [],
      },
      checkpoints: { completed: this.#checkpoint, latestId: this.#checkpoint || null, latestAt: null },
      metrics: { recordsIn: this.ingested.length },
      sources: [...j.spec.sources],
    }
  }

  describeState(job: string, state: string): StateDescription {
    const data = this.#state(job, state)
    return {
      name: state,
      job,
      kind: data.spec.kind,
      keyType: data.spec.keyType,
      operator: 'memory',
      maxParallelism: 128,
      owners: [{ subtask: 0, keyGroups: { start: 0, end: 127 }, epoch: EPOCH, status: 'live' }],
    }
  }

  parsePathKey(job: string, state: string, segment: string): Key {
    const { keyType } = this.#state(job, state).spec
    if (keyType === 'number') {
      const n = Number(segment)
      if (segment.trim() === '' || !Number.isFinite(n))
        throw new LivestateError('BAD_REQUEST', `key "${segment.slice(0, 40)}" is not a number`)
      return n
    }
    if (keyType === 'bigint') {
      // Like the query proxy: no range check here; the server validates the parsed key.
      if (!/^-?[0-9]+$/.test(segment)) {
        throw new LivestateError('BAD_REQUEST', `key "${segment.slice(0, 40)}" is not an integer`)
      }
      return BigInt(segment)
    }
    return segment
  }

  async get(job: string, state: string, key: Key, options?: ReadOptions): Promise<GetResult> {
    const entry = this.#state(job, state).values.get(keyToString(key))
    if (entry === undefined)
      throw new LivestateError('KEY_NOT_FOUND', `no value for key ${keyToString(key).slice(0, 80)}`)
    return { key: entry.key, value: entry.value, meta: this.#meta(options) }
  }

  async getMany(job: string, state: string, keys: Key[], options?: ReadOptions): Promise<GetManyResult> {
    const data = this.#state(job, state)
    const entries = keys.map((key) => {
      const entry = data.values.get(keyToString(key))
      return entry === undefined
        ? { key, error: { code: 'KEY_NOT_FOUND', message: 'no value', retryable: false } }
        : { key, value: entry.value }
    })
    return { entries, meta: { checkpointId: this.#checkpoint || null, consistency: options?.consistency ?? 'live' } }
  }

  async entries(job: string, state: string, options: ScanOptions): Promise<ScanResult> {
    const data = this.#state(job, state)
    let after: string | undefined
    if (options.cursor !== undefined) {
      if (!/^[A-Za-z0-9_-]+$/.test(options.cursor)) throw new LivestateError('BAD_REQUEST', 'invalid cursor')
      after = Buffer.from(options.cursor, 'base64url').toString('utf8')
    }
    const limit = options.limit ?? 100
    const sorted = [...data.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const from = options.from === undefined ? undefined : keyToString(options.from)
    const to = options.to === undefined ? undefined : keyToString(options.to)
    const matching = sorted.filter(
      ([id]) =>
        (options.prefix === undefined || id.startsWith(options.prefix)) &&
        (from === undefined || id >= from) &&
        (to === undefined || id < to) &&
        (after === undefined || id > after),
    )
    const page = matching.slice(0, limit)
    const last = page.at(-1)
    const cursor = matching.length > limit && last ? Buffer.from(last[0]).toString('base64url') : null
    return { entries: page.map(([, e]) => ({ key: e.key, value: e.value })), cursor }
  }

  subscribe(
    job: string,
    state: string,
    selector: SubscriptionSelector,
    listener: (e: ChangeEvent) => void,
  ): ChangeSubscription {
    const data = this.#state(job, state)
    const sub: Subscriber = { job, state, selector, listener, closed: false }
    for (const entry of data.values.values()) {
      if (matches(selector, entry.key))
        listener({ type: 'snapshot', key: entry.key, value: entry.value, epoch: EPOCH, seq: entry.seq })
    }
    this.#subscribers.add(sub)
    return {
      close: () => {
        sub.closed = true
        this.#subscribers.delete(sub)
      },
    }
  }

  async ingest(job: string, source: string, events: unknown[], idempotencyKey?: string): Promise<IngestResult> {
    const j = this.#job(job)
    if (!j.spec.sources.includes(source))
      throw new LivestateError('BAD_REQUEST', `unknown source "${source}" of job "${job}"`)
    const idem = idempotencyKey === undefined ? undefined : `${job}/${source}/${idempotencyKey}`
    const earlier = idem === undefined ? undefined : this.#idempotent.get(idem)
    if (earlier !== undefined) return earlier
    this.ingested.push({ job, source, events, idempotencyKey })
    this.#position += events.length
    const result = { accepted: events.length, position: String(this.#position) }
    if (idem !== undefined) this.#idempotent.set(idem, result)
    return result
  }

  async savepoint(job: string): Promise<{ path: string; checkpointId: number }> {
    this.#job(job)
    this.#checkpoint++
    return { path: `/tmp/livestate-savepoints/${job}-${this.#checkpoint}`, checkpointId: this.#checkpoint }
  }

  async cancel(job: string): Promise<void> {
    this.#job(job).status = 'CANCELED'
  }

  #summary(job: string): JobSummary {
    const j = this.#job(job)
    return { name: job, id: `id-${job}`, status: j.status, parallelism: 1, states: [...j.states.keys()] }
  }

  #job(job: string) {
    const j = this.jobs.get(job)
    if (j === undefined) throw new LivestateError('UNKNOWN_JOB', `no job named ${job}`)
    return j
  }

  #state(job: string, state: string): StateData {
    const s = this.#job(job).states.get(state)
    if (s === undefined) throw new LivestateError('UNKNOWN_STATE', `no state named ${state} in ${job}`)
    return s
  }

  #meta(options?: ReadOptions) {
    return {
      keyGroup: 0,
      subtask: 0,
      epoch: EPOCH,
      checkpointId: this.#checkpoint || null,
      consistency: options?.consistency ?? 'live',
    }
  }

  #emit(job: string, state: string, key: Key, event: ChangeEvent): void {
    for (const sub of [...this.#subscribers]) {
      if (!sub.closed && sub.job === job && sub.state === state && matches(sub.selector, key)) sub.listener(event)
    }
  }
}

function matches(selector: SubscriptionSelector, key: Key): boolean {
  if ('all' in selector) return true
  if ('prefix' in selector) return typeof key === 'string' && key.startsWith(selector.prefix)
  const id = keyToString(key)
  return selector.keys.some((k) => keyToString(k) === id)
}
