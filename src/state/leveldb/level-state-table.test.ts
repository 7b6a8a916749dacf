import { openHeapTables, openLevelTables, runStateTableSuite } from '../state-table.suite.ts'

runStateTableSuite({
  name: 'LevelStateTable',
  open: openLevelTables,
  other: { name: 'HeapStateTable', open: openHeapTables },
  bigMapEntries: 1_000_000,
})
