// A loopback origin for browser tests, as a reverse proxy in front of livestate would be deployed:
// `/app/*` answers from an in-memory table of files, everything else (HTTP and the WebSocket upgrade)
// passes through to the livestate server with the Host header kept, so the page, its API calls and
// its socket share one origin and no CORS is involved. A real socket, not a browser route: Chromium
// blocks a routed (address-less) document from opening loopback sockets (Local Network Access).
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http'
import { type AddressInfo, type Socket, connect } from 'node:net'

export interface PageServer {
  readonly url: string
  close(): Promise<void>
}

export async function startPageServer(
  upstreamPort: number,
  files: Record<string, { type: string; body: string }>,
): Promise<PageServer> {
  const sockets = new Set<Socket>()
  const track = (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path.startsWith('/app/')) {
      const file = files[path.slice('/app/'.length)]
      res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain', 'cache-control': 'no-store' })
      res.end(file?.body ?? 'not found')
      return
    }
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.on('connection', track)
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = connect(upstreamPort, '127.0.0.1')
    track(upstream)
    const lines = [`${req.method} ${req.url} HTTP/1.1`]
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
    if (head.length > 0) upstream.write(head)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
