// Type-level bridge from a job definition to typed state handles, by structure only: the client never
// imports the server. It reads the phantom fields `defineJob` declares (`'~states'` on the job,
// `'~queryable'` on each returned stream) and never touches them at run time.
import type { StateKind } from '../protocol/http-bodies.ts'
import type { Key } from '../protocol/keys.ts'

/**
 * What a queryable stream declares: its queryable name N, key type K, value type V and state kind.
 * V per kind: `list` → the element type (get returns V[]); `map` → a Map<UK, UV>; `window` → the
 * window record `{ key, window: { start, end }, value }`; others → the stored value.
 */
export interface QueryableDescriptor {
  name: string
  key: unknown
  value: unknown
  kind: StateKind
}

/** Structural view of `JobDefinition<R>`. */
export interface JobLike {
  readonly name: string
  readonly '~states'?: unknown
}

/** Marker for a client created without a job type: names are strings, types come per call. */
export interface UntypedJob extends JobLike {
  readonly '~untyped': true
}

/** The object the job's build function returned (never when it returned nothing). */
export type JobStatesOf<J> = J extends { readonly '~states'?: infer R } ? (R extends object ? R : never) : never

/** The descriptor of one returned value, or never when it is not queryable. */
type QueryableOfValue<T> = T extends unknown
  ? '~queryable' extends keyof T
    ? NonNullable<T['~queryable']> extends infer Q extends QueryableDescriptor
      ? Q
      : never
    : never
  : never

/** Union of the descriptors of every queryable value the job returned. */
export type QueryablesOf<J> = QueryablesIn<JobStatesOf<J>>

// `[R] extends [never]` guards the job that returned nothing: a mapped type over never is unknown.
type QueryablesIn<R> = [R] extends [never] ? never : { [P in keyof R]-?: QueryableOfValue<R[P]> }[keyof R]

/** Queryable state names of a job, as a union of string literals. */
export type StateNamesOf<J> = QueryablesOf<J>['name']

export type QueryableNamed<J, N> = Extract<QueryablesOf<J>, { name: N }>

/** The key type of a descriptor, narrowed to what the wire can carry. */
export type KeyOf<Q extends QueryableDescriptor> = Extract<Q['key'], Key>

export type MapKeyOf<V> = V extends ReadonlyMap<infer UK, unknown> ? UK : Key
export type MapValueOf<V> = V extends ReadonlyMap<unknown, infer UV> ? UV : unknown

/** What `get` returns for the descriptor (before `| undefined`). */
export type ValueOf<Q extends QueryableDescriptor> = Q['kind'] extends 'list' ? Q['value'][] : Q['value']
