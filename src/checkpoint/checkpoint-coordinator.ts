// CheckpointCoordinator (Flink's, on the JobMaster): triggers checkpoints periodically (one at a
// time) by injecting barriers at every source, collects one ack per task, and completes the
// checkpoint by writing its manifest. A checkpoint that times out or is declined is aborted; more
// than `tolerableFailures` failures in a row fail the job loudly.
//
//   trigger ─► PENDING ──all acks──► write manifest ─► COMPLETED (listeners, retention)
//                 └──decline/timeout/restart──► ABORTED (files removed)
import type { CheckpointBarrier } from '../runtime/stream-element.ts'
import type { CheckpointStorage, CompletedCheckpoint } from './checkpoint-storage.ts'
import { buildManifest, filesOf, type TaskSnapshot } from './manifest.ts'
import { StateChains } from './state-chains.ts'

export interface CheckpointCoordinatorOptions {
  /** ms between checkpoints; 0 disables periodic checkpoints (savepoints still work). */
  interval: number
  timeout: number
  tolerableFailures: number
  retain: number
  /**
   * Incremental checkpoints (state-chain.ts): delta files a state's chain may hold before it is
   * compacted into a full file. 0: every checkpoint writes every state in full.
   */
  maxChainDeltas: number
}

export const DEFAULT_CHECKPOINT_OPTIONS: CheckpointCoordinatorOptions = {
  interval: 5_000,
  timeout: 60_000,
  tolerableFailures: 3,
  retain: 3,
  maxChainDeltas: 32,
}

/** What the coordinator needs from its job. */
export interface CheckpointedJob {
  readonly name: string
  isRunning(): boolean
  /** Every current execution id, and the source ones with how to reach them. */
  executions(): { executionId: string; isSource: boolean; trigger(barrier: CheckpointBarrier): void }[]
  fail(error: Error): void
}

export interface CheckpointStats {
  checkpointId: number
  durationMs: number
  sizeBytes: number
  /** The longest time any task stopped processing for the synchronous phase. */
  maxSyncPauseMs: number
  /** Bytes this checkpoint wrote (its own files; sizeBytes also counts the older files it names). */
  writtenBytes: number
}

interface Pending {
  triggeredAt: number
  checkpointId: number
  dir: string
  savepoint: boolean
  /** The checkpoint the tasks may write deltas against (incremental checkpoints). */
  base: CompletedCheckpoint | undefined
  expected: Set<string>
  acks: TaskSnapshot[]
  timer: NodeJS.Timeout
  resolve: (c: CompletedCheckpoint) => void
  reject: (e: Error) => void
}

export class CheckpointCoordinator {
  latest: CompletedCheckpoint | undefined
  completedCount = 0
  failedCount = 0
  latestAt: Date | undefined
  lastStats: CheckpointStats | undefined
  private consecutiveFailures = 0
  private nextId = 1
  private pending: Pending | undefined
  /** The completion (manifest write, retention, listeners) of a fully acknowledged checkpoint. */
  private completing: Promise<void> | undefined
  private periodic: NodeJS.Timeout | undefined
  private readonly listeners = new Set<(c: CompletedCheckpoint) => void>()
  private queue: Promise<unknown> = Promise.resolve()
  /** Chains of incremental checkpoints: linking deltas to their base, compaction. */
  readonly chains: StateChains

  constructor(
    private readonly job: CheckpointedJob,
    private readonly storage: CheckpointStorage,
    private readonly options: CheckpointCoordinatorOptions,
    restoredFrom: CompletedCheckpoint | undefined,
    highestId: number,
  ) {
    this.latest = restoredFrom
    this.chains = new StateChains(options.maxChainDeltas)
    this.nextId = Math.max(highestId, restoredFrom?.checkpointId ?? 0) + 1
  }

  /** Told when compacting a chain failed (the chain just stays longer; nothing is lost). */
  onCompactionError: ((e: Error) => void) | undefined

