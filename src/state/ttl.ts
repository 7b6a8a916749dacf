// State TTL (Flink's StateTtlConfig): a TTL'd value is stored as [value, lastWriteOrRead]; reads check
// expiry lazily and never return an expired value; a sweeper deletes the rest in the background.
import type { StateTtlConfig } from '../api/state-descriptors.ts'

export type TtlWrapped = [value: unknown, timestamp: number]

export class TtlPolicy {
  constructor(
    readonly config: StateTtlConfig,
    private readonly now: () => number = Date.now,
  ) {}

  wrap(value: unknown): TtlWrapped {
    return [value, this.now()]
  }

  isExpired(stored: unknown): boolean {
    return this.now() - (stored as TtlWrapped)[1] >= this.config.ttl
  }

  get refreshOnRead(): boolean {
    return this.config.update === 'onReadAndWrite'
  }
}
