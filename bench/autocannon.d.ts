// The part of autocannon 9's API the http suite uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram {
    average: number
    min: number
    max: number
    p50: number
    p90: number
    p99: number
    p99_9: number
  }
  interface RawRequest {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
  }
  interface Options {
    url: string
    connections?: number
    pipelining?: number
    duration?: number
    timeout?: number
    requests?: { setupRequest?: (req: RawRequest, context: Record<string, unknown>) => RawRequest }[]
  }
  interface Result {
    requests: Histogram & { total: number }
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    statusCodeStats: Record<string, { count: number }>
  }
  /** A thenable event emitter: await it for the result. */
  interface Instance extends PromiseLike<Result> {
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void,
    ): this
  }
  function autocannon(options: Options): Instance
  export default autocannon
}
