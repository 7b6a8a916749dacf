// The query proxy (Flink's KvStateClientProxy): (job, state, key) → canonical key → key group →
// KvStateLocation → the owning TaskManager's KvStateServer. Retries only what means "stale
// location" (UNKNOWN_KV_STATE_ID, NOT_OWNER, owner missing) with a fresh lookup, then answers
// STATE_NOT_READY. Implements the QueryGateway the HTTP and WebSocket adapters call.
import { LivestateError } from '@livestate/client'
import type { JobManager } from '../cluster/job-manager.ts'
import type { JobMaster } from '../cluster/job-master.ts'
import { planOf } from '../graph/plan.ts'
import { assignToKeyGroup } from '../keys/key-group-range-assignment.ts'
import { validateKey, type Key } from '../keys/key-codec.ts'
import type { KvStateLocation, KvStateLocationOwner } from './kv-state-location-registry.ts'
import type { KvStateServer, ScannedEntry } from './kv-state-server.ts'
import { awaitCheckpoint, CommittedReads, type PinnedCommitted, readCommitted } from './committed-reads.ts'
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
} from './query-gateway.ts'
import { decodeCursor, encodeCursor, scanBounds } from './scan-cursor.ts'
import { ProxySubscription } from './proxy-subscription.ts'

const STALE = new Set(['UNKNOWN_KV_STATE_ID', 'NOT_OWNER'])
const DECIMAL_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/
const DECIMAL_INTEGER = /^-?(0|[1-9]\d*)$/
const LOOKUP_ATTEMPTS = 3

export interface QueryProxyOptions {
  jobManager: JobManager
  /** The KvStateServer at an address (in-thread: the TaskManager id). */
  server: (address: string) => KvStateServer | undefined
  ingest?: (job: JobMaster, source: string, events: unknown[], idempotencyKey?: string) => Promise<IngestResult>
  savepoint?: (job: JobMaster) => Promise<{ path: string; checkpointId: number }>
  metrics?: (job: JobMaster) => Record<string, number>
}

export class QueryProxy implements QueryGateway {
  constructor(private readonly options: QueryProxyOptions) {}

  private job(name: string): JobMaster {
    const j = this.options.jobManager.getJobByName(name)
    if (!j) throw new LivestateError('UNKNOWN_JOB', `no job named '${name}'`)
    return j
  }

  private location(job: JobMaster, state: string): KvStateLocation {
    const loc = job.locations.getKvStateLocation(state)
    if (!loc) throw new LivestateError('UNKNOWN_STATE', `job '${job.name}' has no queryable state '${state}'`)
    return loc
  }

  private notReady(job: JobMaster, state: string): LivestateError {
    if (job.isTerminal()) {
      // a canceled or failed job never becomes ready again: do not invite retries
      return new LivestateError(
        'STATE_NOT_READY',
        `job '${job.name}' is ${job.status}; its live state is gone (committed reads may still answer)`,
        {
          retryable: false,
        },
      )
    }
    return new LivestateError('STATE_NOT_READY', `the owner of '${state}' is not running yet; retry shortly`, {
      retryAfter: 1,
    })
  }

  /** Calls the owner of a key group, re-resolving the location when the answer says it is stale. */
  private async withOwner<T>(
    job: JobMaster,
    state: string,
    keyGroup: number,
    call: (server: KvStateServer, owner: KvStateLocationOwner) => Promise<T>,
  ): Promise<T> {
    let last: unknown
    for (let attempt = 0; attempt < LOOKUP_ATTEMPTS; attempt++) {
      const owner = this.location(job, state).ownerOf(keyGroup)
      const server = owner && this.options.server(owner.serverAddress)
      if (!owner || !server) {
        last = this.notReady(job, state)
      } else {
        try {
          return await call(server, owner)
        } catch (e) {
          if (!(e instanceof LivestateError) || !STALE.has(e.code)) throw e
          last = e
        }
      }
      await new Promise((r) => setTimeout(r, 10 * (attempt + 1)))
    }
    throw last instanceof LivestateError && !STALE.has(last.code) ? last : this.notReady(job, state)
  }

  private latestCheckpointId(job: JobMaster): number | null {
    return job.coordinator?.latest?.checkpointId ?? null
  }

  private readonly committedReads = new CommittedReads()

  private committed(job: JobMaster, state: string): PinnedCommitted {
    return this.committedReads.pin(job, this.location(job, state), state)
  }

  listJobs(): JobSummary[] {
    return this.options.jobManager.listJobs().map((j) => this.summary(j))
  }

  hasJob(name: string): boolean {
    return this.options.jobManager.getJobByName(name) !== undefined
  }

  private summary(j: JobMaster): JobSummary {
    return {
      name: j.name,
      id: j.jobId,
      status: j.status,
      parallelism: j.artifacts.graph.defaultParallelism,
      states: j.locations.names(),
    }
  }

