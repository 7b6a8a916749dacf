// Helpers over a real embedded engine (startEmbedded, what `livestate run` starts): a temp state
// directory, waiting until every queryable state has owners, counting change-feed subscribers, and
// builders for the events the serving fixture jobs understand (test/fixtures/serving).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vi } from 'vitest'
import type { EmbeddedHandle } from '../../../src/main.ts'
import type { Click, NoteEvent, ResetPage, SetValue } from '../../fixtures/serving/serving-events.ts'

export interface TempDir {
  path: string
  remove(): Promise<void>
}

export async function makeTempDir(name: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `livestate-${name}-`))
  return { path, remove: () => rm(path, { recursive: true, force: true, maxRetries: 3 }) }
}

/** Waits until each named state has an owner for every key group (all its subtasks opened). */
export async function waitUntilServing(h: EmbeddedHandle, states: readonly string[], timeout = 15_000): Promise<void> {
  await vi.waitFor(
    () => {
      for (const name of states) {
        const loc = h.master.locations.getKvStateLocation(name)
        if (!loc?.isComplete())
          throw new Error(`state '${name}' of job '${h.master.name}' has no complete location yet`)
      }
    },
    { timeout, interval: 20 },
  )
}

/** Open change-feed subscriptions of `state` over all its owners (KvStateServers) in the engine. */
export function subscriberCount(h: EmbeddedHandle, state: string): number {
  const loc = h.master.locations.getKvStateLocation(state)
  if (!loc) return 0
  let n = 0
  for (const o of loc.distinctOwners()) {
    n += h.cluster.taskManagerById(o.serverAddress)?.kvStateServer.subscriberCount(o.kvStateId) ?? 0
  }
  return n
}

const BASE_TS = Date.UTC(2024, 0, 1)

export function click(page: string, user = 'seed', ts = BASE_TS, ms = 1): Click {
  return { t: 'click', user, page, ts, ms }
}

export function clicks(page: string, n: number, user = 'seed'): Click[] {
  return Array.from({ length: n }, (_, i) => click(page, user, BASE_TS + i * 1000))
}

export function resetPage(page: string): ResetPage {
  return { t: 'reset', page }
}

export function setKey(state: string, key: string | number, value: unknown): SetValue {
  return { t: 'set', state, key, value }
}

export function deleteKey(state: string, key: string | number): SetValue {
  return { t: 'del', state, key }
}

export function note(key: string, text: string): NoteEvent {
  return { t: 'note', key, text }
}

/** Retries `check` until it stops throwing (state changes land asynchronously after ingest). */
export function eventually<T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 20 })
}
