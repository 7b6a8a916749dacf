// KeyGroupRange: an inclusive range of key-group indexes, the unit a keyed subtask owns and a
// checkpoint is split by. Mirrors Flink's org.apache.flink.runtime.state.KeyGroupRange.

export class KeyGroupRange implements Iterable<number> {
  /** The empty range, [0, -1]; `of(start, end)` returns it whenever start > end. */
  static readonly EMPTY: KeyGroupRange = new KeyGroupRange(0, -1)

  readonly startKeyGroup: number
  readonly endKeyGroup: number

  /**
   * The range [startKeyGroup, endKeyGroup], both inclusive. Requires 0 <= start <= end, except
   * for (0, -1), which is the empty range (Flink builds that one with a private constructor).
   */
  constructor(startKeyGroup: number, endKeyGroup: number) {
    if (!Number.isInteger(startKeyGroup) || !Number.isInteger(endKeyGroup)) {
      throw new TypeError(`KeyGroupRange bounds must be integers; got ${startKeyGroup}..${endKeyGroup}`)
    }
    const isEmpty = startKeyGroup === 0 && endKeyGroup === -1
    if (!isEmpty && (startKeyGroup < 0 || startKeyGroup > endKeyGroup)) {
      throw new RangeError(`KeyGroupRange needs 0 <= start <= end; got ${startKeyGroup}..${endKeyGroup}`)
    }
    this.startKeyGroup = startKeyGroup
    this.endKeyGroup = endKeyGroup
  }

  /** [start, end], or EMPTY when start > end. */
  static of(startKeyGroup: number, endKeyGroup: number): KeyGroupRange {
    return startKeyGroup <= endKeyGroup ? new KeyGroupRange(startKeyGroup, endKeyGroup) : KeyGroupRange.EMPTY
  }

  contains(keyGroup: number): boolean {
    return keyGroup >= this.startKeyGroup && keyGroup <= this.endKeyGroup
  }

  getNumberOfKeyGroups(): number {
    return 1 + this.endKeyGroup - this.startKeyGroup
  }

  getStartKeyGroup(): number {
    return this.startKeyGroup
  }

  getEndKeyGroup(): number {
    return this.endKeyGroup
  }

  /** The key groups in both ranges, or EMPTY. */
  getIntersection(other: KeyGroupRange): KeyGroupRange {
    return KeyGroupRange.of(
      Math.max(this.startKeyGroup, other.startKeyGroup),
      Math.min(this.endKeyGroup, other.endKeyGroup),
    )
  }

  equals(other: unknown): boolean {
    return (
      other instanceof KeyGroupRange &&
      other.startKeyGroup === this.startKeyGroup &&
      other.endKeyGroup === this.endKeyGroup
    )
  }

  toString(): string {
    return `KeyGroupRange{startKeyGroup=${this.startKeyGroup}, endKeyGroup=${this.endKeyGroup}}`
  }

  /** Wire form; rebuild with `KeyGroupRange.of(json.start, json.end)`. */
  toJSON(): { start: number; end: number } {
    return { start: this.startKeyGroup, end: this.endKeyGroup }
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let kg = this.startKeyGroup; kg <= this.endKeyGroup; kg++) yield kg
  }
}
