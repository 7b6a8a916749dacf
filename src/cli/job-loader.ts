// Loads a job module (TypeScript or JavaScript) and checks that its default export is defineJob(…).
import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isJobDefinition, type JobDefinition } from '../api/job.ts'
import { CliError } from './cli-error.ts'

export async function loadJob(file: string): Promise<{ job: JobDefinition<unknown>; path: string }> {
  const path = resolve(file)
  try {
    await access(path)
  } catch {
    throw new CliError(
      `cannot read job file ${file}`,
      'the file does not exist',
      'Check the path (it is resolved from the current directory).',
    )
  }
  let mod: { default?: unknown }
  try {
    mod = await import(pathToFileURL(path).href)
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0]! : String(cause)
    throw new CliError(
      `cannot load job file ${file}`,
      why.replace(/\.$/, ''),
      'Fix the error in the job module and run again.',
      { cause },
    )
  }
  if (!isJobDefinition(mod.default)) {
    throw new CliError(
      `${file} is not a livestate job`,
      'its default export is not the result of defineJob(options, build)',
      "Add `export default defineJob({ name: '…' }, (env) => { … })` (import { defineJob } from 'livestate').",
    )
  }
  return { job: mod.default, path }
}
