// Gap-free, regression-free delivery across reconnects: remembers the last (epoch, seq) delivered per
// key and accepts a change only when it is strictly newer (epoch first, then seq). After a resubscribe
// the server's snapshot frames repeat what we already delivered (dropped) or bring newer values.
//
// One exception, after a resubscribe only: the first frame of a key that is strictly *older* than the
// last one delivered. A server keeping the contract never sends it (its snapshot is read at the feed's
// current seq, and later changes are numbered after it), so it means the server lost its numbering — a
// restarted process that began again at an epoch it had used before. Dropping it, and everything
// numbered below the old position, would freeze the key on a stale value for good; the frame is
// delivered instead and becomes the key's new position.
import { type Key, keyId } from '../protocol/keys.ts'

export interface Position {
  epoch: number
  seq: number
}

export function isNewer(candidate: Position, last: Position | undefined): boolean {
  if (last === undefined) return true
  if (candidate.epoch !== last.epoch) return candidate.epoch > last.epoch
  return candidate.seq > last.seq
}

export class ResumeTracker {
  private readonly last = new Map<string, Position>()
  /** Keys delivered before the latest resubscribe that have had no frame since. */
  private unconfirmed = new Set<string>()

  /** The subscription was made again (new connection): each key's next frame may rebase it. */
  resubscribed(): void {
    this.unconfirmed = new Set(this.last.keys())
  }

  /** Records the position and returns true when the frame should be delivered. */
  accept(key: Key, position: Position): boolean {
    const id = keyId(key)
    const last = this.last.get(id)
    const isFirstSinceResubscribe = this.unconfirmed.delete(id)
    const isReset = isFirstSinceResubscribe && last !== undefined && isNewer(last, position)
    if (!isNewer(position, last) && !isReset) return false
    this.last.set(id, { epoch: position.epoch, seq: position.seq })
    return true
  }

  positionOf(key: Key): Position | undefined {
    return this.last.get(keyId(key))
  }

  get size(): number {
    return this.last.size
  }
}
