// An explicit classic-level snapshot: a LevelDB sequence number that get, getMany and iterators
// read at. Cheap to take; while open, compaction keeps the versions it can see.

import type { ResolvedRange } from '../key-range.ts'
import type { Bytes } from '../ordered-store.ts'
import type { EngineCursor, EngineSnapshot } from '../store-engine.ts'
import { type LevelContext, type LevelSnapshotToken, openEntries, openKeys } from './level-cursor.ts'

export class LevelSnapshot implements EngineSnapshot {
  readonly #ctx: LevelContext
  readonly #token: LevelSnapshotToken

  constructor(ctx: LevelContext, token: LevelSnapshotToken) {
    this.#ctx = ctx
    this.#token = token
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.#ctx.assertOpen()
    return this.#ctx.db.get(key, { snapshot: this.#token }).catch(this.#reject)
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    this.#ctx.assertOpen()
    return this.#ctx.db.getMany(keys, { snapshot: this.#token }).catch(this.#reject)
  }

  entries(range: ResolvedRange): EngineCursor<[Bytes, Bytes]> {
    return openEntries(this.#ctx, range, this.#token)
  }

  keys(range: ResolvedRange): EngineCursor<Bytes> {
    return openKeys(this.#ctx, range, this.#token)
  }

  async close(): Promise<void> {
    await this.#token.close().catch(this.#reject)
  }

  readonly #reject = (err: unknown): never => {
    throw this.#ctx.failure(err)
  }
}
