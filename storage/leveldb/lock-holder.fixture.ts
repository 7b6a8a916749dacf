// Test fixture run as a child process: opens the LevelStore at argv[2], prints 'ready', and holds
// the LevelDB LOCK until stdin closes or it is killed. Used by level-lock.test.ts.

import { LevelStore } from './level-store.ts'

const location = process.argv[2]
if (location === undefined) throw new TypeError('usage: lock-holder.fixture.ts <dir>')
const store = await LevelStore.open(location)
process.stdout.write('ready\n')
process.stdin.resume()
process.stdin.on('end', () => {
  void store.close().then(() => process.exit(0))
})