  describeJob(name: string): JobDetail {
    const j = this.job(name)
    const sources: string[] = []
    for (const v of j.artifacts.graph.vertices) {
      for (const t of v.operators) if (t.operator.kind === 'source') sources.push(t.operator.name)
    }
    return {
      ...this.summary(j),
      plan: planOf(j.artifacts.graph),
      checkpoints: {
        completed: j.coordinator?.completedCount ?? 0,
        latestId: this.latestCheckpointId(j),
        latestAt: j.coordinator?.latestAt?.toISOString() ?? null,
      },
      metrics: this.options.metrics?.(j) ?? {},
      sources,
    }
  }

  describeState(job: string, state: string): StateDescription {
    const j = this.job(job)
    const loc = this.location(j, state)
    const owners = loc.distinctOwners()
    return {
      name: state,
      job,
      kind: loc.kind as StateKind,
      keyType: this.keyTypeOf(loc),
      operator: loc.operatorName,
      maxParallelism: loc.numKeyGroups,
      owners: owners.map((o) => ({
        subtask: o.subtaskIndex,
        keyGroups: o.keyGroupRange,
        epoch: o.epoch,
        status: 'live' as const,
      })),
    }
  }

  private keyType(owners: KvStateLocationOwner[]): KeyType {
    for (const o of owners) {
      const t = this.options.server(o.serverAddress)?.keyType(o.kvStateId)
      if (t) return t
    }
    return 'unknown'
  }

  /** The key type of a state, fixed once the first key was seen (path keys parse as it). */
  private readonly keyTypes = new WeakMap<KvStateLocation, KeyType>()

  private keyTypeOf(loc: KvStateLocation): KeyType {
    const known = this.keyTypes.get(loc)
    if (known) return known
    const t = this.keyType(loc.distinctOwners())
    if (t !== 'unknown') this.keyTypes.set(loc, t)
    return t
  }

  parsePathKey(job: string, state: string, segment: string): Key {
    const type = this.keyTypeOf(this.location(this.job(job), state))
    // Decimal notation only (JSON's number grammar): Number() would also take '0x5', ' 5', '+5',
    // '0b101', so several segments would name one key.
    if (type === 'number') {
      const n = Number(segment)
      if (!DECIMAL_NUMBER.test(segment) || !Number.isFinite(n))
        throw new LivestateError(
          'BAD_REQUEST',
          `state '${state}' has number keys; '${segment}' is not a decimal number`,
        )
      return n
    }
    if (type === 'bigint') {
      if (!DECIMAL_INTEGER.test(segment))
        throw new LivestateError(
          'BAD_REQUEST',
          `state '${state}' has bigint keys; '${segment}' is not a decimal integer`,
        )
      return BigInt(segment)
    }
    if (type === 'boolean' && (segment === 'true' || segment === 'false')) return segment === 'true'
    return segment
  }

  async get(job: string, state: string, rawKey: Key, options?: ReadOptions): Promise<GetResult> {
    const j = this.job(job)
    const loc = this.location(j, state)
    const key = toKey(rawKey)
    if (options?.minCheckpoint !== undefined) await awaitCheckpoint(j, options)
    if (options?.consistency === 'committed') return this.getCommitted(j, state, key, options)
    const keyGroup = assignToKeyGroup(key, loc.numKeyGroups)
    const plain = options?.mapKey === undefined && options?.window === undefined
    const r = await this.withOwner(j, state, keyGroup, (server, owner) =>
      server.get(
        plain
          ? { kvStateId: owner.kvStateId, key, keyGroup }
          : {
              kvStateId: owner.kvStateId,
              key,
              keyGroup,
              ...(options?.mapKey === undefined ? {} : { mapKey: toKey(options.mapKey) }),
              ...(options?.window === undefined ? {} : { window: options.window }),
            },
      ),
    )
    if (r.value === undefined) throw new LivestateError('KEY_NOT_FOUND', `state '${state}' has no value for this key`)
    return {
      key,
      value: r.value,
      meta: {
        keyGroup,
        subtask: r.subtask,
        epoch: r.epoch,
        checkpointId: this.latestCheckpointId(j),
        consistency: 'live',
      },
    }
  }

  private getCommitted(
    j: JobMaster,
    state: string,
    key: Key,
    options: ReadOptions,
    pinned: PinnedCommitted = this.committed(j, state),
  ): Promise<GetResult> {
    const mapKey = options.mapKey === undefined ? undefined : toKey(options.mapKey)
    return readCommitted(
      j,
      this.location(j, state),
      state,
      key,
      { ...options, ...(mapKey === undefined ? {} : { mapKey }) },
      pinned,
    )
  }

