// `livestate query <job> <state> <key>`: prints the value (or, with --json, the whole answer).
import { CliError } from '../cli-error.ts'
import { authHeaders } from './client-commands.ts'
import { errorOf, httpCall } from './http-call.ts'

export async function queryCommand(
  job: string,
  state: string,
  key: string,
  flags: { url: string; consistency: string; json?: boolean },
): Promise<number> {
  if (flags.consistency !== 'live' && flags.consistency !== 'committed') {
    throw new CliError(
      `invalid --consistency '${flags.consistency}'`,
      'it must be live or committed',
      'Use --consistency live (default) or committed.',
    )
  }
  const url = `${flags.url.replace(/\/$/, '')}/v1/jobs/${encodeURIComponent(job)}/states/${encodeURIComponent(state)}/keys/${encodeURIComponent(key)}?consistency=${flags.consistency}`
  const { status, body } = await httpCall(url, { headers: authHeaders() })
  const err = errorOf(body)
  if (status !== 200 || err) {
    const code = err?.code ?? `HTTP ${status}`
    throw new CliError(
      `query ${job}/${state}/${key} failed`,
      `${code}: ${err?.message ?? String(body).slice(0, 200)}`,
      code === 'KEY_NOT_FOUND' ? 'Check the key (keys are case-sensitive).' : 'See the message above.',
    )
  }
  const out = flags.json ? body : (body as { value: unknown }).value
  process.stdout.write(`${JSON.stringify(out, null, flags.json ? 2 : undefined)}\n`)
  return 0
}
