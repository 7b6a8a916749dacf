// TaskManager (Flink's TaskExecutor): runs the tasks the JobManager deploys to it, builds their
// channels, writers, operator chains and keyed state backends, and hosts the KvStateRegistry of the
// queryable states of its tasks. Reports every task state change to the JobManager.
import type { Transformation } from '../api/transformation.ts'
import type { JobEdge } from '../graph/job-graph.ts'
import { InputGate, type LocalChannel } from '../runtime/channel.ts'
import { OperatorChain } from '../runtime/operator-chain.ts'
import type { Output } from '../runtime/output.ts'
import { createChannelSelector, targetSubtasks } from '../runtime/partitioner.ts'
import { RecordWriter } from '../runtime/record-writer.ts'
import type { SinkFiles } from '../runtime/sink-files.ts'
import type { IngestLogReader } from '../runtime/sources/http-source.ts'
import type { OperatorContext } from '../runtime/stream-operator.ts'
import { Task } from '../runtime/task.ts'
import { KeyedStateBackend } from '../state/keyed-state-backend.ts'
import type { StateTableFactory } from '../state/state-table.ts'
import { KvStateRegistry, TaskKvStateRegistry } from '../query/kv-state-registry.ts'
import { KvStateServer } from '../query/kv-state-server.ts'
import type { JobArtifactRegistry } from './job-artifacts.ts'
import type { LocalShuffleEnvironment } from './local-shuffle.ts'
import type { JobManagerGateway, TaskDeploymentDescriptor, TaskManagerGateway } from './messages.ts'
import { createSourceReader } from './source-readers.ts'
import { isKeyedOperator } from '../api/transformation.ts'
import { type RestoredKeyedState, restoreKeyedState } from '../checkpoint/keyed-restore.ts'
import { restoreSourcePosition } from '../checkpoint/source-restore.ts'
import type { CheckpointBarrier } from '../runtime/stream-element.ts'

export interface TaskManagerOptions {
  id: string
  jobManager: JobManagerGateway
  artifacts: JobArtifactRegistry
  shuffle: LocalShuffleEnvironment
  stateTables: (jobId: string) => StateTableFactory
  sinkFiles: SinkFiles
  ingestLog: (jobId: string, sourceName: string) => IngestLogReader
}

interface RunningTask {
  task: Task
  tdd: TaskDeploymentDescriptor
  kvStates: TaskKvStateRegistry
}

export function operatorUid(t: Transformation): string {
  return t.uid ?? `op-${t.id}`
}

export class TaskManager implements TaskManagerGateway {
  readonly id: string
  readonly kvStateRegistry: KvStateRegistry
  readonly kvStateServer: KvStateServer
  readonly tasks = new Map<string, RunningTask>()

  constructor(private readonly options: TaskManagerOptions) {
    this.id = options.id
    const jm = options.jobManager
    this.kvStateRegistry = new KvStateRegistry(options.id, {
      registered: (e) =>
        jm.notifyKvStateRegistered({
          jobId: e.jobId,
          stateName: e.stateName,
          kind: e.handle.kind,
          operatorName: e.operatorName,
          operatorUid: e.operatorUid,
          keyGroupRange: e.keyGroupRange.toJSON(),
          maxParallelism: e.maxParallelism,
          kvStateId: e.kvStateId,
          internalStateName: e.handle.state.descriptor.name,
          descriptor: e.handle.state.descriptor,
          serverAddress: options.id,
          subtaskIndex: e.subtaskIndex,
          epoch: e.epoch,
        }),
      unregistered: (e) => {
        this.kvStateServer.release(e.kvStateId)
        jm.notifyKvStateUnregistered({
          jobId: e.jobId,
          stateName: e.stateName,
          keyGroupRange: e.keyGroupRange.toJSON(),
          kvStateId: e.kvStateId,
        })
      },
    })
    this.kvStateServer = new KvStateServer(this.kvStateRegistry)
  }

