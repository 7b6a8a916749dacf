// The browser bundle stays browser-safe: no Node built-ins, no classic-level, no server code, and
// `ws` only as the lazily imported fallback that browsers never reach.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildBrowserBundle } from '../scripts/build-browser.mjs'

const dir = mkdtempSync(join(tmpdir(), 'livestate-bundle-'))
const outfile = join(dir, 'livestate-client.browser.js')
let code = ''
let inputs: string[] = []

beforeAll(async () => {
  const result = await buildBrowserBundle(outfile)
  inputs = Object.keys(result.metafile.inputs)
  code = readFileSync(outfile, 'utf8')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('contains no node: imports and no classic-level', () => {
  expect(code).not.toMatch(/["']node:/)
  expect(code).not.toContain('classic-level')
})

test('requires or imports no Node built-in module', () => {
  const specifiers = [...code.matchAll(/(?:require\(|import\(|from\s*)\s*["']([^"']+)["']/g)].map((m) => m[1])
  const builtins = new Set(builtinModules)
  expect(specifiers.filter((s) => s !== undefined && builtins.has(s))).toEqual([])
  expect(specifiers).not.toContain('ws')
})

test('bundles only client sources and msgpackr', () => {
  const outside = inputs.filter((f) => !f.startsWith('client/src/') && !f.includes('node_modules/msgpackr/'))
  expect(outside.map((f) => relative('.', f))).toEqual([])
})

test('the bundle loads and exports the SDK and the protocol', async () => {
  const mod = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>
  expect(typeof mod.createClient).toBe('function')
  expect(typeof mod.parseClientFrame).toBe('function')
  expect(Object.keys(mod.ERROR_CODES as object)).toContain('STATE_NOT_READY')
})
