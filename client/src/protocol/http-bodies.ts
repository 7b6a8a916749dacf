// Response bodies of the HTTP API (DESIGN §4, contract) as types, shared by the server's routes and
// the SDK. WS answers reuse StateMeta and the getMany entry shape (see messages.ts).
import type { Key } from './keys.ts'
import type { ErrorBody } from './livestate-error.ts'

export type Consistency = 'live' | 'committed'
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating' | 'window'
export type KeyType = 'string' | 'number' | 'bigint' | 'boolean' | 'composite' | 'unknown'
export type JobStatus = 'CREATED' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED'

export interface StateMeta {
  keyGroup: number
  subtask: number
  /** Bumped on every restart of the owner; a `live` read may regress only across epochs. */
  epoch: number
  checkpointId: number | null
  consistency: Consistency
}

/** `GET /v1/jobs/:job/states/:state/keys/:key` */
export interface GetBody {
  key: Key
  value: unknown
  meta: StateMeta
}

/** `POST /v1/jobs/:job/states/:state/get`, entries in request order. */
export interface GetManyBody {
  entries: ({ key: Key; value: unknown } | { key: Key; error: ErrorBody })[]
  meta: Partial<StateMeta>
}

/** `GET /v1/jobs/:job/states/:state/entries`; `cursor` is null on the last page. */
export interface EntriesBody {
  entries: { key: Key; value: unknown }[]
  cursor: string | null
}

export interface JobSummary {
  name: string
  id: string
  status: JobStatus
  parallelism: number
  states: string[]
}

/** `GET /v1/jobs` */
export interface JobsBody {
  jobs: JobSummary[]
}

export interface StateOwner {
  subtask: number
  keyGroups: { start: number; end: number }
  epoch: number
  status: 'live' | 'restoring'
}

/** `GET /v1/jobs/:job/states/:state` */
export interface StateDescription {
  name: string
  job: string
  kind: StateKind
  keyType: KeyType
  owners: StateOwner[]
  [extra: string]: unknown
}

/** Every non-2xx answer. */
export interface ErrorResponseBody {
  error: ErrorBody
}
