// Subscriptions to a window state while its change feed is publishing. The feed numbers a window
// change before it reads the key's latest window (asynchronously), so a change numbered before a
// new subscription's snapshot read can be published after the snapshot frame went out. Per
// subscription and key, (epoch, seq) must still strictly increase (DESIGN §5), and the subscriber
// must end at the latest value. The reads are deferred by hand: the interleaving is reproduced
// exactly, with no timing.
import { describe, expect, it } from 'vitest'
import { KeyGroupRange } from '../keys/key-group-range.ts'
import type { Key } from '../keys/key-codec.ts'
import type { QueryableStateHandle } from '../runtime/stream-operator.ts'
import { windowNamespace } from '../state/namespace.ts'
import type { ChangeFeed } from './change-feed.ts'
import type { KvStateEntry, KvStateRegistry } from './kv-state-registry.ts'
import { KvStateServer } from './kv-state-server.ts'
import type { ChangeEvent } from './query-gateway.ts'

const ID = 'tm-1:1'
const WINDOW = { start: 0, end: 60_000 }

interface PendingRead {
  keyPrefix: string
  resolve(value: number | undefined): void
}

/** A window state whose latest-window reads wait until the test answers them. */
function windowStateServer() {
  const reads: PendingRead[] = []
  const state = { descriptor: { name: 'views-per-minute' }, changeListener: undefined as ChangeFeed | undefined }
  const handle = {
    name: 'views-per-minute',
    kind: 'window',
    state,
    backend: { tableOf: () => undefined }, // nothing stored: an all-keys snapshot is empty
    queryWindows: (keyPrefix: string) =>
      new Promise((resolve) => {
        reads.push({
          keyPrefix,
          resolve: (value) => resolve(value === undefined ? undefined : { window: WINDOW, value }),
        })
      }),
  } as unknown as QueryableStateHandle
  const entry: KvStateEntry = {
    kvStateId: ID,
    jobId: 'job',
    stateName: 'views-per-minute',
    operatorName: 'window',
    operatorUid: 'window',
    subtaskIndex: 0,
    keyGroupRange: KeyGroupRange.of(0, 127),
    maxParallelism: 128,
    epoch: 1,
    handle,
  }
  const registry = { getKvState: (id: string) => (id === ID ? entry : undefined) } as unknown as KvStateRegistry
  const server = new KvStateServer(registry)
  const feed = () => state.changeListener!
  const tick = () => new Promise<void>((r) => setImmediate(r))
  return {
    server,
    /** The window operator changed a window of `key` (the feed is told, as a state write does). */
    change(key: Key) {
      feed().publish(feed().keyPrefixOf(key) + windowNamespace(WINDOW), 0)
    },
    /** Answers the oldest (or the newest) pending read of `key`'s latest window. */
    async answer(key: Key, value: number | undefined, which: 'oldest' | 'newest' = 'oldest') {
      const of = (r: PendingRead) => r.keyPrefix === feed().keyPrefixOf(key)
      const i = which === 'oldest' ? reads.findIndex(of) : reads.findLastIndex(of)
      expect(i, `a pending read of ${String(key)}`).toBeGreaterThanOrEqual(0)
      reads.splice(i, 1)[0]!.resolve(value)
      await tick()
    },
    pendingReads: () => reads.length,
    tick,
  }
}

function recorder() {
  const events: Exclude<ChangeEvent, { type: 'status' }>[] = []
  return {
    events,
    listener: (e: ChangeEvent) => {
      if (e.type !== 'status') events.push(e)
    },
    valueOf: (key: Key) => {
      const last = events.filter((e) => e.key === key).at(-1)
      return last?.type === 'delete' ? undefined : (last?.value as { value: number } | undefined)?.value
    },
  }
}

function expectSeqIncreasingPerKey(events: Exclude<ChangeEvent, { type: 'status' }>[]): void {
  const last = new Map<Key, number>()
  for (const e of events) {
    const before = last.get(e.key)
    if (before !== undefined) expect(e.seq, `${String(e.key)}: seq after ${before}`).toBeGreaterThan(before)
    last.set(e.key, e.seq)
  }
}

