// The operator contract inside a Task (Flink's StreamOperator / OneInputStreamOperator /
// TwoInputStreamOperator) and what the task gives each operator at setup.
//
//   setup ──► open() ──► processElement / processWatermark … ──► finish() ──► close()
//   (chain: open from tail to head, finish and close from head to tail)
import type { KeyGroupRange } from '../keys/key-group-range.ts'
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts'
import type { AbstractKeyedState } from '../state/kinds/abstract-keyed-state.ts'
import type { QueryableKind } from '../api/data-stream.ts'
import type { KeyedSnapshotWriter } from '../checkpoint/keyed-snapshot.ts'
import type { RestoredKeyedState } from '../checkpoint/keyed-restore.ts'
import type { Output, TrackPromise } from './output.ts'
import type { CheckpointBarrier } from './stream-element.ts'
import type { TaskMetrics } from './task-metrics.ts'

export interface StreamOperator {
  open(): void | Promise<void>
  processElement(value: unknown, timestamp: number | undefined, inputIndex: 0 | 1): void | Promise<void>
  /** The combined (min over inputs) watermark advanced. Operators forward it after firing timers. */
  processWatermark(watermark: number): void | Promise<void>
  /** End of all input: flush what is buffered (Flink's finish / endInput). */
  finish(): void | Promise<void>
  close(): void | Promise<void>
  /** Keyed operators expose their backend for snapshots and queries. */
  readonly keyedStateBackend?: KeyedStateBackend
  /**
   * Synchronous phase of a checkpoint (called between records, with no user Promise pending);
   * the returned writer runs the asynchronous phase.
   */
  snapshotState?(barrier: CheckpointBarrier): KeyedSnapshotWriter | undefined
}

/** A queryable state as the operator registers it with the TaskManager's KvStateRegistry. */
export interface QueryableStateHandle {
  name: string
  kind: QueryableKind
  state: AbstractKeyedState
  backend: KeyedStateBackend
  /** Window states: answers in-flight windows of a key. */
  queryWindows?: (keyPrefix: string, which: 'latest' | 'all' | number) => Promise<unknown>
}

export interface OperatorContext {
  readonly jobName: string
  readonly taskName: string
  readonly operatorName: string
  readonly operatorUid: string
  readonly subtaskIndex: number
  readonly parallelism: number
  readonly maxParallelism: number
  readonly keyGroupRange: KeyGroupRange
  readonly output: Output
  readonly metrics: TaskMetrics
  /** Runs an action on the task's thread between records (processing-time timers). */
  readonly mailbox: (action: () => void | Promise<void>) => void
  readonly track: TrackPromise
  createKeyedStateBackend(): KeyedStateBackend
  registerQueryableState(handle: QueryableStateHandle): void
  /** Keyed state and timers restored from a checkpoint for this operator, if any. */
  readonly restored: RestoredKeyedState | undefined
  /** Shared per-path NDJSON writers so parallel sink subtasks append whole lines to one file. */
  readonly sinkFiles: SinkFileRegistry
}

export interface SinkFileRegistry {
  appendLines(path: string, lines: string): Promise<void>
}
