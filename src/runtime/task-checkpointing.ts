// Checkpointing inside a Task: the synchronous phase (operators fix their snapshot views, the
// source records its position, the barrier goes downstream) and the asynchronous phase (files
// written, then the ack). Also Flink's barrier alignment for tasks with several input channels.
import type { TaskSnapshot } from '../checkpoint/manifest.ts'
import type { InputGate } from './channel.ts'
import type { OperatorChain } from './operator-chain.ts'
import type { RecordWriter } from './record-writer.ts'
import type { CheckpointBarrier } from './stream-element.ts'

export interface CheckpointResponder {
  acknowledge(checkpointId: number, snapshot: TaskSnapshot): void
  decline(checkpointId: number, reason: string): void
  /** Checkpointing is on: a bounded source waits for a final checkpoint before it finishes. */
  readonly awaitsFinalCheckpoint: boolean
  /** A source reached the end of its input and waits for the final checkpoint (FLIP-147). */
  endOfData(): void
}

export interface TaskIdentity {
  vertexId: string
  subtaskIndex: number
  parallelism: number
}

/**
 * Sync phase now, barrier downstream, async phase detached; the ack goes out when files are durable
 * (and, with `sourceDurable`, the source's input up to its recorded position).
 */
export function performCheckpoint(
  barrier: CheckpointBarrier,
  chain: OperatorChain,
  writers: RecordWriter[],
  identity: TaskIdentity,
  source: TaskSnapshot['source'],
  responder: CheckpointResponder,
  sourceDurable?: Promise<void>,
): void {
  const started = performance.now()
  // awaited after the state files: handled now, so a failure meanwhile is not an unhandled rejection
  sourceDurable?.catch(() => {})
  const snapshots: [string, NonNullable<ReturnType<NonNullable<OperatorChainOperator['snapshotState']>>>][] = []
  for (const { transformation, operator } of chain.operators) {
    const w = operator.snapshotState?.(barrier)
    if (w) snapshots.push([transformation.uid ?? `op-${transformation.id}`, w])
  }
  for (const w of writers) w.broadcastEvent({ kind: 'barrier', barrier })
  const syncMs = performance.now() - started
  void (async () => {
    const keyed: TaskSnapshot['keyed'] = {}
    for (const [uid, write] of snapshots) keyed[uid] = await write(barrier.dir)
    // the source's input up to the recorded position must be durable before the checkpoint names it
    if (sourceDurable) await sourceDurable
    responder.acknowledge(barrier.checkpointId, { ...identity, source, keyed, syncMs })
  })().catch((e: Error) => responder.decline(barrier.checkpointId, `${e.message}`))
}

type OperatorChainOperator = OperatorChain['operators'][number]['operator']

/** Aligns barriers across a gate's channels: a channel that delivered barrier n is blocked until all have. */
export class BarrierAligner {
  private current: { barrier: CheckpointBarrier; received: Set<number> } | undefined

  constructor(
    private readonly gate: InputGate,
    private readonly ended: boolean[],
  ) {}

  /** Returns the barrier when every live channel has delivered it (time to snapshot). */
  onBarrier(channelIndex: number, barrier: CheckpointBarrier): CheckpointBarrier | undefined {
    if (this.current && barrier.checkpointId < this.current.barrier.checkpointId) return undefined
    if (!this.current || barrier.checkpointId > this.current.barrier.checkpointId) {
      // a newer barrier overtook an unfinished alignment: that checkpoint is abandoned
      if (this.current) this.gate.unblockAll()
      this.current = { barrier, received: new Set() }
    }
    this.current.received.add(channelIndex)
    this.gate.block(channelIndex)
    return this.complete()
  }

  /** A channel ended: it no longer holds an alignment back. */
  onEnd(): CheckpointBarrier | undefined {
    return this.current ? this.complete() : undefined
  }

  private complete(): CheckpointBarrier | undefined {
    const c = this.current!
    for (let i = 0; i < this.ended.length; i++) if (!this.ended[i] && !c.received.has(i)) return undefined
    this.current = undefined
    this.gate.unblockAll()
    return c.barrier
  }
}
