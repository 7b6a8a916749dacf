// A tiny real server (node:http + ws, port 0) speaking the HTTP and WebSocket contract of DESIGN §4/§5
// over an in-memory table, with knobs to inject errors, restarts and drops. For the SDK's tests only:
// it is a model of the contract, not of livestate's engine.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import { decodeUntrustedMsgpack, encodeMsgpack } from '../src/protocol/codec.ts'
import type { ErrorCode } from '../src/protocol/error-codes.ts'
import type { KeyType, StateKind } from '../src/protocol/http-bodies.ts'
import { encodeJson } from '../src/protocol/json.ts'
import { type Key, keyId } from '../src/protocol/keys.ts'
import { LivestateError } from '../src/protocol/livestate-error.ts'
import { type ClientFrame, type ServerFrame, parseClientFrame } from '../src/protocol/messages.ts'

interface Entry {
  key: Key
  value: unknown
  epoch: number
  seq: number
}

interface FakeState {
  kind: StateKind
  keyType: KeyType
  entries: Map<string, Entry>
}

interface Sub {
  id: string
  socket: WebSocket
  binary: boolean
  job: string
  state: string
  matches(key: Key): boolean
}

interface InjectedError {
  code: ErrorCode
  retryAfter?: number
  /** Matches the request path (HTTP) or op (WS); default: everything. */
  match?: RegExp
}

export interface ContractServer {
  url: string
  /** Every HTTP request line ("GET /v1/…") and WS client frame seen, in order. */
  httpLog: string[]
  wsFrames: ClientFrame[]
  defineState(job: string, state: string, kind: StateKind, keyType?: KeyType): void
  /** Writes a value (or deletes with undefined) and pushes it to subscribers. */
  set(job: string, state: string, key: Key, value: unknown): void
  /** Owner restart: bumps the epoch of every entry; subscribers get fresh snapshots. */
  restart(): void
  /** Fails the next `count` matching requests with `error`. */
  failNext(count: number, error: InjectedError): void
  /** Drops every WebSocket (as a crash would); `pause` also refuses new ones until resumed. */
  dropSockets(options?: { refuseMs?: number }): void
  /** Sends a raw subscription frame to every open socket (stale-frame tests). */
  broadcast(frame: ServerFrame): void
  pageSizeCap: number
  /** When true, WS frames are recorded but never answered. */
  stallFrames: boolean
  tokens: Set<string> | undefined
  socketCount(): number
  /** Server subscription ids currently live, in creation order. */
  subIds(): string[]
  close(): Promise<void>
}

