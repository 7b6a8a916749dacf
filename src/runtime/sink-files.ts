// Shared NDJSON sink files: one append stream per path for the whole process, so that parallel sink
// subtasks append whole lines to one file. Writes wait for 'drain' (no unbounded buffering).
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { SinkFileRegistry } from './stream-operator.ts'

export class SinkFiles implements SinkFileRegistry {
  private readonly streams = new Map<string, Promise<WriteStream>>()

  constructor(private readonly baseDir: string) {}

  private stream(path: string): Promise<WriteStream> {
    const full = resolve(this.baseDir, path)
    let s = this.streams.get(full)
    if (!s) {
      s = (async () => {
        await mkdir(dirname(full), { recursive: true })
        const ws = createWriteStream(full, { flags: 'a' })
        await new Promise<void>((res, rej) => {
          ws.once('open', () => res())
          ws.once('error', rej)
        })
        return ws
      })()
      this.streams.set(full, s)
    }
    return s
  }

  async appendLines(path: string, lines: string): Promise<void> {
    const ws = await this.stream(path)
    if (!ws.write(lines)) await new Promise<void>((res) => ws.once('drain', () => res()))
  }

  async close(): Promise<void> {
    const all = [...this.streams.values()]
    this.streams.clear()
    for (const s of all) {
      const ws = await s
      await new Promise<void>((res) => ws.end(() => res()))
    }
  }
}
