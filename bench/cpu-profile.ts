// Where the time goes: ranks functions by self time in a V8 .cpuprofile written by `node --cpu-prof`.
// tsx compiles each .ts file to one minified line, so profile positions are mapped back to the
// TypeScript source with the source maps the profiled process saved (collectSourceMaps) before it exited.
import { readdirSync } from 'node:fs'
import { SourceMap, type SourceMapPayload, findSourceMap } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTimeEntry {
  functionName: string
  /** `src/state/heap/heap-state-table.ts:12`, `node:internal/…:40`, or '' for VM states like (garbage collector). */
  location: string
  selfMs: number
  /** Share of all samples in the window, idle and GC included. */
  selfPercent: number
}

const SOURCE_DIRS = ['src', 'storage', 'bench', 'client/src']

/** In the profiled process: the source maps of every project .ts file it loaded, by file URL. */
export function collectSourceMaps(root: string): Record<string, SourceMapPayload> {
  const maps: Record<string, SourceMapPayload> = {}
  for (const dir of SOURCE_DIRS) {
    let files: string[]
    try {
      files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    } catch {
      continue
    }
    for (const f of files) {
      if (!f.endsWith('.ts')) continue
      const url = pathToFileURL(join(root, dir, f)).href
      const map = findSourceMap(url)
      if (map) maps[url] = map.payload
    }
  }
  return maps
}

/** `node --cpu-prof` writes one profile per thread (tsx adds a loader thread); thread 0 is the main one. */
export function mainThreadProfilePath(dir: string): string {
  const file = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  if (!file) throw new Error(`no main-thread .cpuprofile in ${dir}`)
  return join(dir, file)
}

export interface TopSelfTimeOptions {
  /** Only samples taken in [fromUs, toUs] (process.hrtime µs, the profile's clock). */
  fromUs?: number
  toUs?: number
  sourceMaps?: Record<string, SourceMapPayload>
  /** Locations are shown relative to this directory. */
  root: string
  limit: number
}

export function topSelfTime(
  profile: CpuProfile,
  options: TopSelfTimeOptions,
): { entries: SelfTimeEntry[]; totalMs: number } {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  // Sample i lasts until sample i+1 (DevTools' convention).
  const selfUsByNode = new Map<number, number>()
  let t = profile.startTime
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    const duration = profile.timeDeltas[i + 1] ?? 0
    if ((options.fromUs !== undefined && t < options.fromUs) || (options.toUs !== undefined && t > options.toUs))
      continue
    const id = profile.samples[i]!
    selfUsByNode.set(id, (selfUsByNode.get(id) ?? 0) + duration)
    total += duration
  }
  const maps = new Map<string, SourceMap>()
  const byFunction = new Map<string, SelfTimeEntry>()
  for (const [id, us] of selfUsByNode) {
    const frame = frames.get(id)!
    const functionName = frame.functionName || '(anonymous)'
    const location = locate(frame, options, maps)
    const key = `${functionName} ${location}`
    const entry = byFunction.get(key) ?? { functionName, location, selfMs: 0, selfPercent: 0 }
    entry.selfMs += us / 1000
    byFunction.set(key, entry)
  }
  const entries = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, options.limit)
  for (const e of entries) e.selfPercent = total === 0 ? 0 : (100 * e.selfMs * 1000) / total
  return { entries, totalMs: total / 1000 }
}

function locate(frame: CallFrame, options: TopSelfTimeOptions, maps: Map<string, SourceMap>): string {
  if (frame.url === '') return ''
  let url = frame.url
  let line = frame.lineNumber
  const payload = options.sourceMaps?.[url]
  if (payload) {
    let map = maps.get(url)
    if (!map) maps.set(url, (map = new SourceMap(payload)))
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string
      originalLine?: number
    }
    if (entry.originalSource !== undefined && entry.originalLine !== undefined) {
      url = entry.originalSource
      line = entry.originalLine
    }
  }
  const path = url.startsWith('file:') ? relative(options.root, fileURLToPath(url)) : url
  return `${path}:${line + 1}`
}
