// What the HTTP and WebSocket adapters (src/server) need from the query layer: one interface, so the
// servers stay adapters. Implemented by the query proxy (QueryProxy) over the KvStateLocationRegistry.
// Every method throws LivestateError with a contract code; none returns a partial answer silently.
import type { Key } from '../keys/key-codec.ts'

// The wire shapes come from the client module's protocol (the runtime depends on it, never the
// reverse); the server's state description adds what its route shows beyond the client's needs.
import type { Consistency, JobStatus, JobSummary, KeyType, StateKind, StateMeta, StateOwner } from '@livestate/client'

export type { Consistency, JobStatus, JobSummary, KeyType, StateKind, StateMeta, StateOwner }

export interface StateDescription {
  name: string
  job: string
  kind: StateKind
  keyType: KeyType
  operator: string
  maxParallelism: number
  owners: StateOwner[]
}

export interface PlanVertex {
  id: string
  name: string
  operators: string[]
  parallelism: number
  maxParallelism: number
}

export interface PlanEdge {
  source: string
  target: string
  partitioner: string
  inputIndex: number
}

export interface JobDetail extends JobSummary {
  plan: { vertices: PlanVertex[]; edges: PlanEdge[] }
  checkpoints: { completed: number; latestId: number | null; latestAt: string | null }
  metrics: Record<string, number>
  sources: string[]
}

export interface ReadOptions {
  consistency?: Consistency
  /** Wait (up to timeoutMs) until checkpoint >= minCheckpoint, else NOT_CAUGHT_UP. */
  minCheckpoint?: number
  timeoutMs?: number
  /** One entry of a MapState. */
  mapKey?: Key
  /** Window states: 'latest' (default), 'all', or a window start. */
  window?: 'latest' | 'all' | number
}

export interface GetResult {
  key: Key
  value: unknown
  meta: StateMeta
}

export type GetManyEntry =
  | { key: Key; value: unknown }
  | { key: Key; error: { code: string; message: string; retryable: boolean } }

export interface GetManyResult {
  entries: GetManyEntry[]
  meta: { checkpointId: number | null; consistency: Consistency }
}

export interface ScanOptions extends ReadOptions {
  prefix?: string
  from?: Key
  to?: Key
  limit?: number
  cursor?: string
}

export interface ScanResult {
  entries: { key: Key; value: unknown }[]
  cursor: string | null
}

export type SubscriptionSelector = { keys: Key[] } | { prefix: string } | { all: true }

export type ChangeEvent =
  | { type: 'snapshot'; key: Key; value: unknown; epoch: number; seq: number }
  | { type: 'update'; key: Key; value: unknown; epoch: number; seq: number }
  | { type: 'delete'; key: Key; epoch: number; seq: number }
  | { type: 'status'; state: 'restoring' | 'live' }

export interface ChangeSubscription {
  close(): void
}

export interface IngestResult {
  accepted: number
  position: string
}

export interface QueryGateway {
  listJobs(): JobSummary[]
  /** Whether a job of this name exists (what `listJobs().some(...)` says, without building summaries). */
  hasJob(job: string): boolean
  describeJob(job: string): JobDetail
  describeState(job: string, state: string): StateDescription
  /** Parses a URL path segment into the state's key type (number/bigint states parse numbers). */
  parsePathKey(job: string, state: string, segment: string): Key
  get(job: string, state: string, key: Key, options?: ReadOptions): Promise<GetResult>
  getMany(job: string, state: string, keys: Key[], options?: ReadOptions): Promise<GetManyResult>
  entries(job: string, state: string, options: ScanOptions): Promise<ScanResult>
  /** Listener gets snapshot frames for current values first, then changes; never a gap. */
  subscribe(
    job: string,
    state: string,
    selector: SubscriptionSelector,
    listener: (e: ChangeEvent) => void,
  ): ChangeSubscription
  ingest(job: string, source: string, events: unknown[], idempotencyKey?: string): Promise<IngestResult>
  savepoint(job: string): Promise<{ path: string; checkpointId: number }>
  cancel(job: string): Promise<void>
}
