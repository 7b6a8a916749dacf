// The public job API of livestate (what `import … from 'livestate'` gives a job file).
export { avg, count, max, min, sum } from './api/aggregates.ts'
export type {
  AggregateFunction,
  Collector,
  FilterFunction,
  FlatMapFunction,
  KeySelector,
  MapFunction,
  ReduceFunction,
} from './api/functions.ts'
export {
  ConnectedStreams,
  DataStream,
  DataStreamSink,
  KeyedConnectedStreams,
  KeyedStream,
  QueryableStateStream,
  WindowedStream,
} from './api/data-stream.ts'
export type { QueryableInfo, QueryableKind } from './api/data-stream.ts'
export { StreamExecutionEnvironment } from './api/environment.ts'
export type { GeneratorOptions } from './api/environment.ts'
export { defineJob } from './api/job.ts'
export type { JobDefinition, JobOptions, RestartStrategy } from './api/job.ts'
export { KeyedCoProcessFunction, KeyedProcessFunction } from './api/process-function.ts'
export type { OnTimerContext, OpenContext, ProcessContext, RuntimeInfo, TimerService } from './api/process-function.ts'
export { collectSink, ndjsonSink } from './api/sinks.ts'
export {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './api/state-descriptors.ts'
export type { StateTtlConfig } from './api/state-descriptors.ts'
export type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './api/state.ts'
export {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from './api/windows.ts'
export type { TimeWindow, WindowAssigner, WindowResult } from './api/windows.ts'
