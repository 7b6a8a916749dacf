import { runStoreSuite } from '../ordered-store.suite.ts'
import { openTempLevelStore } from './level-test-support.ts'

runStoreSuite('LevelStore', () => openTempLevelStore())
