// The composition root: the only place that wires concrete classes together. startEmbedded() is
// `livestate run` — a MiniCluster with the chosen state backend, the durable ingest logs of the job's
// HTTP sources, the query proxy, and the HTTP/WebSocket server over it.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { levelStoreFactory } from '../storage/leveldb/level-store.ts'
import { parseSize, splitMemoryBudget } from '../storage/memory-budget.ts'
import { levelDbTableReads } from '../storage/leveldb/table-reads.ts'
import { registerBackendMetrics } from './state/leveldb/backend-metrics.ts'
import { LevelStateBackend } from './state/leveldb/level-state-backend.ts'
import type { JobDefinition } from './api/job.ts'
import type { JobMaster } from './cluster/job-master.ts'
import { EpochFile } from './cluster/epoch-file.ts'
import { registerJobMetrics } from './cluster/job-metrics.ts'
import { HEAP_STATE_TABLES, MiniCluster } from './cluster/mini-cluster.ts'
import { DEFAULT_CHECKPOINT_OPTIONS } from './checkpoint/checkpoint-coordinator.ts'
import { CheckpointStorage, type CompletedCheckpoint, loadCheckpoint } from './checkpoint/checkpoint-storage.ts'
import { checkRestoreCompatibility } from './checkpoint/compatibility.ts'
import { IngestLog } from './query/ingest-log.ts'
import { QueryProxy } from './query/query-proxy.ts'
import { LivestateError } from '@livestate/client'
import { createServer } from './server/http-server.ts'
import { loadDashboardHtml } from './server/dashboard/dashboard.ts'
import { loadAuthTokens } from './server/auth-tokens.ts'

export interface EmbeddedOptions {
  job: JobDefinition<unknown>
  jobPath?: string
  parallelism?: number
  taskManagers?: number
  stateBackend?: 'heap' | 'leveldb'
  stateDir?: string
  memory?: string
  checkpointInterval?: number
  host?: string
  port?: number
  authTokensFile?: string
  /** Most ingested-but-unread events per HTTP source before ingest answers 429 RATE_LIMITED. */
  ingestMaxLag?: number
  /** Start the HTTP/WebSocket server (default true). */
  serve?: boolean
  fromSavepoint?: string
  /** Completed checkpoints kept on disk (older ones are deleted once a newer one completes). */
  retainCheckpoints?: number
  /** Incremental checkpoints a state's chain may hold before it is compacted; 0: all full (default 32). */
  checkpointChain?: number
  /** Called with one line when a damaged checkpoint is skipped. */
  warn?: (line: string) => void
}

export interface EmbeddedHandle {
  cluster: MiniCluster
  master: JobMaster
  /** Prometheus registry behind GET /metrics. */
  registry: Registry
  backends: LevelStateBackend[]
  proxy: QueryProxy
  url: string
  port: number
  /** Graceful stop: sources stop, a final checkpoint is taken, everything closes. */
  stop(): Promise<void>
  close(): Promise<void>
}

