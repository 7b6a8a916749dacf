// CLI errors: one line saying what failed, why, and what to do next; the stack only with --verbose.
export class CliError extends Error {
  constructor(
    readonly what: string,
    readonly why: string,
    readonly todo: string,
    options?: { cause?: unknown },
  ) {
    super(`${what}: ${why}. ${todo}`, options)
    this.name = 'CliError'
  }
}

export function formatError(e: unknown, verbose: boolean): string {
  if (verbose && e instanceof Error && e.stack) return `livestate: ${e.stack}`
  if (e instanceof CliError) return `livestate: ${e.message}`
  const message = e instanceof Error ? e.message : String(e)
  const first = message.split('\n')[0]
  return `livestate: ${first}${first?.endsWith('.') ? '' : '.'} Run again with --verbose for details.`
}
