// Runs inside a fresh process (child-main.ts): the two servers the http suite loads — livestate
// (startEmbedded over the profiles job) and the baseline, a bare Hono route answering from a Map.
// Each sends { type: 'ready', url } once every key is queryable and closes on { type: 'stop' }.
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { LivestateError } from '@livestate/client'
import { Hono } from 'hono'
import { assignToKeyGroup, computeDefaultMaxParallelism } from '../src/keys/key-group-range-assignment.ts'
import { type EmbeddedHandle, startEmbedded } from '../src/main.ts'
import { createIndexedRandom } from '../src/runtime/sources/generator-source.ts'
import type { Workload, WorkloadIO } from './child.ts'
import { collectSourceMaps } from './cpu-profile.ts'
import { HTTP_JOB, HTTP_SEED, HTTP_STATE, type Profile, generateProfile, profilesJob, userKey } from './http-job.ts'

const HOST = '127.0.0.1'
const LOAD_TIMEOUT_MS = 120_000
const ROOT = fileURLToPath(new URL('..', import.meta.url))

async function isServed(h: EmbeddedHandle, key: string): Promise<boolean> {
  try {
    await h.proxy.get(HTTP_JOB, HTTP_STATE, key)
    return true
  } catch (e) {
    if (e instanceof LivestateError && (e.code === 'STATE_NOT_READY' || e.code === 'KEY_NOT_FOUND')) return false
    throw e
  }
}

async function waitUntilServed(h: EmbeddedHandle, key: string): Promise<void> {
  const deadline = Date.now() + LOAD_TIMEOUT_MS
  while (!(await isServed(h, key))) {
    if (h.master.isTerminal() && h.master.status !== 'FINISHED')
      throw h.master.failureCause ?? new Error(`job is ${h.master.status}`)
    if (Date.now() > deadline) throw new Error(`key ${key} not queryable after ${LOAD_TIMEOUT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Sends 'ready', then answers each { type: 'mark' } with this process's CPU time and clock (so the
 * suite can compute requests per server CPU-second over the measured period) until { type: 'stop' }.
 */
async function serveUntilStopped(
  io: WorkloadIO,
  url: string,
  info: Record<string, unknown>,
  close: () => Promise<void>,
  profileDir?: string,
) {
  try {
    io.send({ type: 'ready', url, ...info })
    const stop = io.next('stop').then(() => undefined)
    while (await Promise.race([stop, io.next('mark')])) {
      const u = process.cpuUsage()
      io.send({ type: 'marked', cpuMs: (u.user + u.system) / 1000, atUs: Number(process.hrtime.bigint() / 1000n) })
    }
  } finally {
    await close()
  }
  if (profileDir !== undefined) {
    mkdirSync(profileDir, { recursive: true })
    writeFileSync(join(profileDir, 'sourcemaps.json'), JSON.stringify(collectSourceMaps(ROOT)))
  }
  return { ...info, maxRssMb: process.resourceUsage().maxRSS / 1024 }
}

export const workloads: Record<string, Workload> = {
  /** livestate: the bounded job; if its final state is not served once FINISHED, the keep-alive job. */
  async livestate(args: { keys: number; backend: 'heap' | 'leveldb'; profileDir?: string }, io) {
    const stateDir = await mkdtemp(join(tmpdir(), 'livestate-bench-http-'))
    const lastKey = userKey(args.keys - 1)
    const start = (keepAlive: boolean) =>
      startEmbedded({
        job: profilesJob(args.keys, keepAlive),
        port: 0,
        host: HOST,
        stateBackend: args.backend,
        stateDir,
      })
    try {
      const t0 = performance.now()
      let mode = 'bounded job, FINISHED'
      let h = await start(false)
      const status = await h.master.whenTerminated()
      if (status !== 'FINISHED') throw h.master.failureCause ?? new Error(`profiles job ${status}`)
      if (!(await isServed(h, lastKey))) {
        await h.close()
        mode = 'keep-alive job, RUNNING (FINISHED jobs do not serve their state yet)'
        h = await start(true)
        await waitUntilServed(h, lastKey)
      }
      const handle = h
      const info = { mode, backend: args.backend, loadMs: performance.now() - t0 }
      return await serveUntilStopped(io, handle.url, info, () => handle.close(), args.profileDir)
    } finally {
      await rm(stateDir, { recursive: true, force: true })
    }
  },

  /** The baseline: the same profiles in a Map behind one Hono route with the same JSON shape. */
  async hono(args: { keys: number; profileDir?: string }, io) {
    const maxParallelism = computeDefaultMaxParallelism(1)
    const rng = createIndexedRandom(HTTP_SEED)
    const profiles = new Map<string, { value: Profile; keyGroup: number }>()
    for (let i = 0; i < args.keys; i++) {
      rng.reset(i)
      const value = generateProfile(i, rng.random)
      profiles.set(value.user, { value, keyGroup: assignToKeyGroup(value.user, maxParallelism) })
    }
    const notFound = (code: string, message: string) => ({ error: { code, message, retryable: false } })
    const app = new Hono().get('/v1/jobs/:job/states/:state/keys/:key', (c) => {
      const { job, state, key } = c.req.param()
      if (job !== HTTP_JOB) return c.json(notFound('UNKNOWN_JOB', `no job named '${job}'`), 404)
      if (state !== HTTP_STATE) return c.json(notFound('UNKNOWN_STATE', `no queryable state '${state}'`), 404)
      const entry = profiles.get(key)
      if (!entry) return c.json(notFound('KEY_NOT_FOUND', `state '${state}' has no value for this key`), 404)
      const meta = { keyGroup: entry.keyGroup, subtask: 0, epoch: 1, checkpointId: 1, consistency: 'live' }
      return c.json({ key, value: entry.value, meta })
    })
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: HOST }, () => resolve(s))
    })
    const { port } = server.address() as AddressInfo
    const close = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    return serveUntilStopped(io, `http://${HOST}:${port}`, { keys: profiles.size }, close, args.profileDir)
  },
}
