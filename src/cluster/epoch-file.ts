// The job's epoch survives process restarts: a new process starts above every epoch any earlier
// process of the job used, so (epoch, seq) keeps increasing for subscribers across crashes.
// The file is written (and fsynced) before an epoch is used.
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

export class EpochFile {
  private constructor(
    private readonly path: string,
    private highest: number,
  ) {}

  static async open(jobDir: string): Promise<EpochFile> {
    const path = join(jobDir, 'epoch')
    let highest = 0
    try {
      const n = Number((await readFile(path, 'utf8')).trim())
      if (Number.isInteger(n) && n > 0) highest = n
    } catch {
      // first run of this job in this state dir
    }
    return new EpochFile(path, highest)
  }

  /** Reserves and persists the next epoch. */
  async next(): Promise<number> {
    const epoch = this.highest + 1
    const tmp = `${this.path}.tmp`
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(String(epoch))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, this.path)
    this.highest = epoch
    return epoch
  }
}
