// The CLI (commander): thin commands over the same functions the server and tests use. Every error
// ends as one line on stderr and a non-zero exit; --verbose adds the stack.
import { Command, CommanderError } from 'commander'
import { formatError } from './cli-error.ts'
import { addClientCommands } from './commands/client-commands.ts'
import { addRunOptions, DEMO_JOB_FILE, type RunFlags, runCommand } from './commands/run.ts'

export function buildProgram(): Command {
  const program = new Command()
    .name('livestate')
    .description('Stream processing with live, queryable state')
    .option('--verbose', 'print stack traces on errors')
    .configureOutput({
      // one line: what went wrong and what to do next
      outputError: (text, write) =>
        write(`livestate: ${text.replace(/^error: /, '').trim()}. Run livestate --help for usage.\n`),
    })
    .exitOverride()
  addRunOptions(
    program
      .command('run')
      .argument('<job-file>', 'TypeScript or JavaScript job module')
      .description('run a job on the embedded cluster and serve its state'),
  ).action(async (file: string, flags: RunFlags) => {
    process.exitCode = await runCommand(file, { ...program.opts(), ...flags })
  })
  addRunOptions(
    program.command('demo').description('run the bundled clickstream demo job (what `npm start` runs)'),
  ).action(async (flags: RunFlags) => {
    process.exitCode = await runCommand(DEMO_JOB_FILE, { ...program.opts(), ...flags })
  })
  addClientCommands(program)
  return program
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram()
  const verbose = argv.includes('--verbose')
  try {
    await program.parseAsync(argv)
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message (unknown option, missing argument, --help)
      process.exitCode = e.exitCode
      return
    }
    process.stderr.write(`${formatError(e, verbose)}\n`)
    process.exitCode = 1
  }
}
