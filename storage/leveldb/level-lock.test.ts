// A state directory held by another process: the open fails fast with STORE_LOCKED naming the
// directory (no waiting, no retry loop), and succeeds once the other process lets go.

import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../storage-error.ts'
import { caught } from '../store-test-support.ts'
import { LevelStore } from './level-store.ts'
import { makeTempDir, removeDir } from './level-test-support.ts'

const FIXTURE = fileURLToPath(new URL('./lock-holder.fixture.ts', import.meta.url))

function startLockHolder(location: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, location], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('ready')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code}): ${stderr}`)))
  })
  return { child, ready, exited }
}

describe('LevelStore lock held by another process', () => {
  let holder: ReturnType<typeof startLockHolder> | undefined
  let dir: string | undefined
  afterEach(async () => {
    if (holder !== undefined && holder.child.exitCode === null) {
      holder.child.kill('SIGKILL')
      await holder.exited
    }
    if (dir !== undefined) await removeDir(dir)
  })

  it('fails fast with STORE_LOCKED naming the directory, then opens once the holder exits', async () => {
    dir = await makeTempDir()
    const location = path.join(dir, 'db')
    holder = startLockHolder(location)
    await holder.ready

    const started = performance.now()
    const error = await caught(() => LevelStore.open(location))
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(StorageError)
    expect(error.code).toBe('STORE_LOCKED')
    expect(error.message).toContain(location)
    expect(error.message).toMatch(/stop the other livestate/i)
    expect(error.message).toContain('--state-dir')
    expect(elapsed).toBeLessThan(1000)

    holder.child.stdin?.end() // the holder closes its store and exits
    await holder.exited
    expect(holder.child.exitCode).toBe(0)
    const store = await LevelStore.open(location)
    await store.close()
  })
})
