// Ingest backpressure (DESIGN §4 RATE_LIMITED): when a job falls behind its HTTP source by more than
// the ingest log's max lag, POST …/events answers 429 RATE_LIMITED with Retry-After and appends
// nothing; every accepted event is processed exactly once, and ingest is accepted again once the
// job has caught up. Fixture: test/fixtures/serving/slow-job.ts (an operator that sleeps on demand).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedHandle, startEmbedded } from '../../src/main.ts'
import slowJob from '../fixtures/serving/slow-job.ts'
import { eventually, makeTempDir, type TempDir } from '../server/support/engine.ts'
import { Api } from './support/api.ts'

const MAX_LAG = 20

describe('ingest backpressure', () => {
  let dir: TempDir
  let handle: EmbeddedHandle
  let api: Api
  /** Events accepted so far (202): the oracle of `processed`. */
  let accepted = 0

  const processed = async () => {
    const res = await api.key('slow', 'processed', 'all')
    return res.status === 404 ? 0 : (res.body.value as number)
  }
  const ingest = async (events: unknown[]) => {
    const res = await api.ingest('slow', 'events', events)
    if (res.status === 202) accepted += res.body.accepted
    return res
  }

  beforeAll(async () => {
    dir = await makeTempDir('backpressure')
    handle = await startEmbedded({
      job: slowJob,
      port: 0,
      stateBackend: 'heap',
      stateDir: dir.path,
      checkpointInterval: 3_600_000,
      ingestMaxLag: MAX_LAG,
    })
    api = new Api(handle.url, 'json')
  })

  afterAll(async () => {
    await handle?.close()
    await dir?.remove()
  })

  it('a job that lags more than the max lag gets 429 RATE_LIMITED with Retry-After; accepted events count once, refused ones never', async () => {
    expect((await ingest([{ sleepMs: 1500 }])).status).toBe(202)
    let limited: Awaited<ReturnType<typeof ingest>> | undefined
    for (let i = 0; i < 500 && !limited; i++) {
      const res = await ingest([{}])
      if (res.status === 429) limited = res
      else expect(res.status).toBe(202)
    }
    expect(limited, 'no 429 although the job sleeps').toBeDefined()
    expect(limited!.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.any(String), retryable: true } })
    const retryAfter = Number(limited!.headers.get('retry-after'))
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true)
    // while it lags, every append is refused
    expect((await ingest([{}, {}])).status).toBe(429)

    // a client that honours Retry-After gets through once the job caught up
    const deadline = Date.now() + 15_000
    let res = await ingest([{}])
    while (res.status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000))
      res = await ingest([{}])
    }
    expect(res.status).toBe(202)
    await eventually(async () => expect(await processed()).toBe(accepted), 15_000)
    // nothing of the refused batches shows up later
    await new Promise((r) => setTimeout(r, 300))
    expect(await processed()).toBe(accepted)
  })

  it('a batch larger than the max lag is accepted when nothing waits unread (a 429 no retry could get past would be wrong)', async () => {
    await eventually(async () => expect(await processed()).toBe(accepted))
    const res = await ingest(Array.from({ length: MAX_LAG * 3 }, () => ({})))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(MAX_LAG * 3)
    await eventually(async () => expect(await processed()).toBe(accepted))
  })
})
