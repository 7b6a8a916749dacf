// A TCP proxy in front of a real server (port 0), so a test can cut every connection at once (TCP RST,
// as a crashed peer or a dropped network would) and refuse new ones for a while, without killing
// the server process behind it.
import { type Server, type Socket, connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface TcpProxy {
  /** http://127.0.0.1:<proxy port> */
  readonly url: string
  /** Connections accepted and piped to the upstream so far. */
  readonly accepted: number
  /** Resets every open connection; refuses (resets) new ones for `refuseMs`. */
  dropAll(refuseMs?: number): void
  close(): Promise<void>
}

export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>()
  let refuseUntil = 0
  let accepted = 0
  const server: Server = createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.resetAndDestroy()
      return
    }
    accepted++
    const upstream = connect(upstreamPort, '127.0.0.1')
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const end = () => {
      pairs.delete(pair)
      if (!client.destroyed) client.resetAndDestroy()
      if (!upstream.destroyed) upstream.resetAndDestroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const dropAll = (refuseMs = 0) => {
    refuseUntil = Date.now() + refuseMs
    for (const [client, upstream] of [...pairs]) {
      client.resetAndDestroy()
      upstream.resetAndDestroy()
    }
    pairs.clear()
  }
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted
    },
    dropAll,
    close() {
      dropAll()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
