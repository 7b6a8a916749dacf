// LevelStore beyond the shared suite: data survives a restart, open options are honoured and
// validated, and open failures map to StorageError codes naming the directory.

import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../storage-error.ts'
import { b, caught, hex, keysHex } from '../store-test-support.ts'
import { levelStoreFactory, LevelStore } from './level-store.ts'
import { makeTempDir, removeDir } from './level-test-support.ts'

describe('LevelStore open, restart and failures', () => {
  const dirs: string[] = []
  const stores: LevelStore[] = []
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    for (const dir of dirs.splice(0)) await removeDir(dir)
  })
  const tempDb = async (): Promise<string> => {
    const dir = await makeTempDir()
    dirs.push(dir)
    return path.join(dir, 'db')
  }
  const open = async (location: string, options?: Parameters<typeof LevelStore.open>[1]) => {
    const store = await LevelStore.open(location, options)
    stores.push(store)
    return store
  }

  it('keeps data, sublevels included, across close and reopen', async () => {
    const location = await tempDb()
    const first = await LevelStore.open(location, { cacheSize: 1 << 20, writeBufferSize: 1 << 20 })
    await first.put(b('root'), b('r'))
    await first
      .sublevel('op')
      .sublevel('state')
      .batch(
        Array.from({ length: 1000 }, (_, i) => ({
          type: 'put' as const,
          key: b(i >> 8, i & 0xff),
          value: b(i & 0xff),
        })),
        { sync: true },
      )
    await first.close()
    const second = await open(location, { createIfMissing: false })
    expect(second.supports.persistent).toBe(true)
    expect(hex(second.getSync(b('root')))).toBe(hex(b('r')))
    const state = second.sublevel('op').sublevel('state')
    expect((await keysHex(state.keys())).length).toBe(1000)
    expect(hex(await state.get(b(3, 0xe7)))).toBe(hex(b(0xe7)))
    expect(second.approximateMemoryUsage()).toBeGreaterThan(0)
  })

  it('reports the second open of a directory in this process as STORE_LOCKED', async () => {
    const location = await tempDb()
    await open(location)
    const error = await caught(() => LevelStore.open(location))
    expect(error).toBeInstanceOf(StorageError)
    expect(error.code).toBe('STORE_LOCKED')
    expect(error.message).toContain(location)
    expect(error.message).toContain('--state-dir')
    expect((error.cause as { code?: string }).code).toBe('LEVEL_DATABASE_NOT_OPEN')
  })

  it('reports a missing directory with createIfMissing false as STORE_NOT_OPEN', async () => {
    const location = await tempDb()
    const error = await caught(() => LevelStore.open(location, { createIfMissing: false }))
    expect(error.code).toBe('STORE_NOT_OPEN')
    expect(error.message).toContain(location)
  })

  it('reports an existing directory with errorIfExists as STORE_NOT_OPEN', async () => {
    const location = await tempDb()
    await (await LevelStore.open(location)).close()
    expect((await caught(() => LevelStore.open(location, { errorIfExists: true }))).code).toBe('STORE_NOT_OPEN')
  })

  it('reports a corrupt manifest as STORE_CORRUPTION', async () => {
    const location = await tempDb()
    const store = await LevelStore.open(location)
    await store.put(b('k'), b('v'))
    await store.close()
    const manifest = (await fs.readdir(location)).find((f) => f.startsWith('MANIFEST-'))!
    await fs.writeFile(path.join(location, manifest), Buffer.alloc(200, 0x41))
    const error = await caught(() => LevelStore.open(location))
    expect(error.code).toBe('STORE_CORRUPTION')
    expect(error.message).toContain(location)
  })

  it('reports an unusable directory as STORE_IO_ERROR', async () => {
    const location = await tempDb()
    const store = await LevelStore.open(location)
    await store.close()
    await fs.writeFile(path.join(location, 'CURRENT'), 'MANIFEST-999999\n')
    expect((await caught(() => LevelStore.open(location))).code).toBe('STORE_IO_ERROR')
  })

  it('rejects bad arguments with TypeError', async () => {
    const location = await tempDb()
    expect(await caught(() => LevelStore.open(''))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { cacheSize: -1 }))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { writeBufferSize: 1.5 }))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { createIfMissing: 'yes' as never }))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { maxOpenFiles: 0 }))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { maxFileSize: 2 ** 32 }))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { blockSize: 4096.5 }))).toBeInstanceOf(TypeError)
    expect(await caught(() => LevelStore.open(location, { compression: 0 as never }))).toBeInstanceOf(TypeError)
    expect(await caught(() => levelStoreFactory.open(undefined))).toBeInstanceOf(TypeError)
  })

  it('opens with a table cache and file size of its own (the memory budget sets them)', async () => {
    const location = await tempDb()
    const store = await LevelStore.open(location, { maxOpenFiles: 74, maxFileSize: 1 << 20, blockSize: 4096 })
    await store.put(b('k'), b('v'))
    expect(hex(store.getSync(b('k')))).toBe(hex(b('v')))
    await store.close()
  })

  it('opens through the factory', async () => {
    const store = await levelStoreFactory.open(await tempDb())
    await store.put(b('k'), b('v'))
    expect(hex(store.getSync(b('k')))).toBe(hex(b('v')))
    await store.close()
  })
})
