// Runs a job on a real MiniCluster and keeps hold of its tasks, whose metrics (late records dropped,
// records in, backpressure) are only reachable while the tasks run: a TaskManager forgets a task
// when it ends, so the tasks are captured right after submit, when every subtask is deployed.
import type { JobDefinition } from '../../src/api/job.ts'
import type { JobMaster } from '../../src/cluster/job-master.ts'
import { MiniCluster } from '../../src/cluster/mini-cluster.ts'
import type { Task } from '../../src/runtime/task.ts'

export interface RunOptions {
  parallelism?: number
  taskManagers?: number
  baseDir?: string
}

export interface StartedJob {
  cluster: MiniCluster
  master: JobMaster
  /** Every subtask of the job, across all TaskManagers. */
  tasks: Task[]
  /** Resolves with the terminal status once sink files are closed. */
  done: Promise<string>
}

export function startJob(job: JobDefinition<unknown>, options: RunOptions = {}): StartedJob {
  const cluster = new MiniCluster({
    taskManagers: options.taskManagers ?? 1,
    ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
  })
  const master = cluster.submit(job, options.parallelism === undefined ? {} : { parallelism: options.parallelism })
  const tasks = cluster.taskManagers.flatMap((tm) => tm.tasksOf(master.jobId))
  const done = master.whenTerminated().then(async (status) => {
    await cluster.sinkFiles.close()
    return status
  })
  return { cluster, master, tasks, done }
}

/** Runs a bounded job to its end; rejects with the failure cause when it fails. */
export async function runJob(job: JobDefinition<unknown>, options: RunOptions = {}): Promise<StartedJob> {
  const started = startJob(job, options)
  const status = await started.done
  if (status === 'FAILED') throw started.master.failureCause ?? new Error('job failed')
  if (status !== 'FINISHED') throw new Error(`job ended ${status}`)
  return started
}

/** Tasks whose name (the chained operator names, "(i/p)") contains `fragment`. */
export function tasksNamed(tasks: readonly Task[], fragment: string): Task[] {
  return tasks.filter((t) => t.options.taskName.includes(fragment))
}

/** The subtask index of a task, from Flink's "name (i+1/p)" task name. */
export function subtaskOf(task: Task): number {
  const m = /\((\d+)\/(\d+)\)$/.exec(task.options.taskName)
  if (!m) throw new Error(`task name without subtask: ${task.options.taskName}`)
  return Number(m[1]) - 1
}
