// What a TaskManager needs to run a job's tasks: the JobGraph built from the user's job module (the
// equivalent of Flink's user-code jar). In-thread TaskManagers share the JobManager's instance.
import type { JobGraph } from '../graph/job-graph.ts'
import type { ExecutionGraph } from '../graph/execution-graph.ts'
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-storage.ts'

export interface JobArtifacts {
  jobId: string
  jobName: string
  graph: JobGraph
  executionGraph: ExecutionGraph
  /** Directory that relative paths in the job (NDJSON sources and sinks) resolve against. */
  baseDir: string
  /** The checkpoint the current attempt restores from (set by the JobMaster before each deploy). */
  restore?: CompletedCheckpoint | undefined
  /** Checkpointing is on: bounded sources wait for a final checkpoint (FLIP-147). */
  checkpointing?: boolean
}

export class JobArtifactRegistry {
  private readonly jobs = new Map<string, JobArtifacts>()

  put(a: JobArtifacts): void {
    this.jobs.set(a.jobId, a)
  }

  get(jobId: string): JobArtifacts {
    const a = this.jobs.get(jobId)
    if (!a) throw new Error(`no artifacts for job ${jobId}`)
    return a
  }

  remove(jobId: string): void {
    this.jobs.delete(jobId)
  }
}
