// Where the client's time goes: `node --import tsx bench/client-profile.ts [sdk|raw] [seconds]` starts
// the client suite's server, runs one client workload under --cpu-prof, and prints its top functions
// by self time within the measured window (source-mapped to the TypeScript). Not part of `npm run bench`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runWorkload, startWorkload } from './child.ts'
import type { ClientLoadArgs, ClientLoadResult } from './client.workloads.ts'
import { type CpuProfile, mainThreadProfilePath, topSelfTime } from './cpu-profile.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const variant = process.argv[2] ?? 'sdk'
const seconds = Number(process.argv[3] ?? 8)
const keys = 100_000

const server = startWorkload<unknown>(
  new URL('./http.workloads.ts', import.meta.url),
  'livestate',
  { keys, backend: 'heap' },
  { timeoutMs: 300_000 },
)
const dir = mkdtempSync(join(tmpdir(), 'livestate-client-prof-'))
try {
  const ready = await server.next<{ type: 'ready'; url: string }>('ready')
  const args: ClientLoadArgs = { url: ready.url, keys, inFlight: 64, warmupSeconds: 2, seconds, profileDir: dir }
  const run = await runWorkload<ClientLoadResult>(new URL('./client.workloads.ts', import.meta.url), variant, args, {
    timeoutMs: (seconds + 60) * 1000,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
  })
  const top = topSelfTime(JSON.parse(readFileSync(mainThreadProfilePath(dir), 'utf8')) as CpuProfile, {
    fromUs: run.fromUs,
    toUs: run.toUs,
    sourceMaps: JSON.parse(readFileSync(join(dir, 'sourcemaps.json'), 'utf8')),
    root: ROOT,
    limit: 100_000,
  })
  console.log(
    `${variant}: ${run.perSecond.toFixed(0)} lookups/s, ${run.cpuUsPerLookup.toFixed(1)} µs CPU/lookup, ` +
      `CPU share ${run.cpuShare.toFixed(2)}, ${top.totalMs.toFixed(0)} ms of samples`,
  )
  const byArea = new Map<string, number>()
  for (const e of top.entries) {
    const area = e.location === '' ? e.functionName : e.location.replace(/\/[^/]*$/, '')
    byArea.set(area, (byArea.get(area) ?? 0) + e.selfMs)
  }
  const perLookupUs = (ms: number) => ((ms * 1000) / (run.perSecond * seconds)).toFixed(2)
  console.log(
    [...byArea]
      .sort((a, b) => b[1] - a[1])
      .map(([a, ms]) => `${perLookupUs(ms)} µs  ${a}`)
      .join('\n'),
  )
  for (const e of top.entries.slice(0, Number(process.env.TOP ?? 40))) {
    console.log(
      `${perLookupUs(e.selfMs).padStart(6)} µs ${e.selfPercent.toFixed(1).padStart(5)}%  ${e.functionName}  ${e.location}`,
    )
  }
  server.send({ type: 'stop' })
  await server.result
} finally {
  server.kill()
  rmSync(dir, { recursive: true, force: true })
}
