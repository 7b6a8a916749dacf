// `livestate ingest <job> <source> [file|-]`: streams NDJSON to the job's HTTP source in batches.
// Each batch carries an Idempotency-Key, so a retry after a timeout or 429/503 is appended once.
// Shows a progress bar on a TTY (bytes of a file, or events from stdin).
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import cliProgress from 'cli-progress'
import { CliError } from '../cli-error.ts'
import { parsePositiveInt } from '../parse-options.ts'
import { authHeaders } from './client-commands.ts'
import { errorOf, httpCall } from './http-call.ts'

const MAX_ATTEMPTS = 8

async function sendBatch(url: string, lines: string[]): Promise<void> {
  const key = randomUUID()
  for (let attempt = 1; ; attempt++) {
    const { status, body, headers } = await httpCall(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': key, ...authHeaders() },
      body: `${lines.join('\n')}\n`,
    })
    if (status === 202) return
    const err = errorOf(body)
    if (!err?.retryable || attempt >= MAX_ATTEMPTS) {
      throw new CliError(
        'ingest failed',
        `${err?.code ?? `HTTP ${status}`}: ${err?.message ?? String(body).slice(0, 200)}`,
        'Fix the input or the job and run again; batches sent so far were accepted.',
      )
    }
    const wait = Number(headers.get('retry-after') ?? 1) * 1000 * Math.min(attempt, 4)
    await new Promise((r) => setTimeout(r, wait))
  }
}

export async function ingestCommand(
  job: string,
  source: string,
  file: string,
  flags: { url: string; batch: string },
): Promise<number> {
  const batchSize = parsePositiveInt('--batch', flags.batch)
  const url = `${flags.url.replace(/\/$/, '')}/v1/jobs/${encodeURIComponent(job)}/sources/${encodeURIComponent(source)}/events`
  let total = 0
  if (file !== '-') {
    try {
      total = (await stat(file)).size
    } catch {
      throw new CliError(
        `cannot read ${file}`,
        'the file does not exist',
        'Check the path, or pass - to read standard input.',
      )
    }
  }
  const input = file === '-' ? process.stdin : createReadStream(file)
  const tty = process.stderr.isTTY
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'ingest [{bar}] {percentage}% | {events} events | {rate} events/s', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  bar?.start(total || 1, 0, { events: 0, rate: 0 })
  const started = Date.now()
  let bytes = 0
  let events = 0
  let batch: string[] = []
  const flush = async () => {
    if (batch.length === 0) return
    await sendBatch(url, batch)
    events += batch.length
    batch = []
    bar?.update(total ? bytes : events, {
      events,
      rate: Math.round((events * 1000) / Math.max(1, Date.now() - started)),
    })
  }
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    bytes += Buffer.byteLength(line) + 1
    if (line.trim() === '') continue
    batch.push(line)
    if (batch.length >= batchSize) await flush()
  }
  await flush()
  bar?.stop()
  process.stderr.write(`livestate: ingested ${events} events into ${job}/${source}\n`)
  return 0
}
