// In-flight windows of one key in a window state table: the namespaces under [kg][key] that are
// windows, with their current values. Shared by live queries (WindowOperator) and committed reads.
import type { TimeWindow } from '../api/windows.ts'
import type { AbstractKeyedState } from './kinds/abstract-keyed-state.ts'
import { parseWindowNamespace } from './namespace.ts'
import type { StateTable } from './state-table.ts'

export type WindowSelector = 'latest' | 'all' | number

export async function queryWindowsInTable(
  table: StateTable,
  state: AbstractKeyedState,
  keyPrefix: string,
  which: WindowSelector,
): Promise<{ window: TimeWindow; value: unknown } | { window: TimeWindow; value: unknown }[] | undefined> {
  const kg = (keyPrefix.charCodeAt(0) << 8) | keyPrefix.charCodeAt(1)
  const found: { window: TimeWindow; value: unknown }[] = []
  for await (const primary of table.primaryKeys(kg, kg, keyPrefix)) {
    if (!primary.startsWith(keyPrefix)) break
    const ns = primary.slice(keyPrefix.length)
    if (ns.charCodeAt(0) !== 16) continue
    const value = await state.queryValue(primary)
    if (value !== undefined) found.push({ window: parseWindowNamespace(ns), value })
  }
  found.sort((a, b) => a.window.start - b.window.start)
  if (which === 'all') return found.length === 0 ? undefined : found
  if (which === 'latest') return found[found.length - 1]
  return found.find((f) => f.window.start === which)
}
