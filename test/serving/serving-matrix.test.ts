// The serving end-to-end matrix (issue "Serve the state", Tests): every route and WebSocket frame
// type over real sockets against what `livestate run` starts (startEmbedded with its own server), in
// JSON and msgpack, on the heap and LevelDB backends, at parallelism 1 and 3 fed the same events.
// Every answer is checked against an oracle computed from the events, and the two parallelisms must
// answer identically, full paginated scans included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedHandle, startEmbedded } from '../../src/main.ts'
import clicksJob, { WINDOW_MS } from '../fixtures/serving/clicks-job.ts'
import { eventually, makeTempDir, type TempDir } from '../server/support/engine.ts'
import { call } from '../server/support/http.ts'
import { type Frame, TestWsClient } from '../server/support/ws-client.ts'
import { Api, ENCODINGS, type Encoding, wire } from './support/api.ts'
import { BASE_TS, clickStream, registerWrites } from './support/click-stream.ts'
import { ClicksOracle, compareKeys, type Entry, type Key } from './support/oracle.ts'
import { checkOpenApiDocument, parsePrometheus } from './support/documents.ts'

type KeyType = 'string' | 'number' | 'bigint' | 'composite'
const STATES: Record<string, { kind: string; keyType: KeyType }> = {
  'last-click': { kind: 'value', keyType: 'string' },
  'user-clicks': { kind: 'aggregating', keyType: 'string' },
  'user-time': { kind: 'reducing', keyType: 'string' },
  'user-page': { kind: 'aggregating', keyType: 'composite' },
  'page-views': { kind: 'aggregating', keyType: 'string' },
  'user-pages': { kind: 'list', keyType: 'string' },
  'user-page-counts': { kind: 'map', keyType: 'string' },
  'user-last-seen': { kind: 'value', keyType: 'string' },
  'views-per-minute': { kind: 'window', keyType: 'string' },
  'user-ids': { kind: 'value', keyType: 'bigint' },
  'by-number': { kind: 'value', keyType: 'number' },
}
const STATE_NAMES = Object.keys(STATES)
const PATH_STATES = STATE_NAMES.filter((s) => STATES[s]!.keyType !== 'composite')
const MAX_PARALLELISM = 128
const JOB = 'clicks'
const SOURCE = 'clicks'

/** Phase 1 (before any test), phase 2 (during the WebSocket test): the same events for every engine. */
const PHASE_1: unknown[] = [
  ...clickStream(600, 1),
  ...registerWrites(),
  { t: 'note', key: 'n1', text: 'hello' },
  { id: 'e1', kind: 'anything with an id' },
]
const PHASE_2: unknown[] = [...clickStream(300, 2), { t: 'del', state: 'by-number', key: 5 }]

interface Engine {
  p: number
  handle: EmbeddedHandle
  dir: TempDir
  api: Record<Encoding, Api>
}

async function startEngine(backend: 'heap' | 'leveldb', p: number): Promise<Engine> {
  const dir = await makeTempDir(`serving-${backend}-p${p}`)
  const handle = await startEmbedded({
    job: clicksJob,
    port: 0,
    stateBackend: backend,
    stateDir: dir.path,
    parallelism: p,
    taskManagers: p === 1 ? 1 : 2,
    checkpointInterval: 3_600_000,
  })
  return { p, handle, dir, api: { json: new Api(handle.url, 'json'), msgpack: new Api(handle.url, 'msgpack') } }
}

const path = (state: string) => `/v1/jobs/${JOB}/states/${state}`
const keyId = (k: unknown) => JSON.stringify(wire(k))

/** Expected subtask of a key group (DESIGN §1): keyGroup * parallelism / maxParallelism. */
const subtaskOf = (keyGroup: number, p: number) => Math.floor((keyGroup * p) / MAX_PARALLELISM)

