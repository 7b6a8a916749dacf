// Reads an NDJSON file line by line; the position is the byte offset after the last emitted line, so
// a checkpoint can rewind the file exactly. A malformed line fails the job naming file and line.
import { type FileHandle, open } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Emit, PollResult, SourceReader } from './source-reader.ts'

const CHUNK = 256 * 1024

export class NdjsonSourceReader implements SourceReader {
  private file: FileHandle | undefined
  private offset = 0
  private lineNumber = 0
  private readOffset = 0
  private buffer: Buffer = Buffer.alloc(0)
  private eof = false
  private readonly path: string

  constructor(path: string, baseDir: string) {
    this.path = resolve(baseDir, path)
  }

  async open(): Promise<void> {
    try {
      this.file = await open(this.path, 'r')
    } catch (cause) {
      throw new Error(
        `cannot open NDJSON source file ${this.path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
        { cause },
      )
    }
    this.readOffset = this.offset
  }

  async poll(max: number, emit: Emit): Promise<PollResult> {
    let emitted = 0
    while (emitted < max) {
      const nl = this.buffer.indexOf(10)
      if (nl < 0) {
        if (this.eof) {
          if (this.buffer.length > 0) {
            this.emitLine(this.buffer, emit)
            this.offset += this.buffer.length
            this.buffer = Buffer.alloc(0)
            emitted++
          }
          return 'end'
        }
        await this.fill()
        continue
      }
      const line = this.buffer.subarray(0, nl)
      this.buffer = this.buffer.subarray(nl + 1)
      this.offset += nl + 1
      if (this.emitLine(line, emit)) emitted++
    }
    return 'more'
  }

  private emitLine(line: Buffer, emit: Emit): boolean {
    this.lineNumber++
    const text = line.toString('utf8').trim()
    if (text.length === 0) return false
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw new Error(
        `${this.path}:${this.lineNumber}: not valid JSON (${(cause as Error).message}); fix or remove the line`,
        { cause },
      )
    }
    emit(value)
    return true
  }

  private async fill(): Promise<void> {
    const chunk = Buffer.allocUnsafe(CHUNK)
    const { bytesRead } = await this.file!.read(chunk, 0, CHUNK, this.readOffset)
    if (bytesRead === 0) {
      this.eof = true
      return
    }
    this.readOffset += bytesRead
    this.buffer =
      this.buffer.length === 0
        ? chunk.subarray(0, bytesRead)
        : Buffer.concat([this.buffer, chunk.subarray(0, bytesRead)])
  }

  async waitForData(): Promise<void> {}

  position(): unknown {
    return { offset: this.offset, line: this.lineNumber }
  }

  restore(position: unknown): void {
    const p = position as { offset: number; line: number }
    this.offset = p.offset
    this.lineNumber = p.line
    this.readOffset = p.offset
    this.buffer = Buffer.alloc(0)
    this.eof = false
  }

  async close(): Promise<void> {
    await this.file?.close()
    this.file = undefined
  }
}
