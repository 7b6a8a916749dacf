// The WebSocket connection's lifecycle as a pure transition table; `Connection` owns the socket and
// timers and feeds events through `nextConnectionState`. An event the table rejects is a no-op.
//
//            connect                 opened
//   idle ─────────────▶ connecting ─────────▶ open
//    ▲                    │   ▲                 │
//    │ release    dropped │   │ retry           │ dropped
//    │                    ▼   │                 │
//    └──────────────── reconnecting ◀───────────┘
//
//   close: any state ──▶ closed (terminal; close is idempotent, everything else is rejected)
//
// connect in connecting/open/reconnecting stays put (a connection is already under way);
// `release` fires when a socket dropped and nothing needs one (no subscriptions, no pending requests).

export const CONNECTION_STATES = ['idle', 'connecting', 'open', 'reconnecting', 'closed'] as const
export type ConnectionState = (typeof CONNECTION_STATES)[number]

export const CONNECTION_EVENTS = ['connect', 'opened', 'dropped', 'retry', 'release', 'close'] as const
export type ConnectionEvent = (typeof CONNECTION_EVENTS)[number]

type Row = Partial<Record<ConnectionEvent, ConnectionState>>

const TABLE: Record<ConnectionState, Row> = {
  idle: { connect: 'connecting', close: 'closed' },
  connecting: { connect: 'connecting', opened: 'open', dropped: 'reconnecting', close: 'closed' },
  open: { connect: 'open', dropped: 'reconnecting', close: 'closed' },
  reconnecting: { connect: 'reconnecting', retry: 'connecting', release: 'idle', close: 'closed' },
  closed: { close: 'closed' },
}

/** The next state, or undefined when `event` is not allowed in `state`. */
export function nextConnectionState(state: ConnectionState, event: ConnectionEvent): ConnectionState | undefined {
  return TABLE[state][event]
}
