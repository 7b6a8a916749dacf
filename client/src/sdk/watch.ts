// Adapts a callback subscription to an async iterator: events queue until pulled, an error ends
// the iteration by throwing, and leaving the loop (`break`, `return()`) closes the subscription.
import type { LivestateError } from '../protocol/livestate-error.ts'
import type { ChangeMeta, Subscription, WatchEvent } from './client-types.ts'

type Open<K, V> = (
  callback: (value: V | undefined, key: K, meta: ChangeMeta) => void,
  onEnd: (error: LivestateError | undefined) => void,
) => Subscription

export function watchSubscription<K, V>(open: Open<K, V>): AsyncIterableIterator<WatchEvent<K, V>> {
  const queue: WatchEvent<K, V>[] = []
  let failure: LivestateError | undefined
  let done = false
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const subscription = open(
    (value, key, meta) => {
      queue.push({ type: meta.type, key, value, meta })
      notify()
    },
    (error) => {
      if (error !== undefined) failure = error
      done = true
      notify()
    },
  )
  const finish = (): IteratorResult<WatchEvent<K, V>> => {
    done = true
    subscription.close()
    return { done: true, value: undefined }
  }
  const iterator: AsyncIterableIterator<WatchEvent<K, V>> = {
    async next() {
      for (;;) {
        const event = queue.shift()
        if (event !== undefined) return { done: false, value: event }
        if (failure !== undefined) {
          const error = failure
          failure = undefined
          finish()
          throw error
        }
        if (done) return finish()
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
    async return() {
      queue.length = 0
      return finish()
    },
    [Symbol.asyncIterator]() {
      return iterator
    },
  }
  return iterator
}
