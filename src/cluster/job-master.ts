// JobMaster (Flink's, one per job on the JobManager): owns the ExecutionGraph, deploys every subtask
// to a TaskManager slot, follows task states to the job status, restarts the job from the latest
// completed checkpoint when a task fails (restart strategy), and keeps the job's
// KvStateLocationRegistry and CheckpointCoordinator.
//
//   CREATED ─► RUNNING ─► FINISHED               (every task finished: bounded input, or stop)
//                │  ▲
//                │  └── RESTARTING ◄─┐            (a task failed and the strategy allows a restart:
//                │          └────────┘             cancel all, wait, epoch+1, redeploy from checkpoint)
//                ├─────► FAILED                   (no restart left, or checkpoints keep failing)
//                └─────► CANCELED                 (cancel())
import { randomBytes } from 'node:crypto'
import type { RestartStrategy } from '../api/job.ts'
import { CheckpointCoordinator, type CheckpointCoordinatorOptions } from '../checkpoint/checkpoint-coordinator.ts'
import type { CheckpointStorage, CompletedCheckpoint } from '../checkpoint/checkpoint-storage.ts'
import type { JobStatus } from '../query/query-gateway.ts'
import { KvStateLocationRegistry, type PlannedQueryableState } from '../query/kv-state-location-registry.ts'
import {
  type AnyStateDescriptor,
  AggregatingStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../api/state-descriptors.ts'
import type { OperatorSpec } from '../api/transformation.ts'
import type { JobArtifacts } from './job-artifacts.ts'
import type {
  CheckpointAckMessage,
  CheckpointDeclineMessage,
  TaskExecutionStateMessage,
  TaskManagerGateway,
} from './messages.ts'
import { nextRestartDelay } from './restart-strategy.ts'

interface Execution {
  executionId: string
  vertexId: string
  subtaskIndex: number
  isSource: boolean
  state: TaskExecutionStateMessage['state'] | 'DEPLOYING'
  taskManager: TaskManagerGateway
}

export function newJobId(): string {
  return randomBytes(16).toString('hex')
}

export interface JobMasterOptions {
  restartStrategy?: RestartStrategy
  /** The first epoch (reserved by the caller, above every epoch an earlier process used). */
  initialEpoch?: number
  /** Persists epochs across processes: returns the next epoch to use (written before use). */
  nextEpoch?: () => Promise<number>
  checkpointing?: { storage: CheckpointStorage; options: CheckpointCoordinatorOptions; highestId: number }
  restoreFrom?: CompletedCheckpoint
}

export class JobMaster {
  status: JobStatus = 'CREATED'
  failureCause: Error | undefined
  epoch = 1
  restarts = 0
  readonly locations: KvStateLocationRegistry
  readonly startedAt = Date.now()
  readonly coordinator: CheckpointCoordinator | undefined
  private executions = new Map<string, Execution>()
  private readonly terminal: Promise<JobStatus>
  private resolveTerminal!: (s: JobStatus) => void
  private readonly statusListeners = new Set<(s: JobStatus) => void>()
  private readonly restartStrategy: RestartStrategy

  constructor(
    readonly artifacts: JobArtifacts,
    private readonly taskManagers: TaskManagerGateway[],
    private readonly options: JobMasterOptions = {},
  ) {
    this.terminal = new Promise((resolve) => {
      this.resolveTerminal = resolve
    })
    this.locations = new KvStateLocationRegistry(artifacts.jobId, plannedQueryableStates(artifacts))
    this.restartStrategy =
      options.restartStrategy ??
      (options.checkpointing
        ? { type: 'exponential-backoff', maxAttempts: 10, delay: 100, maxDelay: 5_000 }
        : { type: 'none' })
    if (options.checkpointing) {
      const c = options.checkpointing
      this.coordinator = new CheckpointCoordinator(
        {
          name: artifacts.jobName,
          isRunning: () =>
            this.status === 'RUNNING' && [...this.executions.values()].every((e) => e.state === 'RUNNING'),
          executions: () =>
            [...this.executions.values()].map((e) => ({
              executionId: e.executionId,
              isSource: e.isSource,
              trigger: (barrier) => e.taskManager.triggerCheckpoint(e.executionId, barrier),
            })),
          fail: (error) => this.failJob(error),
        },
        c.storage,
        c.options,
        options.restoreFrom,
        c.highestId,
      )
      this.coordinator.onCompleted((cp) => {
        for (const e of this.executions.values())
          if (e.isSource) e.taskManager.notifyCheckpointComplete(e.executionId, cp.checkpointId)
      })
    }
  }

  get jobId(): string {
    return this.artifacts.jobId
  }

  get name(): string {
    return this.artifacts.jobName
  }

  onStatus(listener: (s: JobStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  private setStatus(s: JobStatus): void {
    this.status = s
    for (const l of this.statusListeners) l(s)
    if (s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED') {
      this.coordinator?.stop()
      this.resolveTerminal(s)
    }
  }

  start(): void {
    this.artifacts.restore = this.options.restoreFrom
    if (this.options.initialEpoch !== undefined) this.epoch = this.options.initialEpoch
    this.deploy()
    this.coordinator?.start()
  }

  private deploy(): void {
    this.setStatus('RUNNING')
    let slot = 0
    const all: Execution[] = []
    this.executions = new Map()
    for (const v of this.artifacts.graph.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        const tm = this.taskManagers[slot++ % this.taskManagers.length]!
        const e: Execution = {
          executionId: `${v.id}-${i}-${this.epoch}`,
          vertexId: v.id,
          subtaskIndex: i,
          isSource: v.isSource,
          state: 'DEPLOYING',
          taskManager: tm,
        }
        this.executions.set(e.executionId, e)
        all.push(e)
      }
    }
    // Deploy consumers before producers so every channel has its reader when records flow.
    for (const e of all.reverse()) {
      e.taskManager.submitTask({
        jobId: this.jobId,
        jobName: this.name,
        executionId: e.executionId,
        vertexId: e.vertexId,
        subtaskIndex: e.subtaskIndex,
        attempt: this.epoch,
        epoch: this.epoch,
      })
    }
  }

  updateTaskExecutionState(m: TaskExecutionStateMessage): void {
    const e = this.executions.get(m.executionId)
    if (!e) return // a message from an earlier attempt
    e.state = m.state
    if (m.state === 'FAILED' && this.status === 'RUNNING') {
      const err = new Error(m.error?.message ?? 'task failed')
      if (m.error?.stack) err.stack = m.error.stack
      this.failureCause = err
      const delay = nextRestartDelay(this.restartStrategy, this.restarts)
      if (delay === undefined) this.failJob(err)
      else this.beginRestart(delay)
    }
    if (
      ![...this.executions.values()].every(
        (x) => x.state === 'FINISHED' || x.state === 'FAILED' || x.state === 'CANCELED',
      )
    )
      return
    switch (this.status) {
      case 'RESTARTING':
        this.redeploy()
        break
      case 'FAILED':
        this.setStatus('FAILED')
        break
      case 'CANCELED':
        this.setStatus('CANCELED')
        break
      case 'RUNNING':
        this.setStatus([...this.executions.values()].some((x) => x.state === 'CANCELED') ? 'CANCELED' : 'FINISHED')
        break
    }
  }

  private restartDelay = 0

  private beginRestart(delay: number): void {
    this.setStatus('RESTARTING')
    this.restartDelay = delay
    this.coordinator?.abort('the job is restarting')
    this.cancelExecutions()
  }

  private redeploy(): void {
    setTimeout(() => {
      // A checkpoint every task acknowledged before the failure may still be completing: restore
      // from it once it is (or from the one before it, if its completion failed).
      void (this.coordinator?.settled() ?? Promise.resolve()).then(() => {
        if (this.status !== 'RESTARTING') return
        this.restarts++
        this.epoch++
        this.endedSources.clear()
        this.artifacts.restore = this.coordinator?.latest ?? this.options.restoreFrom
        this.deploy()
      })
    }, this.restartDelay).unref()
  }

  /** Fails the job for good: no restart. */
  failJob(error: Error): void {
    if (this.isTerminal()) return
    this.failureCause ??= error
    this.status = 'FAILED'
    this.coordinator?.stop()
    this.cancelExecutions()
    if ([...this.executions.values()].every((x) => x.state !== 'RUNNING' && x.state !== 'DEPLOYING'))
      this.setStatus('FAILED')
  }

  private cancelExecutions(): void {
    for (const e of this.executions.values()) {
      if (e.state === 'RUNNING' || e.state === 'DEPLOYING') e.taskManager.cancelTask(e.executionId)
    }
  }

  acknowledgeCheckpoint(m: CheckpointAckMessage): void {
    if (this.executions.has(m.executionId)) this.coordinator?.acknowledge(m.executionId, m.checkpointId, m.snapshot)
  }

  private readonly endedSources = new Set<string>()

  /** When every source of this attempt reached its end, the final checkpoint is triggered at once. */
  notifyEndOfData(executionId: string): void {
    if (!this.executions.has(executionId)) return
    this.endedSources.add(executionId)
    const sources = [...this.executions.values()].filter((e) => e.isSource)
    if (sources.every((e) => this.endedSources.has(e.executionId))) this.triggerFinalCheckpoint()
  }

  private triggerFinalCheckpoint(): void {
    if (!this.coordinator || this.status !== 'RUNNING') return
    this.coordinator.trigger({ final: true }).catch(() => {
      // retried until it completes or checkpoint failures fail the job
      if (this.status === 'RUNNING') setTimeout(() => this.triggerFinalCheckpoint(), 100).unref()
    })
  }

  declineCheckpoint(m: CheckpointDeclineMessage): void {
    if (this.executions.has(m.executionId)) this.coordinator?.decline(m.checkpointId, m.reason)
  }

  /** Stop with a final checkpoint: sources stop after its barrier, the job then finishes. */
  async stopWithCheckpoint(): Promise<CompletedCheckpoint | undefined> {
    if (!this.coordinator || this.status !== 'RUNNING') {
      await this.cancel()
      return undefined
    }
    try {
      const c = await this.coordinator.trigger({ stopAfter: true })
      await this.terminal
      return c
    } catch {
      await this.cancel()
      return undefined
    }
  }

  cancel(): Promise<JobStatus> {
    if (this.status === 'RUNNING' || this.status === 'CREATED' || this.status === 'RESTARTING') {
      this.status = 'CANCELED'
      this.coordinator?.stop()
      this.cancelExecutions()
      if ([...this.executions.values()].every((x) => x.state !== 'RUNNING' && x.state !== 'DEPLOYING'))
        this.setStatus('CANCELED')
    }
    return this.terminal
  }

  whenTerminated(): Promise<JobStatus> {
    return this.terminal
  }

  isTerminal(): boolean {
    return this.status === 'FINISHED' || this.status === 'FAILED' || this.status === 'CANCELED'
  }
}

/** Queryable names declared in the plan; duplicates are a submit-time error naming both operators. */
export function plannedQueryableStates(a: JobArtifacts): Map<string, PlannedQueryableState> {
  const planned = new Map<string, PlannedQueryableState>()
  for (const v of a.graph.vertices) {
    for (const t of v.operators) {
      const op = t.operator
      const name = op.kind === 'queryable' ? op.name : op.kind === 'window' ? op.queryable : undefined
      if (name === undefined || name === '') continue
      const prior = planned.get(name)
      if (prior) {
        throw new TypeError(
          `queryable state name '${name}' is used by two operators: '${prior.operatorName}' and '${t.name}'; give one of them another name`,
        )
      }
      const described = describePlannedState(op, name)
      planned.set(name, {
        operatorUid: t.uid ?? `op-${t.id}`,
        operatorName: t.name,
        maxParallelism: v.maxParallelism,
        stateName: name,
        ...described,
      })
    }
  }
  return planned
}

function describePlannedState(
  op: OperatorSpec,
  name: string,
): { kind: string; descriptor: AnyStateDescriptor | undefined } {
  if (op.kind === 'window') {
    const d =
      op.fn.type === 'aggregate'
        ? new AggregatingStateDescriptor(name, op.fn.aggregate)
        : new ReducingStateDescriptor(name, op.fn.reduce)
    return { kind: 'window', descriptor: d }
  }
  if (op.kind === 'queryable') {
    if (op.mode.type === 'aggregate')
      return { kind: 'aggregating', descriptor: new AggregatingStateDescriptor(name, op.mode.aggregate) }
    if (op.mode.type === 'reduce')
      return { kind: 'reducing', descriptor: new ReducingStateDescriptor(name, op.mode.reduce) }
    return { kind: 'value', descriptor: new ValueStateDescriptor(name) }
  }
  return { kind: 'value', descriptor: undefined }
}
