// Checkpoint directories of one job under the state dir: chk-<id>/ holds the tasks' state files and,
// once complete, _manifest.json (written to a temp file, fsynced, renamed, directory fsynced).
// The latest *valid* checkpoint (every file present with its size and sha256) is what a restart
// restores; older complete ones beyond `retain` are deleted only after a newer one is complete.
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { crashPoint } from './crash-points.ts'
import { type CheckpointManifest, filesOf, MANIFEST_FILE } from './manifest.ts'
import { siblingOf } from './state-chain.ts'
import { fileSha256, fsyncDir } from './state-file.ts'

export interface CompletedCheckpoint {
  checkpointId: number
  dir: string
  manifest: CheckpointManifest
}

export class CheckpointStorage {
  constructor(
    readonly checkpointsDir: string,
    readonly savepointsDir: string,
  ) {}

  dirOf(checkpointId: number, savepoint: boolean): string {
    return savepoint ? join(this.savepointsDir, `sp-${checkpointId}`) : join(this.checkpointsDir, `chk-${checkpointId}`)
  }

  async prepare(checkpointId: number, savepoint: boolean): Promise<string> {
    const dir = this.dirOf(checkpointId, savepoint)
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    return dir
  }

  /** Makes a checkpoint complete: manifest to temp → fsync → rename → fsync dir. */
  async complete(dir: string, manifest: CheckpointManifest): Promise<void> {
    await fsyncDir(dir)
    const tmp = join(dir, `${MANIFEST_FILE}.tmp`)
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(JSON.stringify(manifest))
      await fh.sync()
    } finally {
      await fh.close()
    }
    crashPoint('before-manifest-rename')
    await rename(tmp, join(dir, MANIFEST_FILE))
    await fsyncDir(dir)
    crashPoint('after-manifest-rename')
  }

  /** Removes an aborted checkpoint's files (tasks may still be writing: retried, then left for retain()). */
  async abort(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 })
  }

  private async checkpointIds(): Promise<number[]> {
    let names: string[] = []
    try {
      names = await readdir(this.checkpointsDir)
    } catch {
      return []
    }
    return names
      .map((n) => /^chk-(\d+)$/.exec(n)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => b - a)
  }

  /** The highest checkpoint id ever started here (new ids continue after it). */
  async highestId(): Promise<number> {
    return (await this.checkpointIds())[0] ?? 0
  }

  /**
   * The newest checkpoint whose manifest and files verify. `rejected` lists the ones skipped and why.
   * Directories without a manifest are incomplete (crashed mid-write) and are not candidates.
   */
  async latestValid(): Promise<{
    checkpoint: CompletedCheckpoint | undefined
    rejected: { id: number; reason: string }[]
    complete: number
  }> {
    const rejected: { id: number; reason: string }[] = []
    let complete = 0
    for (const id of await this.checkpointIds()) {
      const dir = join(this.checkpointsDir, `chk-${id}`)
      let text: string
      try {
        text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
      } catch {
        continue
      }
      complete++
      const result = await verify(dir, text)
      if (typeof result === 'string') rejected.push({ id, reason: result })
      else return { checkpoint: { checkpointId: id, dir, manifest: result }, rejected, complete }
    }
    return { checkpoint: undefined, rejected, complete }
  }

  /**
   * Deletes complete checkpoints beyond the newest `retain` and incomplete ones older than the newest
   * complete — except directories whose files a retained checkpoint's chains name (incremental
   * checkpoints) or that `pinned` lists (a compaction reads them).
   */
  async retain(retain: number, latestCompleteId: number, pinned: ReadonlySet<string> = new Set()): Promise<void> {
    let kept = 0
    const needed = new Set(pinned)
    const doomed: string[] = []
    for (const id of await this.checkpointIds()) {
      const name = `chk-${id}`
      const dir = join(this.checkpointsDir, name)
      const manifest = await readFile(join(dir, MANIFEST_FILE), 'utf8').then(parseManifest, () => undefined)
      if (manifest && id <= latestCompleteId) {
        if (++kept > retain) doomed.push(name)
        else for (const f of filesOf(manifest)) needed.add(siblingOf(f.file) ?? name)
      } else if (!manifest && id < latestCompleteId) doomed.push(name)
    }
    // A directory still named by a chain stays, but without its manifest it is no checkpoint any more.
    for (const name of doomed)
      if (!needed.has(name)) await rm(join(this.checkpointsDir, name), { recursive: true, force: true })
      else await rm(join(this.checkpointsDir, name, MANIFEST_FILE), { force: true })
  }
}

/** A manifest's JSON, or undefined when it is not (truncated by a crash, damaged). */
function parseManifest(text: string): CheckpointManifest | undefined {
  try {
    const m = JSON.parse(text) as CheckpointManifest
    return typeof m === 'object' && m !== null && typeof m.operators === 'object' ? m : undefined
  } catch {
    return undefined
  }
}

/** Reads and verifies a checkpoint directory given by path (savepoints, --from-savepoint). */
export async function loadCheckpoint(dir: string): Promise<CompletedCheckpoint> {
  let text: string
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
  } catch {
    throw new Error(`${dir} is not a complete checkpoint or savepoint: it has no ${MANIFEST_FILE}`)
  }
  const result = await verify(dir, text)
  if (typeof result === 'string') throw new Error(`${dir} is damaged: ${result}`)
  return { checkpointId: result.checkpointId, dir, manifest: result }
}

async function verify(dir: string, text: string): Promise<CheckpointManifest | string> {
  let m: CheckpointManifest
  try {
    m = JSON.parse(text) as CheckpointManifest
  } catch {
    return 'manifest is not valid JSON (truncated?)'
  }
  if (m?.version !== 1 || typeof m.checkpointId !== 'number' || typeof m.operators !== 'object')
    return 'manifest has an unknown format'
  for (const f of filesOf(m)) {
    const path = join(dir, f.file)
    try {
      const s = await stat(path)
      if (s.size !== f.size) return `${f.file} has ${s.size} bytes, the manifest says ${f.size}`
      if ((await fileSha256(path)) !== f.sha256) return `${f.file} does not match its checksum`
    } catch {
      return `${f.file} is missing`
    }
  }
  return m
}
