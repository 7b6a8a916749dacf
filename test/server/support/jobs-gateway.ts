// One server over two embedded engines. `livestate run` serves the one job it runs, but the server
// tests need a second job (a job a token may not see must exist to answer like an unknown one).
// This routes each call to the QueryProxy of the engine running the named job and adds nothing:
// every answer, error and change event comes from that engine.
import type { QueryGateway } from '../../../src/query/query-gateway.ts'

export class JobsGateway implements QueryGateway {
  constructor(private readonly engines: readonly QueryGateway[]) {
    if (engines.length === 0) throw new TypeError('JobsGateway needs at least one engine')
  }

  /** The engine running `job`; for an unknown job any engine, which answers UNKNOWN_JOB itself. */
  private of(job: string): QueryGateway {
    return this.engines.find((g) => g.listJobs().some((j) => j.name === job)) ?? this.engines[0]!
  }

  listJobs: QueryGateway['listJobs'] = () => this.engines.flatMap((g) => g.listJobs())
  hasJob: QueryGateway['hasJob'] = (job) => this.engines.some((g) => g.hasJob(job))
  describeJob: QueryGateway['describeJob'] = (job) => this.of(job).describeJob(job)
  describeState: QueryGateway['describeState'] = (job, state) => this.of(job).describeState(job, state)
  parsePathKey: QueryGateway['parsePathKey'] = (job, state, segment) => this.of(job).parsePathKey(job, state, segment)
  get: QueryGateway['get'] = (job, state, key, options) => this.of(job).get(job, state, key, options)
  getMany: QueryGateway['getMany'] = (job, state, keys, options) => this.of(job).getMany(job, state, keys, options)
  entries: QueryGateway['entries'] = (job, state, options) => this.of(job).entries(job, state, options)
  subscribe: QueryGateway['subscribe'] = (job, state, selector, listener) =>
    this.of(job).subscribe(job, state, selector, listener)
  ingest: QueryGateway['ingest'] = (job, source, events, key) => this.of(job).ingest(job, source, events, key)
  savepoint: QueryGateway['savepoint'] = (job) => this.of(job).savepoint(job)
  cancel: QueryGateway['cancel'] = (job) => this.of(job).cancel(job)
}
