// `npm run bench [-- <suite> ...] [-- --check]`: runs every suite (or the named ones), prints one
// markdown comparison table per suite and writes bench/results/latest.json. With --check the exit
// code is 1 when a target is missed; a suite that crashes always makes it 1.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { SCALE } from './scale.ts'
import { type Suite, type SuiteReport, isMet, ratioOf } from './suite.ts'
import { comparisonTable } from './table.ts'

const SUITES: Record<string, () => Promise<Suite>> = {
  engine: async () => (await import('./engine.bench.ts')).engineSuite,
  http: async () => (await import('./http.bench.ts')).httpSuite,
  client: async () => (await import('./client.bench.ts')).clientSuite,
  state: async () => (await import('./state.bench.ts')).stateSuite,
  checkpoint: async () => (await import('./checkpoint.bench.ts')).checkpointSuite,
  fanout: async () => (await import('./fanout.bench.ts')).fanoutSuite,
}

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url))

function parseArgs(argv: string[]): { names: string[]; check: boolean } {
  const check = argv.includes('--check')
  const names = argv.filter((a) => a !== '--check')
  const unknown = names.filter((n) => !(n in SUITES))
  if (unknown.length > 0) {
    console.error(
      `bench: unknown suite ${unknown.map((n) => `'${n}'`).join(', ')}; suites: ${Object.keys(SUITES).join(', ')}`,
    )
    process.exit(2)
  }
  return { names: names.length > 0 ? names : Object.keys(SUITES), check }
}

function machine(): string {
  const cpu = cpus()
  const load = loadavg().map((l) => l.toFixed(2))
  return `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, load average ${load.join(' ')}, BENCH_SCALE=${SCALE}`
}

function printReport(suite: Suite, report: SuiteReport): void {
  const out = [`## ${suite.title}`, '', comparisonTable(report.rows), '']
  for (const note of report.notes) out.push(`- ${note}`)
  if (report.notes.length > 0) out.push('')
  for (const s of report.sections) out.push(`### ${s.title}`, '', s.markdown, '')
  console.log(out.join('\n'))
}

const { names, check } = parseArgs(process.argv.slice(2))
const startedAt = new Date()
const header = machine()
console.log(`# livestate benchmarks\n\n${header}\n`)
const results: Record<string, unknown> = {}
let crashed = false
let missed = false
for (const name of names) {
  const suite = await SUITES[name]!()
  console.error(`bench: ${name}…`)
  const t0 = performance.now()
  try {
    const report = await suite.run()
    printReport(suite, report)
    missed ||= report.rows.some((r) => !isMet(r))
    results[name] = {
      title: suite.title,
      seconds: (performance.now() - t0) / 1000,
      rows: report.rows.map((r) => ({ ...r, ratio: ratioOf(r), met: isMet(r) })),
      notes: report.notes,
      sections: report.sections,
      details: report.details,
    }
  } catch (e) {
    crashed = true
    const err = e instanceof Error ? e : new Error(String(e))
    console.log(`## ${suite.title}\n\nFAILED: ${err.message}\n`)
    console.error(err.stack)
    results[name] = { title: suite.title, error: err.message }
  }
  console.error(`bench: ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
mkdirSync(RESULTS, { recursive: true })
const json = {
  startedAt: startedAt.toISOString(),
  seconds: (Date.now() - startedAt.getTime()) / 1000,
  machine: header,
  loadAverageAtEnd: loadavg(),
  scale: SCALE,
  suites: results,
}
writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(json, null, 2)}\n`)
console.error(`bench: wrote bench/results/latest.json (${json.seconds.toFixed(0)} s in all)`)
process.exitCode = crashed || (check && missed) ? 1 : 0
