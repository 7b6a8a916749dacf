// Temp-directory LevelDB stores for tests: real LevelDB, removed again by cleanup().

import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { StoreOptions } from '../ordered-store.ts'
import { LevelStore } from './level-store.ts'

export async function makeTempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'livestate-level-'))
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true })
}

export async function openTempLevelStore(
  options?: StoreOptions,
): Promise<{ store: LevelStore; dir: string; cleanup: () => Promise<void> }> {
  const dir = await makeTempDir()
  const store = await LevelStore.open(path.join(dir, 'db'), options)
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close()
      await removeDir(dir)
    },
  }
}
