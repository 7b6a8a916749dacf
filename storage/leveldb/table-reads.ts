// How the loaded classic-level binary reads LevelDB table files: mmapped (classic-level's prebuilt
// binary: LevelDB 1.20's POSIX env maps up to 1000 table files, whose touched pages count in RSS
// outside the block cache) or with pread into the block cache (livestate's build,
// storage/native/build-classic-level.mjs). Asked of the binary itself: the patched build exports
// the mmap limit its env uses; a binary that exports nothing is not livestate's build.

import { createRequire } from 'node:module'
import { dirname } from 'node:path'

/** What LevelDB 1.20's POSIX env maps on 64-bit platforms unless told otherwise. */
const DEFAULT_MMAP_LIMIT = 1000

export interface LevelDbTableReads {
  /** Whether LevelDB mmaps the table files it reads (the memory budget must then count them). */
  mmap: boolean
  /** How many table files LevelDB maps at most (0: none, reads use pread into the block cache). */
  mmapLimit: number
  /** The native binary classic-level loaded. */
  binary: string
  /** One sentence on how it was told: for logs, metrics help and test skip reasons. */
  reason: string
}

let detected: LevelDbTableReads | undefined

/** Detected once per process, from the same binding classic-level itself loads. */
export function levelDbTableReads(): LevelDbTableReads {
  detected ??= detect()
  return detected
}

function detect(): LevelDbTableReads {
  const require = createRequire(import.meta.url)
  const packageDir = dirname(require.resolve('classic-level/package.json'))
  // The module classic-level's index.js requires: node's module cache makes it the same binding.
  const binding = require('classic-level/binding.js') as { livestate_read_mmap_limit?: unknown }
  let binary: string
  try {
    const nodeGypBuild = createRequire(`${packageDir}/package.json`)('node-gyp-build') as {
      resolve(dir: string): string
    }
    binary = nodeGypBuild.resolve(packageDir)
  } catch {
    binary = `(a binary of ${packageDir})`
  }
  const limit = binding.livestate_read_mmap_limit
  if (typeof limit === 'number') {
    return {
      mmap: limit > 0,
      mmapLimit: limit,
      binary,
      reason:
        limit > 0
          ? `livestate's build of classic-level (${binary}) maps up to ${limit} table files`
          : `livestate's build of classic-level (${binary}) reads table files with pread into the block cache`,
    }
  }
  const mmapLimit = process.platform !== 'win32' && is64Bit() ? DEFAULT_MMAP_LIMIT : 0
  return {
    mmap: mmapLimit > 0,
    mmapLimit,
    binary,
    reason:
      `classic-level loaded ${binary}, not livestate's no-mmap build (it does not export livestate_read_mmap_limit), ` +
      `so LevelDB ${mmapLimit > 0 ? `maps up to ${mmapLimit} table files` : 'does not map table files here'}; ` +
      'build it with node storage/native/build-classic-level.mjs',
  }
}

function is64Bit(): boolean {
  return ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(process.arch)
}
