// Exponential backoff with jitter, shared by request retries and WebSocket reconnects.

export interface BackoffPolicy {
  baseDelayMs: number
  maxDelayMs: number
}

/**
 * Delay before retry number `attempt` (0-based): base·2^attempt capped at max, then "equal jitter"
 * (a random point in the upper half) so that clients dropped together do not return together.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30))
  return Math.round(capped / 2 + (capped / 2) * random())
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
