// Messages between JobManager and TaskManagers (Flink's TaskExecutorGateway / JobMasterGateway), as
// plain serialisable values so that worker-thread and TCP transports can carry them unchanged. User
// code never travels: a TaskManager resolves the job's graph from its JobArtifacts by job id.
import type { TaskSnapshot } from '../checkpoint/manifest.ts'
import type { CheckpointBarrier } from '../runtime/stream-element.ts'

export interface TaskDeploymentDescriptor {
  jobId: string
  jobName: string
  executionId: string
  vertexId: string
  subtaskIndex: number
  attempt: number
  /** Bumped on every restart of the job; carried into query answers and change feeds. */
  epoch: number
}

export interface TaskExecutionStateMessage {
  jobId: string
  executionId: string
  vertexId: string
  subtaskIndex: number
  state: 'RUNNING' | 'FINISHED' | 'CANCELED' | 'FAILED'
  error?: { message: string; stack?: string }
}

export interface KvStateRegistrationMessage {
  jobId: string
  stateName: string
  kind: string
  operatorName: string
  operatorUid: string
  keyGroupRange: { start: number; end: number }
  maxParallelism: number
  kvStateId: string
  /** The state's own name inside its operator (the queryable name may differ). */
  internalStateName: string
  /** In-thread transports only: the descriptor, so committed reads can decode checkpointed values. */
  descriptor?: unknown
  /** Address of the KvStateServer that serves it (the TaskManager id in-thread). */
  serverAddress: string
  subtaskIndex: number
  epoch: number
}

export interface KvStateUnregistrationMessage {
  jobId: string
  stateName: string
  keyGroupRange: { start: number; end: number }
  kvStateId: string
}

export interface CheckpointAckMessage {
  jobId: string
  executionId: string
  checkpointId: number
  snapshot: TaskSnapshot
}

export interface CheckpointDeclineMessage {
  jobId: string
  executionId: string
  checkpointId: number
  reason: string
}

/** What a TaskManager can ask of the JobManager. */
export interface JobManagerGateway {
  updateTaskExecutionState(message: TaskExecutionStateMessage): void
  acknowledgeCheckpoint(message: CheckpointAckMessage): void
  /** A bounded source task reached the end of its input and waits for its final checkpoint. */
  notifyEndOfData(message: { jobId: string; executionId: string }): void
  declineCheckpoint(message: CheckpointDeclineMessage): void
  notifyKvStateRegistered(message: KvStateRegistrationMessage): void
  notifyKvStateUnregistered(message: KvStateUnregistrationMessage): void
}

/** What the JobManager can ask of a TaskManager. */
export interface TaskManagerGateway {
  readonly id: string
  submitTask(tdd: TaskDeploymentDescriptor): void
  cancelTask(executionId: string): void
  /** Injects a checkpoint barrier at a source task. */
  triggerCheckpoint(executionId: string, barrier: CheckpointBarrier): void
  /** A checkpoint completed (sources waiting for their final checkpoint may finish). */
  notifyCheckpointComplete(executionId: string, checkpointId: number): void
}
