// Flink's KeyedProcessFunction and KeyedCoProcessFunction with their contexts. Lifecycle:
// open(ctx) once per subtask before any element, processElement per element (current key set),
// onTimer when a registered timer fires, close() at shutdown.
import type { Collector } from './functions.ts'
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './state-descriptors.ts'
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state.ts'

export interface RuntimeInfo {
  readonly taskName: string
  readonly subtaskIndex: number
  readonly parallelism: number
  readonly maxParallelism: number
}

export interface OpenContext {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>
  getRuntimeInfo(): RuntimeInfo
}

export interface TimerService {
  currentWatermark(): number
  currentProcessingTime(): number
  registerEventTimeTimer(time: number): void
  registerProcessingTimeTimer(time: number): void
  deleteEventTimeTimer(time: number): void
  deleteProcessingTimeTimer(time: number): void
}

export interface ProcessContext<K> {
  getCurrentKey(): K
  /** Event timestamp of the element, or undefined when none was assigned. */
  timestamp(): number | undefined
  timerService(): TimerService
}

export interface OnTimerContext<K> extends ProcessContext<K> {
  timeDomain(): 'EVENT_TIME' | 'PROCESSING_TIME'
}

export abstract class KeyedProcessFunction<K, I, O> {
  open(_ctx: OpenContext): void | Promise<void> {}
  abstract processElement(value: I, ctx: ProcessContext<K>, out: Collector<O>): void | Promise<void>
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<O>): void | Promise<void> {}
  close(): void | Promise<void> {}
}

export abstract class KeyedCoProcessFunction<K, I1, I2, O> {
  open(_ctx: OpenContext): void | Promise<void> {}
  abstract processElement1(value: I1, ctx: ProcessContext<K>, out: Collector<O>): void | Promise<void>
  abstract processElement2(value: I2, ctx: ProcessContext<K>, out: Collector<O>): void | Promise<void>
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<O>): void | Promise<void> {}
  close(): void | Promise<void> {}
}
