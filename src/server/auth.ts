// Authentication and authorisation decisions, pure: which principal a bearer token names, and whether
// it may use a scope on a job. A job the principal may not see answers exactly like an unknown job.
import { createHash } from 'node:crypto'
import { LivestateError } from '@livestate/client'
import { type AuthTokenFile, SCOPES, type Scope } from './auth-tokens.ts'
import { quoteName } from './names.ts'

export interface Principal {
  readonly scopes: ReadonlySet<Scope>
  readonly jobs: '*' | ReadonlySet<string>
  /** For logs: the entry's name or its index in the file; never the token. */
  readonly label: string
}

/** Everyone, when the server runs without an auth file. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ scopes: new Set(SCOPES), jobs: '*' as const, label: 'open' })

// Tokens are looked up by their SHA-256, so a lookup's timing says nothing about a token's prefix.
function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export class TokenAuthenticator {
  readonly #byDigest = new Map<string, Principal>()
  readonly isOpen: boolean

  constructor(file: AuthTokenFile | undefined) {
    this.isOpen = file === undefined
    file?.tokens.forEach((entry, i) => {
      this.#byDigest.set(digest(entry.token), {
        scopes: new Set(entry.scopes),
        jobs: entry.jobs === '*' ? '*' : new Set(entry.jobs),
        label: entry.name ?? `tokens[${i}]`,
      })
    })
  }

  /** The principal for a presented token; OPEN_PRINCIPAL when auth is off; undefined = 401. */
  authenticate(token: string | undefined): Principal | undefined {
    if (this.isOpen) return OPEN_PRINCIPAL
    if (token === undefined || token.length === 0 || token.length > 4096) return undefined
    return this.#byDigest.get(digest(token))
  }
}

/** `Authorization: Bearer <token>` → token; anything else → undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header)
  return match?.[1]
}

export function canSeeJob(principal: Principal, job: string): boolean {
  return principal.jobs === '*' || principal.jobs.has(job)
}

export function unknownJob(job: string): LivestateError {
  return new LivestateError('UNKNOWN_JOB', `unknown job ${quoteName(job)}`)
}

/**
 * Throws UNKNOWN_JOB when the principal may not see the job (the same error an unknown job gets),
 * FORBIDDEN when it sees the job but lacks the scope.
 */
export function authorize(principal: Principal, job: string, scope: Scope): void {
  if (!canSeeJob(principal, job)) throw unknownJob(job)
  if (!principal.scopes.has(scope)) {
    throw new LivestateError('FORBIDDEN', `this token lacks the "${scope}" scope for job "${job}"`)
  }
}

/** Cluster-wide endpoints (/metrics) need admin on every job: metrics name every job. */
export function isClusterAdmin(principal: Principal): boolean {
  return principal.jobs === '*' && principal.scopes.has('admin')
}