export async function startEmbedded(o: EmbeddedOptions): Promise<EmbeddedHandle> {
  const stateDir = o.stateDir ?? './.livestate'
  const jobDir = join(stateDir, o.job.name)
  await mkdir(jobDir, { recursive: true })
  const ingestLogs = new Map<string, IngestLog>()
  const openLog = async (source: string) => {
    let log = ingestLogs.get(source)
    if (!log) {
      const dir = join(jobDir, 'ingest', source)
      const store = await levelStoreFactory.open(dir, { createIfMissing: true })
      log = await IngestLog.open(store, o.ingestMaxLag === undefined ? {} : { maxLag: o.ingestMaxLag }, dir)
      ingestLogs.set(source, log)
    }
    return log
  }
  const taskManagers = o.taskManagers ?? 1
  const backends: LevelStateBackend[] = []
  if ((o.stateBackend ?? 'leveldb') === 'leveldb') {
    const probe = new MiniCluster().jobManager.plan(
      o.job,
      o.parallelism === undefined ? {} : { parallelism: o.parallelism },
    )
    const subtasks = probe.graph.vertices.reduce((n, v) => Math.max(n, v.parallelism), 1)
    const budget = splitMemoryBudget(parseSize(o.memory ?? '256mb'), {
      slots: Math.ceil(subtasks / taskManagers),
      mmapReads: levelDbTableReads().mmap,
    })
    for (let i = 0; i < taskManagers; i++)
      backends.push(await LevelStateBackend.open(join(jobDir, `tm-${i + 1}`), budget))
  }
  const cluster = new MiniCluster({
    taskManagers,
    stateTables: (i) => backends[i] ?? HEAP_STATE_TABLES,
    ingestLog: (_jobId, source) => {
      const log = ingestLogs.get(source)
      if (!log) throw new Error(`ingest log of source '${source}' is not open`)
      return log
    },
  })
  // Open the ingest logs of the job's HTTP sources before its tasks start reading them.
  const plan = cluster.jobManager.plan(o.job, o.parallelism === undefined ? {} : { parallelism: o.parallelism })
  for (const v of plan.graph.vertices) {
    for (const t of v.operators)
      if (t.operator.kind === 'source' && t.operator.source.type === 'http') await openLog(t.operator.name)
  }
  const storage = new CheckpointStorage(join(jobDir, 'checkpoints'), join(jobDir, 'savepoints'))
  const restoreFrom = await findRestorePoint(storage, o)
  const epochs = await EpochFile.open(jobDir)
  if (restoreFrom) checkRestoreCompatibility(plan.graph, restoreFrom)
  const master = cluster.submit(o.job, {
    ...(o.parallelism === undefined ? {} : { parallelism: o.parallelism }),
    checkpointing: {
      storage,
      options: {
        ...DEFAULT_CHECKPOINT_OPTIONS,
        interval: o.checkpointInterval ?? DEFAULT_CHECKPOINT_OPTIONS.interval,
        retain: o.retainCheckpoints ?? DEFAULT_CHECKPOINT_OPTIONS.retain,
        maxChainDeltas: o.checkpointChain ?? DEFAULT_CHECKPOINT_OPTIONS.maxChainDeltas,
      },
      highestId: await storage.highestId(),
    },
    ...(restoreFrom ? { restoreFrom } : {}),
    initialEpoch: await epochs.next(),
    nextEpoch: () => epochs.next(),
  })
  // The ingest log is truncated only behind the oldest checkpoint still retained: a damaged newer one
  // makes a restart fall back to an older one, whose events must still be there.
  const retainedPositions: Record<string, unknown>[] = []
  if (master.coordinator)
    master.coordinator.onCompactionError = (e) =>
      o.warn?.(`compacting checkpoint files failed (${e.message}); later checkpoints keep the longer chain`)
  master.coordinator?.onCompleted((c) => {
    if (c.manifest.savepoint) return
    const positions: Record<string, unknown> = {}
    for (const name of ingestLogs.keys()) positions[name] = c.manifest.sources[name]?.positions[0]
    retainedPositions.push(positions)
    while (retainedPositions.length > (o.retainCheckpoints ?? DEFAULT_CHECKPOINT_OPTIONS.retain))
      retainedPositions.shift()
    for (const [name, log] of ingestLogs) {
      const oldest = retainedPositions[0]?.[name]
      if (
        typeof oldest === 'number' &&
        retainedPositions.length >= (o.retainCheckpoints ?? DEFAULT_CHECKPOINT_OPTIONS.retain)
      ) {
        void log.truncateBefore(oldest).catch(() => {})
      }
    }
  })
  const proxy = new QueryProxy({
    jobManager: cluster.jobManager,
    server: (address) => cluster.taskManagerById(address)?.kvStateServer,
    ingest: async (job, source, events, idempotencyKey) => {
      const log = job === master ? ingestLogs.get(source) : undefined
      if (!log) throw new LivestateError('UNKNOWN_STATE', `job '${job.name}' has no HTTP source '${source}'`)
      return log.append(events, idempotencyKey)
    },
    savepoint: async (job) => {
      if (!job.coordinator) throw new LivestateError('BAD_REQUEST', `job '${job.name}' runs without checkpointing`)
      const c = await job.coordinator.trigger({ savepoint: true })
      return { path: c.dir, checkpointId: c.checkpointId }
    },
  })
  const registry = new Registry()
  registerJobMetrics(registry, cluster)
  registerBackendMetrics(registry, () => backends)
  let server: { url: string; port: number; close(): Promise<void> } | undefined
  if (o.serve !== false) {
    server = await createServer({
      gateway: proxy,
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 8080,
      metrics: registry,
      dashboardHtml: await loadDashboardHtml(),
      ...(o.authTokensFile ? { authTokens: await loadAuthTokens(o.authTokensFile) } : {}),
    })
  }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await server?.close()
    await cluster.close()
    for (const log of ingestLogs.values()) await log.close()
    for (const b of backends) await b.close()
  }
  return {
    cluster,
    master,
    proxy,
    registry,
    backends,
    url: server?.url ?? '',
    port: server?.port ?? 0,
    async stop() {
      if (!master.isTerminal()) await master.stopWithCheckpoint()
      await close()
    },
    close,
  }
}

/** --from-savepoint, else the newest valid checkpoint; refuses to start empty when all are damaged. */
async function findRestorePoint(
  storage: CheckpointStorage,
  o: EmbeddedOptions,
): Promise<CompletedCheckpoint | undefined> {
  if (o.fromSavepoint) return loadCheckpoint(o.fromSavepoint)
  const { checkpoint, rejected, complete } = await storage.latestValid()
  for (const r of rejected) o.warn?.(`checkpoint ${r.id} is damaged (${r.reason}); using an older one`)
  if (!checkpoint && complete > 0) {
    throw new Error(
      `cannot resume job '${o.job.name}': none of its ${complete} checkpoints in ${storage.checkpointsDir} is valid (${rejected.map((r) => `${r.id}: ${r.reason}`).join('; ')}); move that directory away to start from scratch, or start from a savepoint with --from-savepoint`,
    )
  }
  return checkpoint
}