describe('KvStateServer.subscribe on a window state while changes are being published', () => {
  it('a change numbered before the snapshot and published after it is not sent (keys selector)', async () => {
    const s = windowStateServer()
    const first = recorder()
    const subscribing = s.server.subscribe(ID, { keys: ['/home'] }, first.listener)
    await s.tick()
    await s.answer('/home', 1)
    await subscribing
    expect(first.events.map((e) => [e.type, e.seq])).toEqual([['snapshot', 1]])

    // the feed numbers the change of /home (seq 2) and starts reading its latest window…
    s.change('/home')
    await s.tick()
    expect(s.pendingReads()).toBe(1)
    // …while a second subscription opens: its snapshot (seq 3) is read and sent first
    const second = recorder()
    const opening = s.server.subscribe(ID, { keys: ['/home'] }, second.listener)
    await s.tick()
    await s.answer('/home', 2, 'newest') // the snapshot's read
    await opening
    expect(second.events.map((e) => [e.type, e.seq])).toEqual([['snapshot', 3]])
    await s.answer('/home', 2) // the feed's read of the change numbered 2 comes back last

    expect(first.events.map((e) => [e.type, e.seq])).toEqual([
      ['snapshot', 1],
      ['update', 2],
    ])
    expectSeqIncreasingPerKey(second.events)

    // later changes still reach both, numbered past the snapshot
    s.change('/home')
    await s.tick()
    await s.answer('/home', 3)
    expectSeqIncreasingPerKey(first.events)
    expectSeqIncreasingPerKey(second.events)
    expect(second.events.at(-1)).toMatchObject({ type: 'update', seq: 4 })
    expect([first.valueOf('/home'), second.valueOf('/home')]).toEqual([3, 3])
  })

  it('a change numbered between two snapshot reads and published after the snapshot is not sent', async () => {
    const s = windowStateServer()
    const watcher = recorder()
    const watching = s.server.subscribe(ID, { all: true }, watcher.listener)
    await watching // nothing stored yet: an empty snapshot, the feed publishes every key

    const sub = recorder()
    const opening = s.server.subscribe(ID, { keys: ['/home', '/blog/a'] }, sub.listener)
    await s.tick()
    // /home is being read for the snapshot (seq 2) when /blog/a changes: numbered 3, read started
    s.change('/blog/a')
    await s.tick()
    expect(s.pendingReads()).toBe(2)
    await s.answer('/home', 1)
    // the snapshot reads /blog/a now (seq 3: the change numbered 3 is in it) and finishes first
    await s.answer('/blog/a', 5, 'newest')
    await opening
    expect(sub.events.map((e) => [e.key, e.type, e.seq])).toEqual([
      ['/home', 'snapshot', 2],
      ['/blog/a', 'snapshot', 3],
    ])
    await s.answer('/blog/a', 5) // the feed's read of change 3 comes back after the snapshot
    expectSeqIncreasingPerKey(sub.events)
    expect(watcher.events.map((e) => [e.key, e.type, e.seq])).toEqual([['/blog/a', 'update', 3]])

    s.change('/blog/a')
    await s.tick()
    await s.answer('/blog/a', 6)
    expectSeqIncreasingPerKey(sub.events)
    expect(sub.events.at(-1)).toMatchObject({ key: '/blog/a', type: 'update', seq: 4 })
    expect([sub.valueOf('/home'), sub.valueOf('/blog/a'), watcher.valueOf('/blog/a')]).toEqual([1, 6, 6])
  })

  it('a change numbered before the subscription, of a key the snapshot did not find, is not sent', async () => {
    const s = windowStateServer()
    const watcher = recorder()
    await s.server.subscribe(ID, { all: true }, watcher.listener)
    // /home's window is written (numbered 2, read started), then fired and cleared before anyone reads again
    s.change('/home')
    await s.tick()
    const sub = recorder()
    const opening = s.server.subscribe(ID, { keys: ['/home'] }, sub.listener)
    await s.tick()
    s.change('/home') // the clear: marked dirty again, numbered once the running pass is done
    await s.answer('/home', undefined, 'newest') // the snapshot (seq 3) finds no window
    await opening
    expect(sub.events).toEqual([])
    await s.answer('/home', 1) // the feed's read of change 2 saw the window before it was cleared
    await s.answer('/home', undefined) // change 4: the clear
    expect(watcher.events.map((e) => [e.type, e.seq])).toEqual([
      ['update', 2],
      ['delete', 4],
    ])
    expect(sub.events.map((e) => [e.type, e.seq])).toEqual([['delete', 4]])
  })
})
