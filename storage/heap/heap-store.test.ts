import { runStoreSuite } from '../ordered-store.suite.ts'
import { HeapStore } from './heap-store.ts'

runStoreSuite('HeapStore', async () => {
  const store = new HeapStore()
  return { store, cleanup: () => store.close() }
})
