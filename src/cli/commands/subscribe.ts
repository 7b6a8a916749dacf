// `livestate subscribe <job> <state> [key ...] [--prefix P]`: one line per frame — snapshot, update,
// delete, status — until interrupted. Reconnects are the SDK's job; the CLI exits when the socket closes.
import WebSocket from 'ws'
import { CliError } from '../cli-error.ts'
import { authHeaders } from './client-commands.ts'

export async function subscribeCommand(
  job: string,
  state: string,
  keys: string[],
  flags: { url: string; prefix?: string },
): Promise<number> {
  const wsUrl = `${flags.url.replace(/\/$/, '').replace(/^http/, 'ws')}/v1/ws`
  const selector = flags.prefix !== undefined ? { prefix: flags.prefix } : keys.length > 0 ? { keys } : { all: true }
  const ws = new WebSocket(wsUrl, { headers: authHeaders() })
  return new Promise<number>((resolve, reject) => {
    ws.on('error', (e) =>
      reject(
        new CliError(`cannot subscribe at ${wsUrl}`, e.message, 'Start livestate with `livestate run` or pass --url.'),
      ),
    )
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, op: 'subscribe', job, state, ...selector })))
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>
      if (frame.id === 1 && frame.ok === false) {
        const e = frame.error as { code: string; message: string }
        ws.close()
        reject(
          new CliError(
            `subscribe ${job}/${state} failed`,
            `${e.code}: ${e.message}`,
            'Check the job and state names (GET /v1/jobs).',
          ),
        )
        return
      }
      if (frame.sub === undefined || frame.id !== undefined) return
      const value =
        frame.type === 'delete' ? '(deleted)' : frame.type === 'status' ? frame.state : JSON.stringify(frame.value)
      const where = frame.type === 'status' ? '' : `\t${JSON.stringify(frame.key)}`
      process.stdout.write(
        `${frame.type}${where}\t${value}${frame.seq === undefined ? '' : `\t(${frame.epoch}, ${frame.seq})`}\n`,
      )
    })
    ws.on('close', () => resolve(0))
    process.once('SIGINT', () => ws.close())
  })
}