  submitTask(tdd: TaskDeploymentDescriptor): void {
    const a = this.options.artifacts.get(tdd.jobId)
    const vertex = a.graph.vertices.find((v) => v.id === tdd.vertexId)
    if (!vertex) throw new Error(`job ${tdd.jobName} has no vertex ${tdd.vertexId}`)
    const ev = a.executionGraph.vertices.get(vertex.id)![tdd.subtaskIndex]!
    const me = tdd.subtaskIndex
    const channel = (e: JobEdge, up: number, down: number) =>
      this.options.shuffle.channel(tdd.jobId, tdd.epoch, e.id, up, down, e.inputIndex)

    const inputs: LocalChannel[] = []
    for (const e of a.graph.edges.filter((x) => x.target === vertex)) {
      for (let up = 0; up < e.source.parallelism; up++) {
        if (targetSubtasks(e.partitioner.partitioning, up, e.source.parallelism, vertex.parallelism).includes(me)) {
          inputs.push(channel(e, up, me))
        }
      }
    }
    const writers: RecordWriter[] = []
    const writersByOperator = new Map<number, RecordWriter[]>()
    for (const e of a.graph.edges.filter((x) => x.source === vertex)) {
      const targets = targetSubtasks(e.partitioner.partitioning, me, vertex.parallelism, e.target.parallelism)
      const channels = targets.map((d) => channel(e, me, d))
      const selector = createChannelSelector(e.partitioner.partitioning, {
        subtaskIndex: me,
        upstreamParallelism: vertex.parallelism,
        numberOfChannels: channels.length,
        maxParallelism: e.target.maxParallelism,
        random: Math.random,
        keyDescription: `key of operator '${e.target.operators[0]!.name}'`,
      })
      const w = new RecordWriter(channels, selector)
      writers.push(w)
      const list = writersByOperator.get(e.sourceOperator.id) ?? []
      list.push(w)
      writersByOperator.set(e.sourceOperator.id, list)
    }

    const kvStates = new TaskKvStateRegistry(this.kvStateRegistry)
    const head = vertex.operators[0]!
    const reader =
      head.operator.kind === 'source'
        ? createSourceReader(head.operator.source, {
            sourceName: head.operator.name,
            subtaskIndex: me,
            parallelism: vertex.parallelism,
            baseDir: a.baseDir,
            ingestLog: () => this.options.ingestLog(tdd.jobId, (head.operator as { name: string }).name),
          })
        : undefined
    const jm = this.options.jobManager
    const task: Task = new Task({
      taskName: ev.taskName,
      ...(reader ? { reader, sourceName: (head.operator as { name: string }).name } : { gate: new InputGate(inputs) }),
      writers,
      identity: { vertexId: vertex.id, subtaskIndex: me, parallelism: vertex.parallelism },
      checkpoints: {
        acknowledge: (checkpointId, snapshot) =>
          jm.acknowledgeCheckpoint({ jobId: tdd.jobId, executionId: tdd.executionId, checkpointId, snapshot }),
        decline: (checkpointId, reason) =>
          jm.declineCheckpoint({ jobId: tdd.jobId, executionId: tdd.executionId, checkpointId, reason }),
        awaitsFinalCheckpoint: a.checkpointing === true,
        endOfData: () => jm.notifyEndOfData({ jobId: tdd.jobId, executionId: tdd.executionId }),
      },
      onStateChange: (state, error) => {
        // A finished task keeps its states registered: `run` serves the final state until interrupted.
        if (state === 'FAILED' || state === 'CANCELED') kvStates.unregisterAll()
        if (state === 'FINISHED' || state === 'FAILED' || state === 'CANCELED') this.tasks.delete(tdd.executionId)
        if (state === 'CREATED') return
        this.options.jobManager.updateTaskExecutionState({
          jobId: tdd.jobId,
          executionId: tdd.executionId,
          vertexId: tdd.vertexId,
          subtaskIndex: me,
          state,
          ...(error ? { error: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } } : {}),
        })
      },
    })
    const tables = this.options.stateTables(tdd.jobId)
    const restored = new Map<number, RestoredKeyedState>()
    const contextFor = (t: Transformation, output: Output): OperatorContext => ({
      jobName: tdd.jobName,
      taskName: ev.taskName,
      operatorName: t.name,
      operatorUid: operatorUid(t),
      subtaskIndex: me,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      keyGroupRange: ev.keyGroupRange,
      output,
      metrics: task.metrics,
      mailbox: (action) => task.mailbox.put(action),
      track: task.track,
      sinkFiles: this.options.sinkFiles,
      restored: restored.get(t.id),
      createKeyedStateBackend: () =>
        new KeyedStateBackend({
          operatorUid: operatorUid(t),
          operatorName: t.name,
          keyGroupRange: ev.keyGroupRange,
          maxParallelism: vertex.maxParallelism,
          tables,
          // TTL sweeping runs as mailbox actions: between records, never under running user code
          mailbox: (action) => task.mailbox.put(action),
          ...(restored.get(t.id) ? { restoredTables: restored.get(t.id)!.tables } : {}),
        }),
      registerQueryableState: (handle) => {
        kvStates.register({
          jobId: tdd.jobId,
          stateName: handle.name,
          operatorName: t.name,
          operatorUid: operatorUid(t),
          subtaskIndex: me,
          keyGroupRange: ev.keyGroupRange,
          maxParallelism: vertex.maxParallelism,
          epoch: tdd.epoch,
          handle,
        })
      },
    })
    this.tasks.set(tdd.executionId, { task, tdd, kvStates })
    void (async () => {
      // Restore before any operator opens, so queryable states register only once they are whole.
      if (a.restore) {
        for (const t of vertex.operators) {
          if (!isKeyedOperator(t)) continue
          const r = await restoreKeyedState(
            a.restore,
            operatorUid(t),
            t.name,
            ev.keyGroupRange,
            vertex.maxParallelism,
            tables,
          )
          if (r) restored.set(t.id, r)
        }
        if (reader)
          restoreSourcePosition(a.restore, (head.operator as { name: string }).name, me, vertex.parallelism, reader)
      }
      task.chain = new OperatorChain(a.graph, vertex, writersByOperator, contextFor, task.track)
      await task.run()
    })().catch((e: Error) => {
      this.tasks.delete(tdd.executionId)
      this.options.jobManager.updateTaskExecutionState({
        jobId: tdd.jobId,
        executionId: tdd.executionId,
        vertexId: tdd.vertexId,
        subtaskIndex: me,
        state: 'FAILED',
        error: { message: `restoring ${ev.taskName} failed: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) },
      })
    })
  }

  notifyCheckpointComplete(executionId: string, checkpointId: number): void {
    this.tasks.get(executionId)?.task.notifyCheckpointComplete(checkpointId)
  }

  triggerCheckpoint(executionId: string, barrier: CheckpointBarrier): void {
    const t = this.tasks.get(executionId)
    if (!t) return
    t.task.triggerCheckpoint(barrier)
  }

  cancelTask(executionId: string): void {
    this.tasks.get(executionId)?.task.cancel()
  }

  /** Tasks of a job that still run here. */
  tasksOf(jobId: string): Task[] {
    return [...this.tasks.values()].filter((t) => t.tdd.jobId === jobId).map((t) => t.task)
  }
}
