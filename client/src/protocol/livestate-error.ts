// The one error type of livestate's wire protocol: a stable `code` from ERROR_CODES, a message that
// may change, and whether retrying can help. Serialised as {"error":{code,message,retryable}}.
import { type ErrorCode, isErrorCode, isRetryable } from './error-codes.ts'

export interface ErrorBody {
  code: ErrorCode
  message: string
  retryable: boolean
}

export class LivestateError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  /** Seconds to wait before retrying, when the server said (Retry-After). */
  readonly retryAfter: number | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryable?: boolean; retryAfter?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LivestateError'
    this.code = code
    this.retryable = options?.retryable ?? isRetryable(code)
    this.retryAfter = options?.retryAfter
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, retryable: this.retryable }
  }

  /** Rebuilds an error from a wire body; an unrecognised body becomes INTERNAL. */
  static fromBody(body: unknown, retryAfter?: number): LivestateError {
    const b = body as Partial<ErrorBody> | undefined
    if (b && isErrorCode(b.code)) {
      return new LivestateError(b.code, String(b.message ?? b.code), {
        retryable: typeof b.retryable === 'boolean' ? b.retryable : undefined,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      })
    }
    return new LivestateError('INTERNAL', `unrecognised error body: ${JSON.stringify(body)?.slice(0, 200)}`)
  }
}

export function isLivestateError(e: unknown): e is LivestateError {
  return e instanceof LivestateError
}
