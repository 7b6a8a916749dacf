// Runs inside a fresh process (child-main.ts): livestate serving the checkpoint suite's job on a
// LevelDB state dir, driven by the bench process over IPC while it POSTs the events over HTTP.
//
//   child ── ready { url, restoreMs, … } ──► parent          (restoreMs: process start → RUNNING,
//         ◄── cmd 'mark' { name, resetGaps } ── reply { atMs, cpuMs } every state registered)
//         ◄── cmd 'wait' { records }   ── reply { atMs, cpuMs } (the probe has seen that many records)
//         ◄── cmd 'checkpoints'        ── reply { checkpoints }  (completed so far)
//         ◄── cmd 'report'             ── reply { checkpoints, gaps, marks, … }
//         ◄── cmd 'stop' { final }     ── result             (final: stop with a checkpoint)
//
// Every time is this process's performance.now(), so probe gaps, checkpoint windows and the marks
// of the load phases are on one clock.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { open, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbedded } from '../src/main.ts'
import type { Workload, WorkloadIO } from './child.ts'
import { collectSourceMaps } from './cpu-profile.ts'
import { CHECKPOINT_JOB, CHECKPOINT_SOURCE, type Gap, checkpointJob, probe } from './checkpoint-job.ts'

const HOST = '127.0.0.1'
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const READY_TIMEOUT_MS = 120_000
const WAIT_TIMEOUT_MS = 300_000

export interface CheckpointRecord {
  checkpointId: number
  /** performance.now() when it completed; it ran over [completedAtMs − durationMs, completedAtMs]. */
  completedAtMs: number
  durationMs: number
  /** Every file the checkpoint names (a delta's chain included). */
  sizeBytes: number
  /** Its own files: what it wrote. */
  writtenBytes: number
  maxSyncPauseMs: number
  /** Records in its own files (a delta: the keys changed since the checkpoint before). */
  entries: number
  /** Whether it wrote deltas (incremental) rather than every state in full. */
  incremental: boolean
}

export interface ServeReport {
  checkpoints: CheckpointRecord[]
  gaps: Gap[]
  droppedGaps: number
  records: number
  /** atUs: process.hrtime µs (the clock of --cpu-prof profiles). */
  marks: Record<string, { atMs: number; atUs: number; records: number }>
  nowMs: number
  nowUs: number
  /** Process CPU since cpuSinceMs (after ready). */
  cpuMs: number
  cpuSinceMs: number
  rssMb: number
  /** The LevelDB state backend's own figures (object cache, LevelDB bytes on disk, …). */
  backend: Record<string, unknown> | undefined
  /** Chains of incremental checkpoints compacted into full files (off the task thread) so far. */
  compactions: number
  /** CPU ms of the main thread and of all others (Linux /proc) since the last mark: where the work went. */
  threadCpuMs: Record<string, number>
}

export interface ServeArgs {
  stateDir: string
  checkpointIntervalMs: number
  memory: string
  /** Set when the process runs under --cpu-prof: its source maps are saved there on stop. */
  profileDir?: string
}

type Cmd =
  | { type: 'cmd'; cmd: 'checkpoints' }
  | { type: 'cmd'; cmd: 'mark'; name: string; resetGaps?: boolean }
  | { type: 'cmd'; cmd: 'wait'; records: number }
  | { type: 'cmd'; cmd: 'report' }
  | { type: 'cmd'; cmd: 'stop'; final: boolean }

