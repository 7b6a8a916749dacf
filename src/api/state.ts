// The user-facing keyed state types (Flink's ValueState, ListState, MapState, ReducingState,
// AggregatingState). Point access is synchronous; iterating a MapState is asynchronous because the
// LevelDB backend reads entries from disk.

export interface State {
  clear(): void
}

export interface ValueState<T> extends State {
  value(): T | undefined
  update(value: T): void
}

export interface ListState<T> extends State {
  get(): T[]
  add(value: T): void
  addAll(values: readonly T[]): void
  update(values: readonly T[]): void
}

export interface MapState<UK, UV> {
  get(key: UK): UV | undefined
  put(key: UK, value: UV): void
  putAll(entries: Iterable<readonly [UK, UV]>): void
  remove(key: UK): void
  contains(key: UK): boolean
  entries(): AsyncIterable<[UK, UV]>
  keys(): AsyncIterable<UK>
  values(): AsyncIterable<UV>
  isEmpty(): Promise<boolean>
  clear(): Promise<void>
}

export interface ReducingState<T> extends State {
  get(): T | undefined
  add(value: T): void
}

export interface AggregatingState<IN, OUT> extends State {
  get(): OUT | undefined
  add(value: IN): void
}
