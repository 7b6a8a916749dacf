// JobMaster (Flink's, one per job on the JobManager): owns the ExecutionGraph, deploys every subtask
// to a TaskManager slot, follows task states to the job status, and keeps the job's
// KvStateLocationRegistry.
//
//   CREATED ─► RUNNING ─► FINISHED            (every task finished: bounded input done)
//                 ├─────► FAILED              (a task failed; the others are cancelled)
//                 └─────► CANCELED            (cancel())
import { randomBytes } from 'node:crypto'
import type { JobStatus } from '../query/query-gateway.ts'
import { KvStateLocationRegistry } from '../query/kv-state-location-registry.ts'
import type { JobArtifacts } from './job-artifacts.ts'
import type { TaskExecutionStateMessage, TaskManagerGateway } from './messages.ts'

interface Execution {
  executionId: string
  vertexId: string
  subtaskIndex: number
  state: TaskExecutionStateMessage['state'] | 'DEPLOYING'
  taskManager: TaskManagerGateway
}

export function newJobId(): string {
  return randomBytes(16).toString('hex')
}

export class JobMaster {
  status: JobStatus = 'CREATED'
  failureCause: Error | undefined
  epoch = 1
  readonly locations: KvStateLocationRegistry
  readonly startedAt = Date.now()
  private readonly executions = new Map<string, Execution>()
  private readonly terminal: Promise<JobStatus>
  private resolveTerminal!: (s: JobStatus) => void
  private readonly statusListeners = new Set<(s: JobStatus) => void>()

  constructor(
    readonly artifacts: JobArtifacts,
    private readonly taskManagers: TaskManagerGateway[],
  ) {
    this.terminal = new Promise((resolve) => {
      this.resolveTerminal = resolve
    })
    this.locations = new KvStateLocationRegistry(artifacts.jobId, plannedQueryableStates(artifacts))
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
    if (s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED') this.resolveTerminal(s)
  }

  start(): void {
    this.setStatus('RUNNING')
    let slot = 0
    const all: Execution[] = []
    for (const v of this.artifacts.graph.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        const tm = this.taskManagers[slot++ % this.taskManagers.length]!
        const e: Execution = { executionId: `${v.id}-${i}-${this.epoch}`, vertexId: v.id, subtaskIndex: i, state: 'DEPLOYING', taskManager: tm }
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
    if (!e) return
    e.state = m.state
    if (m.state === 'FAILED' && this.status === 'RUNNING') {
      const err = new Error(m.error?.message ?? 'task failed')
      if (m.error?.stack) err.stack = m.error.stack
      this.failureCause = err
      this.status = 'FAILED'
      this.cancelExecutions()
    }
    const states = [...this.executions.values()].map((x) => x.state)
    const done = states.every((s) => s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED')
    if (!done) return
    if (this.failureCause) this.setStatus('FAILED')
    else if (states.some((s) => s === 'CANCELED')) this.setStatus('CANCELED')
    else this.setStatus('FINISHED')
  }

  private cancelExecutions(): void {
    for (const e of this.executions.values()) {
      if (e.state === 'RUNNING' || e.state === 'DEPLOYING') e.taskManager.cancelTask(e.executionId)
    }
  }

  cancel(): Promise<JobStatus> {
    if (this.status === 'RUNNING' || this.status === 'CREATED') {
      this.status = 'CANCELED'
      this.cancelExecutions()
      if (this.executions.size === 0) this.setStatus('CANCELED')
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
export function plannedQueryableStates(a: JobArtifacts) {
  const planned = new Map<string, { operatorUid: string; operatorName: string; kind: string; maxParallelism: number }>()
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
      const kind =
        op.kind === 'window' ? 'window' : op.kind === 'queryable' ? { value: 'value', reduce: 'reducing', aggregate: 'aggregating' }[op.mode.type] : 'value'
      planned.set(name, { operatorUid: t.uid ?? `op-${t.id}`, operatorName: t.name, kind, maxParallelism: v.maxParallelism })
    }
  }
  return planned
}
