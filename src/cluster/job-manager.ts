// JobManager (Flink's Dispatcher + ResourceManager, reduced): accepts jobs, builds their JobGraph and
// ExecutionGraph, starts a JobMaster per job on the registered TaskManagers, and routes TaskManager
// messages to the job they concern.
import { resolve } from 'node:path'
import { buildJob, type JobDefinition } from '../api/job.ts'
import { buildExecutionGraph } from '../graph/execution-graph.ts'
import { buildJobGraph } from '../graph/job-graph.ts'
import type { JobArtifactRegistry } from './job-artifacts.ts'
import { JobMaster, type JobMasterOptions, newJobId, plannedQueryableStates } from './job-master.ts'
import type {
  CheckpointAckMessage,
  CheckpointDeclineMessage,
  JobManagerGateway,
  KvStateRegistrationMessage,
  KvStateUnregistrationMessage,
  TaskExecutionStateMessage,
  TaskManagerGateway,
} from './messages.ts'

export interface SubmitOptions extends JobMasterOptions {
  parallelism?: number
  maxParallelism?: number
  baseDir?: string
}

export class JobManager implements JobManagerGateway {
  readonly taskManagers: TaskManagerGateway[] = []
  private readonly jobs = new Map<string, JobMaster>()

  constructor(private readonly artifacts: JobArtifactRegistry) {}

  registerTaskManager(tm: TaskManagerGateway): void {
    this.taskManagers.push(tm)
  }

  /** Plans the job (throws TypeError on an invalid plan) without running it. */
  plan(job: JobDefinition<unknown>, options: SubmitOptions = {}) {
    const { env, states } = buildJob(job)
    const parallelism = options.parallelism ?? job.options.parallelism ?? 1
    const maxParallelism = options.maxParallelism ?? job.options.maxParallelism
    const graph = buildJobGraph(env.transformations, {
      jobName: job.name,
      parallelism,
      ...(maxParallelism === undefined ? {} : { maxParallelism }),
    })
    if (env.transformations.length === 0)
      throw new TypeError(`job '${job.name}' defines no sources: its build function must create at least one`)
    const executionGraph = buildExecutionGraph(graph)
    // duplicate queryable names are a plan error, so --explain refuses them as submit does
    plannedQueryableStates({ jobId: '', jobName: job.name, graph, executionGraph, baseDir: '.' })
    return { graph, states, executionGraph }
  }

  submitJob(job: JobDefinition<unknown>, options: SubmitOptions = {}): JobMaster {
    const existing = this.getJobByName(job.name)
    if (existing && !existing.isTerminal()) throw new TypeError(`a job named '${job.name}' is already running`)
    const { graph, executionGraph } = this.plan(job, options)
    const jobId = newJobId()
    const artifacts = {
      jobId,
      jobName: job.name,
      graph,
      executionGraph,
      baseDir: resolve(options.baseDir ?? '.'),
      checkpointing: options.checkpointing !== undefined,
    }
    this.artifacts.put(artifacts)
    const master = new JobMaster(artifacts, this.taskManagers, {
      ...((options.restartStrategy ?? job.options.restartStrategy)
        ? { restartStrategy: options.restartStrategy ?? job.options.restartStrategy }
        : {}),
      ...(options.checkpointing ? { checkpointing: options.checkpointing } : {}),
      ...(options.restoreFrom ? { restoreFrom: options.restoreFrom } : {}),
      ...(options.nextEpoch ? { nextEpoch: options.nextEpoch } : {}),
      ...(options.initialEpoch !== undefined ? { initialEpoch: options.initialEpoch } : {}),
    })
    this.jobs.set(jobId, master)
    master.start()
    return master
  }

  getJob(jobId: string): JobMaster | undefined {
    return this.jobs.get(jobId)
  }

  /** The newest job with this name. */
  getJobByName(name: string): JobMaster | undefined {
    let found: JobMaster | undefined
    for (const j of this.jobs.values()) if (j.name === name) found = j
    return found
  }

  listJobs(): JobMaster[] {
    const byName = new Map<string, JobMaster>()
    for (const j of this.jobs.values()) byName.set(j.name, j)
    return [...byName.values()]
  }

  updateTaskExecutionState(m: TaskExecutionStateMessage): void {
    this.jobs.get(m.jobId)?.updateTaskExecutionState(m)
  }

  acknowledgeCheckpoint(m: CheckpointAckMessage): void {
    this.jobs.get(m.jobId)?.acknowledgeCheckpoint(m)
  }

  notifyEndOfData(m: { jobId: string; executionId: string }): void {
    this.jobs.get(m.jobId)?.notifyEndOfData(m.executionId)
  }

  declineCheckpoint(m: CheckpointDeclineMessage): void {
    this.jobs.get(m.jobId)?.declineCheckpoint(m)
  }

  notifyKvStateRegistered(m: KvStateRegistrationMessage): void {
    this.jobs.get(m.jobId)?.locations.notifyKvStateRegistered(m)
  }

  notifyKvStateUnregistered(m: KvStateUnregistrationMessage): void {
    this.jobs.get(m.jobId)?.locations.notifyKvStateUnregistered(m)
  }
}
