// Base operators (Flink's AbstractStreamOperator / AbstractUdfStreamOperator). The keyed base sets the
// current key per element, owns the keyed state backend and timer service, and serialises async user
// code: while one element's Promise is pending, later elements and watermarks queue behind it, so the
// current key never changes under running user code.
import type { KeySelector } from '../../api/functions.ts'
import { type KeyedSnapshotWriter, snapshotKeyedBackend } from '../../checkpoint/keyed-snapshot.ts'
import type { KeyedStateBackend } from '../../state/keyed-state-backend.ts'
import { VOID_NAMESPACE } from '../../state/namespace.ts'
import type { CheckpointBarrier } from '../stream-element.ts'
import type { OperatorContext, StreamOperator } from '../stream-operator.ts'
import { type InternalTimer, InternalTimerService } from '../timer-service.ts'

export abstract class AbstractStreamOperator implements StreamOperator {
  constructor(protected readonly ctx: OperatorContext) {}
  open(): void | Promise<void> {}
  abstract processElement(value: unknown, timestamp: number | undefined, inputIndex: 0 | 1): void | Promise<void>
  processWatermark(watermark: number): void | Promise<void> {
    this.ctx.output.emitWatermark(watermark)
  }
  finish(): void | Promise<void> {}
  close(): void | Promise<void> {}
}

export abstract class AbstractKeyedOperator extends AbstractStreamOperator {
  keyedStateBackend!: KeyedStateBackend
  protected timers!: InternalTimerService
  private pending: Promise<void> | undefined
  protected currentTimestamp: number | undefined

  constructor(
    ctx: OperatorContext,
    private readonly keySelectors: (KeySelector<any, any> | undefined)[],
  ) {
    super(ctx)
  }

  override open(): void | Promise<void> {
    this.keyedStateBackend = this.ctx.createKeyedStateBackend()
    this.timers = new InternalTimerService(
      this.keyedStateBackend,
      (t) => this.onEventTime(t),
      (t) => this.onProcessingTime(t),
      (action) => this.ctx.mailbox(() => this.serial(action)),
    )
    if (this.ctx.restored) this.timers.restoreTimers(this.ctx.restored.timers)
    return this.openKeyed()
  }

  snapshotState(barrier: CheckpointBarrier): KeyedSnapshotWriter {
    return snapshotKeyedBackend(this.keyedStateBackend, this.timers.snapshotTimers(), this.ctx.subtaskIndex, barrier)
  }

  protected openKeyed(): void | Promise<void> {}

  protected abstract processKeyed(
    value: unknown,
    timestamp: number | undefined,
    inputIndex: 0 | 1,
  ): void | Promise<void>
  protected onEventTime(_timer: InternalTimer): void | Promise<void> {}
  protected onProcessingTime(_timer: InternalTimer): void | Promise<void> {}

  /** Runs `fn` now, or after the pending async work of this operator. */
  protected serial(fn: () => void | Promise<void>): Promise<void> | undefined {
    if (this.pending !== undefined) {
      const p = this.pending.then(fn)
      this.pending = p
      void p.then(
        () => {
          if (this.pending === p) this.pending = undefined
        },
        () => {},
      )
      return p
    }
    const r = fn()
    if (r === undefined) return undefined
    const p = Promise.resolve(r)
    this.pending = p
    void p.then(
      () => {
        if (this.pending === p) this.pending = undefined
      },
      () => {},
    )
    return p
  }

  processElement(value: unknown, timestamp: number | undefined, inputIndex: 0 | 1): void | Promise<void> {
    if (this.pending !== undefined) return this.serial(() => this.processOne(value, timestamp, inputIndex))
    return this.serial(() => this.processOne(value, timestamp, inputIndex))
  }

  private processOne(value: unknown, timestamp: number | undefined, inputIndex: 0 | 1): void | Promise<void> {
    const b = this.keyedStateBackend
    b.setCurrentKey(this.keySelectors[inputIndex]!(value))
    b.setCurrentNamespace(VOID_NAMESPACE)
    this.currentTimestamp = timestamp
    return this.processKeyed(value, timestamp, inputIndex)
  }

  override processWatermark(watermark: number): void | Promise<void> {
    return this.serial(async () => {
      await this.timers.advanceWatermark(watermark)
      this.ctx.output.emitWatermark(watermark)
    })
  }

  override finish(): void | Promise<void> {
    return this.serial(() => this.timers.fireAllProcessingTimers())
  }

  override async close(): Promise<void> {
    await this.pending
    this.timers?.close()
  }
}
