// Sink factories: ndjsonSink(path) appends one JSON line per record; collectSink() gathers records in
// memory for tests; print is DataStream.print().
import type { CollectSink, SinkSpec } from './transformation.ts'

export function ndjsonSink(path: string): SinkSpec {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('ndjsonSink needs a file path')
  return { type: 'ndjson', path }
}

export function collectSink<T>(): CollectSink<T> & SinkSpec {
  const results: T[] = []
  const sink: CollectSink<T> = {
    kind: 'collect',
    results,
    add(value: T) {
      results.push(value)
    },
  }
  return Object.assign(sink, { type: 'collect' as const, collector: sink })
}
