#!/usr/bin/env node
// The `livestate` executable: registers TypeScript loading (tsx) and the hook that resolves
// `import … from 'livestate'` in any job file to this livestate, then runs the CLI.
import { register } from 'node:module'
import { register as registerTsx } from 'tsx/esm/api'

register('./resolve-livestate.mjs', import.meta.url)
registerTsx()
const { main } = await import('./main.ts')
await main(process.argv)
