// Hostile-input corpus, HTTP: every malformed, oversized or malicious request gets its documented 4xx,
// never a 500, and the server keeps answering afterwards. The WebSocket corpus is hostile-ws.test.ts.
import { encodeMsgpack } from '@livestate/client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './support/engine.ts'
import { call, rawRequest } from './support/http.ts'
import { type TestServer, startTestServer } from './support/start-server.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterEach(async () => {
  expect((await call(`${s.url}/v1/health`)).status).toBe(200)
})
afterAll(async () => {
  const metrics = await s.registry.metrics()
  expect(metrics).not.toMatch(/livestate_http_requests_total\{[^}]*status="5\d\d"/)
  expect(Object.prototype).not.toHaveProperty('polluted')
  await s.close()
})

const STATE = '/v1/jobs/clicks/states/page-views'
const b = (...bytes: number[]) => new Uint8Array(bytes)

interface Case {
  name: string
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  status: number
  code: string
}

const msgpack = { 'content-type': 'application/msgpack' }
const json = { 'content-type': 'application/json' }

const HTTP_CASES: Case[] = [
  // msgpack bodies
  {
    name: 'truncated msgpack',
    method: 'POST',
    path: `${STATE}/get`,
    headers: msgpack,
    body: b(0x81, 0xa4, 0x6b, 0x65),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack 0xc1',
    method: 'POST',
    path: `${STATE}/get`,
    headers: msgpack,
    body: b(0xc1),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack array32 of 4 billion',
    method: 'POST',
    path: `${STATE}/get`,
    headers: msgpack,
    body: b(0xdd, 0xff, 0xff, 0xff, 0xff, 0),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack map32 of 4 billion',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: msgpack,
    body: b(0xdf, 0xff, 0xff, 0xff, 0xff),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack str32 of 4 GiB',
    method: 'POST',
    path: `${STATE}/get`,
    headers: msgpack,
    body: b(0xdb, 0xff, 0xff, 0xff, 0xff, 0x61),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack nested 10k deep',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: msgpack,
    body: new Uint8Array(10_000).fill(0x91),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack extension type',
    method: 'POST',
    path: `${STATE}/get`,
    headers: msgpack,
    body: b(0xd6, 0xff, 0, 0, 0, 0),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'msgpack body that is not an object',
    method: 'POST',
    path: `${STATE}/get`,
    headers: msgpack,
    body: encodeMsgpack('keys'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // JSON bodies
  {
    name: 'bad JSON',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: '{"keys":[',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'empty JSON body',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: '',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'JSON nested 100k deep',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: json,
    body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'invalid UTF-8 JSON',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: b(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'keys not an array',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: '{"keys":"a"}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a key that is an object',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: '{"keys":[{"a":1}]}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a null key',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: '{"keys":[null]}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a lone-surrogate key',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: '{"keys":[["\\ud800"]]}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a bigint key out of int64 range (msgpack uint64)',
    method: 'POST',
    path: '/v1/jobs/clicks/states/user-ids/get',
    headers: msgpack,
    body: encodeMsgpack({ keys: [2n ** 64n - 1n] }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: '1001 keys in a batch get',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: JSON.stringify({ keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'read option in query and body',
    method: 'POST',
    path: `${STATE}/get?consistency=live`,
    headers: json,
    body: '{"keys":["a"],"consistency":"live"}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'ingest of an object, not an array',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: json,
    body: '{"a":1}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'ingest NDJSON with a bad line',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: { 'content-type': 'application/x-ndjson' },
    body: '{"a":1}\n{oops}\n',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'Idempotency-Key of 300 characters',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: { ...json, 'idempotency-key': 'k'.repeat(300) },
    body: '[]',
    status: 400,
    code: 'BAD_REQUEST',
  },
  // content types
  {
    name: 'text/plain body',
    method: 'POST',
    path: `${STATE}/get`,
    headers: { 'content-type': 'text/plain' },
    body: '{"keys":[]}',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'form-encoded ingest',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=1',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'NDJSON to batch get',
    method: 'POST',
    path: `${STATE}/get`,
    headers: { 'content-type': 'application/x-ndjson' },
    body: '{"keys":[]}\n',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'no content type',
    method: 'POST',
    path: `${STATE}/get`,
    body: new Uint8Array(0),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // sizes
  {
    name: 'batch get body over 1 MiB',
    method: 'POST',
    path: `${STATE}/get`,
    headers: json,
    body: `{"keys":["${'a'.repeat(1_100_000)}"]}`,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'ingest body over 8 MiB',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/clicks/events',
    headers: json,
    body: `["${'a'.repeat(8_500_000)}"]`,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'body on a savepoint over 1 MiB',
    method: 'POST',
    path: '/v1/jobs/clicks/savepoints',
    headers: json,
    body: 'x'.repeat(1_100_000),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  // names and paths
  { name: 'path traversal job', path: '/v1/jobs/..%2F..%2Fetc', status: 404, code: 'UNKNOWN_JOB' },
  {
    name: 'path traversal job in a state route',
    path: '/v1/jobs/..%2F..%2Fetc%2Fpasswd/states/x/keys/y',
    status: 404,
    code: 'UNKNOWN_JOB',
  },
  {
    name: 'path traversal state',
    path: '/v1/jobs/clicks/states/..%2F..%2Fetc/keys/x',
    status: 404,
    code: 'UNKNOWN_STATE',
  },
  {
    name: 'path traversal source',
    method: 'POST',
    path: '/v1/jobs/clicks/sources/..%2Fx/events',
    headers: json,
    body: '[]',
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'NUL in a job name', path: '/v1/jobs/cl%00icks', status: 404, code: 'UNKNOWN_JOB' },
  { name: 'a 10 kB job name', path: `/v1/jobs/${'j'.repeat(10_000)}`, status: 404, code: 'UNKNOWN_JOB' },
  { name: 'unknown state', path: '/v1/jobs/clicks/states/nope', status: 404, code: 'UNKNOWN_STATE' },
  { name: 'malformed percent-encoding in a key', path: `${STATE}/keys/%E0%A4%A`, status: 404, code: 'KEY_NOT_FOUND' },
  {
    name: 'a path key beyond int64 for a bigint state',
    path: '/v1/jobs/clicks/states/user-ids/keys/99999999999999999999999',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'non-numeric key of a number state',
    path: '/v1/jobs/clicks/states/by-number/keys/abc',
    status: 400,
    code: 'BAD_REQUEST',
  },
  // one key, one spelling: Number() would read these as 5 and alias the key
  {
    name: 'a hex key of a number state',
    path: '/v1/jobs/clicks/states/by-number/keys/0x5',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a signed key of a number state',
    path: '/v1/jobs/clicks/states/by-number/keys/+5',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a blank-padded key of a number state',
    path: '/v1/jobs/clicks/states/by-number/keys/%205%20',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'a zero-padded bigint key',
    path: '/v1/jobs/clicks/states/user-ids/keys/007',
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'unknown route', path: '/v1/nothing', status: 400, code: 'BAD_REQUEST' },
  { name: 'wrong method', method: 'DELETE', path: '/v1/jobs/clicks', status: 400, code: 'BAD_REQUEST' },
  // query strings
  { name: 'limit=0', path: `${STATE}/entries?limit=0`, status: 400, code: 'BAD_REQUEST' },
  { name: 'limit=1001', path: `${STATE}/entries?limit=1001`, status: 400, code: 'BAD_REQUEST' },
  { name: 'limit=abc', path: `${STATE}/entries?limit=abc`, status: 400, code: 'BAD_REQUEST' },
  { name: 'limit repeated', path: `${STATE}/entries?limit=1&limit=2`, status: 400, code: 'BAD_REQUEST' },
  { name: 'bad cursor', path: `${STATE}/entries?cursor=%%%`, status: 400, code: 'BAD_REQUEST' },
  {
    name: 'cursor of 5000 characters',
    path: `${STATE}/entries?cursor=${'A'.repeat(5000)}`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'consistency=eventual', path: `${STATE}/keys/x?consistency=eventual`, status: 400, code: 'BAD_REQUEST' },
  { name: 'minCheckpoint=-1', path: `${STATE}/keys/x?minCheckpoint=-1`, status: 400, code: 'BAD_REQUEST' },
  { name: 'minCheckpoint=1e3', path: `${STATE}/keys/x?minCheckpoint=1e3`, status: 400, code: 'BAD_REQUEST' },
  { name: 'timeout above the maximum', path: `${STATE}/keys/x?timeout=99999999`, status: 400, code: 'BAD_REQUEST' },
  { name: 'window=bogus', path: `${STATE}/keys/x?window=bogus`, status: 400, code: 'BAD_REQUEST' },
]

describe('HTTP hostile corpus', () => {
  it.each(HTTP_CASES)('$name → $status $code', async (c) => {
    const res = await call(`${s.url}${c.path}`, {
      method: c.method ?? 'GET',
      headers: c.headers,
      body: c.body as BodyInit | undefined,
    })
    expect(res.status).toBe(c.status)
    expect(res.body).toEqual({ error: { code: c.code, message: expect.any(String), retryable: false } })
  })

  it('__proto__ keys in ingested events are removed and pollute nothing', async () => {
    const res = await call(`${s.url}/v1/jobs/clicks/sources/clicks/events`, {
      method: 'POST',
      headers: json,
      body: '[{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"a":1,"id":"proto-1"}]',
    })
    expect(res.status).toBe(202)
    // The event as the job stored it (`events-by-id` keeps objects with an id verbatim), in-process and
    // over the wire (JSON.parse would make a "__proto__" member an own property).
    const stored = (await eventually(async () => {
      const v = await s.value('clicks', 'events-by-id', 'proto-1')
      expect(v).toBeDefined()
      return v
    })) as Record<string, unknown>
    const text = (await rawRequest(`${s.url}/v1/jobs/clicks/states/events-by-id/keys/proto-1`, {})).text
    for (const event of [stored, JSON.parse(text).value as Record<string, unknown>]) {
      expect(event.a).toBe(1)
      expect(Object.hasOwn(event, '__proto__')).toBe(false)
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
