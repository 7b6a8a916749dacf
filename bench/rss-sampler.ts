// RSS of this process sampled at an interval (bench/state.bench.ts): the maxima of RSS and of its
// anonymous and file-backed parts, from /proc/self/status, and of V8's committed old generation.
import { readFileSync } from 'node:fs'
import { getHeapSpaceStatistics } from 'node:v8'

const MiB = 1024 * 1024
export const RSS_SAMPLE_MS = 100

/** RSS and its anonymous part from /proc/self/status (Linux); elsewhere RSS for both. */
export function memoryNow(): { rss: number; anon: number; file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1])
    const anon = Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1])
    const file = Number(/RssFile:\s+(\d+) kB/.exec(status)?.[1])
    if (Number.isFinite(rss) && Number.isFinite(anon) && Number.isFinite(file))
      return { rss: rss * 1024, anon: anon * 1024, file: file * 1024 }
  } catch {
    // not Linux: RSS for both
  }
  const rss = process.memoryUsage.rss()
  return { rss, anon: rss, file: 0 }
}

/** Bytes V8's old generation has committed (its old space). */
function oldGenerationNow(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_size ?? 0
}

export function startRssSampler(): {
  stop(): { maxRssMb: number; maxAnonMb: number; maxFileMb: number; maxOldGenMb: number; samples: number }
} {
  let { rss: maxRss, anon: maxAnon, file: maxFile } = memoryNow()
  let maxOld = oldGenerationNow()
  let samples = 1
  const sample = () => {
    const m = memoryNow()
    maxRss = Math.max(maxRss, m.rss)
    maxAnon = Math.max(maxAnon, m.anon)
    maxFile = Math.max(maxFile, m.file)
    maxOld = Math.max(maxOld, oldGenerationNow())
    samples++
  }
  const timer = setInterval(sample, RSS_SAMPLE_MS)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return {
        maxRssMb: maxRss / MiB,
        maxAnonMb: maxAnon / MiB,
        maxFileMb: maxFile / MiB,
        maxOldGenMb: maxOld / MiB,
        samples,
      }
    },
  }
}
