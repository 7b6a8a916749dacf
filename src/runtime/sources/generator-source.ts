// Deterministic generator source: event i = generate(i, random) where `random` is seeded by
// (seed, i), so the events do not depend on parallelism or timing. Subtask s of p emits i ≡ s (mod p).
// The position is the next index; an optional rate limits events per second across the source.
import type { Emit, PollResult, SourceReader } from './source-reader.ts'

/** splitmix32-style PRNG reseeded per event; `random()` returns [0, 1). */
export function createIndexedRandom(seed: number): { reset(index: number): void; random: () => number } {
  let state = 0
  return {
    reset(index: number) {
      state = (seed ^ Math.imul(index, 0x9e3779b9) ^ Math.imul(Math.floor(index / 4294967296), 0x85ebca6b)) | 0
    },
    random() {
      state = (state + 0x9e3779b9) | 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      z ^= z >>> 16
      return (z >>> 0) / 4294967296
    },
  }
}

export class GeneratorSourceReader implements SourceReader {
  private next: number
  private readonly rng: ReturnType<typeof createIndexedRandom>
  private startedAt = 0
  private emittedSinceStart = 0

  constructor(
    private readonly generate: (index: number, random: () => number) => unknown,
    private readonly options: { seed: number; count?: number; ratePerSecond?: number },
    subtaskIndex: number,
    private readonly parallelism: number,
  ) {
    this.next = subtaskIndex
    this.rng = createIndexedRandom(options.seed)
  }

  async open(): Promise<void> {
    this.startedAt = Date.now()
  }

  poll(max: number, emit: Emit): PollResult {
    const count = this.options.count ?? Number.POSITIVE_INFINITY
    let budget = max
    const rate = this.options.ratePerSecond
    if (rate !== undefined) {
      const allowed =
        Math.floor(((Date.now() - this.startedAt) * rate) / 1000 / this.parallelism) - this.emittedSinceStart
      budget = Math.min(budget, allowed)
      if (budget <= 0) return this.next >= count ? 'end' : 'idle'
    }
    const { rng, generate, parallelism } = this
    for (let n = 0; n < budget && this.next < count; n++) {
      rng.reset(this.next)
      emit(generate(this.next, rng.random))
      this.next += parallelism
      this.emittedSinceStart++
    }
    return this.next >= count ? 'end' : 'more'
  }

  waitForData(): Promise<void> {
    const rate = this.options.ratePerSecond ?? 1000
    const wait = Math.max(1, Math.min(50, Math.ceil((1000 * this.parallelism) / rate)))
    return new Promise((resolve) => setTimeout(resolve, wait))
  }

  position(): unknown {
    return this.next
  }

  restore(position: unknown): void {
    this.next = Number(position)
    this.startedAt = Date.now()
    this.emittedSinceStart = 0
  }

  async close(): Promise<void> {}
}
