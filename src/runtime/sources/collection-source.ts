// Reads an in-memory array (Flink's fromCollection); the position is the index of the next item.
import type { Emit, PollResult, SourceReader } from './source-reader.ts'

export class CollectionSourceReader implements SourceReader {
  private next = 0

  constructor(private readonly items: readonly unknown[]) {}

  async open(): Promise<void> {}

  poll(max: number, emit: Emit): PollResult {
    const end = Math.min(this.items.length, this.next + max)
    for (; this.next < end; this.next++) emit(this.items[this.next])
    return this.next >= this.items.length ? 'end' : 'more'
  }

  async waitForData(): Promise<void> {}

  position(): unknown {
    return this.next
  }

  restore(position: unknown): void {
    this.next = Number(position)
  }

  async close(): Promise<void> {}
}
