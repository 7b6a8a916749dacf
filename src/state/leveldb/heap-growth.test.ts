// Open LevelStateBackends bound the garbage V8 keeps by their budgets (heap-growth.ts): in a child
// process that churns a fixed live set the way an object cache under load does, the old generation
// stays far below where V8's adaptive factor alone lets it grow (the counter-check, limitHeapGrowth
// false, in the same conditions). The factor follows slack / live, within V8's own bounds, goes
// back to V8 when the last backend closes, and a factor given to node is left alone.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTempDir, removeDir } from '../../../storage/leveldb/level-test-support.ts'
import { growingPercent, heapGrowingPercent, limitHeapGrowth, MAX_PERCENT, MIN_PERCENT } from './heap-growth.ts'

const FIXTURE = fileURLToPath(new URL('./heap-growth.fixture.ts', import.meta.url))
const MiB = 2 ** 20

interface ChildReport {
  percent: number | null
  slackMb: number
  maxOldMb: number
  liveMb: number
}

describe('heap growth under memory budgets', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await removeDir(dir)
  })
  const churn = async (mode: 'budget' | 'v8', nodeFlags: string[] = []): Promise<ChildReport> => {
    const dir = await makeTempDir()
    dirs.push(dir)
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', ...nodeFlags, '--import', 'tsx', FIXTURE, `${dir}/db`, mode],
      { timeout: 60_000 },
    )
    return JSON.parse(stdout) as ChildReport
  }

  it('keeps the old generation well below what V8 alone lets it reach, at a factor of 1 + slack / live', async () => {
    const [budget, v8] = await Promise.all([churn('budget'), churn('v8')])
    expect(v8.percent).toBeNull()
    // Both churned the same live set (about 27 MiB after a full GC).
    expect(budget.liveMb).toBeGreaterThan(15)
    expect(Math.abs(budget.liveMb - v8.liveMb)).toBeLessThan(budget.liveMb * 0.2)
    // The factor follows the object cache's share over the old generation as the last full GC
    // left it: the live set, plus what was allocated before the observer ran (up to as much again
    // on a loaded machine).
    expect(budget.percent).toBeGreaterThanOrEqual(growingPercent(budget.slackMb, budget.liveMb * 2))
    expect(budget.percent).toBeLessThanOrEqual(growingPercent(budget.slackMb, budget.liveMb * 0.8))
    expect(budget.maxOldMb).toBeLessThanOrEqual(v8.maxOldMb * 0.75)
  }, 90_000)

  it('leaves a --heap-growing-percent given to node alone', async () => {
    const report = await churn('budget', ['--heap-growing-percent=50'])
    expect(report.percent).toBeNull()
  }, 90_000)

  it('sums the slack of every registration, stays within V8 bounds, and hands back to V8 after the last', () => {
    expect(growingPercent(10 * MiB, 100 * MiB)).toBe(10)
    expect(growingPercent(50 * MiB, 100 * MiB)).toBe(50)
    expect(growingPercent(1 * MiB, 100 * MiB)).toBe(MIN_PERCENT)
    expect(growingPercent(100 * MiB, 1 * MiB)).toBe(MAX_PERCENT)
    expect(heapGrowingPercent()).toBeUndefined()
    const first = limitHeapGrowth(1 * MiB)!
    const one = heapGrowingPercent()!
    const second = limitHeapGrowth(64 * MiB)!
    expect(heapGrowingPercent()!).toBeGreaterThan(one)
    second()
    expect(heapGrowingPercent()).toBeDefined()
    first()
    expect(heapGrowingPercent()).toBeUndefined()
    expect(() => limitHeapGrowth(0)).toThrow(TypeError)
  })
})
