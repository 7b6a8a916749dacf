// Parsing and validation of CLI option values (pure): integers, durations, sizes, host rules.
import { CliError } from './cli-error.ts'

export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`invalid ${flag} '${value}'`, 'it must be a positive integer', `Use e.g. ${flag} 2.`)
  return n
}

export function parseNonNegativeInt(flag: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new CliError(`invalid ${flag} '${value}'`, 'it must be a whole number, 0 or more', `Use e.g. ${flag} 32.`)
  return n
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/

export function parseDuration(flag: string, value: string): number {
  const m = DURATION.exec(value.trim())
  if (!m)
    throw new CliError(
      `invalid ${flag} '${value}'`,
      'it must be a duration such as 500ms, 5s, 1m',
      `Use e.g. ${flag} 5s.`,
    )
  const unit = m[2] ?? 'ms'
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms']!
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
