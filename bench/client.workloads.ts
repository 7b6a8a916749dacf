// Runs inside a fresh process (child-main.ts): WebSocket point lookups against a running livestate,
// `inFlight` outstanding at all times on one connection, for a warm-up and then a measured period.
// `sdk` goes through @livestate/client (`state.get(key, { transport: 'ws' })`, msgpack); `raw` is a
// hand-written client of the same wire protocol: `ws` and msgpackr frames, callbacks, nothing else.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@livestate/client'
import { Packr } from 'msgpackr'
import WebSocket from 'ws'
import type { Workload } from './child.ts'
import { collectSourceMaps } from './cpu-profile.ts'
import { HTTP_JOB, HTTP_STATE, type Profile, userKey } from './http-job.ts'
import { percentile } from './http-load.ts'

export interface ClientLoadArgs {
  url: string
  keys: number
  inFlight: number
  warmupSeconds: number
  seconds: number
  /** When set (the process runs under --cpu-prof), source maps are saved there for the profile. */
  profileDir?: string
}

export interface ClientLoadResult {
  perSecond: number
  p50Ms: number
  p99Ms: number
  total: number
  /** Failed lookups, and answers that were not the profile of the key asked for. */
  errors: number
  wrong: number
  /** This process's CPU (user + system) per lookup over the measured period, µs. */
  cpuUsPerLookup: number
  /** CPU time ÷ wall time over the measured period (1 = one core busy). */
  cpuShare: number
  /** process.hrtime µs around the measured phase (the clock of --cpu-prof profiles). */
  fromUs?: number
  toUs?: number
}

/** Issues one lookup; calls `done` with the answer (undefined on failure) exactly once. */
export type Issue = (key: string, done: (value: Profile | undefined, failed: boolean) => void) => void

/** A drain slower than this after the end of a phase means answers stopped coming. */
const DRAIN_TIMEOUT_MS = 10_000

function phase(issue: Issue, o: ClientLoadArgs, seconds: number): Promise<ClientLoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = []
    let errors = 0
    let wrong = 0
    let outstanding = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const deadline = t0 + seconds * 1000
    let tEnd = 0
    let cpuEnd: NodeJS.CpuUsage | undefined
    const watchdog = setTimeout(
      () => reject(new Error(`answers stopped (${outstanding} in flight)`)),
      seconds * 1000 + DRAIN_TIMEOUT_MS,
    )
    const send = () => {
      const key = userKey(Math.floor(Math.random() * o.keys))
      const sentAt = performance.now()
      outstanding++
      issue(key, (value, failed) => {
        outstanding--
        const now = performance.now()
        if (now <= deadline) {
          latencies.push(now - sentAt)
          if (failed) errors++
          else if (value?.user !== key) wrong++
          send()
          return
        }
        if (cpuEnd === undefined) {
          cpuEnd = process.cpuUsage(cpu0)
          tEnd = now
        }
        if (outstanding > 0) return
        clearTimeout(watchdog)
        latencies.sort((a, b) => a - b)
        const cpuUs = cpuEnd.user + cpuEnd.system
        resolve({
          perSecond: latencies.length / seconds,
          p50Ms: percentile(latencies, 0.5),
          p99Ms: percentile(latencies, 0.99),
          total: latencies.length,
          errors,
          wrong,
          cpuUsPerLookup: cpuUs / Math.max(1, latencies.length),
          cpuShare: cpuUs / 1000 / (tEnd - t0),
        })
      })
    }
    for (let i = 0; i < o.inFlight; i++) send()
  })
}

/** A warm-up, then the measured phase. */
export async function measure(issue: Issue, o: ClientLoadArgs): Promise<ClientLoadResult> {
  await phase(issue, o, o.warmupSeconds)
  const fromUs = hrtimeUs()
  const result = await phase(issue, o, o.seconds)
  const toUs = hrtimeUs()
  if (o.profileDir !== undefined) {
    mkdirSync(o.profileDir, { recursive: true })
    writeFileSync(join(o.profileDir, 'sourcemaps.json'), JSON.stringify(collectSourceMaps(ROOT)))
  }
  return { ...result, fromUs, toUs }
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function hrtimeUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

export const workloads: Record<string, Workload> = {
  async sdk(o: ClientLoadArgs) {
    const client = createClient({ url: o.url, job: HTTP_JOB, encoding: 'msgpack', transport: 'ws', onError: () => {} })
    const profiles = client.job(HTTP_JOB).state<string, Profile>(HTTP_STATE)
    try {
      return await measure(
        (key, done) =>
          profiles.get(key).then(
            (value) => done(value, false),
            () => done(undefined, true),
          ),
        o,
      )
    } finally {
      await client.close()
    }
  },

  async raw(o: ClientLoadArgs) {
    const packr = new Packr({ useRecords: false })
    const socket = new WebSocket(`${o.url.replace(/^http/, 'ws')}/v1/ws`)
    const pending = new Map<number, (value: Profile | undefined, failed: boolean) => void>()
    let nextId = 1
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data: Buffer) => {
      const frame = packr.unpack(data) as { id: number; ok: boolean; value?: Profile }
      const done = pending.get(frame.id)
      if (done === undefined) return
      pending.delete(frame.id)
      done(frame.value, !frame.ok)
    })
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve)
        socket.once('error', reject)
      })
      return await measure((key, done) => {
        const id = nextId++
        pending.set(id, done)
        socket.send(packr.pack({ id, op: 'get', job: HTTP_JOB, state: HTTP_STATE, key }))
      }, o)
    } finally {
      socket.terminate()
    }
  },
}
