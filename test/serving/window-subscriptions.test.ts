// Subscriptions to a window state whose windows fire: a key's frames follow its latest in-flight
// window (what a point get answers by default). When an older window of the key fires and is cleared
// while a newer one is in flight, subscribers must not get a delete for the key; only when its last
// window is gone does the key's delete frame come.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedHandle, startEmbedded } from '../../src/main.ts'
import windowsJob from '../fixtures/serving/windows-job.ts'
import { eventually, makeTempDir, type TempDir } from '../server/support/engine.ts'
import { type Frame, TestWsClient } from '../server/support/ws-client.ts'
import { Api } from './support/api.ts'

const JOB = 'windows'
const STATE = 'per-minute'

describe.each([1, 2])('window state subscriptions, parallelism %i', (p) => {
  let dir: TempDir
  let handle: EmbeddedHandle
  let api: Api
  let ws: TestWsClient

  const send = async (events: { k: string; ts: number }[]) =>
    expect((await api.ingest(JOB, 'events', events)).status).toBe(202)
  const latest = async (key: string) => {
    const res = await api.key(JOB, STATE, key)
    return res.status === 404 ? undefined : res.body.value
  }

  beforeAll(async () => {
    dir = await makeTempDir('windows')
    handle = await startEmbedded({
      job: windowsJob,
      port: 0,
      stateBackend: 'leveldb',
      stateDir: dir.path,
      parallelism: p,
      checkpointInterval: 3_600_000,
    })
    api = new Api(handle.url, 'json')
    ws = await TestWsClient.open(`${handle.url.replace(/^http/, 'ws')}/v1/ws`)
  })

  afterAll(async () => {
    ws?.close()
    await handle?.close()
    await dir?.remove()
  })

  it('an older window firing is no delete of the key; the last window firing is', async () => {
    // a: windows [0, 60 s) and [60 s, 120 s) in flight
    await send([
      { k: 'a', ts: 10_000 },
      { k: 'a', ts: 70_000 },
    ])
    await eventually(async () => expect(await latest('a')).toMatchObject({ window: { start: 60_000 }, value: 1 }))
    const byKey = await ws.request({ id: 1, op: 'subscribe', job: JOB, state: STATE, keys: ['a'] })
    const all = await ws.request({ id: 2, op: 'subscribe', job: JOB, state: STATE, all: true }, true)
    const subs = [byKey.frame.sub as string, all.frame.sub as string]
    for (const sub of subs) {
      const snap = await ws.waitFor((r) => r.frame.sub === sub && r.frame.type === 'snapshot' && r.frame.key === 'a')
      expect(snap.frame.value).toMatchObject({ key: 'a', window: { start: 60_000, end: 120_000 }, value: 1 })
    }
    const framesOf = (sub: string) =>
      ws.received.map((r) => r.frame).filter((f): f is Frame => f.sub === sub && f.key === 'a')

    // the watermark passes 60 s: [0, 60 s) fires and is cleared while [60 s, 120 s) stays; then one more in it
    await send([{ k: 'b', ts: 100_000 }])
    await eventually(async () => expect((await api.key(JOB, STATE, 'a', '?window=all')).body.value).toHaveLength(1))
    await send([{ k: 'a', ts: 80_000 }])
    await eventually(async () => expect(await latest('a')).toMatchObject({ window: { start: 60_000 }, value: 2 }))
    for (const sub of subs) {
      await eventually(() => expect(framesOf(sub).at(-1)?.value).toEqual(latestValue(2)))
      expect(framesOf(sub).map((f) => f.type)).not.toContain('delete')
    }

    // the watermark passes 120 s: the key's last window fires; now the key has no value
    await send([{ k: 'b', ts: 500_000 }])
    await eventually(async () => expect(await latest('a')).toBeUndefined())
    for (const sub of subs) {
      await eventually(() => expect(framesOf(sub).at(-1)?.type).toBe('delete'))
      const seqs = framesOf(sub).map((f) => f.seq as number)
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!)
    }
  })
})

function latestValue(value: number) {
  return { key: 'a', window: { start: 60_000, end: 120_000 }, value }
}
