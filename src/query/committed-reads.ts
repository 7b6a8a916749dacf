// Committed reads for the query proxy: `minCheckpoint` waits, the CommittedReader pinned to a job's
// latest completed checkpoint (replaced as newer ones complete), and a committed point read with the
// same metadata a live read carries.
import { LivestateError } from '@livestate/client'
import type { JobMaster } from '../cluster/job-master.ts'
import { computeOperatorIndexForKeyGroup } from '../keys/key-group-range-assignment.ts'
import type { Key } from '../keys/key-codec.ts'
import { CommittedReader, type CommittedStateRef } from './committed-reader.ts'
import type { KvStateLocation } from './kv-state-location-registry.ts'
import type { GetResult, ReadOptions } from './query-gateway.ts'

export interface PinnedCommitted {
  reader: CommittedReader
  ref: CommittedStateRef
}

/** minCheckpoint: waits (up to timeoutMs) for a completed checkpoint >= N, else NOT_CAUGHT_UP. */
export async function awaitCheckpoint(job: JobMaster, options: ReadOptions | undefined): Promise<void> {
  const want = options?.minCheckpoint
  if (want === undefined) return
  if (!job.coordinator) {
    throw new LivestateError('BAD_REQUEST', `job '${job.name}' runs without checkpointing: minCheckpoint cannot be met`)
  }
  const deadline = Date.now() + (options?.timeoutMs ?? 5_000)
  while ((job.coordinator.latest?.checkpointId ?? 0) < want) {
    if (Date.now() >= deadline) {
      throw new LivestateError(
        'NOT_CAUGHT_UP',
        `checkpoint ${want} is not complete yet (latest: ${job.coordinator.latest?.checkpointId ?? 'none'})`,
      )
    }
    await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))))
  }
}

export class CommittedReads {
  private readonly readers = new WeakMap<JobMaster, CommittedReader>()

  /** The reader of the job's latest completed checkpoint and the state's reference in it. */
  pin(job: JobMaster, loc: KvStateLocation, state: string): PinnedCommitted {
    const latest = job.coordinator?.latest
    if (!latest) {
      throw new LivestateError(
        'STATE_NOT_READY',
        `job '${job.name}' has no completed checkpoint yet; retry shortly or read with consistency=live`,
        { retryAfter: 1 },
      )
    }
    let reader = this.readers.get(job)
    if (!reader || reader.checkpointId !== latest.checkpointId) {
      reader = new CommittedReader(latest)
      this.readers.set(job, reader)
    }
    if (!loc.descriptor) {
      throw new LivestateError(
        'STATE_NOT_READY',
        `state '${state}' has not been opened yet in this run; retry shortly`,
        {
          retryAfter: 1,
        },
      )
    }
    return {
      reader,
      ref: {
        operatorUid: loc.operatorUid,
        internalStateName: loc.internalStateName,
        kind: loc.kind,
        descriptor: loc.descriptor,
      },
    }
  }
}

/** One key from the pinned checkpoint; `meta.subtask` is the owner now, or the one the plan assigns. */
export async function readCommitted(
  job: JobMaster,
  loc: KvStateLocation,
  state: string,
  key: Key,
  options: ReadOptions,
  { reader, ref }: PinnedCommitted,
): Promise<GetResult> {
  const r = await reader.get(ref, key, {
    ...(options.mapKey === undefined ? {} : { mapKey: options.mapKey }),
    ...(options.window === undefined ? {} : { window: options.window }),
  })
  if (r.value === undefined) {
    throw new LivestateError(
      'KEY_NOT_FOUND',
      `state '${state}' had no value for this key at checkpoint ${reader.checkpointId}`,
    )
  }
  const parallelism =
    job.artifacts.graph.vertices.find((v) => v.operators.some((t) => (t.uid ?? `op-${t.id}`) === loc.operatorUid))
      ?.parallelism ?? 1
  return {
    key,
    value: r.value,
    meta: {
      keyGroup: r.keyGroup,
      subtask:
        loc.ownerOf(r.keyGroup)?.subtaskIndex ??
        computeOperatorIndexForKeyGroup(loc.numKeyGroups, parallelism, r.keyGroup),
      epoch: job.epoch,
      checkpointId: reader.checkpointId,
      consistency: 'committed',
    },
  }
}
