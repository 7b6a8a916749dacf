// Serving across a failover (DESIGN §1 steps 8-9, §5): a task fails, the job restarts from its latest
// checkpoint with epoch 2 and replays the ingest log. Subscribers get `status: restoring`, snapshots
// of the new epoch, `status: live`, then updates — (epoch, seq) strictly increasing per key — and end
// at the oracle's values; committed reads answer throughout; live reads answer with epoch 2 after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedHandle, startEmbedded } from '../../src/main.ts'
import clicksJob from '../fixtures/serving/clicks-job.ts'
import { eventually, makeTempDir, type TempDir } from '../server/support/engine.ts'
import { type Frame, TestWsClient } from '../server/support/ws-client.ts'
import { Api, wire } from './support/api.ts'
import { clickStream } from './support/click-stream.ts'
import { ClicksOracle, type Key } from './support/oracle.ts'

const JOB = 'clicks'
const keyId = (k: unknown) => JSON.stringify(wire(k))

describe('serving across a failover (leveldb, parallelism 3, 2 TaskManagers)', () => {
  let dir: TempDir
  let handle: EmbeddedHandle
  let api: Api
  const oracle = new ClicksOracle()

  const send = async (events: unknown[]) => {
    expect((await api.ingest(JOB, 'clicks', events)).status).toBe(202)
    oracle.add(events)
  }
  const settled = (state: string) =>
    eventually(async () => {
      const { entries } = await api.scanAll(JOB, state, { limit: 1000 })
      expect(wire(entries)).toEqual(wire(oracle.entries(state)))
    }, 30_000)

  beforeAll(async () => {
    dir = await makeTempDir('failover')
    handle = await startEmbedded({
      job: clicksJob,
      port: 0,
      stateBackend: 'leveldb',
      stateDir: dir.path,
      parallelism: 3,
      taskManagers: 2,
      checkpointInterval: 3_600_000,
    })
    api = new Api(handle.url, 'msgpack')
  })

  afterAll(async () => {
    await handle?.close()
    await dir?.remove()
  })

  it('subscribers see restoring → epoch-2 snapshots → live → updates, and end at the oracle; committed reads answer throughout', async () => {
    await send(clickStream(300, 11))
    await settled('user-clicks')
    await settled('user-pages')
    const checkpoint = await handle.master.coordinator!.trigger()

    const ws = await TestWsClient.open(`${handle.url.replace(/^http/, 'ws')}/v1/ws`)
    try {
      const all = (await ws.request({ id: 1, op: 'subscribe', job: JOB, state: 'user-clicks', all: true }, true)).frame
        .sub as string
      const keys = (await ws.request({ id: 2, op: 'subscribe', job: JOB, state: 'user-pages', keys: ['u01', 'u02'] }))
        .frame.sub as string
      const usersBefore = oracle.users()
      for (const u of usersBefore) {
        await ws.waitFor((r) => r.frame.sub === all && r.frame.type === 'snapshot' && r.frame.key === u)
      }

      // more clicks, a task failure, more clicks: the job restarts from `checkpoint` and replays
      await send(clickStream(100, 12))
      await send([{ t: 'trip', id: 'failover-1' }])
      await send(clickStream(100, 13))

      for (const sub of [all, keys]) {
        await ws.waitFor(
          (r) => r.frame.sub === sub && r.frame.type === 'status' && r.frame.state === 'restoring',
          20_000,
        )
        await ws.waitFor((r) => r.frame.sub === sub && r.frame.type === 'status' && r.frame.state === 'live', 20_000)
      }
      // committed reads keep answering from the checkpoint while and after the job restores
      const committed = await api.key(JOB, 'user-clicks', usersBefore[0]!, '?consistency=committed')
      expect(committed.body.meta).toMatchObject({ consistency: 'committed', checkpointId: checkpoint.checkpointId })

      await settled('user-clicks')
      await settled('user-pages')
      const frames = (sub: string) => ws.received.map((r) => r.frame).filter((f) => f.sub === sub)
      for (const [sub, state, covers] of [
        [all, 'user-clicks', () => true],
        [keys, 'user-pages', (k: Key) => k === 'u01' || k === 'u02'],
      ] as const) {
        // final values are the oracle's
        await eventually(() => {
          const last = new Map<string, Frame>()
          for (const f of frames(sub)) if (f.type !== 'status') last.set(keyId(f.key), f)
          for (const x of oracle.entries(state).filter((e) => covers(e.key))) {
            expect(wire(last.get(keyId(x.key))?.value), `${state} ${keyId(x.key)}`).toEqual(wire(x.value))
          }
        }, 20_000)
        // per key: (epoch, seq) strictly increasing; the first frame of epoch 2 is a snapshot
        const perKey = new Map<string, Frame[]>()
        for (const f of frames(sub)) {
          if (f.type === 'status') continue
          perKey.set(keyId(f.key), [...(perKey.get(keyId(f.key)) ?? []), f])
        }
        for (const [k, fs] of perKey) {
          for (let j = 1; j < fs.length; j++) {
            const [a, b] = [fs[j - 1]!, fs[j]!]
            const up =
              (b.epoch as number) > (a.epoch as number) ||
              (b.epoch === a.epoch && (b.seq as number) > (a.seq as number))
            expect(up, `${state} ${k}: (${a.epoch},${a.seq}) then (${b.epoch},${b.seq})`).toBe(true)
          }
          const epoch2 = fs.filter((f) => f.epoch === 2)
          if (epoch2.length > 0) expect(epoch2[0]!.type, `${state} ${k}`).toBe('snapshot')
        }
        expect([...perKey.values()].some((fs) => fs.some((f) => f.epoch === 2))).toBe(true)
      }
    } finally {
      ws.close()
    }

    // live reads come from the restarted owners
    const live = await api.key(JOB, 'user-clicks', oracle.users()[0]!)
    expect(live.body.meta.epoch).toBe(2)
    const described = await api.get(`/v1/jobs/${JOB}/states/user-clicks`)
    for (const o of described.body.owners) expect(o).toMatchObject({ epoch: 2, status: 'live' })
    expect((await api.get(`/v1/jobs/${JOB}`)).body.status).toBe('RUNNING')
  })
})
