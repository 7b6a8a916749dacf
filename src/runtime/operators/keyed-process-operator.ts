// KeyedProcessOperator and KeyedCoProcessOperator (Flink's): run a user KeyedProcessFunction /
// KeyedCoProcessFunction with keyed state, timers and a collector that stamps outputs with the
// element's timestamp (or the timer's, for event-time timers).
import type {
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  OnTimerContext,
  OpenContext,
  TimerService,
} from '../../api/process-function.ts'
import type { AnyStateDescriptor } from '../../api/state-descriptors.ts'
import type { KeySelector } from '../../api/functions.ts'
import type { QueryableKind } from '../../api/data-stream.ts'
import type { AbstractKeyedState } from '../../state/kinds/abstract-keyed-state.ts'
import { VOID_NAMESPACE } from '../../state/namespace.ts'
import type { OperatorContext } from '../stream-operator.ts'
import type { InternalTimer } from '../timer-service.ts'
import { AbstractKeyedOperator } from './abstract-stream-operator.ts'

type AnyProcessFunction = KeyedProcessFunction<any, any, any> | KeyedCoProcessFunction<any, any, any, any>

/**
 * Each subtask gets its own instance of the user function (Flink deserialises one copy per subtask):
 * fields set in open() must not be shared between subtasks.
 */
function instancePerSubtask<T extends object>(fn: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(fn)), fn)
}

export class KeyedProcessOperator extends AbstractKeyedOperator {
  private readonly fn: AnyProcessFunction
  private timeDomain: 'EVENT_TIME' | 'PROCESSING_TIME' = 'EVENT_TIME'
  private outputTimestamp: number | undefined
  private readonly collector = { collect: (v: unknown) => this.ctx.output.collect(v, this.outputTimestamp) }
  private readonly timerService: TimerService
  private readonly context: OnTimerContext<any>

  constructor(ctx: OperatorContext, fn: AnyProcessFunction, keySelectors: (KeySelector<any, any> | undefined)[]) {
    super(ctx, keySelectors)
    this.fn = instancePerSubtask(fn)
    this.timerService = {
      currentWatermark: () => this.timers.currentWatermark(),
      currentProcessingTime: () => this.timers.currentProcessingTime(),
      registerEventTimeTimer: (t) => this.timers.registerEventTimeTimer(VOID_NAMESPACE, t),
      registerProcessingTimeTimer: (t) => this.timers.registerProcessingTimeTimer(VOID_NAMESPACE, t),
      deleteEventTimeTimer: (t) => this.timers.deleteEventTimeTimer(VOID_NAMESPACE, t),
      deleteProcessingTimeTimer: (t) => this.timers.deleteProcessingTimeTimer(VOID_NAMESPACE, t),
    }
    this.context = {
      getCurrentKey: () => this.keyedStateBackend.getCurrentKey(),
      timestamp: () => this.currentTimestamp,
      timerService: () => this.timerService,
      timeDomain: () => this.timeDomain,
    }
  }

  protected override openKeyed(): void | Promise<void> {
    const ctx = this.ctx
    const backend = this.keyedStateBackend
    const register = (d: AnyStateDescriptor) => {
      const state = backend.getOrCreateState<AbstractKeyedState>(d)
      if (d.queryable !== undefined) {
        ctx.registerQueryableState({ name: d.queryable, kind: d.kind as QueryableKind, state, backend })
      }
      return state as any
    }
    const open: OpenContext = {
      getState: register,
      getListState: register,
      getMapState: register,
      getReducingState: register,
      getAggregatingState: register,
      getRuntimeInfo: () => ({
        taskName: ctx.taskName,
        subtaskIndex: ctx.subtaskIndex,
        parallelism: ctx.parallelism,
        maxParallelism: ctx.maxParallelism,
      }),
    }
    return this.fn.open(open)
  }

  protected processKeyed(value: unknown, timestamp: number | undefined, inputIndex: 0 | 1): void | Promise<void> {
    this.outputTimestamp = timestamp
    const fn = this.fn as any
    if (inputIndex === 0)
      return 'processElement1' in fn
        ? fn.processElement1(value, this.context, this.collector)
        : fn.processElement(value, this.context, this.collector)
    return fn.processElement2(value, this.context, this.collector)
  }

  protected override onEventTime(timer: InternalTimer): void | Promise<void> {
    this.timeDomain = 'EVENT_TIME'
    this.outputTimestamp = timer.timestamp
    this.currentTimestamp = timer.timestamp
    return this.fn.onTimer(timer.timestamp, this.context, this.collector)
  }

  protected override onProcessingTime(timer: InternalTimer): void | Promise<void> {
    this.timeDomain = 'PROCESSING_TIME'
    this.outputTimestamp = undefined
    this.currentTimestamp = undefined
    return this.fn.onTimer(timer.timestamp, this.context, this.collector)
  }

  override async close(): Promise<void> {
    await super.close()
    await this.fn.close()
  }
}
