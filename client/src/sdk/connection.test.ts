// The Connection over a real socket: the states it walks through on open, drop, reconnect, release
// and close, and what happens to requests in flight.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type ContractServer, startContractServer } from '../../test/contract-server.ts'
import { waitFor } from '../../test/wait-for.ts'
import type { LivestateError } from '../protocol/livestate-error.ts'
import { webSocketUrl } from './client-core.ts'
import { Connection } from './connection.ts'
import type { ConnectionState } from './connection-state.ts'

let server: ContractServer
beforeAll(async () => {
  server = await startContractServer()
  server.defineState('j', 's', 'value')
  server.set('j', 's', 'k', 'v')
})
afterAll(() => server.close())

function connection(demand: { value: boolean }) {
  const states: ConnectionState[] = []
  const fatal: LivestateError[] = []
  let opens = 0
  const c = new Connection(
    {
      url: webSocketUrl(server.url, undefined),
      encoding: 'json',
      WebSocket: undefined,
      reconnect: { baseDelayMs: 20, maxDelayMs: 50 },
    },
    {
      onOpen: () => opens++,
      onSubscriptionFrame: () => {},
      onFatal: (e) => fatal.push(e),
      hasDemand: () => demand.value,
      onError: () => {},
      onStateChange: (s) => states.push(s),
    },
  )
  return { c, states, fatal, opens: () => opens }
}

describe('Connection', () => {
  test('idle → connecting → open → (drop) reconnecting → connecting → open → closed while something needs it', async () => {
    const { c, states, opens } = connection({ value: true })
    expect(c.state).toBe('idle')
    await c.whenOpen(2000)
    server.dropSockets({ refuseMs: 60 })
    await waitFor(() => opens() === 2, 3000, 'reopen')
    await c.close()
    // A refused upgrade in between adds connecting → reconnecting rounds; the ends are fixed.
    expect(states.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting'])
    expect(states.slice(-3)).toEqual(['connecting', 'open', 'closed'])
    expect(states.filter((s) => s === 'open')).toHaveLength(2)
  })

  test('a drop with nothing needing the socket releases to idle, and a later demand reconnects', async () => {
    const { c, states } = connection({ value: false })
    await c.whenOpen(2000)
    server.dropSockets()
    await waitFor(() => c.state === 'idle', 2000, 'release')
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'idle'])
    await c.whenOpen(2000)
    expect(c.state).toBe('open')
    await c.close()
  })

  test('pipelines requests and fails those in flight, retryably, when the socket drops', async () => {
    const { c } = connection({ value: true })
    const answer = await c.request({ op: 'get', job: 'j', state: 's', key: 'k' }, 2000)
    expect(answer).toMatchObject({ ok: true, value: 'v' })
    await expect(c.request({ op: 'get', job: 'j', state: 's', key: 'nope' }, 2000)).rejects.toMatchObject({
      code: 'KEY_NOT_FOUND',
    })
    server.stallFrames = true
    const inFlight = c.request({ op: 'get', job: 'j', state: 's', key: 'k' }, 2000)
    await waitFor(() => server.wsFrames.length > 0 && server.wsFrames.at(-1)?.id === 3)
    server.dropSockets()
    server.stallFrames = false
    await expect(inFlight).rejects.toMatchObject({
      code: 'INTERNAL',
      retryable: true,
      message: expect.stringMatching(/lost/),
    })
    await c.close()
  })

  test('whenOpen gives up with TIMEOUT while the server refuses upgrades', async () => {
    const { c } = connection({ value: true })
    server.dropSockets({ refuseMs: 1000 })
    await expect(c.whenOpen(150)).rejects.toMatchObject({ code: 'TIMEOUT' })
    await c.close()
    expect(c.state).toBe('closed')
    expect(() => c.connect()).toThrow(TypeError)
    await expect(c.whenOpen(100)).rejects.toThrow(TypeError)
  })
})

describe('webSocketUrl', () => {
  test('maps the scheme, keeps a base path, and carries the token as access_token', () => {
    expect(webSocketUrl('http://127.0.0.1:8080', undefined)).toBe('ws://127.0.0.1:8080/v1/ws')
    expect(webSocketUrl('https://example.com/livestate/', 'a b')).toBe(
      'wss://example.com/livestate/v1/ws?access_token=a+b',
    )
  })
})