describe.each(['heap', 'leveldb'] as const)('serving matrix, %s backend', (backend) => {
  const oracle = new ClicksOracle()
  let p1: Engine
  let p3: Engine
  let engines: Engine[]

  /** POSTs events to both engines in one content type, and records them in the oracle once. */
  async function send(events: unknown[], how: Encoding | 'ndjson', idempotencyKey?: string) {
    const answers = await Promise.all(
      engines.map((e) => {
        if (how !== 'ndjson') return e.api[how].ingest(JOB, SOURCE, events, idempotencyKey)
        return call(`${e.handle.url}/v1/jobs/${JOB}/sources/${SOURCE}/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-ndjson',
            ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
          },
          body: `${events.map((x) => JSON.stringify(x)).join('\n')}\n`,
        })
      }),
    )
    for (const a of answers) expect(a).toMatchObject({ status: 202, body: { accepted: events.length } })
    return answers
  }

  /** Waits until both engines' full scans of `states` equal the oracle. */
  async function settle(states: readonly string[]) {
    await eventually(async () => {
      for (const e of engines) {
        for (const state of states) {
          const { entries } = await e.api.msgpack.scanAll(JOB, state, { limit: 1000 })
          expect(wire(entries), `${state} at p=${e.p}`).toEqual(wire(oracle.entries(state)))
        }
      }
    }, 30_000)
  }

  beforeAll(async () => {
    ;[p1, p3] = await Promise.all([startEngine(backend, 1), startEngine(backend, 3)])
    engines = [p1, p3]
    const batches = [PHASE_1.slice(0, 200), PHASE_1.slice(200, 400), PHASE_1.slice(400)]
    await send(batches[0]!, 'json')
    await send(batches[1]!, 'msgpack')
    await send(batches[2]!, 'ndjson')
    oracle.add(PHASE_1)
    await settle(STATE_NAMES)
  })

  afterAll(async () => {
    for (const e of engines ?? []) {
      await e.handle.close()
      await e.dir.remove()
    }
  })

  it('GET /v1/health, /v1/jobs and the job detail (plan, checkpoints, sources) in both encodings', async () => {
    for (const e of engines) {
      for (const enc of ENCODINGS) {
        const api = e.api[enc]
        expect(await api.get('/v1/health')).toMatchObject({ status: 200, body: { status: 'ok' } })
        const jobs = await api.get('/v1/jobs')
        expect(jobs.status).toBe(200)
        expect(jobs.body.jobs).toHaveLength(1)
        expect(jobs.body.jobs[0]).toMatchObject({
          name: JOB,
          id: expect.any(String),
          status: 'RUNNING',
          parallelism: e.p,
        })
        expect(jobs.body.jobs[0].states).toEqual(expect.arrayContaining(STATE_NAMES))
        const detail = await api.get(`/v1/jobs/${JOB}`)
        expect(detail.status).toBe(200)
        expect(detail.body).toMatchObject({
          name: JOB,
          id: jobs.body.jobs[0].id,
          status: 'RUNNING',
          parallelism: e.p,
          sources: [SOURCE],
          checkpoints: { completed: expect.any(Number) },
          metrics: expect.any(Object),
        })
        const { vertices, edges } = detail.body.plan as {
          vertices: { id: string; operators: string[]; parallelism: number; maxParallelism: number }[]
          edges: { source: string; target: string; partitioner: string }[]
        }
        const ids = new Set(vertices.map((v) => v.id))
        for (const edge of edges) {
          expect(ids.has(edge.source) && ids.has(edge.target)).toBe(true)
        }
        // every stateful operator once; at p=3 each in its own vertex behind a hash exchange from the
        // source chain (at p=1 the planner chains them all to the source: the exchanges become forward)
        const stateful = vertices.flatMap((v) => v.operators).filter((o) => /^(Queryable|KeyedProcess|Window)/.test(o))
        expect(stateful).toHaveLength(12)
        expect(vertices.find((v) => v.operators[0] === `Source: ${SOURCE}`)).toMatchObject({ parallelism: 1 })
        if (e.p === 3) {
          const keyed = vertices.filter((v) => v.operators.some((o) => /^(Queryable|KeyedProcess|Window)/.test(o)))
          expect(keyed).toHaveLength(12)
          for (const v of keyed) expect(v).toMatchObject({ parallelism: 3, maxParallelism: MAX_PARALLELISM })
          expect(edges.filter((x) => x.partitioner === 'HASH')).toHaveLength(12)
        }
      }
    }
  })

  it('GET a state description: kind, key type, owners covering every key group once', async () => {
    for (const e of engines) {
      for (const [state, { kind, keyType }] of Object.entries(STATES)) {
        for (const enc of ENCODINGS) {
          const res = await e.api[enc].get(path(state))
          expect(res.status).toBe(200)
          expect(res.body).toMatchObject({ name: state, job: JOB, kind, keyType, maxParallelism: MAX_PARALLELISM })
          const owners = [...res.body.owners].sort((a, b) => a.keyGroups.start - b.keyGroups.start)
          expect(owners.map((o: { subtask: number }) => o.subtask)).toEqual(Array.from({ length: e.p }, (_, i) => i))
          let next = 0
          for (const o of owners) {
            expect(o.keyGroups.start).toBe(next)
            expect(o).toMatchObject({ epoch: 1, status: 'live' })
            next = o.keyGroups.end + 1
          }
          expect(next).toBe(MAX_PARALLELISM)
        }
      }
    }
  })

  it.each(PATH_STATES)(
    'point get of every key of %s equals the oracle, with meta; a missing key is 404',
    async (state) => {
      const expected = oracle.entries(state)
      expect(expected.length).toBeGreaterThan(0)
      const missing = STATES[state]!.keyType === 'string' ? 'nobody' : '7'
      for (const enc of ENCODINGS) {
        for (const { key, value } of expected) {
          const answers = await Promise.all(
            engines.map((e) => e.api[enc].key(JOB, state, key as string | number | bigint)),
          )
          for (const [i, res] of answers.entries()) {
            const e = engines[i]!
            expect(res.status, `${state}/${String(key)} at p=${e.p}`).toBe(200)
            expect(wire(res.body.key)).toEqual(wire(key))
            expect(wire(res.body.value)).toEqual(wire(value))
            expect(res.body.meta).toMatchObject({ epoch: 1, consistency: 'live', keyGroup: expect.any(Number) })
            expect(res.body.meta.subtask).toBe(subtaskOf(res.body.meta.keyGroup, e.p))
          }
          // the key group is the key's, whatever the parallelism
          expect(answers[0]!.body.meta.keyGroup).toBe(answers[1]!.body.meta.keyGroup)
        }
        for (const e of engines) {
          const res = await e.api[enc].key(JOB, state, missing)
          expect(res).toMatchObject({ status: 404, body: { error: { code: 'KEY_NOT_FOUND', retryable: false } } })
        }
      }
    },
  )

  it('bigint keys are int64 in msgpack and decimal strings in JSON', async () => {
    for (const e of engines) {
      const packed = await e.api.msgpack.key(JOB, 'user-ids', 9007199254740993n)
      expect(packed.body).toMatchObject({ key: 9007199254740993n, value: { name: 'big' } })
      const min = await e.api.msgpack.key(JOB, 'user-ids', -9223372036854775808n)
      expect(min.body.key).toBe(-9223372036854775808n)
      expect((await e.api.json.key(JOB, 'user-ids', 9007199254740993n)).body.key).toBe('9007199254740993')
    }
  })

  it('window states: window=latest (the default), window=all and window=<start>', async () => {
    for (const page of oracle.pages()) {
      const windows = oracle.windows(page)
      for (const e of engines) {
        for (const enc of ENCODINGS) {
          const api = e.api[enc]
          const all = await api.key(JOB, 'views-per-minute', page, '?window=all')
          expect(all.body.value).toEqual(windows)
          const latest = await api.key(JOB, 'views-per-minute', page, '?window=latest')
          expect(latest.body.value).toEqual(windows.at(-1))
          expect((await api.key(JOB, 'views-per-minute', page)).body.value).toEqual(windows.at(-1))
          for (const w of [windows[0]!, windows.at(-1)!]) {
            const one = await api.key(JOB, 'views-per-minute', page, `?window=${w.window.start}`)
            expect(one.body.value).toEqual(w)
          }
          const before = windows[0]!.window.start - WINDOW_MS
          const none = await api.key(JOB, 'views-per-minute', page, `?window=${before}`)
          expect(none).toMatchObject({ status: 404, body: { error: { code: 'KEY_NOT_FOUND' } } })
        }
      }
    }
    // window in a batch get's body
    const pages = oracle.pages()
    for (const e of engines) {
      const res = await e.api.msgpack.post(`${path('views-per-minute')}/get`, { keys: pages, window: 'all' })
      expect(res.body.entries).toEqual(pages.map((page) => ({ key: page, value: oracle.windows(page) })))
    }
  })

  it('mapKey reads one entry of a MapState (query string or batch body); a user key never put is 404', async () => {
    for (const user of oracle.users()) {
      const counts = new Map(oracle.value('user-page-counts', user) as [string, number][])
      for (const page of ['/blog/ünï', '/never']) {
        for (const e of engines) {
          for (const enc of ENCODINGS) {
            const res = await e.api[enc].key(JOB, 'user-page-counts', user, `?mapKey=${encodeURIComponent(page)}`)
            if (counts.has(page)) expect(res.body.value).toBe(counts.get(page))
            else expect(res).toMatchObject({ status: 404, body: { error: { code: 'KEY_NOT_FOUND' } } })
          }
        }
      }
    }
    const users = oracle.users()
    for (const e of engines) {
      const res = await e.api.json.post(`${path('user-page-counts')}/get`, { keys: users, mapKey: '/home' })
      expect(res.body.entries).toEqual(
        users.map((user) => {
          const n = new Map(oracle.value('user-page-counts', user) as [string, number][]).get('/home')
          return n === undefined
            ? { key: user, error: expect.objectContaining({ code: 'KEY_NOT_FOUND' }) }
            : { key: user, value: n }
        }),
      )
    }
  })

  it('the whole MapState value: [userKey, value] pairs in user-key order', async () => {
    for (const e of engines) {
      for (const enc of ENCODINGS) {
        for (const { key, value } of oracle.entries('user-page-counts')) {
          const res = await e.api[enc].key(JOB, 'user-page-counts', key as string)
          expect(res.status, `user-page-counts/${String(key)} at p=${e.p}`).toBe(200)
          expect(res.body.value).toEqual(value)
        }
      }
    }
  })

  it.each(STATE_NAMES)(
    'batch get of %s answers in request order with per-key errors, both encodings',
    async (state) => {
      const present = oracle.entries(state)
      const missing: Key = { string: 'nobody', bigint: 7n, number: 7, composite: ['nobody', '/home'] }[
        STATES[state]!.keyType
      ]
      const keys: Key[] = [...present.map((x) => x.key).reverse(), missing, present[0]!.key]
      const expected = keys.map((key) => {
        const value = oracle.value(state, key)
        return value === undefined
          ? { key: wire(key), error: { code: 'KEY_NOT_FOUND', message: expect.any(String), retryable: false } }
          : { key: wire(key), value: wire(value) }
      })
      for (const e of engines) {
        for (const enc of ENCODINGS) {
          const res = await e.api[enc].batchGet(JOB, state, keys)
          expect(res.status).toBe(200)
          expect(wire(res.body.entries)).toEqual(expected)
          expect(res.body.meta).toMatchObject({ consistency: 'live' })
        }
      }
    },
  )

  it.each(STATE_NAMES)(
    'entries of %s: the full paginated scan is the oracle in key order for every page size',
    async (state) => {
      const expected = wire(oracle.entries(state)) as unknown[]
      // small pages in JSON (page size 1 only where pages are few: each page scans every key group
      // of every subtask), one page of up to 1000 in msgpack
      const small = expected.length <= 16 ? 1 : 7
      for (const e of engines) {
        for (const [enc, limit] of [
          ['json', small],
          ['msgpack', 1000],
        ] as const) {
          const { entries, pages } = await e.api[enc].scanAll(JOB, state, { limit })
          expect(wire(entries), `${state} p=${e.p} ${enc} limit=${limit}`).toEqual(expected)
          expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)))
        }
      }
    },
  )

  it('entries with prefix, from and to select the oracle’s keys in order', async () => {
    const views = oracle.entries('page-views')
    const blog = views.filter((x) => (x.key as string).startsWith('/blog/'))
    expect(blog.length).toBeGreaterThan(1)
    const clicksByUser = oracle.entries('user-clicks')
    const inRange = (x: Entry) => compareKeys(x.key, 'u02') >= 0 && compareKeys(x.key, 'u05') < 0
    const fromZ = (x: Entry) => compareKeys(x.key, 'z') >= 0
    for (const e of engines) {
      for (const enc of ENCODINGS) {
        const api = e.api[enc]
        expect((await api.scanAll(JOB, 'page-views', { prefix: '/blog/', limit: 2 })).entries).toEqual(blog)
        expect((await api.scanAll(JOB, 'page-views', { prefix: '/nothing', limit: 2 })).entries).toEqual([])
        expect((await api.scanAll(JOB, 'user-clicks', { from: 'u02', to: 'u05', limit: 2 })).entries).toEqual(
          clicksByUser.filter(inRange),
        )
        // by code point 'z\uFFFD' < 'z😀' < 'ünï'; in UTF-16 units (JS `<`) 'z😀' would come first
        expect((await api.scanAll(JOB, 'user-clicks', { from: 'z', limit: 1 })).entries).toEqual(
          clicksByUser.filter(fromZ),
        )
        expect(clicksByUser.filter(fromZ).map((x) => x.key)).toEqual(['z\uFFFD', 'z😀', 'ünï'])
      }
    }
  })

  it('parallelism 1 and 3 answer identically: full scans page by page, batch gets', async () => {
    for (const state of STATE_NAMES) {
      const pagesA: unknown[] = []
      const pagesB: unknown[] = []
      for (const [e, pages] of [
        [p1, pagesA],
        [p3, pagesB],
      ] as const) {
        let cursor: string | null = null
        do {
          const res = await e.api.msgpack.get(
            `${path(state)}/entries?limit=6${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          )
          pages.push(res.body)
          cursor = res.body.cursor
        } while (cursor !== null)
      }
      // same entries on the same pages, and the same cursors (they encode the last key, not a subtask)
      expect(pagesB).toEqual(pagesA)
      const keys = oracle.entries(state).map((x) => x.key)
      const [ga, gb] = await Promise.all(engines.map((e) => e.api.msgpack.batchGet(JOB, state, keys)))
      expect(gb!.body.entries).toEqual(ga!.body.entries)
    }
  })

  it('GET /metrics is Prometheus text that parses, and the query counters move with queries', async () => {
    for (const e of engines) {
      const route = '/v1/jobs/:job/states/:state/keys/:key'
      const sample = (text: string, status: string) =>
        parsePrometheus(text).find(
          (s) =>
            s.name === 'livestate_http_requests_total' &&
            s.labels.route === route &&
            s.labels.method === 'GET' &&
            s.labels.status === status,
        )?.value ?? 0
      const before = await call(`${e.handle.url}/metrics`)
      expect(before.status).toBe(200)
      expect(before.headers.get('content-type')).toMatch(/^text\/plain/)
      const samples = parsePrometheus(before.body)
      expect(samples.length).toBeGreaterThan(10)
      expect(samples.some((s) => s.name === 'livestate_http_request_duration_seconds_bucket')).toBe(true)
      expect(samples.find((s) => s.name === 'livestate_ingest_events_total' && s.labels.job === JOB)?.value).toBe(
        PHASE_1.length,
      )
      for (let i = 0; i < 5; i++) expect((await e.api.json.key(JOB, 'user-clicks', 'u01')).status).toBe(200)
      for (let i = 0; i < 2; i++) expect((await e.api.json.key(JOB, 'user-clicks', 'nobody')).status).toBe(404)
      const after = await call(`${e.handle.url}/metrics`)
      expect(sample(after.body, '200') - sample(before.body, '200')).toBe(5)
      expect(sample(after.body, '404') - sample(before.body, '404')).toBe(2)
    }
  })

  it('GET /v1/openapi.json is a valid OpenAPI 3 document listing every route of the table', async () => {
    const res = await p1.api.json.get('/v1/openapi.json')
    expect(res.status).toBe(200)
    expect(checkOpenApiDocument(res.body)).toEqual([])
    expect(Object.keys(res.body.paths).sort()).toEqual(
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
    expect(Object.keys(res.body.paths['/v1/jobs/{job}/sources/{source}/events'])).toEqual(['post'])
    expect(Object.keys(res.body.paths['/v1/jobs/{job}/states/{state}/keys/{key}'])).toEqual(['get'])
  })

  it('WebSocket get and getMany, text and binary frames, answer like the oracle', async () => {
    for (const e of engines) {
      const ws = await TestWsClient.open(`${e.handle.url.replace(/^http/, 'ws')}/v1/ws`)
      try {
        let id = 0
        for (const binary of [false, true]) {
          for (const state of PATH_STATES) {
            for (const { key, value } of oracle.entries(state).slice(0, 4)) {
              const frameKey = !binary && typeof key === 'bigint' ? key.toString() : key
              const r = await ws.request({ id: ++id, op: 'get', job: JOB, state, key: frameKey }, binary)
              expect(r.binary).toBe(binary)
              expect(r.frame).toMatchObject({ id, ok: true, meta: { epoch: 1, consistency: 'live' } })
              expect(wire(r.frame.value)).toEqual(wire(value))
            }
          }
          const keys = ['u01', 'nobody', 'u00']
          const many = await ws.request({ id: ++id, op: 'getMany', job: JOB, state: 'user-clicks', keys }, binary)
          expect(many.frame.entries).toEqual([
            { key: 'u01', value: oracle.value('user-clicks', 'u01') },
            { key: 'nobody', error: expect.objectContaining({ code: 'KEY_NOT_FOUND' }) },
            { key: 'u00', value: oracle.value('user-clicks', 'u00') },
          ])
          const composite = await ws.request(
            {
              id: ++id,
              op: 'getMany',
              job: JOB,
              state: 'user-page',
              keys: [
                ['u01', '/home'],
                ['u01', '/never'],
              ],
            },
            binary,
          )
          expect(composite.frame.entries).toEqual([
            { key: ['u01', '/home'], value: oracle.value('user-page', ['u01', '/home']) },
            { key: ['u01', '/never'], error: expect.objectContaining({ code: 'KEY_NOT_FOUND' }) },
          ])
          const win = await ws.request(
            { id: ++id, op: 'get', job: JOB, state: 'views-per-minute', key: '/home', window: 'all' },
            binary,
          )
          expect(win.frame.value).toEqual(oracle.windows('/home'))
          const one = await ws.request(
            { id: ++id, op: 'get', job: JOB, state: 'user-page-counts', key: 'u01', mapKey: '/home' },
            binary,
          )
          const counts = new Map(oracle.value('user-page-counts', 'u01') as [string, number][])
          if (counts.has('/home')) expect(one.frame).toMatchObject({ ok: true, value: counts.get('/home') })
          else expect(one.frame).toMatchObject({ ok: false, error: { code: 'KEY_NOT_FOUND' } })
        }
      } finally {
        ws.close()
      }
    }
  })

  it('WebSocket subscribe (keys, prefix, all) gets snapshots then updates with (epoch, seq) increasing per key, ends at the oracle; unsubscribe stops frames', async () => {
    interface Sub {
      name: string
      state: string
      selector: Record<string, unknown>
      binary: boolean
      /** Keys the subscription covers (of the oracle after phase 2). */
      covers: (key: Key) => boolean
    }
    const subs: Sub[] = [
      { name: 'all', state: 'user-clicks', selector: { all: true }, binary: false, covers: () => true },
      {
        name: 'prefix',
        state: 'page-views',
        selector: { prefix: '/blog/' },
        binary: true,
        covers: (k) => typeof k === 'string' && k.startsWith('/blog/'),
      },
      {
        name: 'keys',
        state: 'user-pages',
        selector: { keys: ['u01', 'u02', 'nobody'] },
        binary: false,
        covers: (k) => k === 'u01' || k === 'u02',
      },
      {
        name: 'value',
        state: 'last-click',
        selector: { keys: ['u03', 'Zed'] },
        binary: true,
        covers: (k) => k === 'u03' || k === 'Zed',
      },
      {
        name: 'map',
        state: 'user-page-counts',
        selector: { keys: ['u05'] },
        binary: false,
        covers: (k) => k === 'u05',
      },
      {
        name: 'window',
        state: 'views-per-minute',
        selector: { keys: ['/home'] },
        binary: true,
        covers: (k) => k === '/home',
      },
      {
        name: 'delete',
        state: 'by-number',
        selector: { keys: [5, -7] },
        binary: true,
        covers: (k) => k === 5 || k === -7,
      },
    ]
    const before = new Map(
      subs.map((s) => [
        s.name,
        new Set(
          oracle
            .entries(s.state)
            .filter((x) => s.covers(x.key))
            .map((x) => keyId(x.key)),
        ),
      ]),
    )
    const clients = await Promise.all(
      engines.map((e) => TestWsClient.open(`${e.handle.url.replace(/^http/, 'ws')}/v1/ws`)),
    )
    try {
      const ids: Record<string, string>[] = []
      for (const ws of clients) {
        const byName: Record<string, string> = {}
        let id = 0
        for (const s of subs) {
          const ack = await ws.request({ id: ++id, op: 'subscribe', job: JOB, state: s.state, ...s.selector }, s.binary)
          expect(ack.frame).toMatchObject({ id, ok: true, sub: expect.stringMatching(/^s\d+$/) })
          byName[s.name] = ack.frame.sub as string
        }
        // a subscription to close before the updates: it must get nothing after its unsubscribe answer
        const gone = await ws.request({ id: ++id, op: 'subscribe', job: JOB, state: 'user-clicks', keys: ['u04'] })
        byName.gone = gone.frame.sub as string
        await ws.waitFor((r) => r.frame.sub === byName.gone && r.frame.type === 'snapshot')
        expect((await ws.request({ id: ++id, op: 'unsubscribe', sub: byName.gone })).frame).toEqual({ id, ok: true })
        ids.push(byName)
      }
      // snapshots of every covered key before any update
      for (const [i, ws] of clients.entries()) {
        for (const s of subs) {
          for (const k of before.get(s.name)!) {
            await ws.waitFor(
              (r) => r.frame.sub === ids[i]![s.name] && r.frame.type === 'snapshot' && keyId(r.frame.key) === k,
            )
          }
        }
      }
      const goneAt = clients.map((ws) => ws.received.length)
      await send(PHASE_2.slice(0, 150), 'json')
      await send(PHASE_2.slice(150), 'msgpack')
      oracle.add(PHASE_2)

      for (const [i, ws] of clients.entries()) {
        const e = engines[i]!
        const framesOf = (sub: string) =>
          ws.received
            .map((r) => r.frame)
            .filter((f) => f.sub === sub && typeof f.type === 'string' && f.type !== 'status')
        for (const s of subs) {
          const sub = ids[i]![s.name]!
          const expected = oracle.entries(s.state).filter((x) => s.covers(x.key))
          // keys that had a value and have none now end with a delete frame
          const deleted = [...before.get(s.name)!].filter((k) => !expected.some((x) => keyId(x.key) === k))
          await eventually(() => {
            for (const k of deleted)
              expect(
                framesOf(sub)
                  .filter((f) => keyId(f.key) === k)
                  .at(-1)?.type,
              ).toBe('delete')
          }, 20_000)
          // every covered key ends at the oracle's value
          await eventually(() => {
            const last = new Map<string, Frame>()
            for (const f of framesOf(sub)) last.set(keyId(f.key), f)
            for (const x of expected) {
              // (a window state's key: its latest in-flight window, as a point get answers)
              const f = last.get(keyId(x.key))
              expect(f, `${s.name} ${keyId(x.key)} at p=${e.p}`).toBeDefined()
              expect(wire(f!.value)).toEqual(wire(x.value))
            }
          }, 20_000)
          const perKey = new Map<string, Frame[]>()
          for (const f of framesOf(sub)) {
            expect(s.covers(f.key as Key), `${s.name} got a frame for ${keyId(f.key)}`).toBe(true)
            perKey.set(keyId(f.key), [...(perKey.get(keyId(f.key)) ?? []), f])
            expect(ws.received.find((r) => r.frame.sub === sub)!.binary).toBe(s.binary)
          }
          for (const [k, frames] of perKey) {
            // a key that had a value when subscribing starts with its snapshot; then only updates
            if (before.get(s.name)!.has(k)) expect(frames[0]!.type, `${s.name} ${k}`).toBe('snapshot')
            const updates = deleted.includes(k) ? frames.slice(1, -1) : frames.slice(1)
            for (const f of updates) expect(f.type, `${s.name} ${k}`).toBe('update')
            for (let j = 1; j < frames.length; j++) {
              const [a, b] = [frames[j - 1]!, frames[j]!]
              const increasing =
                (b.epoch as number) > (a.epoch as number) ||
                (b.epoch === a.epoch && (b.seq as number) > (a.seq as number))
              expect(increasing, `${s.name} ${k}: (${a.epoch},${a.seq}) then (${b.epoch},${b.seq})`).toBe(true)
            }
          }
        }
        expect(ws.received.slice(goneAt[i]).filter((r) => r.frame.sub === ids[i]!.gone)).toEqual([])
      }
    } finally {
      for (const ws of clients) ws.close()
    }
    await settle(STATE_NAMES)
  })

  it('subscriptions opened while events stream in end at the oracle: no gap between snapshot and changes', async () => {
    const events = clickStream(400, 3)
    const selectors = [
      { state: 'user-clicks', all: true },
      { state: 'page-views', prefix: '/blog/' },
      { state: 'user-pages', keys: oracle.users().slice(0, 6) },
      { state: 'user-page-counts', keys: oracle.users().slice(6) },
      { state: 'views-per-minute', keys: ['/home', '/blog/a'] },
    ]
    const clients = await Promise.all(
      engines.map((e) => TestWsClient.open(`${e.handle.url.replace(/^http/, 'ws')}/v1/ws`)),
    )
    try {
      const opened: { ws: TestWsClient; sub: string; state: string; covers: (k: Key) => boolean }[] = []
      const streaming = (async () => {
        for (let i = 0; i < events.length; i += 20)
          await send(events.slice(i, i + 20), i % 40 === 0 ? 'json' : 'msgpack')
      })()
      let id = 0
      for (let round = 0; round < 4; round++) {
        await new Promise((r) => setTimeout(r, 15 * round))
        for (const ws of clients) {
          for (const { state, ...selector } of selectors) {
            const ack = await ws.request({ id: ++id, op: 'subscribe', job: JOB, state, ...selector }, id % 2 === 0)
            expect(ack.frame.ok).toBe(true)
            const covers =
              'keys' in selector
                ? (k: Key) => (selector.keys as Key[]).includes(k)
                : 'prefix' in selector
                  ? (k: Key) => typeof k === 'string' && k.startsWith('/blog/')
                  : () => true
            opened.push({ ws, sub: ack.frame.sub as string, state, covers })
          }
        }
      }
      await streaming
      oracle.add(events)
      for (const { ws, sub, state, covers } of opened) {
        const framesOf = () => ws.received.map((r) => r.frame).filter((f) => f.sub === sub && f.type !== 'status')
        await eventually(() => {
          const last = new Map<string, Frame>()
          for (const f of framesOf()) last.set(keyId(f.key), f)
          for (const x of oracle.entries(state).filter((e) => covers(e.key))) {
            expect(wire(last.get(keyId(x.key))?.value), `${sub} ${state} ${keyId(x.key)}`).toEqual(wire(x.value))
          }
        }, 20_000)
        const perKey = new Map<string, Frame[]>()
        for (const f of framesOf()) perKey.set(keyId(f.key), [...(perKey.get(keyId(f.key)) ?? []), f])
        for (const [k, frames] of perKey) {
          for (const f of frames.slice(1)) expect(f.type, `${state} ${k}`).toBe('update')
          for (let j = 1; j < frames.length; j++) {
            expect(frames[j]!.epoch).toBe(frames[j - 1]!.epoch)
            expect(frames[j]!.seq as number, `${state} ${k}`).toBeGreaterThan(frames[j - 1]!.seq as number)
          }
        }
      }
    } finally {
      for (const ws of clients) ws.close()
    }
    await settle(STATE_NAMES)
  })

  it('ingest with Idempotency-Key: a retried batch gets the first answer and is appended once (JSON, msgpack, NDJSON)', async () => {
    for (const how of ['json', 'msgpack', 'ndjson'] as const) {
      const user = `idem-${how}`
      const batch = clickStream(5, 99, [user]).map((c, i) => ({ ...c, ts: BASE_TS + i }))
      const first = await send(batch, how, `batch-${how}`)
      const retry = await send(batch, how, `batch-${how}`)
      for (const [i, a] of retry.entries()) expect(a.body).toEqual(first[i]!.body)
      // both engines' logs hold the same events, so positions agree across parallelisms
      expect(first[1]!.body.position).toBe(first[0]!.body.position)
      oracle.add(batch)
      const marker = { ...batch[0]!, ts: BASE_TS + 10 }
      await send([marker], how)
      oracle.add([marker])
      for (const e of engines) {
        const counted = await eventually(async () => {
          const res = await e.api.json.key(JOB, 'user-clicks', user)
          expect(res.status).toBe(200)
          expect(res.body.value).toBeGreaterThanOrEqual(6)
          return res.body.value
        })
        expect(counted).toBe(6)
      }
    }
    await settle(STATE_NAMES)
  })

  it('committed reads answer the last completed checkpoint; savepoint; after cancel live reads are 503 and committed reads still answer', async () => {
    const checkpoints = await Promise.all(engines.map((e) => e.handle.master.coordinator!.trigger()))
    for (const [i, e] of engines.entries()) {
      const id = checkpoints[i]!.checkpointId
      const detail = await e.api.json.get(`/v1/jobs/${JOB}`)
      expect(detail.body.checkpoints).toMatchObject({ latestId: id, completed: expect.any(Number) })
      for (const state of ['user-clicks', 'user-pages', 'views-per-minute', 'user-ids']) {
        const q = '?consistency=committed&limit=1000'
        const res = await e.api.msgpack.get(`${path(state)}/entries${q}`)
        expect(wire(res.body.entries), `committed ${state} at p=${e.p}`).toEqual(wire(oracle.entries(state)))
      }
      const one = await e.api.json.key(JOB, 'user-clicks', 'u01', '?consistency=committed')
      expect(one.body).toMatchObject({
        value: oracle.value('user-clicks', 'u01'),
        meta: { consistency: 'committed', checkpointId: id },
      })
      expect((await e.api.json.key(JOB, 'user-clicks', 'u01', `?minCheckpoint=${id}`)).status).toBe(200)
      const ahead = await e.api.json.key(JOB, 'user-clicks', 'u01', `?minCheckpoint=${id + 1}&timeout=100`)
      expect(ahead).toMatchObject({ status: 409, body: { error: { code: 'NOT_CAUGHT_UP' } } })

      const savepoint = await e.api.json.post(`/v1/jobs/${JOB}/savepoints`, undefined)
      expect(savepoint).toMatchObject({
        status: 200,
        body: { path: expect.any(String), checkpointId: expect.any(Number) },
      })
      expect(savepoint.body.path.startsWith(e.dir.path)).toBe(true)

      expect(await e.api.msgpack.post(`/v1/jobs/${JOB}/cancel`, undefined)).toMatchObject({
        status: 200,
        body: { job: JOB, canceled: true },
      })
      expect((await e.api.json.get(`/v1/jobs/${JOB}`)).body.status).toBe('CANCELED')
      const late = await e.api.json.post(`/v1/jobs/${JOB}/savepoints`, undefined)
      expect(late).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } })
      const live = await e.api.json.key(JOB, 'user-clicks', 'u01')
      expect(live).toMatchObject({ status: 503, body: { error: { code: 'STATE_NOT_READY', retryable: false } } })
      expect(live.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
      const committed = await e.api.json.key(JOB, 'user-clicks', 'u01', '?consistency=committed')
      expect(committed.body).toMatchObject({ value: oracle.value('user-clicks', 'u01'), meta: { checkpointId: id } })
    }
  })
})
