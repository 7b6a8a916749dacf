// Per-task counters (Flink's TaskIOMetricGroup): records in/out, late records dropped, watermark.
export class TaskMetrics {
  recordsIn = 0
  recordsOut = 0
  lateRecordsDropped = 0
  currentWatermark = Number.NEGATIVE_INFINITY
  backpressuredMs = 0
}
