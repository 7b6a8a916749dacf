// Gap-free resume (DESIGN §5): a client that resubscribes keeps the last (epoch, seq) it saw per key
// and drops frames that are not strictly newer. A key that changed while nobody subscribed has had no
// change published, so the owner's feed sequence did not move — the snapshot of the new subscription
// must still be strictly newer than every frame sent before, or the client would drop the new value
// and stay on the old one for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedHandle, startEmbedded } from '../../src/main.ts'
import clicksJob from '../fixtures/serving/clicks-job.ts'
import { eventually, makeTempDir, type TempDir } from '../server/support/engine.ts'
import { type Frame, TestWsClient } from '../server/support/ws-client.ts'
import { Api } from './support/api.ts'

const JOB = 'clicks'
const STATE = 'user-clicks'

const click = (user: string, i: number) => ({ t: 'click', user, page: '/p', ts: 1_700_000_000_000 + i, ms: 1 })

describe.each(['heap', 'leveldb'] as const)('resubscribing after unobserved changes (%s)', (stateBackend) => {
  let dir: TempDir
  let handle: EmbeddedHandle
  let api: Api

  beforeAll(async () => {
    dir = await makeTempDir('resubscribe')
    handle = await startEmbedded({
      job: clicksJob,
      port: 0,
      stateBackend,
      stateDir: dir.path,
      parallelism: 2,
      checkpointInterval: 3_600_000,
    })
    api = new Api(handle.url, 'json')
  })

  afterAll(async () => {
    await handle?.close()
    await dir?.remove()
  })

  const count = async (user: string) => (await api.key(JOB, STATE, user)).body.value as number | undefined
  const wsUrl = () => `${handle.url.replace(/^http/, 'ws')}/v1/ws`

  it.each(['keys', 'prefix', 'all'] as const)(
    'a %s subscription made after unobserved changes snapshots them at a position newer than any sent before',
    async (selectorKind) => {
      const user = `u-${selectorKind}`
      const selector =
        selectorKind === 'keys' ? { keys: [user] } : selectorKind === 'prefix' ? { prefix: user } : { all: true }
      expect((await api.ingest(JOB, 'clicks', [click(user, 0)])).status).toBe(202)
      await eventually(async () => expect(await count(user)).toBe(1))

      const first = await TestWsClient.open(wsUrl())
      const sub1 = (await first.request({ id: 1, op: 'subscribe', job: JOB, state: STATE, ...selector })).frame
        .sub as string
      await first.waitFor((r) => r.frame.sub === sub1 && r.frame.key === user && r.frame.type === 'snapshot')
      expect((await api.ingest(JOB, 'clicks', [click(user, 1)])).status).toBe(202)
      const update = await first.waitFor((r) => r.frame.sub === sub1 && r.frame.key === user && r.frame.value === 2)
      expect(update.frame.type).toBe('update')
      first.close()
      await first.closed

      // changes nobody watches: the owner publishes nothing for them
      expect((await api.ingest(JOB, 'clicks', [click(user, 2), click(user, 3)])).status).toBe(202)
      await eventually(async () => expect(await count(user)).toBe(4))

      const second = await TestWsClient.open(wsUrl())
      const sub2 = (await second.request({ id: 1, op: 'subscribe', job: JOB, state: STATE, ...selector })).frame
        .sub as string
      const snap = (await second.waitFor((r) => r.frame.sub === sub2 && r.frame.key === user)).frame as Frame
      expect(snap).toMatchObject({ type: 'snapshot', value: 4, epoch: update.frame.epoch })
      expect(
        snap.seq as number,
        'the snapshot of the changed value is newer than the last update sent',
      ).toBeGreaterThan(update.frame.seq as number)
      second.close()
    },
  )
})
