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

/**
 * Writes about 4 MiB of incompressible values through 64 KiB memtables (several table files), reopens
 * the store, reads every 7th key back and, while it is still open, lists the table files of
 * `location` that the process has mapped (Linux /proc/self/maps). Used by table-reads.test.ts in
 * process and through table-reads.fixture.ts in a child.
 */
export async function readTablesBack(
  location: string,
): Promise<{ tables: string[]; mapped: string[]; misread: number }> {
  const options = { writeBufferSize: 64 * 1024, maxFileSize: 1024 * 1024, cacheSize: 1024 * 1024 }
  const key = (i: number) => new TextEncoder().encode(`key-${String(i).padStart(6, '0')}`)
  const value = (i: number) => {
    // xorshift32: incompressible for snappy, reproducible for the read-back.
    const bytes = new Uint8Array(1024)
    let x = i + 1
    for (let j = 0; j < bytes.length; j++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      bytes[j] = x & 0xff
    }
    return bytes
  }
  const count = 4096
  const first = await LevelStore.open(location, options)
  try {
    for (let i = 0; i < count; i += 256) {
      await first.batch(
        Array.from({ length: 256 }, (_, j) => ({ type: 'put' as const, key: key(i + j), value: value(i + j) })),
      )
    }
  } finally {
    await first.close()
  }
  const store = await LevelStore.open(location, options)
  try {
    let misread = 0
    for (let i = 0; i < count; i += 7) {
      const got = store.getSync(key(i))
      if (got === undefined || Buffer.compare(got, value(i)) !== 0) misread++
    }
    const tables = (await fs.readdir(location)).filter((f) => f.endsWith('.ldb') || f.endsWith('.sst'))
    const prefix = `${path.resolve(location)}${path.sep}`
    const mapped = new Set<string>()
    for (const line of (await fs.readFile('/proc/self/maps', 'utf8')).split('\n')) {
      const file = line.slice(line.indexOf('/'))
      if (line.includes('/') && file.startsWith(prefix) && /\.(ldb|sst)$/.test(file)) mapped.add(path.basename(file))
    }
    return { tables, mapped: [...mapped].sort(), misread }
  } finally {
    await store.close()
  }
}
