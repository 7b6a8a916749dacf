// Test fixture run as a child process (table-reads.test.ts): with whatever binary classic-level
// loads here (CLASSIC_LEVEL_PREBUILD can force the prebuilt one), writes and reads back table files
// under argv[2] and prints what levelDbTableReads() reports and which table files were mapped.

import { readTablesBack } from './level-test-support.ts'
import { levelDbTableReads } from './table-reads.ts'

const location = process.argv[2]
if (location === undefined) throw new TypeError('usage: table-reads.fixture.ts <dir>')
const result = await readTablesBack(location)
process.stdout.write(`${JSON.stringify({ reads: levelDbTableReads(), ...result })}\n`)