  async getMany(job: string, state: string, keys: Key[], options?: ReadOptions): Promise<GetManyResult> {
    const j = this.job(job)
    this.location(j, state)
    await awaitCheckpoint(j, options)
    // committed: every key is read from the same checkpoint, the one the answer names
    const committed = options?.consistency === 'committed' ? this.committed(j, state) : undefined
    const pinned = committed ? committed.reader.checkpointId : this.latestCheckpointId(j)
    const { minCheckpoint: _ignored, ...perKey } = options ?? {}
    const entries = await Promise.all(
      keys.map(async (k) => {
        try {
          const r = committed
            ? await this.getCommitted(j, state, toKey(k), perKey, committed)
            : await this.get(job, state, k, perKey)
          return { key: r.key, value: r.value }
        } catch (e) {
          if (e instanceof LivestateError && (e.code === 'UNKNOWN_JOB' || e.code === 'UNKNOWN_STATE')) throw e
          const err = e instanceof LivestateError ? e : new LivestateError('INTERNAL', (e as Error).message)
          return { key: k, error: err.toBody() }
        }
      }),
    )
    return { entries, meta: { checkpointId: pinned, consistency: options?.consistency ?? 'live' } }
  }

  async entries(job: string, state: string, options: ScanOptions): Promise<ScanResult> {
    const j = this.job(job)
    const loc = this.location(j, state)
    const limit = options.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new LivestateError('BAD_REQUEST', 'limit must be an integer from 1 to 1000')
    await awaitCheckpoint(j, options)
    if (options.consistency === 'committed') {
      const { reader, ref } = this.committed(j, state)
      const afterKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
      const page = await reader.scan(ref, {
        ...scanBounds(options),
        ...(afterKey === undefined ? {} : { afterKey }),
        limit: limit + 1,
      })
      return toScanResult(page, limit)
    }
    const owners = loc.distinctOwners()
    if (!loc.isComplete()) throw this.notReady(j, state)
    const bounds = scanBounds(options)
    const afterKey = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    const pages = await Promise.all(
      owners.map((o) =>
        this.withOwner(j, state, o.keyGroupRange.start, (server, owner) =>
          server.scan({
            kvStateId: owner.kvStateId,
            limit: limit + 1,
            ...bounds,
            ...(afterKey === undefined ? {} : { afterKey }),
          }),
        ),
      ),
    )
    const merged = pages.flat().sort((a, b) => (a.keyChars < b.keyChars ? -1 : a.keyChars > b.keyChars ? 1 : 0))
    return toScanResult(merged, limit)
  }

  subscribe(
    job: string,
    state: string,
    selector: SubscriptionSelector,
    listener: (e: ChangeEvent) => void,
  ): ChangeSubscription {
    const j = this.job(job)
    const loc = this.location(j, state)
    if ('keys' in selector) selector = { keys: selector.keys.map(toKey) }
    if (loc.distinctOwners().length === 0 && !j.coordinator) throw this.notReady(j, state)
    const sub = new ProxySubscription(loc, selector, this.options.server, listener)
    return { close: () => sub.close() }
  }

  async ingest(job: string, source: string, events: unknown[], idempotencyKey?: string): Promise<IngestResult> {
    const j = this.job(job)
    if (!this.options.ingest) throw new LivestateError('UNKNOWN_JOB', `job '${job}' has no HTTP source '${source}'`)
    return this.options.ingest(j, source, events, idempotencyKey)
  }

  async savepoint(job: string): Promise<{ path: string; checkpointId: number }> {
    const j = this.job(job)
    if (!this.options.savepoint)
      throw new LivestateError('BAD_REQUEST', 'savepoints need checkpointing, which this livestate does not run yet')
    // A job that cannot take one is the caller's timing, not a server fault (the coordinator throws a plain Error).
    if (j.isTerminal())
      throw new LivestateError('BAD_REQUEST', `job '${j.name}' is ${j.status}: a savepoint needs a running job`)
    try {
      return await this.options.savepoint(j)
    } catch (e) {
      if (e instanceof LivestateError || j.status === 'RUNNING') throw e
      throw new LivestateError('STATE_NOT_READY', `job '${j.name}' is ${j.status}; retry the savepoint shortly`, {
        retryAfter: 1,
        cause: e,
      })
    }
  }

  async cancel(job: string): Promise<void> {
    await this.job(job).cancel()
  }
}

function toScanResult(merged: ScannedEntry[], limit: number): ScanResult {
  const page = merged.slice(0, limit)
  return {
    entries: page.map((e) => ({ key: e.key, value: e.value })),
    cursor: merged.length > limit && page.length > 0 ? encodeCursor(page[page.length - 1]!.keyChars) : null,
  }
}

function toKey(k: unknown): Key {
  try {
    return validateKey(k)
  } catch (e) {
    throw new LivestateError('BAD_REQUEST', (e as Error).message)
  }
}
