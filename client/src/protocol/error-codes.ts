// The closed list of error codes of the wire protocol (DESIGN.md §4), with the HTTP status and
// whether a caller may retry. One table: the server maps codes to statuses with it, the client
// decides on retries with it.

export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, retryable: false },
  UNAUTHORIZED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  UNKNOWN_JOB: { status: 404, retryable: false },
  UNKNOWN_STATE: { status: 404, retryable: false },
  KEY_NOT_FOUND: { status: 404, retryable: false },
  NOT_CAUGHT_UP: { status: 409, retryable: true },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  INTERNAL: { status: 500, retryable: true },
  STATE_NOT_READY: { status: 503, retryable: true },
  NOT_OWNER: { status: 503, retryable: true },
  UNKNOWN_KV_STATE_ID: { status: 503, retryable: true },
  TIMEOUT: { status: 504, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>

export type ErrorCode = keyof typeof ERROR_CODES

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status
}

export function isRetryable(code: ErrorCode): boolean {
  return ERROR_CODES[code].retryable
}
