// The Hono environment of the server: what middleware hands to handlers, per request.
import type { Principal } from './auth.ts'

export interface ServerVariables {
  /** Set by the authentication middleware on every protected route (OPEN_PRINCIPAL without auth). */
  principal: Principal
  /** The job the request names, once its name passed validation (makes UNKNOWN_JOB answers uniform). */
  job: string | undefined
  /** X-Request-Id of this request (app.ts envelope). */
  requestId: string
  /** respond() wrote the API headers into the answer (security-headers.ts answerHeaders). */
  hasApiHeaders: boolean
}

export interface ServerEnv {
  Variables: ServerVariables
}