export const workloads: Record<string, Workload> = {
  /** The job on `stateDir` (resuming from its latest checkpoint if it has one), until told to stop. */
  async serve(args: ServeArgs, io: WorkloadIO) {
    const startCalledMs = performance.now()
    const h = await startEmbedded({
      job: checkpointJob,
      port: 0,
      host: HOST,
      stateBackend: 'leveldb',
      stateDir: args.stateDir,
      memory: args.memory,
      checkpointInterval: args.checkpointIntervalMs,
    })
    const checkpoints: CheckpointRecord[] = []
    const coordinator = h.master.coordinator
    if (!coordinator) throw new Error('the job runs without a checkpoint coordinator')
    coordinator.onCompleted((c) => {
      const s = coordinator.lastStats
      if (!s || s.checkpointId !== c.checkpointId || c.manifest.savepoint) return
      const states = Object.values(c.manifest.operators)
        .flatMap((op) => op.subtasks)
        .flatMap((st) => Object.values(st.states))
      const entries = states.reduce((n, f) => n + f.entries, 0)
      const incremental = states.some((f) => f.deltaOf !== undefined)
      checkpoints.push({ ...s, completedAtMs: performance.now(), entries, incremental })
    })
    try {
      await whenServing(h)
      const readyMs = performance.now()
      const restoredFrom = coordinator.latest?.checkpointId ?? null
      const position = coordinator.latest?.manifest.sources[CHECKPOINT_SOURCE]?.positions[0]
      io.send({
        type: 'ready',
        url: h.url,
        restoredFrom,
        /** The source's ingest-log offset in that checkpoint: where the job resumes reading. */
        restoredPosition: typeof position === 'number' ? position : 0,
        /** process start (performance.timeOrigin) → job RUNNING with every queryable state registered */
        restoreMs: readyMs,
        /** Process CPU (all threads) up to that point: the work, whatever else ran on the machine. */
        restoreCpuMs: processCpuMs(),
        readyUs: Number(process.hrtime.bigint() / 1000n),
        /** startEmbedded() called → the same point */
        startEmbeddedMs: readyMs - startCalledMs,
      })
      const marks: ServeReport['marks'] = {}
      let threadsAtMark: Record<string, number> = {}
      const cpu0 = process.cpuUsage()
      const cpuSinceMs = performance.now()
      for (;;) {
        const m = (await io.next('cmd')) as unknown as Cmd
        if (m.cmd === 'stop') {
          const t0 = performance.now()
          if (m.final) await h.stop()
          else await h.close()
          if (args.profileDir) {
            mkdirSync(args.profileDir, { recursive: true })
            writeFileSync(join(args.profileDir, 'sourcemaps.json'), JSON.stringify(collectSourceMaps(ROOT)))
          }
          const last = checkpoints.at(-1)
          const final = m.final && last?.checkpointId === coordinator.lastStats?.checkpointId ? last : undefined
          return { stopMs: performance.now() - t0, finalCheckpoint: final }
        }
        if (m.cmd === 'checkpoints') {
          io.send({ type: 'reply', checkpoints })
        } else if (m.cmd === 'mark') {
          if (m.resetGaps) probe.reset()
          threadsAtMark = threadCpu()
          marks[m.name] = {
            atMs: performance.now(),
            atUs: Number(process.hrtime.bigint() / 1000n),
            records: probe.records,
          }
          io.send({ type: 'reply', atMs: marks[m.name]!.atMs, cpuMs: processCpuMs() })
        } else if (m.cmd === 'wait') {
          const deadline = Date.now() + WAIT_TIMEOUT_MS
          while (probe.records < m.records) {
            if (h.master.isTerminal()) throw h.master.failureCause ?? new Error(`job is ${h.master.status}`)
            if (Date.now() > deadline)
              throw new Error(`the job processed ${probe.records} of ${m.records} records in ${WAIT_TIMEOUT_MS} ms`)
            await new Promise((resolve) => setTimeout(resolve, 1))
          }
          io.send({ type: 'reply', atMs: performance.now(), records: probe.records, cpuMs: processCpuMs() })
        } else {
          const cpu = process.cpuUsage(cpu0)
          const report: ServeReport = {
            checkpoints,
            gaps: probe.gaps,
            droppedGaps: probe.droppedGaps,
            records: probe.records,
            marks,
            nowMs: performance.now(),
            nowUs: Number(process.hrtime.bigint() / 1000n),
            cpuMs: (cpu.user + cpu.system) / 1000,
            cpuSinceMs,
            rssMb: process.memoryUsage().rss / 2 ** 20,
            backend: h.backends[0] ? { ...(await h.backends[0].metrics()) } : undefined,
            compactions: coordinator.chains.compactions,
            threadCpuMs: Object.fromEntries(
              Object.entries(threadCpu())
                .map(([name, ms]) => [name, ms - (threadsAtMark[name] ?? 0)] as const)
                .filter(([, ms]) => ms > 0),
            ),
          }
          io.send({ type: 'reply', report })
        }
      }
    } finally {
      await h.close()
    }
  },

  /** Raw disk: `bytes` written in 1 MiB chunks to one new file in `dir`, then fsync. */
  async disk(args: { dir: string; bytes: number }) {
    const path = join(args.dir, 'bench-raw-write.bin')
    const chunk = Buffer.alloc(1 << 20, 0x5a)
    await writeFile(path, '')
    const t0 = performance.now()
    const fh = await open(path, 'w')
    try {
      for (let left = args.bytes; left > 0; left -= chunk.length) await fh.write(chunk, 0, Math.min(left, chunk.length))
      await fh.sync()
    } finally {
      await fh.close()
    }
    const ms = performance.now() - t0
    await rm(path, { force: true })
    return { ms }
  },
}

/** CPU ms (user + system) of the main thread and of the others; {} where /proc is not there. */
function threadCpu(): Record<string, number> {
  const out: Record<string, number> = {}
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // Node does not name its threads (all are "node"): the main thread, and every other one.
      const name = Number(tid) === process.pid ? 'main thread' : 'other threads'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out[name] = (out[name] ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
    }
  } catch {
    // not Linux
  }
  return out
}

function processCpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Waits until the job is RUNNING with every task running and every queryable state fully registered. */
async function whenServing(h: Awaited<ReturnType<typeof startEmbedded>>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    const m = h.master
    if (m.isTerminal()) throw m.failureCause ?? new Error(`job '${CHECKPOINT_JOB}' is ${m.status}`)
    const names = m.locations.names()
    const registered = names.length > 0 && names.every((n) => m.locations.getKvStateLocation(n)!.isComplete())
    if (m.status === 'RUNNING' && registered) {
      const tasks = h.cluster.taskManagers.flatMap((tm) => tm.tasksOf(m.jobId))
      if (tasks.length > 0 && tasks.every((t) => t.state === 'RUNNING')) return
    }
    if (Date.now() > deadline) throw new Error(`job '${CHECKPOINT_JOB}' not serving after ${READY_TIMEOUT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}
