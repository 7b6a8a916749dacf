import { openHeapTables, openLevelTables, runStateTableSuite } from '../state-table.suite.ts'

runStateTableSuite({
  name: 'HeapStateTable',
  open: openHeapTables,
  other: { name: 'LevelStateTable', open: openLevelTables },
  bigMapEntries: 1_000_000,
})
