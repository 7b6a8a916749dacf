// Module resolve hook: the bare specifier 'livestate' resolves to the running livestate's public API
// wherever the importing job file lives, and TypeScript job files (and the .ts files they import
// outside node_modules) load as ES modules even where no package.json says "type": "module".
const INDEX = new URL('../index.ts', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'livestate') return { url: INDEX, shortCircuit: true, format: 'module' }
  const r = await nextResolve(specifier, context)
  if (/\.(ts|tsx)$/.test(new URL(r.url).pathname) && !r.url.includes('/node_modules/') && r.format !== 'module') {
    return { ...r, format: 'module' }
  }
  return r
}
