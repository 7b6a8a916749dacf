// One HTTP call of the CLI: turns connection failures and contract error bodies into CliErrors.
import { CliError } from '../cli-error.ts'

export async function httpCall(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  let res: Response
  try {
    res = await fetch(url, init)
  } catch (cause) {
    throw new CliError(
      `cannot reach ${new URL(url).origin}`,
      ((cause as Error).cause as Error)?.message ?? (cause as Error).message,
      'Start it with `livestate run` or pass --url.',
      { cause },
    )
  }
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers }
}

export function errorOf(body: unknown): { code: string; message: string; retryable: boolean } | undefined {
  const e = (body as { error?: { code?: unknown; message?: unknown; retryable?: unknown } })?.error
  if (e && typeof e.code === 'string')
    return { code: e.code, message: String(e.message ?? ''), retryable: e.retryable === true }
  return undefined
}
