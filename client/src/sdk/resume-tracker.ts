// Gap-free, regression-free delivery across reconnects: remembers the last (epoch, seq) delivered per
// key and accepts a change only when it is strictly newer (epoch first, then seq). After a resubscribe
// the server's snapshot frames repeat what we already delivered (dropped) or bring newer values.
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

  /** Records the position and returns true when the frame should be delivered. */
  accept(key: Key, position: Position): boolean {
    const id = keyId(key)
    if (!isNewer(position, this.last.get(id))) return false
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
