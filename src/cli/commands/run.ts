// `livestate run <job-file>` and `livestate demo`: start the embedded cluster, submit the job, serve
// its state, show a status line on a TTY; on SIGINT/SIGTERM stop cleanly and exit 0.
import type { Command } from 'commander'
import { fileURLToPath } from 'node:url'
import { formatPlan } from '../../graph/plan.ts'
import { startEmbedded, type EmbeddedOptions } from '../../main.ts'
import { CliError } from '../cli-error.ts'
import { loadJob } from '../job-loader.ts'
import { isLoopback, parseDuration, parseNonNegativeInt, parsePositiveInt } from '../parse-options.ts'
import { startStatusLine } from '../status-line.ts'

export interface RunFlags {
  parallelism?: string
  taskManagers?: string
  stateBackend: string
  stateDir: string
  memory: string
  checkpointInterval: string
  fromSavepoint?: string
  host: string
  port: string
  authTokens?: string
  insecure?: boolean
  explain?: boolean
  retainCheckpoints: string
  checkpointChain: string
  ingestMaxLag: string
  exitOnFinish?: boolean
  verbose?: boolean
}

export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--parallelism <n>', 'default parallelism of the job')
    .option('--task-managers <n>', 'number of TaskManagers in the embedded cluster', '1')
    .option('--state-backend <kind>', 'heap or leveldb', 'leveldb')
    .option('--state-dir <dir>', 'where state, checkpoints and ingest logs live', './.livestate')
    .option('--memory <size>', 'managed memory per TaskManager', '256mb')
    .option('--checkpoint-interval <duration>', 'time between checkpoints', '5s')
    .option('--from-savepoint <dir>', 'start from this savepoint')
    .option('--retain-checkpoints <n>', 'completed checkpoints kept on disk', '3')
    .option(
      '--checkpoint-chain <n>',
      'incremental checkpoints a state may chain before its files are compacted (0: every checkpoint is full)',
      '32',
    )
    .option('--ingest-max-lag <events>', 'events an HTTP source may lag behind before ingest answers 429', '1000000')
    .option('--host <host>', 'address the HTTP/WebSocket API binds to', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP/WebSocket API', '8080')
    .option('--auth-tokens <file>', 'JSON file with bearer tokens and their scopes')
    .option('--insecure', 'allow a non-loopback --host without --auth-tokens')
    .option('--explain', 'print the execution plan and exit')
    .option('--exit-on-finish', 'exit 0 when every source is bounded and exhausted')
}

export function embeddedOptionsFrom(flags: RunFlags): Omit<EmbeddedOptions, 'job'> {
  const backend = flags.stateBackend
  if (backend !== 'heap' && backend !== 'leveldb') {
    throw new CliError(
      `invalid --state-backend '${backend}'`,
      'it must be heap or leveldb',
      'Use --state-backend leveldb (default) or heap.',
    )
  }
  const port = Number(flags.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(
      `invalid --port '${flags.port}'`,
      'it must be an integer from 0 to 65535',
      'Use e.g. --port 8080.',
    )
  }
  if (!isLoopback(flags.host) && !flags.authTokens && !flags.insecure) {
    throw new CliError(
      `refusing to serve on ${flags.host} without authentication`,
      'the API would be open to the network',
      'Pass --auth-tokens FILE, or --insecure if you really want an open API.',
    )
  }
  return {
    ...(flags.parallelism ? { parallelism: parsePositiveInt('--parallelism', flags.parallelism) } : {}),
    taskManagers: parsePositiveInt('--task-managers', flags.taskManagers ?? '1'),
    stateBackend: backend,
    stateDir: flags.stateDir,
    memory: flags.memory,
    checkpointInterval: parseDuration('--checkpoint-interval', flags.checkpointInterval),
    retainCheckpoints: parsePositiveInt('--retain-checkpoints', flags.retainCheckpoints ?? '3'),
    checkpointChain: parseNonNegativeInt('--checkpoint-chain', flags.checkpointChain ?? '32'),
    ingestMaxLag: parsePositiveInt('--ingest-max-lag', flags.ingestMaxLag ?? '1000000'),
    host: flags.host,
    port,
    ...(flags.authTokens ? { authTokensFile: flags.authTokens } : {}),
  }
}

export async function runCommand(jobFile: string, flags: RunFlags): Promise<number> {
  const options = embeddedOptionsFrom(flags)
  const { job, path } = await loadJob(jobFile)
  if (flags.explain) {
    const { MiniCluster } = await import('../../cluster/mini-cluster.ts')
    const plan = new MiniCluster().jobManager.plan(
      job,
      options.parallelism === undefined ? {} : { parallelism: options.parallelism },
    )
    process.stdout.write(`${formatPlan(plan.graph)}\n`)
    return 0
  }
  const handle = await startEmbedded({
    ...options,
    job,
    jobPath: path,
    ...(flags.fromSavepoint ? { fromSavepoint: flags.fromSavepoint } : {}),
    warn: (line) => process.stderr.write(`livestate: ${line}\n`),
  })
  process.stderr.write(`livestate: job '${job.name}' ${handle.master.status} — serving on ${handle.url}\n`)
  const stopStatus = startStatusLine(handle.cluster, handle.master)
  let stopping = false
  const stop = async (signal: string) => {
    stopping = true
    stopStatus()
    process.stderr.write(`livestate: ${signal}: stopping job '${job.name}' with a final checkpoint\n`)
    const deadline = new Promise((r) => setTimeout(r, 9_000).unref())
    await Promise.race([handle.stop(), deadline])
    process.exit(0)
  }
  process.once('SIGINT', () => void stop('SIGINT'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
  const status = await handle.master.whenTerminated()
  stopStatus()
  if (status === 'FAILED') {
    await handle.close()
    const cause = handle.master.failureCause
    throw new CliError(
      `job '${job.name}' failed`,
      (cause?.message ?? 'a task failed').replace(/\.$/, ''),
      'Fix the job and run again (--verbose shows the stack).',
      {
        cause,
      },
    )
  }
  process.stderr.write(`livestate: job '${job.name}' ${status}\n`)
  // stopped by a signal: stop() exits once the final checkpoint is written
  if (stopping) return new Promise<number>(() => {})
  if (flags.exitOnFinish || status === 'CANCELED') {
    await handle.close()
    return 0
  }
  process.stderr.write(`livestate: serving the final state on ${handle.url} until interrupted (Ctrl-C)\n`)
  await new Promise(() => {})
  return 0
}

export const DEMO_JOB_FILE = fileURLToPath(new URL('../../demo/clicks-job.ts', import.meta.url))
