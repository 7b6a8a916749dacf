// Suite "checkpoint" (issue "Exactly-once state"): a job with 1M keys in LevelDB state, served by
// livestate in its own process and fed over HTTP ingest from this one.
//
//   1. build   fresh state dir, checkpoint every 5 s (the default): POST 1M distinct keys, then a
//              steady 10k updates/s of random keys for 30 s → checkpoint duration, size, the sync
//              pause the coordinator reports and the longest gap between records a probe sees;
//              then a few more events and a stop without a final checkpoint (as after a crash).
//   2. disk    write + fsync as many bytes as the last checkpoint, in one file (raw-disk reference).
//   3. restore  on a copy of that state dir → process start to RUNNING with the state registered;
//              then HTTP ingest as fast as it is taken, with checkpoints every 1 s in one run and
//              every hour (effectively off) in the other → events/s end to end. THROUGHPUT_PAIRS
//              such pairs, the order alternating, so drift in what the machine gives (a ±15% swing
//              between two runs of the same build is common here) weighs on both sides alike.
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CheckpointManifest } from '../src/checkpoint/manifest.ts'
import { readChain } from '../src/checkpoint/state-chain.ts'
import { type WorkloadProcess, runWorkload, startWorkload } from './child.ts'
import { closedLoop, loadDistinctKeys, postRandom, steadyUpdates } from './checkpoint-load.ts'
import { report } from './checkpoint-report.ts'
import {
  DEFAULT_INTERVAL_MS,
  FAST_INTERVAL_MS,
  LOAD_BATCH,
  MEMORY,
  OFF_INTERVAL_MS,
  STEADY_CHECKPOINTS,
  STEADY_IN_FLIGHT,
  STEADY_MAX_FACTOR,
  STEADY_RATE,
  STEADY_TICK_MS,
  TAIL_EVENTS,
  THROUGHPUT_BATCH,
  THROUGHPUT_IN_FLIGHT,
  THROUGHPUT_PAIRS,
} from './checkpoint-settings.ts'
import { CHECKPOINT_JOB } from './checkpoint-job.ts'
import type { CheckpointRecord, ServeArgs, ServeReport } from './checkpoint.workloads.ts'
import { type ProfileTarget, profileSection, profileTarget, profilingRequested } from './fanout-profile.ts'
import { scaled } from './scale.ts'
import type { Suite, SuiteReport } from './suite.ts'
import { formatNumber } from './table.ts'

const WORKLOADS = new URL('./checkpoint.workloads.ts', import.meta.url)
interface Ready {
  type: 'ready'
  url: string
  restoredFrom: number | null
  restoredPosition: number
  restoreMs: number
  restoreCpuMs: number
  readyUs: number
  startEmbeddedMs: number
  [field: string]: unknown
}

type Server = WorkloadProcess<{ stopMs: number; finalCheckpoint?: CheckpointRecord }>

