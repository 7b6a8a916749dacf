// Origin and Host decisions, pure. Browsers attach Origin to cross-site requests the CORS preflight
// does not cover (simple POSTs, WebSocket upgrades): those are checked against an allowlist. A server
// bound to loopback also refuses foreign Host names, which is what DNS rebinding would send.

/** Normalises a configured origin (`https://app.example.com`); throws TypeError on anything else. */
export function normalizeOrigin(origin: string, option: string): string {
  if (origin === '*') throw new TypeError(`${option} must list explicit origins; "*" is not allowed`)
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    throw new TypeError(`${option}: "${origin}" is not an origin like https://app.example.com`)
  }
  if (url.origin === 'null' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || origin.endsWith('/')) {
    throw new TypeError(`${option}: "${origin}" is not an origin like https://app.example.com (no path)`)
  }
  return url.origin
}

/** A request's Origin is acceptable when absent (not a browser), same-origin, or allowlisted. */
export function isAllowedOrigin(origin: string | undefined, selfOrigin: string, allowlist: readonly string[]): boolean {
  if (origin === undefined) return true
  return origin === selfOrigin || allowlist.includes(origin)
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  return LOOPBACK_HOSTS.has(h) || h.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/** The hostname part of a Host header (`[::1]:8080` → `[::1]`, `a:80` → `a`). */
export function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']')
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1)
  }
  const colon = hostHeader.lastIndexOf(':')
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon)
}