export async function startContractServer(): Promise<ContractServer> {
  const jobs = new Map<string, Map<string, FakeState>>()
  const subs = new Map<string, Sub>()
  const sockets = new Set<WebSocket>()
  const injected: { remaining: number; error: InjectedError }[] = []
  let subCounter = 0
  let refuseUntil = 0

  const takeInjected = (what: string): InjectedError | undefined => {
    const hit = injected.find((i) => i.remaining > 0 && (i.error.match?.test(what) ?? true))
    if (hit === undefined) return undefined
    hit.remaining--
    return hit.error
  }

  const findState = (job: string, state: string): FakeState => {
    const j = jobs.get(job)
    if (j === undefined) throw new LivestateError('UNKNOWN_JOB', `no job ${job}`)
    const s = j.get(state)
    if (s === undefined) throw new LivestateError('UNKNOWN_STATE', `no state ${state} in ${job}`)
    return s
  }

  const wireKey = (s: FakeState, key: Key): Key =>
    s.keyType === 'bigint' && typeof key === 'string' ? BigInt(key) : key

  const lookup = (s: FakeState, key: Key): Entry => {
    const e = s.entries.get(keyId(key))
    if (e === undefined) throw new LivestateError('KEY_NOT_FOUND', `no key ${String(key)}`)
    return e
  }

  const meta = (e: Entry) => ({ keyGroup: 0, subtask: 0, epoch: e.epoch, checkpointId: null, consistency: 'live' })

  const send = (socket: WebSocket, binary: boolean, frame: unknown) => {
    if (socket.readyState !== socket.OPEN) return
    socket.send(binary ? encodeMsgpack(frame) : encodeJson(frame))
  }

  const pushChange = (job: string, state: string, e: Entry, type: 'snapshot' | 'update' | 'delete') => {
    for (const sub of subs.values()) {
      if (sub.job !== job || sub.state !== state || !sub.matches(e.key)) continue
      const frame =
        type === 'delete'
          ? { sub: sub.id, type, key: e.key, epoch: e.epoch, seq: e.seq }
          : { sub: sub.id, type, key: e.key, value: e.value, epoch: e.epoch, seq: e.seq }
      send(sub.socket, sub.binary, frame)
    }
  }

  const sortedEntries = (s: FakeState) =>
    [...s.entries.values()].sort((a, b) => (keyId(a.key) < keyId(b.key) ? -1 : keyId(a.key) > keyId(b.key) ? 1 : 0))

  // ---- HTTP ----
  const server = createServer((req, res) => {
    handleHttp(req, res).catch((e: unknown) => writeError(req, res, e))
  })

  const writeBody = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const msgpack = (req.headers.accept ?? '').includes('msgpack')
    res.writeHead(status, { 'content-type': msgpack ? 'application/msgpack' : 'application/json', ...headers })
    res.end(msgpack ? encodeMsgpack(body) : encodeJson(body))
  }

  const writeError = (req: IncomingMessage, res: ServerResponse, e: unknown, retryAfter?: number) => {
    const err = e instanceof LivestateError ? e : new LivestateError('INTERNAL', String(e))
    const status = {
      BAD_REQUEST: 400,
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      UNKNOWN_JOB: 404,
      UNKNOWN_STATE: 404,
      KEY_NOT_FOUND: 404,
      NOT_CAUGHT_UP: 409,
      PAYLOAD_TOO_LARGE: 413,
      RATE_LIMITED: 429,
      INTERNAL: 500,
      STATE_NOT_READY: 503,
      NOT_OWNER: 503,
      UNKNOWN_KV_STATE_ID: 503,
      TIMEOUT: 504,
    }[err.code]
    writeBody(
      req,
      res,
      status,
      { error: err.toBody() },
      retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
    )
  }

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const buf = Buffer.concat(chunks)
    if ((req.headers['content-type'] ?? '').includes('msgpack')) return decodeUntrustedMsgpack(buf)
    return JSON.parse(buf.toString('utf8'))
  }

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (api.tokens === undefined) return true
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token')
    return bearer !== null && bearer !== undefined && api.tokens.has(bearer)
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    api.httpLog.push(`${req.method} ${url.pathname}${url.search}`)
    if (!authorized(req, url)) throw new LivestateError('UNAUTHORIZED', 'bad token')
    const inject = takeInjected(url.pathname)
    if (inject) return writeError(req, res, new LivestateError(inject.code, 'injected'), inject.retryAfter)
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent)
    if (url.pathname === '/v1/jobs') {
      return writeBody(req, res, 200, {
        jobs: [...jobs.entries()].map(([name, states]) => ({
          name,
          id: `id-${name}`,
          status: 'RUNNING',
          parallelism: 1,
          states: [...states.keys()],
        })),
      })
    }
    const [v1, jobsSeg, job, statesSeg, state, action, key] = parts
    if (v1 !== 'v1' || jobsSeg !== 'jobs' || statesSeg !== 'states' || job === undefined || state === undefined) {
      throw new LivestateError('BAD_REQUEST', `no route ${url.pathname}`)
    }
    const s = findState(job, state)
    if (action === undefined)
      return writeBody(req, res, 200, { name: state, job, kind: s.kind, keyType: s.keyType, owners: [] })
    if (action === 'keys' && key !== undefined && req.method === 'GET') {
      const parsed: Key = s.keyType === 'number' ? Number(key) : s.keyType === 'bigint' ? BigInt(key) : key
      const e = lookup(s, parsed)
      const mapKey = url.searchParams.get('mapKey')
      const value =
        mapKey === null ? e.value : (e.value as [unknown, unknown][]).find(([k]) => String(k) === mapKey)?.[1]
      return writeBody(req, res, 200, { key: e.key, value, meta: meta(e) })
    }
    if (action === 'get' && req.method === 'POST') {
      const body = (await readBody(req)) as { keys: Key[] }
      const entries = body.keys.map((k) => {
        const e = s.entries.get(keyId(wireKey(s, k)))
        return e
          ? { key: e.key, value: e.value }
          : { key: k, error: { code: 'KEY_NOT_FOUND', message: 'no key', retryable: false } }
      })
      return writeBody(req, res, 200, { entries, meta: { checkpointId: null, consistency: 'live' } })
    }
    if (action === 'entries' && req.method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? ''
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000), api.pageSizeCap)
      const after = url.searchParams.get('cursor')
      const all = sortedEntries(s).filter(
        (e) => keyId(e.key).startsWith(prefix) && (after === null || keyId(e.key) > after),
      )
      const page = all.slice(0, limit)
      const last = page[page.length - 1]
      const cursor = all.length > limit && last !== undefined ? keyId(last.key) : null
      return writeBody(req, res, 200, { entries: page.map((e) => ({ key: e.key, value: e.value })), cursor })
    }
    throw new LivestateError('BAD_REQUEST', `no route ${req.method} ${url.pathname}`)
  }

  // ---- WebSocket ----
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== '/v1/ws' || Date.now() < refuseUntil) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n')
      return
    }
    if (!authorized(req, url)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws))
  })

  function onSocket(socket: WebSocket): void {
    sockets.add(socket)
    socket.on('close', () => {
      sockets.delete(socket)
      for (const [id, sub] of subs) if (sub.socket === socket) subs.delete(id)
    })
    socket.on('message', (data, isBinary) => {
      let frame: ClientFrame
      try {
        const raw = isBinary ? decodeUntrustedMsgpack(data as Buffer) : JSON.parse(String(data))
        frame = parseClientFrame(raw)
      } catch (e) {
        send(socket, isBinary, { ok: false, error: (e as LivestateError).toBody() })
        return
      }
      api.wsFrames.push(frame)
      if (api.stallFrames) return
      try {
        handleFrame(socket, isBinary, frame)
      } catch (e) {
        const err = e instanceof LivestateError ? e : new LivestateError('INTERNAL', String(e))
        send(socket, isBinary, { id: frame.id, ok: false, error: err.toBody() })
      }
    })
  }

  function handleFrame(socket: WebSocket, binary: boolean, frame: ClientFrame): void {
    const inject = takeInjected(frame.op)
    if (inject) throw new LivestateError(inject.code, 'injected')
    switch (frame.op) {
      case 'get': {
        const s = findState(frame.job, frame.state)
        const e = lookup(s, wireKey(s, frame.key))
        send(socket, binary, { id: frame.id, ok: true, value: e.value, meta: meta(e) })
        return
      }
      case 'getMany': {
        const s = findState(frame.job, frame.state)
        const entries = frame.keys.map((k) => {
          const e = s.entries.get(keyId(wireKey(s, k)))
          return e
            ? { key: e.key, value: e.value }
            : { key: k, error: { code: 'KEY_NOT_FOUND', message: 'no key', retryable: false } }
        })
        send(socket, binary, { id: frame.id, ok: true, entries, meta: {} })
        return
      }
      case 'subscribe': {
        const s = findState(frame.job, frame.state)
        const id = `s${++subCounter}`
        const matches =
          'keys' in frame
            ? (
                (ids: Set<string>) => (k: Key) =>
                  ids.has(keyId(k))
              )(new Set(frame.keys.map((k) => keyId(wireKey(s, k)))))
            : 'prefix' in frame
              ? (k: Key) => keyId(k).startsWith(frame.prefix)
              : () => true
        const sub: Sub = { id, socket, binary, job: frame.job, state: frame.state, matches }
        subs.set(id, sub)
        send(socket, binary, { id: frame.id, ok: true, sub: id })
        for (const e of sortedEntries(s)) {
          if (matches(e.key))
            send(socket, binary, { sub: id, type: 'snapshot', key: e.key, value: e.value, epoch: e.epoch, seq: e.seq })
        }
        return
      }
      case 'unsubscribe':
        subs.delete(frame.sub)
        send(socket, binary, { id: frame.id, ok: true })
        return
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  const api: ContractServer = {
    url: `http://127.0.0.1:${port}`,
    httpLog: [],
    wsFrames: [],
    pageSizeCap: 1000,
    stallFrames: false,
    tokens: undefined,
    defineState(job, state, kind, keyType = 'string') {
      let j = jobs.get(job)
      if (j === undefined) jobs.set(job, (j = new Map()))
      j.set(state, { kind, keyType, entries: new Map() })
    },
    set(job, state, key, value) {
      const s = findState(job, state)
      const id = keyId(key)
      const prev = s.entries.get(id)
      const e: Entry = { key, value, epoch: prev?.epoch ?? 1, seq: (prev?.seq ?? 0) + 1 }
      if (value === undefined) s.entries.delete(id)
      else s.entries.set(id, e)
      pushChange(job, state, e, value === undefined ? 'delete' : 'update')
    },
    restart() {
      for (const [job, states] of jobs) {
        for (const [state, s] of states) {
          for (const e of s.entries.values()) {
            e.epoch++
            e.seq = 1
            pushChange(job, state, e, 'snapshot')
          }
        }
      }
    },
    failNext(count, error) {
      injected.push({ remaining: count, error })
    },
    dropSockets(options = {}) {
      refuseUntil = Date.now() + (options.refuseMs ?? 0)
      for (const s of sockets) s.terminate()
    },
    broadcast(frame) {
      for (const s of sockets) send(s, false, frame)
    },
    socketCount: () => sockets.size,
    subIds: () => [...subs.keys()],
    async close() {
      for (const s of sockets) s.terminate()
      wss.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return api
}
