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

export function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  // The first attempt gets no async frame of its own: reads are hot and their failures rare.
  let first: Promise<T>
  try {
    first = operation(0)
  } catch (error) {
    first = Promise.reject(error)
  }
  return first.catch((error: unknown) => retryAfter(error, operation, policy, signal))
}

async function retryAfter<T>(
  firstError: unknown,
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<T> {
  let error = firstError
  for (let attempt = 0; ; attempt++) {
    const delay = retryDelay(error, attempt, policy)
    if (delay === undefined) throw error
    await sleep(delay, signal)
    try {
      return await operation(attempt + 1)
    } catch (next) {
      error = next
    }
  }
}
