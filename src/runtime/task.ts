// Task (Flink's StreamTask): runs one subtask — its OperatorChain fed by a SourceReader (source
// tasks) or an InputGate (all others) — until its input ends or it is cancelled.
//
//   CREATED ─► RUNNING ─► FINISHED          (bounded input ended, final watermark and flush done)
//                │  └───► CANCELED          (cancel(): sources stop, nothing more is emitted)
//                └──────► FAILED            (user code, a source or a state access threw)
//
// Records are processed synchronously per batch; when chained user code answers a Promise the task
// waits for it before the next record. After each batch the writers flush and the task waits for
// channel credit: that is where backpressure reaches the sources.
import type { InputGate } from './channel.ts'
import { Mailbox } from './mailbox.ts'
import type { OperatorChain } from './operator-chain.ts'
import type { RecordWriter } from './record-writer.ts'
import type { SourceReader } from './sources/source-reader.ts'
import { type CheckpointBarrier, MAX_WATERMARK } from './stream-element.ts'
import { BarrierAligner, type CheckpointResponder, performCheckpoint, type TaskIdentity } from './task-checkpointing.ts'
import { TaskMetrics } from './task-metrics.ts'

export type ExecutionState = 'CREATED' | 'RUNNING' | 'FINISHED' | 'CANCELED' | 'FAILED'

/** Records a source emits between two output flushes (and credit checks): part of the in-flight bound. */
export const SOURCE_STEP = 1024
const YIELD_EVERY_MS = 4

export interface TaskOptions {
  taskName: string
  /** Source tasks read from a reader; all others from the gate. */
  reader?: SourceReader
  gate?: InputGate
  writers: RecordWriter[]
  onStateChange: (state: ExecutionState, error?: Error) => void
  identity: TaskIdentity
  /** Name of the source this task reads, for its checkpointed position. */
  sourceName?: string
  checkpoints: CheckpointResponder
}

export class Task {
  readonly metrics = new TaskMetrics()
  readonly mailbox: Mailbox
  state: ExecutionState = 'CREATED'
  chain!: OperatorChain
  private cancelled = false
  /** Stop-with-savepoint: the source stops after the barrier it just emitted. */
  private stopRequested = false
  /** Set once a checkpoint was taken after the source's end of input (its final checkpoint). */
  private endOfData = false
  /** Id of the final checkpoint this source took part in; done once it completes. */
  private finalBarrierId: number | undefined
  private finalCheckpointDone = false
  private pending: Promise<unknown>[] = []
  private channelWatermarks: number[] = []
  private ended: boolean[] = []
  private cancelSignal: (() => void) | undefined
  private readonly cancelPromise: Promise<void>

  constructor(readonly options: TaskOptions) {
    this.mailbox = new Mailbox(() => options.gate?.notify())
    this.cancelPromise = new Promise((resolve) => {
      this.cancelSignal = resolve
    })
    const n = options.gate?.channels.length ?? 0
    this.channelWatermarks = new Array(n).fill(Number.NEGATIVE_INFINITY)
    this.ended = new Array(n).fill(false)
  }

  readonly track = (p: Promise<unknown>): void => {
    this.pending.push(p)
  }

  private async drainPending(): Promise<void> {
    while (this.pending.length > 0) {
      const ps = this.pending
      this.pending = []
      await Promise.all(ps)
    }
  }

  private setState(state: ExecutionState, error?: Error): void {
    this.state = state
    this.options.onStateChange(state, error)
  }

  /** Source tasks: starts checkpoint `barrier` between two source steps. */
  triggerCheckpoint(barrier: CheckpointBarrier): void {
    const reader = this.options.reader
    if (!reader) throw new Error(`${this.options.taskName} is not a source task: barriers reach it through its inputs`)
    this.mailbox.put(async () => {
      if (this.state !== 'RUNNING' || this.stopRequested) {
        this.options.checkpoints.decline(barrier.checkpointId, `${this.options.taskName} is ${this.state}`)
        return
      }
      await this.drainPending()
      const source = { name: this.options.sourceName ?? this.options.taskName, position: reader.position() }
      performCheckpoint(
        barrier,
        this.chain,
        this.options.writers,
        this.options.identity,
        source,
        this.options.checkpoints,
        reader.durable?.(),
      )
      if (barrier.stopAfter) {
        // Stop-with-checkpoint: the source ends only once this checkpoint completed (see runSource).
        this.stopRequested = true
        this.finalBarrierId = barrier.checkpointId
      }
      if (this.endOfData && barrier.final) this.finalBarrierId = barrier.checkpointId
    })
  }

  /** The JobManager says checkpoint `checkpointId` completed. */
  notifyCheckpointComplete(checkpointId: number): void {
    if (this.finalBarrierId !== undefined && checkpointId >= this.finalBarrierId) {
      this.mailbox.put(() => {
        this.finalCheckpointDone = true
      })
    }
  }

  cancel(): void {
    this.cancelled = true
    this.cancelSignal?.()
    this.options.gate?.notify()
  }

