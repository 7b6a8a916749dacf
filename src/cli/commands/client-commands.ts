// Client-side commands that talk to a running livestate over its HTTP/WebSocket API (DESIGN §3):
// query, subscribe, ingest. Errors from the server print its one-line message and exit non-zero.
import type { Command } from 'commander'
import { ingestCommand } from './ingest.ts'
import { queryCommand } from './query.ts'
import { savepointCommand } from './savepoint.ts'
import { subscribeCommand } from './subscribe.ts'

export const DEFAULT_URL = 'http://127.0.0.1:8080'

export function addClientCommands(program: Command): void {
  program
    .command('query')
    .description('read one key of a queryable state')
    .argument('<job>')
    .argument('<state>')
    .argument('<key>')
    .option('--url <url>', 'livestate API', process.env.LIVESTATE_URL ?? DEFAULT_URL)
    .option('--consistency <mode>', 'live or committed', 'live')
    .option('--json', 'print the whole answer with its metadata')
    .action(async (job: string, state: string, key: string, flags) => {
      process.exitCode = await queryCommand(job, state, key, flags)
    })
  program
    .command('subscribe')
    .description('print every change of a queryable state (snapshot first) until interrupted')
    .argument('<job>')
    .argument('<state>')
    .argument('[keys...]')
    .option('--prefix <prefix>', 'all string keys starting with this prefix')
    .option('--url <url>', 'livestate API', process.env.LIVESTATE_URL ?? DEFAULT_URL)
    .action(async (job: string, state: string, keys: string[], flags) => {
      process.exitCode = await subscribeCommand(job, state, keys, flags)
    })
  program
    .command('savepoint')
    .description('take a savepoint of a running job and print its directory')
    .argument('<job>')
    .option('--url <url>', 'livestate API', process.env.LIVESTATE_URL ?? DEFAULT_URL)
    .action(async (job: string, flags) => {
      process.exitCode = await savepointCommand(job, flags)
    })
  program
    .command('ingest')
    .description('send NDJSON events to an HTTP source of a running job')
    .argument('<job>')
    .argument('<source>')
    .argument('[file]', 'NDJSON file, or - for standard input', '-')
    .option('--url <url>', 'livestate API', process.env.LIVESTATE_URL ?? DEFAULT_URL)
    .option('--batch <n>', 'events per request', '1000')
    .action(async (job: string, source: string, file: string, flags) => {
      process.exitCode = await ingestCommand(job, source, file, flags)
    })
}

export function authHeaders(): Record<string, string> {
  const token = process.env.LIVESTATE_TOKEN
  return token ? { authorization: `Bearer ${token}` } : {}
}
