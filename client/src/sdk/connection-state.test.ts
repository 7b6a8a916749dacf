import { expect, test } from 'vitest'
import {
  CONNECTION_EVENTS,
  CONNECTION_STATES,
  type ConnectionEvent,
  type ConnectionState,
  nextConnectionState,
} from './connection-state.ts'

// The whole table, written out independently of the implementation: '-' means rejected.
const EXPECTED: Record<ConnectionState, Record<ConnectionEvent, ConnectionState | '-'>> = {
  idle: { connect: 'connecting', opened: '-', dropped: '-', retry: '-', release: '-', close: 'closed' },
  connecting: {
    connect: 'connecting',
    opened: 'open',
    dropped: 'reconnecting',
    retry: '-',
    release: '-',
    close: 'closed',
  },
  open: { connect: 'open', opened: '-', dropped: 'reconnecting', retry: '-', release: '-', close: 'closed' },
  reconnecting: {
    connect: 'reconnecting',
    opened: '-',
    dropped: '-',
    retry: 'connecting',
    release: 'idle',
    close: 'closed',
  },
  closed: { connect: '-', opened: '-', dropped: '-', retry: '-', release: '-', close: 'closed' },
}

const cases = CONNECTION_STATES.flatMap((state) =>
  CONNECTION_EVENTS.map((event) => [state, event, EXPECTED[state][event]] as const),
)

test('the table covers every state and event', () => {
  expect(cases).toHaveLength(CONNECTION_STATES.length * CONNECTION_EVENTS.length)
})

test.each(cases)('%s + %s → %s', (state, event, expected) => {
  expect(nextConnectionState(state, event) ?? '-').toBe(expected)
})
