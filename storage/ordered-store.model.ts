// Conformance, model-based: random command sequences (put, del, batch, get, getSync, getMany,
// range scans, clear, snapshot-then-mutate-then-read) against a Map model, on the root and on a
// nested sublevel with noisy neighbours. fast-check shrinks a failure to a minimal sequence.

import fc from 'fast-check'
import { describe, it } from 'vitest'
import type { BatchOp, Bytes, KeyRange, OrderedStore } from './ordered-store.ts'
import { entriesHex, hex, keysHex, referenceScan, type StoreFixture } from './store-test-support.ts'

type Model = Map<string, [Bytes, Bytes]>
type Real = { store: OrderedStore }
type Command = fc.AsyncCommand<Model, Real>

const keyArb = fc
  .array(fc.constantFrom(0x00, 0x01, 0x61, 0x7f, 0x80, 0xff), { maxLength: 3 })
  .map((a) => Uint8Array.from(a))
const valueArb = fc.uint8Array({ maxLength: 4 })
const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
  fc.record({ type: fc.constant('del' as const), key: keyArb }),
)
const rangeArb: fc.Arbitrary<KeyRange> = fc
  .record({
    lower: fc.option(fc.tuple(fc.constantFrom('gt' as const, 'gte' as const), keyArb), { nil: undefined }),
    upper: fc.option(fc.tuple(fc.constantFrom('lt' as const, 'lte' as const), keyArb), { nil: undefined }),
    reverse: fc.boolean(),
    limit: fc.option(fc.nat(6), { nil: undefined }),
  })
  .map(({ lower, upper, reverse, limit }) => {
    const range: KeyRange = { reverse }
    if (lower) range[lower[0]] = lower[1]
    if (upper) range[upper[0]] = upper[1]
    if (limit !== undefined) range.limit = limit
    return range
  })

function apply(model: Model, op: BatchOp): void {
  if (op.type === 'put') model.set(hex(op.key)!, [op.key, op.value])
  else model.delete(hex(op.key)!)
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`)
}

const show = (x: unknown) => JSON.stringify(x, (_, v) => (v instanceof Uint8Array ? hex(v) : v))

function command(name: string, args: unknown, run: (model: Model, store: OrderedStore) => Promise<void>): Command {
  return { check: () => true, run: (model, real) => run(model, real.store), toString: () => `${name}(${show(args)})` }
}

const commands: fc.Arbitrary<Command>[] = [
  fc.tuple(keyArb, valueArb).map(([key, value]) =>
    command('put', [key, value], async (model, store) => {
      await store.put(key, value)
      apply(model, { type: 'put', key, value })
    }),
  ),
  keyArb.map((key) =>
    command('del', key, async (model, store) => {
      await store.del(key)
      apply(model, { type: 'del', key })
    }),
  ),
  fc.array(opArb, { maxLength: 8 }).map((ops) =>
    command('batch', ops, async (model, store) => {
      await store.batch(ops)
      for (const op of ops) apply(model, op)
    }),
  ),
  keyArb.map((key) =>
    command('get', key, async (model, store) => {
      const expected = hex(model.get(hex(key)!)?.[1])
      expectEqual(hex(await store.get(key)), expected, 'get')
      expectEqual(hex(store.getSync(key)), expected, 'getSync')
    }),
  ),
  fc.array(keyArb, { maxLength: 4 }).map((keys) =>
    command('getMany', keys, async (model, store) => {
      const expected = keys.map((k) => hex(model.get(hex(k)!)?.[1]))
      expectEqual((await store.getMany(keys)).map(hex), expected, 'getMany')
    }),
  ),
  rangeArb.map((range) =>
    command('iterate', range, async (model, store) => {
      const expected = referenceScan(model.values(), range)
      expectEqual(await entriesHex(store.iterator(range)), expected, 'iterator')
      expectEqual(
        await keysHex(store.keys(range)),
        expected.map(([k]) => k),
        'keys',
      )
    }),
  ),
  rangeArb.map((range) =>
    command('clear', range, async (model, store) => {
      await store.clear(range)
      for (const [k] of referenceScan(model.values(), range)) model.delete(k)
    }),
  ),
  fc.tuple(fc.array(opArb, { maxLength: 6 }), rangeArb, fc.array(keyArb, { maxLength: 3 })).map(([ops, range, keys]) =>
    command('snapshotThenMutate', [ops, range, keys], async (model, store) => {
      const before: Model = new Map(model)
      const snapshot = store.snapshot()
      try {
        for (const op of ops) {
          if (op.type === 'put') await store.put(op.key, op.value)
          else await store.del(op.key)
          apply(model, op)
        }
        expectEqual(await entriesHex(snapshot.iterator(range)), referenceScan(before.values(), range), 'snapshot scan')
        const expected = keys.map((k) => hex(before.get(hex(k)!)?.[1]))
        expectEqual((await snapshot.getMany(keys)).map(hex), expected, 'snapshot getMany')
        for (const [i, k] of keys.entries()) expectEqual(hex(await snapshot.get(k)), expected[i], 'snapshot get')
      } finally {
        await snapshot.close()
      }
    }),
  ),
]

export function runStoreModelTests(factory: () => Promise<StoreFixture>): void {
  const targets: [string, (root: OrderedStore) => Promise<OrderedStore>][] = [
    ['the root', async (root) => root],
    [
      'a nested sublevel with neighbours',
      async (root) => {
        await root.sublevel('m').put(Uint8Array.of(0xff), Uint8Array.of(1))
        await root.sublevel('mn').put(Uint8Array.of(0x00), Uint8Array.of(2))
        await root.sublevel('m').sublevel('o').put(Uint8Array.of(), Uint8Array.of(3))
        return root.sublevel('m').sublevel('n')
      },
    ],
  ]
  describe('model-based', () => {
    for (const [name, target] of targets) {
      it(`behaves like a sorted Map on ${name}`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
            const { store: root, cleanup } = await factory()
            try {
              const store = await target(root)
              await fc.asyncModelRun(() => ({ model: new Map(), real: { store } }), cmds)
            } finally {
              await cleanup()
            }
          }),
          { numRuns: 60 },
        )
      })
    }
  })
}
