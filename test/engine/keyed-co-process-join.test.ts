// A two-input keyed join (connect(...).keyBy(k1, k2).process(KeyedCoProcessFunction)) on a real
// MiniCluster: orders meet their payments whichever side arrives first, buffering payments in
// ListState or MapState (asynchronous iteration); the joined output equals a nested-loop oracle. Both
// sources are paced (orders over ~50 ms, payments over ~100 ms) so that both paths certainly run:
// payments that arrive before their order and are buffered, and payments joined at once.
import { describe, expect, it } from 'vitest'
import type { Collector } from '../../src/api/functions.ts'
import { defineJob } from '../../src/api/job.ts'
import { KeyedCoProcessFunction, type OpenContext, type ProcessContext } from '../../src/api/process-function.ts'
import { collectSink } from '../../src/api/sinks.ts'
import { ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor } from '../../src/api/state-descriptors.ts'
import type { ListState, MapState, ValueState } from '../../src/api/state.ts'
import { runJob } from '../support/mini-cluster-run.ts'
import { randomInt, seededRandom } from '../support/seeded-random.ts'

type Order = { orderId: string; customer: string }
type Payment = { paymentId: number; ref: string; amount: number }
type Joined = { key: string; orderId: string; customer: string; paymentId: number; amount: number }
type Tagged = Joined & { via: 'buffer' | 'direct' }

const ORDERS = 300
const random = seededRandom(99)
const orders: Order[] = Array.from({ length: ORDERS }, (_, i) => ({
  orderId: `o${i}`,
  customer: `c${randomInt(random, 0, 40)}`,
}))
// shuffle, so that many payments come before their order
for (let i = orders.length - 1; i > 0; i--) {
  const j = randomInt(random, 0, i)
  ;[orders[i], orders[j]] = [orders[j]!, orders[i]!]
}
// payments for orders o0..o329: the last 30 orders never exist, their payments stay unmatched
const payments: Payment[] = Array.from({ length: 900 }, (_, i) => ({
  paymentId: i,
  ref: `o${randomInt(random, 0, ORDERS + 29)}`,
  amount: randomInt(random, 1, 500),
}))

/** Oracle: a nested loop over both inputs. */
function oracle(): Joined[] {
  const out: Joined[] = []
  for (const p of payments) for (const o of orders) if (o.orderId === p.ref) out.push(joined(o, p, o.orderId))
  return out.sort(byPayment)
}

const joined = (o: Order, p: Payment, key: string): Joined => ({
  key,
  orderId: o.orderId,
  customer: o.customer,
  paymentId: p.paymentId,
  amount: p.amount,
})
const tagged = (o: Order, p: Payment, key: string, via: Tagged['via']): Tagged => ({ ...joined(o, p, key), via })
const byPayment = (a: Joined, b: Joined) => a.paymentId - b.paymentId

class JoinBufferingInList extends KeyedCoProcessFunction<string, Order, Payment, Tagged> {
  private order!: ValueState<Order>
  private pending!: ListState<Payment>
  override open(ctx: OpenContext) {
    this.order = ctx.getState(new ValueStateDescriptor<Order>('order'))
    this.pending = ctx.getListState(new ListStateDescriptor<Payment>('pending'))
  }
  override processElement1(o: Order, ctx: ProcessContext<string>, out: Collector<Tagged>) {
    this.order.update(o)
    for (const p of this.pending.get()) out.collect(tagged(o, p, ctx.getCurrentKey(), 'buffer'))
    this.pending.clear()
  }
  override processElement2(p: Payment, ctx: ProcessContext<string>, out: Collector<Tagged>) {
    const o = this.order.value()
    if (o) out.collect(tagged(o, p, ctx.getCurrentKey(), 'direct'))
    else this.pending.add(p)
  }
}

/** Buffers in MapState and drains it with async iteration: the key must not change while it awaits. */
class JoinBufferingInMap extends KeyedCoProcessFunction<string, Order, Payment, Tagged> {
  private order!: ValueState<Order>
  private pending!: MapState<number, Payment>
  override open(ctx: OpenContext) {
    this.order = ctx.getState(new ValueStateDescriptor<Order>('order'))
    this.pending = ctx.getMapState(new MapStateDescriptor<number, Payment>('pending'))
  }
  override async processElement1(o: Order, ctx: ProcessContext<string>, out: Collector<Tagged>) {
    this.order.update(o)
    for await (const [paymentId, p] of this.pending.entries()) {
      expect(p.paymentId).toBe(paymentId)
      out.collect(tagged(o, p, ctx.getCurrentKey(), 'buffer'))
    }
    await this.pending.clear()
  }
  override processElement2(p: Payment, ctx: ProcessContext<string>, out: Collector<Tagged>) {
    const o = this.order.value()
    if (o) out.collect(tagged(o, p, ctx.getCurrentKey(), 'direct'))
    else this.pending.put(p.paymentId, p)
  }
}

describe('keyed co-process join', () => {
  const expected = oracle()

  it('the input leaves payments unmatched', () => {
    expect(expected.length).toBeGreaterThan(700)
    expect(expected.length).toBeLessThan(payments.length)
  })

  for (const [name, make] of [
    ['ListState', () => new JoinBufferingInList()],
    ['MapState with async iteration', () => new JoinBufferingInMap()],
  ] as const) {
    it(`buffering payments in ${name}: each payment joins its order exactly once, on the order's key (parallelism 3, 2 TaskManagers)`, async () => {
      const sink = collectSink<Tagged>()
      const job = defineJob({ name: 'join', parallelism: 3 }, (env) => {
        const orderStream = env.fromGenerator('orders', (i) => orders[i]!, {
          count: orders.length,
          ratePerSecond: 6000,
        })
        const paymentStream = env.fromGenerator('payments', (i) => payments[i]!, {
          count: payments.length,
          ratePerSecond: 9000,
        })
        orderStream
          .connect(paymentStream)
          .keyBy(
            (o) => o.orderId,
            (p) => p.ref,
          )
          .process(make())
          .sinkTo(sink)
          .setParallelism(1)
      })
      await runJob(job, { taskManagers: 2 })
      expect(sink.results.map(({ via: _, ...j }) => j).sort(byPayment)).toEqual(expected)
      expect(sink.results.filter((j) => j.via === 'buffer').length).toBeGreaterThan(10)
      expect(sink.results.filter((j) => j.via === 'direct').length).toBeGreaterThan(10)
    })
  }
})
