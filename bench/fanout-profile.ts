// Optional CPU profile of a server workload (BENCH_CPU_PROFILE=1), shared by the fanout and checkpoint
// suites: the server child runs under `node --cpu-prof`, saves its source maps next to the profile
// before it exits, and the suite ranks functions by self time within the measured window.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CpuProfile, mainThreadProfilePath, topSelfTime } from './cpu-profile.ts'
import { markdownTable } from './table.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))
const TOP = 15

export function profilingRequested(): boolean {
  return process.env.BENCH_CPU_PROFILE === '1'
}

export interface ProfileTarget {
  dir: string
  nodeArgs: string[]
}

export function profileTarget(): ProfileTarget {
  const dir = mkdtempSync(join(tmpdir(), 'livestate-bench-prof-'))
  return { dir, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] }
}

/** The top functions by self time in [fromUs, toUs]; saves the profile as bench/results/<name>.cpuprofile. */
export function profileSection(target: ProfileTarget, name: string, fromUs: number, toUs: number): string {
  try {
    const path = mainThreadProfilePath(target.dir)
    mkdirSync(RESULTS, { recursive: true })
    copyFileSync(path, join(RESULTS, `${name}.cpuprofile`))
    // tsx compiles each file to one line: keep the source maps, to read the profile again later.
    copyFileSync(join(target.dir, 'sourcemaps.json'), join(RESULTS, `${name}.sourcemaps.json`))
    const top = topSelfTime(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, {
      fromUs,
      toUs,
      sourceMaps: JSON.parse(readFileSync(join(target.dir, 'sourcemaps.json'), 'utf8')),
      root: ROOT,
      limit: TOP,
    })
    const table = markdownTable(
      ['#', 'self ms', 'self %', 'function', 'source'],
      top.entries.map((e, i) => [
        String(i + 1),
        e.selfMs.toFixed(0),
        e.selfPercent.toFixed(1),
        e.functionName,
        e.location || '(VM)',
      ]),
    )
    return `${table}\n\n${top.totalMs.toFixed(0)} ms of samples in the measured window. Full profile: bench/results/${name}.cpuprofile`
  } finally {
    rmSync(target.dir, { recursive: true, force: true })
  }
}
