// Markdown tables for the console and the README: one row per comparison, as
// benchmark | livestate | baseline | ratio | target | met?
import { type BenchRow, isMet, ratioOf } from './suite.ts'

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  if (abs >= 1_000_000) return `${(n / 1_000_000).toFixed(2)}M`
  if (abs >= 10_000) return `${(n / 1_000).toFixed(1)}k`
  if (abs >= 100) return n.toFixed(0)
  if (abs >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

export function formatQuantity(n: number, unit: string): string {
  return `${formatNumber(n)} ${unit}`
}

export function markdownTable(header: string[], rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|')
  const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.map(escapeCell).join(' | ')} |`)
  return lines.join('\n')
}

/** The comparison table, with footnotes for rows whose figures have problems. */
export function comparisonTable(rows: readonly BenchRow[]): string {
  const footnotes: string[] = []
  const body = rows.map((row) => {
    let met = isMet(row) ? '✓' : '✗'
    if (row.problems.length > 0) {
      footnotes.push(`${footnotes.length + 1}. ${row.name}: ${row.problems.join('; ')}`)
      met += ` (see ${footnotes.length})`
    }
    return [
      row.name,
      formatQuantity(row.livestate, row.unit),
      formatQuantity(row.baseline, row.unit),
      `${ratioOf(row).toFixed(2)}×`,
      `${row.target.op === '>=' ? '≥' : '≤'} ${row.target.value}×`,
      met,
    ]
  })
  const table = markdownTable(['benchmark', 'livestate', 'baseline', 'ratio', 'target', 'met?'], body)
  return footnotes.length === 0 ? table : `${table}\n\n${footnotes.join('\n')}`
}