  async run(): Promise<void> {
    this.setState('RUNNING')
    try {
      await this.chain.open()
      const ended = this.options.reader
        ? await this.runSource(this.options.reader)
        : await this.runInputs(this.options.gate!)
      if (ended && !this.cancelled) {
        await this.chain.finish()
        await this.drainPending()
        for (const w of this.options.writers) w.broadcastEvent({ kind: 'end' })
      }
      await this.chain.close()
      this.setState(this.cancelled ? 'CANCELED' : 'FINISHED')
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e))
      try {
        await this.chain.close()
      } catch {
        // the first failure is the one reported
      }
      this.setState(this.cancelled ? 'CANCELED' : 'FAILED', error)
    }
  }

  private async flushOutputs(): Promise<void> {
    for (const w of this.options.writers) {
      w.flush()
      if (!w.isAvailable()) {
        const started = Date.now()
        await Promise.race([w.available(), this.cancelPromise])
        this.metrics.backpressuredMs += Date.now() - started
      }
    }
  }

  /** Returns true when the input ended (bounded), false when cancelled. */
  private async runSource(reader: SourceReader): Promise<boolean> {
    await reader.open()
    try {
      const head = this.chain.head
      const metrics = this.metrics
      const emit = (value: unknown, timestamp?: number) => {
        metrics.recordsIn++
        const r = head.processElement(value, timestamp, 0)
        if (r !== undefined) this.pending.push(r)
      }
      let lastYield = Date.now()
      for (;;) {
        if (this.cancelled) return false
        if (!this.mailbox.isEmpty) await this.mailbox.drain()
        if (this.stopRequested) {
          // Ending now would let the job finish before the stop checkpoint's acks are in, and a
          // finished job aborts its pending checkpoint: wait until it completed (or we are cancelled).
          await this.flushOutputs()
          await this.serveMailboxUntilFinalCheckpoint()
          return !this.cancelled
        }
        let status = reader.poll(SOURCE_STEP, emit)
        if (typeof status !== 'string') status = await status
        if (this.pending.length > 0) await this.drainPending()
        await this.flushOutputs()
        if (status === 'end') break
        if (status === 'idle') {
          await Promise.race([reader.waitForData(), this.mailbox.next(), this.cancelPromise])
          lastYield = Date.now()
        } else if (Date.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve))
          lastYield = Date.now()
        }
      }
      if (!this.stopRequested) {
        const r = head.processWatermark(MAX_WATERMARK)
        if (r !== undefined) await r
        await this.drainPending()
        await this.flushOutputs()
        if (this.options.checkpoints.awaitsFinalCheckpoint) await this.awaitFinalCheckpoint()
      }
      return !this.cancelled
    } finally {
      await reader.close()
    }
  }

  /**
   * FLIP-147: a finished bounded source keeps its task alive until a checkpoint taken after its
   * last record completes, so the final state is committed (and a restart does not replay).
   */
  private async awaitFinalCheckpoint(): Promise<void> {
    this.endOfData = true
    this.options.checkpoints.endOfData()
    await this.serveMailboxUntilFinalCheckpoint()
  }

  /** Serves the mailbox (barriers, completion notices) until checkpoint `finalBarrierId` completed or cancel. */
  private async serveMailboxUntilFinalCheckpoint(): Promise<void> {
    while (!this.finalCheckpointDone && !this.cancelled) {
      await Promise.race([this.mailbox.next(), this.cancelPromise])
      await this.mailbox.drain()
    }
    await this.flushOutputs()
  }

  private async runInputs(gate: InputGate): Promise<boolean> {
    const head = this.chain.head
    const metrics = this.metrics
    let currentWatermark = Number.NEGATIVE_INFINITY
    let open = gate.channels.length
    let lastYield = Date.now()
    const aligner = new BarrierAligner(gate, this.ended)
    const checkpoint = async (barrier: CheckpointBarrier | undefined) => {
      if (!barrier) return
      await this.drainPending()
      performCheckpoint(
        barrier,
        this.chain,
        this.options.writers,
        this.options.identity,
        undefined,
        this.options.checkpoints,
      )
    }
    while (open > 0) {
      if (this.cancelled) return false
      if (!this.mailbox.isEmpty) await this.mailbox.drain()
      const polled = gate.poll()
      if (polled === undefined) {
        await this.flushOutputs()
        await gate.available()
        lastYield = Date.now()
        continue
      }
      const { channel, message } = polled
      switch (message.kind) {
        case 'records': {
          const { values, timestamps } = message
          const input = channel.inputIndex
          metrics.recordsIn += values.length
          for (let i = 0; i < values.length; i++) {
            const r = head.processElement(values[i], timestamps === undefined ? undefined : timestamps[i], input)
            if (r !== undefined) this.pending.push(r)
            if (this.pending.length > 0) await this.drainPending()
          }
          await this.flushOutputs()
          break
        }
        case 'watermark': {
          this.channelWatermarks[channel.index] = message.timestamp
          const min = Math.min(...this.channelWatermarks)
          if (min > currentWatermark) {
            currentWatermark = min
            metrics.currentWatermark = min
            const r = head.processWatermark(min)
            if (r !== undefined) await r
            await this.drainPending()
          }
          break
        }
        case 'end':
          this.ended[channel.index] = true
          open--
          await checkpoint(aligner.onEnd())
          break
        case 'barrier':
          await checkpoint(aligner.onBarrier(channel.index, message.barrier))
          break
      }
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        lastYield = Date.now()
      }
    }
    return true
  }
}
