// The layering of CONVENTIONS.md, checked by reading every import: storage/ never imports src/;
// client/ never imports server code; api/, keys/ and graph/ stay pure (no I/O, no Node built-ins).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p))
    else if (/\.(ts|mts|mjs)$/.test(name) && !/\.(test|test-d|suite)\.ts$/.test(name) && !name.includes('test-support'))
      out.push(p)
  }
  return out
}

function imports(file: string): { spec: string; target: string | undefined }[] {
  const text = readFileSync(file, 'utf8')
  const specs = [
    ...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1] ?? m[2]!)
  return specs.map((spec) => ({
    spec,
    target: spec.startsWith('.') ? relative(ROOT, resolve(file, '..', spec)) : undefined,
  }))
}

function violations(folder: string, rule: (i: { spec: string; target: string | undefined }) => boolean): string[] {
  const bad: string[] = []
  for (const f of sourceFiles(join(ROOT, folder))) {
    for (const i of imports(f)) if (rule(i)) bad.push(`${relative(ROOT, f)} imports ${i.spec}`)
  }
  return bad
}

describe('architecture', () => {
  it('storage/ imports nothing from src/ or client/', () => {
    expect(
      violations('storage', (i) => !!i.target && (i.target.startsWith('src') || i.target.startsWith('client'))),
    ).toEqual([])
  })

  it('client/ imports nothing from src/, storage/ or Node built-ins', () => {
    expect(
      violations(
        'client/src',
        (i) =>
          (!!i.target && !i.target.startsWith('client')) || i.spec.startsWith('node:') || i.spec === 'classic-level',
      ),
    ).toEqual([])
  })

  it('src/api imports nothing else of ours and no Node built-ins', () => {
    expect(
      violations('src/api', (i) => (!!i.target && !i.target.startsWith('src/api')) || i.spec.startsWith('node:')),
    ).toEqual([])
  })

  it('src/keys and src/graph are pure: no I/O modules, no server/runtime imports', () => {
    const impure = (i: { spec: string; target: string | undefined }) =>
      /^node:(fs|net|http|child_process|worker_threads)/.test(i.spec) ||
      (!!i.target && /^src\/(server|query|runtime|cluster|cli|state)/.test(i.target))
    expect([...violations('src/keys', impure), ...violations('src/graph', impure)]).toEqual([])
  })

  it('src/server is an adapter: it reaches the engine only through src/query', () => {
    expect(violations('src/server', (i) => !!i.target && /^src\/(runtime|cluster|state|graph)/.test(i.target))).toEqual(
      [],
    )
  })

  it('nothing in src/ or storage/ uses `export *`', () => {
    const offenders = [
      ...sourceFiles(join(ROOT, 'src')),
      ...sourceFiles(join(ROOT, 'storage')),
      ...sourceFiles(join(ROOT, 'client/src')),
    ].filter((f) => /export \* from/.test(readFileSync(f, 'utf8')))
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([])
  })
})