  onCompleted(listener: (c: CompletedCheckpoint) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  start(): void {
    if (this.options.interval <= 0 || this.periodic) return
    this.periodic = setInterval(() => {
      if (this.pending || !this.job.isRunning()) return
      this.trigger().catch(() => {})
    }, this.options.interval)
    this.periodic.unref()
  }

  stop(): void {
    if (this.periodic) clearInterval(this.periodic)
    this.periodic = undefined
    this.abort('the job stopped')
  }

  /** Triggers a checkpoint (or savepoint) after any pending one; resolves when it is complete. */
  trigger(options: { savepoint?: boolean; stopAfter?: boolean; final?: boolean } = {}): Promise<CompletedCheckpoint> {
    const run = this.queue.then(() => this.triggerNow(options))
    this.queue = run.catch(() => {})
    return run
  }

  private async triggerNow(options: {
    savepoint?: boolean
    stopAfter?: boolean
    final?: boolean
  }): Promise<CompletedCheckpoint> {
    if (!this.job.isRunning()) throw new Error(`job '${this.job.name}' is not running`)
    const checkpointId = this.nextId++
    const savepoint = options.savepoint ?? false
    const dir = await this.storage.prepare(checkpointId, savepoint)
    // The job may have restarted (or stopped) while the directory was prepared: the executions are
    // read only now, with no await before the barriers go out, so a checkpoint never waits for acks
    // of an earlier attempt's tasks (it would stay pending until its timeout, blocking all others).
    if (!this.job.isRunning()) {
      this.storage.abort(dir).catch(() => {})
      throw new Error(`job '${this.job.name}' is not running`)
    }
    const executions = this.job.executions()
    // A delta may only build on a checkpoint in the checkpoints directory (not a savepoint).
    const incremental = !savepoint && this.options.maxChainDeltas > 0
    const base = incremental && this.latest && !this.latest.manifest.savepoint ? this.latest : undefined
    return new Promise<CompletedCheckpoint>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(checkpointId, `checkpoint ${checkpointId} timed out after ${this.options.timeout} ms`),
        this.options.timeout,
      )
      timer.unref()
      this.pending = {
        triggeredAt: performance.now(),
        checkpointId,
        dir,
        savepoint,
        base,
        expected: new Set(executions.map((e) => e.executionId)),
        acks: [],
        timer,
        resolve,
        reject,
      }
      const barrier: CheckpointBarrier = {
        checkpointId,
        dir,
        ...(base ? { base: base.checkpointId } : {}),
        ...(savepoint ? { savepoint: true } : {}),
        ...(options.stopAfter ? { stopAfter: true } : {}),
        ...(options.final ? { final: true } : {}),
      }
      for (const e of executions) if (e.isSource) e.trigger(barrier)
    })
  }

  acknowledge(executionId: string, checkpointId: number, snapshot: TaskSnapshot): void {
    const p = this.pending
    if (!p || p.checkpointId !== checkpointId || !p.expected.delete(executionId)) return
    p.acks.push(snapshot)
    if (p.expected.size !== 0) return
    // Every task acknowledged: the checkpoint is whole and is completed even if the job restarts or
    // stops meanwhile. It is no longer pending, so abort() cannot delete its files under the manifest
    // being written (which left a "complete" checkpoint with missing state files).
    clearTimeout(p.timer)
    this.pending = undefined
    const completing = this.complete(p)
    this.completing = completing
    void completing.then(() => {
      if (this.completing === completing) this.completing = undefined
    })
  }

  /** Resolves once no checkpoint is being completed: a restart reads `latest` only after that. */
  settled(): Promise<void> {
    return this.completing ?? Promise.resolve()
  }

  decline(checkpointId: number, reason: string): void {
    if (this.pending?.checkpointId === checkpointId)
      this.fail(checkpointId, `checkpoint ${checkpointId} declined: ${reason}`)
  }

  private async complete(p: Pending): Promise<void> {
    try {
      const manifest = buildManifest(this.job.name, p.checkpointId, p.savepoint, p.acks)
      this.chains.link(manifest, p.base)
      await this.storage.complete(p.dir, manifest)
      const completed: CompletedCheckpoint = { checkpointId: p.checkpointId, dir: p.dir, manifest }
      this.lastStats = {
        checkpointId: p.checkpointId,
        durationMs: performance.now() - p.triggeredAt,
        sizeBytes: filesOf(manifest).reduce((n, f) => n + f.size, 0),
        writtenBytes: filesOf(manifest)
          .filter((f) => !f.file.startsWith('../'))
          .reduce((n, f) => n + f.size, 0),
        maxSyncPauseMs: p.acks.reduce((m, a) => Math.max(m, a.syncMs), 0),
      }
      this.consecutiveFailures = 0
      if (!p.savepoint) {
        this.latest = completed
        this.completedCount++
        this.latestAt = new Date()
        await this.storage.retain(this.options.retain, p.checkpointId, this.chains.pinned())
        this.chains.maybeCompact(
          completed,
          (e) => this.onCompactionError?.(e),
          () => {
            const latest = this.latest?.checkpointId
            if (latest !== undefined)
              this.storage.retain(this.options.retain, latest, this.chains.pinned()).catch(() => {})
          },
        )
      }
      for (const l of this.listeners) l(completed)
      p.resolve(completed)
    } catch (e) {
      this.failed(p, `completing checkpoint ${p.checkpointId} failed: ${(e as Error).message}`)
    }
  }

  private fail(checkpointId: number, reason: string): void {
    const p = this.pending
    if (!p || p.checkpointId !== checkpointId) return
    this.pending = undefined
    this.failed(p, reason)
  }

  private failed(p: Pending, reason: string): void {
    clearTimeout(p.timer)
    this.failedCount++
    this.storage.abort(p.dir).catch(() => {})
    p.reject(new Error(reason))
    if (++this.consecutiveFailures > this.options.tolerableFailures && this.job.isRunning()) {
      this.job.fail(
        new Error(
          `${this.consecutiveFailures} checkpoints failed in a row (tolerable: ${this.options.tolerableFailures}); last: ${reason}`,
        ),
      )
    }
  }

  /** Abandons the pending checkpoint without counting it as a failure (restart, cancel). */
  abort(reason: string): void {
    const p = this.pending
    if (!p) return
    clearTimeout(p.timer)
    this.pending = undefined
    this.storage.abort(p.dir).catch(() => {})
    p.reject(new Error(`checkpoint ${p.checkpointId} aborted: ${reason}`))
  }
}
