// Bounded retries of operations that failed with a retryable LivestateError, honouring the server's
// Retry-After. Everything else (and the last failure) is thrown unchanged.
import { isLivestateError } from '../protocol/livestate-error.ts'
import { type BackoffPolicy, backoffDelay, sleep } from './backoff.ts'

export interface RetryPolicy extends BackoffPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  retries: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 5_000 }

/** Longest Retry-After we wait for; a longer one is treated as "give up now". */
const MAX_RETRY_AFTER_MS = 60_000

export function retryDelay(error: unknown, attempt: number, policy: RetryPolicy): number | undefined {
  if (!isLivestateError(error) || !error.retryable || attempt >= policy.retries) return undefined
  if (error.retryAfter !== undefined) {
    const ms = error.retryAfter * 1000
    return ms > MAX_RETRY_AFTER_MS ? undefined : Math.max(ms, 0)
  }
  return backoffDelay(attempt, policy)
}

export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      const delay = retryDelay(error, attempt, policy)
      if (delay === undefined) throw error
      await sleep(delay, signal)
    }
  }
}
