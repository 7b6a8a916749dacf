// Public surface of @livestate/client: the wire protocol (error codes, errors, codec, frames, bodies)
// that the server imports, and the typed SDK. Explicit named exports only.
export { ERROR_CODES, httpStatusOf, isErrorCode, isRetryable } from './protocol/error-codes.ts'
export type { ErrorCode } from './protocol/error-codes.ts'
export { LivestateError, isLivestateError } from './protocol/livestate-error.ts'
export type { ErrorBody } from './protocol/livestate-error.ts'
export { DEFAULT_DECODE_LIMITS, decodeMsgpack, decodeUntrustedMsgpack, encodeMsgpack } from './protocol/codec.ts'
export type { DecodeLimits } from './protocol/codec.ts'
export { isKey, isKeyScalar, keyId } from './protocol/keys.ts'
export type { Key, KeyScalar } from './protocol/keys.ts'
export { MAX_KEYS_PER_REQUEST, isResponseFrame, isSubscriptionFrame, parseClientFrame } from './protocol/messages.ts'
export type {
  ChangeFrame,
  ClientFrame,
  ClientOp,
  ErrorFrame,
  GetFrame,
  GetManyEntry,
  GetManyFrame,
  GetManyOkFrame,
  GetOkFrame,
  ResponseFrame,
  ServerFrame,
  StatusFrame,
  SubscribeFrame,
  SubscribeOkFrame,
  SubscribeSelector,
  SubscriptionFrame,
  UnsubscribeFrame,
  UnsubscribeOkFrame,
  WindowSelector,
  WireReadOptions,
} from './protocol/messages.ts'
export type {
  Consistency,
  EntriesBody,
  ErrorResponseBody,
  GetBody,
  GetManyBody,
  JobStatus,
  JobSummary,
  JobsBody,
  KeyType,
  StateDescription,
  StateKind,
  StateMeta,
  StateOwner,
} from './protocol/http-bodies.ts'

export { createClient } from './sdk/create-client.ts'
export type {
  ChangeMeta,
  ClientOptions,
  EntriesOptions,
  JobHandle,
  LivestateClient,
  MapStateHandle,
  ReadOptions,
  StateHandle,
  StateHandleFor,
  SubscribeOptions,
  SubscribeSelection,
  Subscription,
  Transport,
  UntypedStateHandle,
  WatchEvent,
  WindowStateHandle,
} from './sdk/client-types.ts'
export type {
  JobLike,
  QueryableDescriptor,
  QueryableNamed,
  QueryablesOf,
  StateNamesOf,
  UntypedJob,
} from './sdk/job-types.ts'
export type { WebSocketConstructorLike, WebSocketLike } from './sdk/websocket-impl.ts'
export type { FetchLike } from './sdk/http-transport.ts'
export type { ConnectionState } from './sdk/connection-state.ts'
