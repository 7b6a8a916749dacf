// `livestate savepoint <job>`: asks a running livestate for a savepoint and prints its directory
// (restore it with `livestate run … --from-savepoint DIR`, with another --parallelism if wanted).
import { CliError } from '../cli-error.ts'
import { authHeaders } from './client-commands.ts'
import { errorOf, httpCall } from './http-call.ts'

export async function savepointCommand(job: string, flags: { url: string }): Promise<number> {
  const url = `${flags.url.replace(/\/$/, '')}/v1/jobs/${encodeURIComponent(job)}/savepoints`
  const { status, body } = await httpCall(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: '{}',
  })
  const err = errorOf(body)
  if (status >= 300 || err) {
    throw new CliError(
      `savepoint of ${job} failed`,
      `${err?.code ?? `HTTP ${status}`}: ${err?.message ?? String(body).slice(0, 200)}`,
      'Check that the job is RUNNING (GET /v1/jobs) and try again.',
    )
  }
  process.stdout.write(`${(body as { path: string }).path}\n`)
  return 0
}