export const checkpointSuite: Suite = {
  name: 'checkpoint',
  title: 'Exactly-once state: checkpoints of 1M keys in LevelDB',
  async run(): Promise<SuiteReport> {
    const keys = scaled(1_000_000, 20_000)
    const steadySeconds = scaled(30, 12)
    const throughputSeconds = scaled(20, 5)
    const root = await mkdtemp(join(tmpdir(), 'livestate-bench-checkpoint-'))
    // BENCH_CPU_PROFILE=1: every server runs under --cpu-prof (diagnostic: the profiler costs a little CPU).
    const profiles = profilingRequested()
      ? { build: profileTarget(), off: profileTarget(), fast: profileTarget() }
      : undefined
    try {
      // ---- 1. build
      const buildDir = join(root, 'build')
      log(
        `build: ${formatNumber(keys)} keys over HTTP, then ${formatNumber(STEADY_RATE)} updates/s for ${steadySeconds} s, checkpoint every ${DEFAULT_INTERVAL_MS / 1000} s`,
      )
      const build = serve(
        { stateDir: buildDir, checkpointIntervalMs: DEFAULT_INTERVAL_MS, memory: MEMORY },
        600_000 + keys,
        profiles?.build,
      )
      let buildRun: Awaited<ReturnType<typeof runBuild>>
      try {
        buildRun = await runBuild(build, { keys, steadySeconds })
      } finally {
        build.kill()
      }
      const final = buildRun.report.checkpoints.at(-1)
      if (!final) throw new Error('no checkpoint completed in the build run')
      const live = await liveState(join(buildDir, CHECKPOINT_JOB, 'checkpoints', `chk-${final.checkpointId}`))

      // ---- 2. raw disk
      log(`disk: write + fsync ${formatNumber(final.sizeBytes / 2 ** 20)} MiB`)
      const disk = await runWorkload<{ ms: number }>(
        WORKLOADS,
        'disk',
        { dir: root, bytes: final.sizeBytes },
        { timeoutMs: 120_000 },
      )

      // ---- 3. restore + ingest throughput, checkpointing off and every second, in alternating pairs
      const pairs: Record<'off' | 'fast', RestoreRun>[] = []
      for (let i = 0; i < THROUGHPUT_PAIRS; i++) {
        const pair = {} as Record<'off' | 'fast', RestoreRun>
        const order = i % 2 === 0 ? (['off', 'fast'] as const) : (['fast', 'off'] as const)
        for (const name of order) {
          const dir = join(root, name)
          await cp(buildDir, dir, { recursive: true })
          log(
            `pair ${i + 1}/${THROUGHPUT_PAIRS}: restore (${name === 'off' ? 'checkpoints off' : 'checkpoint every 1 s'}), then HTTP ingest for ${throughputSeconds} s`,
          )
          const interval = name === 'off' ? OFF_INTERVAL_MS : FAST_INTERVAL_MS
          // a profile covers the first pair's runs
          const profile = i === 0 ? profiles?.[name] : undefined
          const p = serve({ stateDir: dir, checkpointIntervalMs: interval, memory: MEMORY }, 600_000, profile)
          try {
            pair[name] = await runRestore(p, { keys, seconds: throughputSeconds })
          } finally {
            p.kill()
            await rm(dir, { recursive: true, force: true })
          }
        }
        pairs.push(pair)
      }
      const runs = pairs[0]!
      const result = report({ keys, steadySeconds, throughputSeconds, build: buildRun, final, live, disk, pairs })
      if (profiles) {
        const m = buildRun.report.marks
        const fast = runs.fast.report.marks
        result.sections.push(
          {
            title:
              'CPU profile (BENCH_CPU_PROFILE=1), build server, steady phase with checkpoints every 5 s: top self time',
            markdown: profileSection(profiles.build, 'checkpoint-build', m.steady!.atUs, m['steady-end']!.atUs),
          },
          {
            title: 'CPU profile, restore: process start → serving: top self time',
            markdown: profileSection(profiles.off, 'checkpoint-restore', 0, runs.off.ready.readyUs),
          },
          {
            title: 'CPU profile, ingest at full speed with a checkpoint every 1 s: top self time',
            markdown: profileSection(profiles.fast, 'checkpoint-ingest-1s', fast.load!.atUs, runs.fast.report.nowUs),
          },
        )
      }
      return result
    } finally {
      await rm(root, { recursive: true, force: true })
      for (const p of Object.values(profiles ?? {})) await rm(p.dir, { recursive: true, force: true })
    }
  },
}

/** The state a checkpoint holds, read through its chains: live keys and their key + value bytes. */
async function liveState(dir: string): Promise<{ keys: number; bytes: number }> {
  const manifest = JSON.parse(await readFile(join(dir, '_manifest.json'), 'utf8')) as CheckpointManifest
  let keys = 0
  let bytes = 0
  for (const op of Object.values(manifest.operators))
    for (const sub of op.subtasks)
      for (const handle of Object.values(sub.states))
        for await (const [k, v] of readChain(dir, handle, 0, 0xffff)) {
          keys++
          bytes += k.length + v.length
        }
  return { keys, bytes }
}

function serve(args: ServeArgs, timeoutMs: number, profile?: ProfileTarget): Server {
  return startWorkload(WORKLOADS, 'serve', profile ? { ...args, profileDir: profile.dir } : args, {
    timeoutMs,
    ...(profile ? { nodeArgs: profile.nodeArgs } : {}),
  })
}

