// What travels on a channel between tasks (Flink's StreamElement + events): batches of records with
// optional timestamps, watermarks, checkpoint barriers and end-of-partition, in order.

export interface RecordBatch {
  kind: 'records'
  values: unknown[]
  /** Parallel to values; omitted when no record of the batch carries a timestamp. */
  timestamps: (number | undefined)[] | undefined
}

export type ChannelMessage =
  | RecordBatch
  | { kind: 'watermark'; timestamp: number }
  | { kind: 'barrier'; barrier: CheckpointBarrier }
  | { kind: 'end' }

/** Flink's Watermark.MAX_WATERMARK: emitted when a bounded input ends, fires every event-time timer. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY

/** Flink's CheckpointBarrier, with where the checkpoint's files go. */
export interface CheckpointBarrier {
  checkpointId: number
  /** Directory of this checkpoint (or savepoint). */
  dir: string
  /**
   * The latest completed checkpoint, for an incremental checkpoint: keyed state may write only its
   * changes since that one (absent for savepoints, which are always self-contained).
   */
  base?: number
  /** A savepoint: every keyed state writes all of its entries and keeps no record of it. */
  savepoint?: boolean
  /** Stop-with-savepoint: sources stop right after emitting this barrier. */
  stopAfter?: boolean
  /** The checkpoint triggered after every source reached the end of its input (FLIP-147). */
  final?: boolean
}
