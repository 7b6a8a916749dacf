// Prometheus metrics of the embedded cluster's jobs (Flink's job and checkpoint metric groups):
// records in per source, late records dropped, restarts, epoch, checkpoint counts, duration, size
// and the longest processing pause a checkpoint caused. Gauges read live values on scrape.
import { Gauge, type Registry } from 'prom-client'
import type { JobMaster } from './job-master.ts'
import type { MiniCluster } from './mini-cluster.ts'

type Sample = (job: JobMaster) => number | undefined

export function registerJobMetrics(registry: Registry, cluster: MiniCluster): void {
  const jobs = () => cluster.jobManager.listJobs()
  const tasksOf = (job: JobMaster) => cluster.taskManagers.flatMap((tm) => tm.tasksOf(job.jobId))
  const gauge = (name: string, help: string, sample: Sample) =>
    new Gauge({
      name,
      help,
      labelNames: ['job'],
      registers: [registry],
      collect() {
        this.reset()
        for (const j of jobs()) {
          const v = sample(j)
          if (v !== undefined && Number.isFinite(v)) this.set({ job: j.name }, v)
        }
      },
    })
  gauge('livestate_job_records_in_total', 'Records read by the sources of the job (current attempt)', (j) =>
    tasksOf(j).reduce((n, t) => n + (t.options.reader ? t.metrics.recordsIn : 0), 0),
  )
  gauge(
    'livestate_job_late_records_dropped_total',
    'Late records dropped by event-time windows (current attempt)',
    (j) => tasksOf(j).reduce((n, t) => n + t.metrics.lateRecordsDropped, 0),
  )
  gauge('livestate_job_backpressured_ms_total', 'Time tasks waited for downstream credit (current attempt)', (j) =>
    tasksOf(j).reduce((n, t) => n + t.metrics.backpressuredMs, 0),
  )
  gauge('livestate_job_running', '1 while the job is RUNNING', (j) => (j.status === 'RUNNING' ? 1 : 0))
  gauge('livestate_job_restarts_total', 'Restarts of the job since submission', (j) => j.restarts)
  gauge('livestate_job_epoch', 'Current epoch (bumped on every restart)', (j) => j.epoch)
  gauge('livestate_checkpoints_completed_total', 'Completed checkpoints', (j) => j.coordinator?.completedCount)
  gauge('livestate_checkpoints_failed_total', 'Failed or timed-out checkpoints', (j) => j.coordinator?.failedCount)
  gauge(
    'livestate_checkpoint_last_id',
    'Id of the latest completed checkpoint',
    (j) => j.coordinator?.latest?.checkpointId,
  )
  gauge(
    'livestate_checkpoint_last_duration_ms',
    'Duration of the latest completed checkpoint',
    (j) => j.coordinator?.lastStats?.durationMs,
  )
  gauge(
    'livestate_checkpoint_last_size_bytes',
    'Size of the latest completed checkpoint',
    (j) => j.coordinator?.lastStats?.sizeBytes,
  )
  gauge(
    'livestate_checkpoint_last_max_pause_ms',
    'Longest processing pause the latest checkpoint caused in any task',
    (j) => j.coordinator?.lastStats?.maxSyncPauseMs,
  )
}
