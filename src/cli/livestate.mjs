#!/usr/bin/env node
// The `livestate` executable: registers TypeScript loading (tsx) and the hook that resolves
// `import … from 'livestate'` in any job file to this livestate, then runs the CLI.
import './register.mjs'

const { main } = await import('./main.ts')
await main(process.argv)
