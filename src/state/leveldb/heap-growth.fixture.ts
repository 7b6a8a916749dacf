// Child process of heap-growth.test.ts: opens a LevelStateBackend under a 64 MiB budget (argv[3]
// 'budget': bounding V8's garbage by it, the default; 'v8': with limitHeapGrowth false), then
// replaces the entries of a fixed set of live objects many times over, as an object cache under
// load does (yielding to the event loop now and then, as tasks do), and prints the old
// generation's largest committed size and its live size after a full GC (node runs with
// --expose-gc), in MiB, with the growing factor in force and the slack.
import { getHeapSpaceStatistics } from 'node:v8'
import { splitMemoryBudget } from '../../../storage/memory-budget.ts'
import { LevelStateBackend } from './level-state-backend.ts'

const [dir, mode] = process.argv.slice(2)
const budget = splitMemoryBudget(64 * 2 ** 20, { slots: 1 })
const backend = await LevelStateBackend.open(dir!, budget, mode === 'v8' ? { limitHeapGrowth: false } : {})
const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!
const live: unknown[] = new Array(150_000)
let maxOld = 0
for (let i = 0; i < 3_000_000; i++) {
  live[(i * 7919) % live.length] = { key: `user-${i}`, count: i, seen: [i, i + 1] }
  if ((i & 0x3fff) === 0) {
    maxOld = Math.max(maxOld, oldSpace().space_size)
    await new Promise((resolve) => setImmediate(resolve)) // a task yields between records batches
  }
}
globalThis.gc!()
const MiB = 2 ** 20
console.log(
  JSON.stringify({
    percent: (await backend.metrics()).heapGrowingPercent ?? null,
    slackMb: budget.objectCache / MiB,
    maxOldMb: maxOld / MiB,
    liveMb: oldSpace().space_used_size / MiB,
    kept: live.length,
  }),
)
await backend.close()
