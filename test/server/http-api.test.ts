// The HTTP API of DESIGN §4 over a real socket: every route's happy path, JSON and msgpack, bigint
// encoding, body limits (also for a streamed body of unbounded length), CORS and the origin guards.
import { encodeMsgpack } from '@livestate/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { click, eventually, note, setKey } from './support/engine.ts'
import { call, rawRequest, streamUntilAnswered } from './support/http.ts'
import { type TestServer, startTestServer } from './support/start-server.ts'

const JSON_TYPE = { 'content-type': 'application/json' }

describe('HTTP API without an auth file', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer({
      limits: { bodyBytes: 64 * 1024, ingestBodyBytes: 256 * 1024 },
      corsOrigins: ['https://app.example'],
      ingestMaxLag: { orders: 3 },
    })
  })
  afterAll(() => s.close())

  it('GET /v1/health → {"status":"ok"}', async () => {
    expect(await call(`${s.url}/v1/health`)).toMatchObject({ status: 200, body: { status: 'ok' } })
  })

  it('GET /v1/jobs and /v1/jobs/:job describe jobs', async () => {
    const jobs = await call(`${s.url}/v1/jobs`)
    expect(jobs.body.jobs.map((j: { name: string }) => j.name)).toEqual(['clicks', 'orders'])
    const detail = await call(`${s.url}/v1/jobs/clicks`)
    expect(detail.status).toBe(200)
    expect(detail.body).toMatchObject({
      name: 'clicks',
      status: 'RUNNING',
      plan: { vertices: expect.any(Array) },
      checkpoints: { completed: expect.any(Number) },
    })
  })

  it('GET a state description', async () => {
    expect((await call(`${s.url}/v1/jobs/clicks/states/page-views`)).body).toMatchObject({
      kind: 'aggregating',
      keyType: 'string',
      owners: expect.any(Array),
    })
  })

  it('point get decodes the path segment and answers key, value, meta; a missing key is 404 KEY_NOT_FOUND', async () => {
    const hit = await call(
      `${s.url}/v1/jobs/clicks/states/page-views/keys/${encodeURIComponent('/home')}?consistency=committed`,
    )
    expect(hit).toMatchObject({
      status: 200,
      body: { key: '/home', value: 42, meta: { epoch: 1, consistency: 'committed' } },
    })
    const miss = await call(`${s.url}/v1/jobs/clicks/states/page-views/keys/nope`)
    expect(miss).toMatchObject({ status: 404, body: { error: { code: 'KEY_NOT_FOUND', retryable: false } } })
  })

  it('bigint keys are decimal strings in JSON and int64 in msgpack', async () => {
    const url = `${s.url}/v1/jobs/clicks/states/user-ids/keys/9007199254740993`
    expect((await call(url)).body.key).toBe('9007199254740993')
    const packed = await call(url, { headers: { accept: 'application/msgpack' } })
    expect(packed.headers.get('content-type')).toBe('application/msgpack')
    expect(packed.body.key).toBe(9007199254740993n)
  })

  it('number-typed states parse the path key as a number', async () => {
    expect((await call(`${s.url}/v1/jobs/clicks/states/by-number/keys/5`)).body).toMatchObject({
      key: 5,
      value: 'five',
    })
  })

  it('batch get answers in request order, JSON or msgpack, with read options in query or body', async () => {
    const json = await call(`${s.url}/v1/jobs/clicks/states/page-views/get?consistency=committed`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: JSON.stringify({ keys: ['/blog/b', 'missing', '/home'] }),
    })
    expect(json.status).toBe(200)
    expect(json.body.entries).toEqual([
      { key: '/blog/b', value: 9 },
      { key: 'missing', error: expect.objectContaining({ code: 'KEY_NOT_FOUND' }) },
      { key: '/home', value: 42 },
    ])
    expect(json.body.meta.consistency).toBe('committed')
    const packed = await call(`${s.url}/v1/jobs/clicks/states/user-ids/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: encodeMsgpack({ keys: [9007199254740993n], consistency: 'committed' }) as BodyInit,
    })
    expect(packed.body.entries).toEqual([{ key: 9007199254740993n, value: { name: 'big' } }])
    expect(packed.body.meta.consistency).toBe('committed')
  })

  it('JSON batch get parses decimal-string keys of a bigint state', async () => {
    const res = await call(`${s.url}/v1/jobs/clicks/states/user-ids/get`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: '{"keys":["9007199254740993"]}',
    })
    expect(res.body.entries).toEqual([{ key: '9007199254740993', value: { name: 'big' } }])
  })

  it('entries page through cursors in key order', async () => {
    const first = await call(`${s.url}/v1/jobs/clicks/states/page-views/entries?limit=2`)
    expect(first.body.entries.map((e: { key: string }) => e.key)).toEqual(['/blog/a', '/blog/b'])
    expect(typeof first.body.cursor).toBe('string')
    const second = await call(`${s.url}/v1/jobs/clicks/states/page-views/entries?limit=2&cursor=${first.body.cursor}`)
    expect(second.body).toEqual({ entries: [{ key: '/home', value: 42 }], cursor: null })
    const prefixed = await call(
      `${s.url}/v1/jobs/clicks/states/page-views/entries?prefix=${encodeURIComponent('/blog/')}`,
    )
    expect(prefixed.body.entries).toHaveLength(2)
  })

  it('ingest takes a JSON array, NDJSON and a msgpack array → 202 {accepted, position}', async () => {
    const url = `${s.url}/v1/jobs/clicks/sources/clicks/events`
    const a = await call(url, { method: 'POST', headers: JSON_TYPE, body: '[{"p":"/a"},{"p":"/b"}]' })
    expect(a).toMatchObject({ status: 202, body: { accepted: 2, position: expect.any(String) } })
    const b = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"p":"/c"}\n{"p":"/d"}\n{"p":"/e"}\n',
    })
    expect(b.body.accepted).toBe(3)
    const c = await call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack' },
      body: encodeMsgpack([{ p: '/f' }]) as BodyInit,
    })
    expect(c.body.accepted).toBe(1)
  })

  it('passes Idempotency-Key to the gateway: a retried batch gets the first answer', async () => {
    const url = `${s.url}/v1/jobs/clicks/sources/clicks/events`
    const batch = JSON.stringify([click('/a', 'idem'), click('/b', 'idem'), click('/c', 'idem')])
    const init = { method: 'POST', headers: { ...JSON_TYPE, 'idempotency-key': 'batch-42' }, body: batch }
    const first = await call(url, init)
    const retry = await call(url, init)
    expect(retry.body).toEqual(first.body)
    // One more click after the retry: once it is counted, everything before it in the log is too,
    // so the count is 4 when the batch was appended once (7 if the retry had been appended again).
    await call(url, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify([click('/d', 'idem')]) })
    const counted = await eventually(async () => {
      const n = (await s.value('clicks', 'user-clicks', 'idem')) as number | undefined
      if (n === undefined || n < 4) throw new Error(`user-clicks/idem is ${n}`)
      return n
    })
    expect(counted).toBe(4)
  })

  it('savepoints and cancel', async () => {
    const sp = await call(`${s.url}/v1/jobs/orders/savepoints`, { method: 'POST' })
    expect(sp).toMatchObject({ status: 200, body: { path: expect.any(String), checkpointId: expect.any(Number) } })
    const cancel = await call(`${s.url}/v1/jobs/orders/cancel`, { method: 'POST' })
    expect(cancel).toMatchObject({ status: 200, body: { job: 'orders', canceled: true } })
    expect((await call(`${s.url}/v1/jobs/orders`)).body.status).toBe('CANCELED')
    // a savepoint of a job that no longer runs is the caller's mistake, not a 500
    const late = await call(`${s.url}/v1/jobs/orders/savepoints`, { method: 'POST' })
    expect(late).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST', retryable: false } } })
  })

  it('/metrics is Prometheus text with per-route counters, latency histograms and ingest events', async () => {
    const res = await call(`${s.url}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(res.body).toContain(
      'livestate_http_requests_total{method="GET",route="/v1/jobs/:job/states/:state/keys/:key",status="200"}',
    )
    expect(res.body).toContain('livestate_http_request_duration_seconds_bucket')
    expect(res.body).toMatch(/livestate_ingest_events_total\{job="clicks",source="clicks"\} \d+/)
  })

  it('/v1/openapi.json documents every route of the table', async () => {
    const doc = (await call(`${s.url}/v1/openapi.json`)).body
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/metrics',
        '/v1/health',
        '/v1/jobs',
        '/v1/jobs/{job}',
        '/v1/jobs/{job}/cancel',
        '/v1/jobs/{job}/savepoints',
        '/v1/jobs/{job}/sources/{source}/events',
        '/v1/jobs/{job}/states/{state}',
        '/v1/jobs/{job}/states/{state}/entries',
        '/v1/jobs/{job}/states/{state}/get',
        '/v1/jobs/{job}/states/{state}/keys/{key}',
        '/v1/ws',
      ].sort(),
    )
  })

  it('GET / serves a page', async () => {
    const res = await call(`${s.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
  })

  it('errors are msgpack too when the client asks for msgpack', async () => {
    const res = await call(`${s.url}/v1/jobs/nope`, { headers: { accept: 'application/msgpack' } })
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_JOB' } } })
  })

  it('gateway errors map to their status: STATE_NOT_READY 503 and RATE_LIMITED 429 carry Retry-After', async () => {
    // `orders` canceled: its state has no owner (STATE_NOT_READY) and nothing reads its ingest log,
    // so once 3 events (its ingestMaxLag) wait unread, the next append is refused (RATE_LIMITED).
    expect((await call(`${s.url}/v1/jobs/orders/cancel`, { method: 'POST' })).status).toBe(200)
    const notReady = await call(`${s.url}/v1/jobs/orders/states/totals/keys/eu`)
    // canceled: its live state never comes back, so the error says not to retry
    expect(notReady).toMatchObject({ status: 503, body: { error: { code: 'STATE_NOT_READY', retryable: false } } })
    expect(notReady.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    const ingest = (events: unknown[]) =>
      call(`${s.url}/v1/jobs/orders/sources/orders/events`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: JSON.stringify(events),
      })
    expect((await ingest([setKey('totals', 'a', 1), setKey('totals', 'b', 2), setKey('totals', 'c', 3)])).status).toBe(
      202,
    )
    const limited = await ingest([setKey('totals', 'd', 4)])
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED', retryable: true } } })
    expect(limited.headers.get('retry-after')).toBe('1')
  })

  it('an unexpected exception is 500 INTERNAL without its message, and the server keeps answering', async () => {
    // A user value whose toJSON throws 'secret /var/lib detail' (fixture class Note). It would fail
    // checkpoints too (msgpack calls toJSON), so it is overwritten afterwards.
    await s.ingest('clicks', [note('bomb', 'explode')])
    try {
      await eventually(async () => expect(await s.value('clicks', 'notes', 'bomb')).toMatchObject({ text: 'explode' }))
      const res = await call(`${s.url}/v1/jobs/clicks/states/notes/keys/bomb`)
      expect(res).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL', retryable: true } } })
      expect(JSON.stringify(res.body)).not.toContain('secret')
      expect((await call(`${s.url}/v1/jobs/clicks`)).status).toBe(200)
    } finally {
      await s.ingest('clicks', [note('bomb', 'defused')])
      await eventually(async () => expect(await s.value('clicks', 'notes', 'bomb')).toMatchObject({ text: 'defused' }))
    }
  })

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE, with Content-Length answered before the body is read', async () => {
    const res = await call(`${s.url}/v1/jobs/clicks/states/page-views/get`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: `{"keys":[],"x":"${'a'.repeat(70 * 1024)}"}`,
    })
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } })
    const ingestOk = await call(`${s.url}/v1/jobs/clicks/sources/clicks/events`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: `["${'a'.repeat(100 * 1024)}"]`,
    })
    expect(ingestOk.status).toBe(202)
    const ingestTooBig = await call(`${s.url}/v1/jobs/clicks/sources/clicks/events`, {
      method: 'POST',
      headers: JSON_TYPE,
      body: `["${'a'.repeat(300 * 1024)}"]`,
    })
    expect(ingestTooBig.status).toBe(413)
  })

  it('a streamed (chunked) body of unbounded length gets 413 after the server read about the limit, not all of it', async () => {
    const result = await streamUntilAnswered(
      `${s.url}/v1/jobs/clicks/sources/clicks/events`,
      JSON_TYPE,
      512 * 1024 * 1024,
    )
    expect(result.status).toBe(413)
    // limit 256 KiB + what the kernel's socket buffers absorb; far below the 512 MiB offered
    expect(result.written).toBeLessThan(32 * 1024 * 1024)
    expect((await call(`${s.url}/v1/health`)).status).toBe(200)
  })

  it('CORS: allowlisted origins get Access-Control-Allow-Origin (never *, no credentials), others nothing', async () => {
    const preflight = await rawRequest(`${s.url}/v1/jobs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example')
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined()
    const foreign = await rawRequest(`${s.url}/v1/jobs`, { headers: { origin: 'https://evil.example' } })
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('a POST from a foreign page is refused (403) even without a preflight; allowlisted and same-origin pass', async () => {
    const evil = await rawRequest(`${s.url}/v1/jobs/clicks/savepoints`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(evil.status).toBe(403)
    expect(JSON.parse(evil.text).error.code).toBe('FORBIDDEN')
    const app = await rawRequest(`${s.url}/v1/jobs/clicks/savepoints`, {
      method: 'POST',
      headers: { origin: 'https://app.example' },
    })
    expect(app.status).toBe(200)
    const same = await rawRequest(`${s.url}/v1/jobs/clicks/savepoints`, { method: 'POST', headers: { origin: s.url } })
    expect(same.status).toBe(200)
  })

  it('a loopback-bound server refuses foreign Host names (DNS rebinding)', async () => {
    const res = await rawRequest(`${s.url}/v1/health`, { headers: { host: 'evil.example:8080' } })
    expect(res.status).toBe(403)
    expect(
      (await rawRequest(`${s.url}/v1/health`, { headers: { host: `localhost:${new URL(s.url).port}` } })).status,
    ).toBe(200)
  })
})
