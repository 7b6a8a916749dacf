// Job, state and source names as they may appear in a URL or a frame. Checked before anything else
// touches them, so a hostile name (`../../etc`, control characters, 10 kB) never reaches the gateway.

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name)
}

/** A name for an error message: JSON-quoted (control characters escaped) and cut at 128 characters. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 128 ? `${name.slice(0, 128)}…` : name)
}