/** The child's message of `type`; if the child fails first, its own error (not "exited before it answered"). */
async function answer<T>(p: Server, type: string): Promise<T> {
  try {
    return (await p.next(type)) as T
  } catch (e) {
    await p.result // rejects with the child's error when it reported one
    throw e
  }
}

function ready(p: Server): Promise<Ready> {
  return answer<Ready>(p, 'ready')
}

function call<T>(p: Server, cmd: Record<string, unknown>): Promise<T> {
  p.send({ type: 'cmd', ...cmd })
  return answer<T>(p, 'reply')
}

export async function runBuild(p: Server, o: { keys: number; steadySeconds: number }) {
  const r = await ready(p)
  const load = await loadDistinctKeys(r.url, { keys: o.keys, batch: LOAD_BATCH, inFlight: 2, timeoutMs: 600_000 })
  const loaded = await call<{ atMs: number }>(p, { cmd: 'wait', records: load.accepted })
  const loadMs = loaded.atMs - r.restoreMs
  const mark = await call<{ atMs: number }>(p, { cmd: 'mark', name: 'steady', resetGaps: true })
  // On until enough checkpoints ran entirely inside the steady phase (a busy machine slows them).
  const enough = async () => {
    const { checkpoints } = await call<{ checkpoints: CheckpointRecord[] }>(p, { cmd: 'checkpoints' })
    return checkpoints.filter((c) => c.completedAtMs - c.durationMs >= mark.atMs).length >= STEADY_CHECKPOINTS
  }
  const steady = await steadyUpdates(r.url, {
    keys: o.keys,
    ratePerSecond: STEADY_RATE,
    seconds: o.steadySeconds,
    maxSeconds: o.steadySeconds * STEADY_MAX_FACTOR,
    tickMs: STEADY_TICK_MS,
    inFlight: STEADY_IN_FLIGHT,
    done: enough,
  })
  await call(p, { cmd: 'wait', records: load.accepted + steady.accepted })
  await call(p, { cmd: 'mark', name: 'steady-end' })
  const { report } = await call<{ report: ServeReport }>(p, { cmd: 'report' })
  // Stop without a final checkpoint, with a few events in the log after the last completed one:
  // crash recovery, where the restored job replays them. (With a final checkpoint the whole log is
  // truncated, and a restarted IngestLog then numbers new events from 0, below the restored source
  // position — the restore runs check for that and report it.)
  const tail = await postRandom(r.url, { keys: o.keys, count: TAIL_EVENTS })
  p.send({ type: 'cmd', cmd: 'stop', final: false })
  const stop = await p.result
  return { ready: r, load, loadMs, steady, tail, report, stop }
}

export type RestoreRun = Awaited<ReturnType<typeof runRestore>>

export async function runRestore(p: Server, o: { keys: number; seconds: number }) {
  const r = await ready(p)
  const start = await call<{ atMs: number; cpuMs: number }>(p, { cmd: 'mark', name: 'load', resetGaps: true })
  const load = await closedLoop(r.url, {
    keys: o.keys,
    batch: THROUGHPUT_BATCH,
    inFlight: THROUGHPUT_IN_FLIGHT,
    seconds: o.seconds,
  })
  // The job reads the log from the restored position to its end: the replayed tail, then the new events.
  const expected = load.maxPosition - r.restoredPosition
  const offsetsReused = load.maxPosition - load.accepted < r.restoredPosition
  const done = await call<{ atMs: number; records: number; cpuMs: number }>(p, {
    cmd: 'wait',
    records: Math.max(0, expected),
  })
  const { report } = await call<{ report: ServeReport }>(p, { cmd: 'report' })
  p.send({ type: 'cmd', cmd: 'stop', final: false })
  await p.result
  const seconds = (done.atMs - start.atMs) / 1000
  const cpuSeconds = (done.cpuMs - start.cpuMs) / 1000
  return {
    ready: r,
    load,
    report,
    expected,
    offsetsReused,
    processedSeconds: seconds,
    eventsPerSecond: expected / seconds,
    cpuSeconds,
    eventsPerCpuSecond: expected / cpuSeconds,
  }
}

function log(message: string): void {
  console.error(`  checkpoint: ${message}`)
}
