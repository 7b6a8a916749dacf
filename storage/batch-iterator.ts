// Turns an engine's batch cursor into the AsyncIterableIterator the stores hand out: entries are
// served from the current batch without touching the engine; the cursor opens at the first next()
// and closes at the end, on break (return()) and on error.

import type { EngineCursor } from './store-engine.ts'

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })

export class BatchIterator<S, T = S> implements AsyncIterableIterator<T, undefined> {
  readonly #open: () => EngineCursor<S>
  readonly #map: ((item: S) => T) | undefined
  #cursor: EngineCursor<S> | undefined
  #batch: T[] = []
  #index = 0
  #isDone = false
  #pending: Promise<IteratorResult<T, undefined>> | undefined

  constructor(open: () => EngineCursor<S>, map?: (item: S) => T) {
    this.#open = open
    this.#map = map
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<T, undefined>> {
    // A caller that does not await next() must not run two batch reads at once (LevelDB refuses).
    if (this.#pending !== undefined) return this.#pending.then(() => this.next())
    if (this.#index < this.#batch.length) {
      return Promise.resolve({ done: false, value: this.#batch[this.#index++]! })
    }
    if (this.#isDone) return Promise.resolve(DONE)
    const pending = this.#fill()
    this.#pending = pending
    return pending.finally(() => {
      this.#pending = undefined
    })
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    await this.#finish()
    return DONE
  }

  async #fill(): Promise<IteratorResult<T, undefined>> {
    let batch: S[]
    try {
      this.#cursor ??= this.#open()
      batch = await this.#cursor.nextBatch()
    } catch (err) {
      await this.#finish().catch(() => {
        // The read error is the one to report; a failing close after it adds nothing.
      })
      throw err
    }
    if (batch.length === 0) {
      await this.#finish()
      return DONE
    }
    const map = this.#map
    this.#batch = map === undefined ? (batch as unknown as T[]) : batch.map(map)
    this.#index = 1
    return { done: false, value: this.#batch[0]! }
  }

  async #finish(): Promise<void> {
    this.#isDone = true
    this.#batch = []
    this.#index = 0
    const cursor = this.#cursor
    this.#cursor = undefined
    if (cursor !== undefined) await cursor.close()
  }
}
