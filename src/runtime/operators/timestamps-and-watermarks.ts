// TimestampsAndWatermarksOperator with Flink's BoundedOutOfOrdernessWatermarks: stamps each element
// with its event time and emits watermark = maxTimestamp - maxOutOfOrderness - 1, either after every
// element that advances it (interval 0, deterministic) or every `interval` ms from a processing-time
// timer (Flink's autoWatermarkInterval), so the last watermark of a burst is not held back.
import type { TimestampSpec } from '../../api/transformation.ts'
import { MAX_WATERMARK } from '../stream-element.ts'
import type { OperatorContext } from '../stream-operator.ts'
import { AbstractStreamOperator } from './abstract-stream-operator.ts'

export class TimestampsAndWatermarksOperator extends AbstractStreamOperator {
  private maxTimestamp = Number.NEGATIVE_INFINITY
  private emitted = Number.NEGATIVE_INFINITY
  private timer: NodeJS.Timeout | undefined

  constructor(
    ctx: OperatorContext,
    private readonly spec: TimestampSpec,
  ) {
    super(ctx)
  }

  override open(): void {
    if (this.spec.interval > 0) {
      this.timer = setInterval(() => this.ctx.mailbox(() => this.emitCurrent()), this.spec.interval)
      this.timer.unref()
    }
  }

  processElement(value: unknown): void {
    const ts = this.spec.extractor(value)
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw new TypeError(
        `operator '${this.ctx.operatorName}': timestamp extractor returned ${String(ts)}; it must return a finite number (ms)`,
      )
    }
    this.ctx.output.collect(value, ts)
    if (ts > this.maxTimestamp) {
      this.maxTimestamp = ts
      if (this.spec.interval === 0) this.emitCurrent()
    }
  }

  private emitCurrent(): void {
    const wm = this.maxTimestamp - this.spec.maxOutOfOrderness - 1
    if (wm > this.emitted) {
      this.emitted = wm
      this.ctx.output.emitWatermark(wm)
    }
  }

  /** Upstream watermarks are replaced by ours, except the end-of-input MAX_WATERMARK. */
  override processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) {
      this.emitted = MAX_WATERMARK
      this.ctx.output.emitWatermark(MAX_WATERMARK)
    }
  }

  override finish(): void {
    this.stopTimer()
    this.emitCurrent()
  }

  override close(): void {
    this.stopTimer()
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}
