// Settings of the checkpoint suite, shared by the suite (checkpoint.bench.ts) and its report.
export const MEMORY = '256mb'
/** The product default (`--checkpoint-interval 5s`): what the pause and duration rows run with. */
export const DEFAULT_INTERVAL_MS = 5_000
export const FAST_INTERVAL_MS = 1_000
export const OFF_INTERVAL_MS = 3_600_000
export const PAUSE_BUDGET_MS = 50
export const RESTORE_BUDGET_MS = 10_000
export const THROUGHPUT_RATIO = 0.8
/**
 * The bench's own bar (the issue sets none) for the files a checkpoint names over its live keys and
 * values: framing (~1.25× for these small records) plus deltas of up to the full file's size before a
 * compaction replaces them (and those written while it runs), superseded entries included.
 */
export const SIZE_RATIO = 2.5
export const STEADY_RATE = 10_000
export const TAIL_EVENTS = 100
/** The steady phase lasts at least steadySeconds and until this many checkpoints ran inside it… */
export const STEADY_CHECKPOINTS = 2
/** …but at most this × steadySeconds. */
export const STEADY_MAX_FACTOR = 8
export const STEADY_TICK_MS = 10
/** Unanswered batches the steady stream lets be on their way (each is answered once synced). */
export const STEADY_IN_FLIGHT = 8
export const LOAD_BATCH = 5_000
export const THROUGHPUT_BATCH = 1_000
export const THROUGHPUT_IN_FLIGHT = 4
/** Runs with checkpoints off and every 1 s, in pairs: the ratio is of their pooled rates. */
export const THROUGHPUT_PAIRS = 3
/** A workload with less CPU than this share of its wall time was starved by other processes. */
export const BUSY_CPU_SHARE = 0.8
