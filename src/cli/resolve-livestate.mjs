// Module resolve hook: the bare specifier 'livestate' (and 'livestate/…') resolves to the running
// livestate's public API wherever the importing job file lives.
const INDEX = new URL('../index.ts', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'livestate') return { url: INDEX, shortCircuit: true, format: 'module' }
  return nextResolve(specifier, context)
}
