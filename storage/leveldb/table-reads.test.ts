// livestate's classic-level build reads LevelDB table files with pread: after writing several table
// files and reading them back, /proc/self/maps holds none of them. The counter-check runs the same
// scenario in a child forced onto classic-level's prebuilt binary (CLASSIC_LEVEL_PREBUILD), where the
// tables must show up mapped and levelDbTableReads() must say so: the check can fail, and the
// detection does not lie.

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTempDir, readTablesBack, removeDir } from './level-test-support.ts'
import { type LevelDbTableReads, levelDbTableReads } from './table-reads.ts'

const FIXTURE = fileURLToPath(new URL('./table-reads.fixture.ts', import.meta.url))
const CLASSIC_LEVEL = path.dirname(createRequire(import.meta.url).resolve('classic-level/package.json'))
const linux = process.platform === 'linux'

describe('LevelDB table reads', () => {
  const dirs: string[] = []
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await removeDir(dir)
  })
  const tempDir = async () => {
    const dir = await makeTempDir()
    dirs.push(dir)
    return dir
  }

  it('maps no table file with livestate build of classic-level', async (ctx) => {
    if (!linux) ctx.skip('needs /proc/self/maps (Linux)')
    const reads = levelDbTableReads()
    if (reads.mmap) ctx.skip(`the runtime reports the fallback build: ${reads.reason}`)
    expect(reads.mmapLimit).toBe(0)
    const { tables, mapped, misread } = await readTablesBack(path.join(await tempDir(), 'db'))
    expect(misread).toBe(0)
    expect(tables.length).toBeGreaterThanOrEqual(3)
    expect(mapped).toEqual([])
  })

  it('counter-check: the prebuilt binary maps them, and the runtime says so', async (ctx) => {
    if (!linux) ctx.skip('needs /proc/self/maps (Linux)')
    if (!existsSync(path.join(CLASSIC_LEVEL, 'prebuilds', `${process.platform}-${process.arch}`)))
      ctx.skip(`classic-level ships no prebuilt binary for ${process.platform}-${process.arch}`)
    // node-gyp-build looks in $CLASSIC_LEVEL_PREBUILD instead: a directory with only the prebuilds.
    const dir = await tempDir()
    await fs.symlink(path.join(CLASSIC_LEVEL, 'prebuilds'), path.join(dir, 'prebuilds'))
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE, path.join(dir, 'db')], {
      env: { ...process.env, CLASSIC_LEVEL_PREBUILD: dir },
    })
    const child = JSON.parse(stdout) as {
      reads: LevelDbTableReads
      tables: string[]
      mapped: string[]
      misread: number
    }
    expect(child.reads.binary).toContain(path.join(dir, 'prebuilds'))
    expect(child.reads.mmap).toBe(true)
    expect(child.misread).toBe(0)
    expect(child.tables.length).toBeGreaterThanOrEqual(3)
    expect(child.mapped.length).toBeGreaterThan(0)
  })
})
