// Bundles @livestate/client for browsers: one ESM file, platform browser. `ws` stays external (the SDK
// only loads it, by a variable specifier, where no global WebSocket exists) so it never enters the bundle.
// Usage: node client/scripts/build-browser.mjs [outfile]
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
export const DEFAULT_OUTFILE = `${root}dist/livestate-client.browser.js`

export async function buildBrowserBundle(outfile = DEFAULT_OUTFILE) {
  return build({
    entryPoints: [`${root}src/index.ts`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['ws'],
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await buildBrowserBundle(process.argv[2])
  const [file, info] = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith('.js')) ?? []
  console.log(`${file}: ${info?.bytes} bytes`)
}
