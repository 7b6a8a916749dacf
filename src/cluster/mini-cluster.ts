// MiniCluster (Flink's): the embedded default — a JobManager and N in-thread TaskManagers wired with
// the local shuffle and one state backend. `livestate run` and the tests start one of these.
import type { JobDefinition } from '../api/job.ts'
import { SinkFiles } from '../runtime/sink-files.ts'
import type { IngestLogReader } from '../runtime/sources/http-source.ts'
import { HeapStateTable } from '../state/heap/heap-state-table.ts'
import type { StateTableFactory } from '../state/state-table.ts'
import { JobArtifactRegistry } from './job-artifacts.ts'
import { JobManager, type SubmitOptions } from './job-manager.ts'
import type { JobMaster } from './job-master.ts'
import { LocalShuffleEnvironment } from './local-shuffle.ts'
import { TaskManager } from './task-manager.ts'

export interface MiniClusterOptions {
  taskManagers?: number
  /** State tables per TaskManager (heap by default). */
  stateTables?: (taskManagerIndex: number, jobId: string) => StateTableFactory
  ingestLog?: (jobId: string, sourceName: string) => IngestLogReader
  baseDir?: string
}

export const HEAP_STATE_TABLES: StateTableFactory = { create: () => new HeapStateTable() }

export class MiniCluster {
  readonly jobManager: JobManager
  readonly taskManagers: TaskManager[] = []
  readonly sinkFiles: SinkFiles
  private readonly artifacts = new JobArtifactRegistry()
  private readonly shuffle = new LocalShuffleEnvironment()

  constructor(readonly options: MiniClusterOptions = {}) {
    this.jobManager = new JobManager(this.artifacts)
    this.sinkFiles = new SinkFiles(options.baseDir ?? process.cwd())
    const n = options.taskManagers ?? 1
    for (let i = 0; i < n; i++) {
      const tm = new TaskManager({
        id: `tm-${i + 1}`,
        jobManager: this.jobManager,
        artifacts: this.artifacts,
        shuffle: this.shuffle,
        stateTables: (jobId) => options.stateTables?.(i, jobId) ?? HEAP_STATE_TABLES,
        sinkFiles: this.sinkFiles,
        ingestLog: (jobId, source) => {
          if (!options.ingestLog)
            throw new Error(`source '${source}' reads from HTTP ingest, which needs the ingest log of a served job`)
          return options.ingestLog(jobId, source)
        },
      })
      this.taskManagers.push(tm)
      this.jobManager.registerTaskManager(tm)
    }
  }

  submit(job: JobDefinition<unknown>, options: SubmitOptions = {}): JobMaster {
    return this.jobManager.submitJob(job, { baseDir: this.options.baseDir ?? process.cwd(), ...options })
  }

  /** Runs a bounded job to its end and returns its final status (throws the failure cause). */
  async execute(job: JobDefinition<unknown>, options: SubmitOptions = {}): Promise<JobMaster> {
    const master = this.submit(job, options)
    const status = await master.whenTerminated()
    await this.sinkFiles.close()
    if (status === 'FAILED') throw master.failureCause ?? new Error(`job '${job.name}' failed`)
    return master
  }

  taskManagerById(id: string): TaskManager | undefined {
    return this.taskManagers.find((t) => t.id === id)
  }

  async close(): Promise<void> {
    for (const j of this.jobManager.listJobs()) if (!j.isTerminal()) await j.cancel()
    await this.sinkFiles.close()
  }
}
