// The no-mmap patch of classic-level (build-classic-level.mjs): applying the unified diff by exact
// text, and the key that identifies a build of the patched sources for this Node ABI and platform.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')
const PATCH = join(HERE, 'classic-level-no-mmap.patch')

/** Why the no-mmap build cannot be made here (the install goes on with the prebuilt binary). */
export class Impossible extends Error {}

/** Applies PATCH to classic-level in `dir` by exact text (no fuzz); a hunk already applied is left alone. */
export function applyPatch(dir) {
  const text = readFileSync(PATCH, 'utf8')
  const changed = []
  const files = []
  for (const { file, hunks } of parsePatch(text)) {
    const path = join(dir, file)
    let source = readFileSync(path, 'utf8')
    const before = source
    for (const { from, to } of hunks) {
      if (source.includes(to) && !source.includes(from)) continue
      const at = source.indexOf(from)
      if (at < 0 || source.indexOf(from, at + 1) >= 0) {
        throw new Impossible(
          `classic-level ${file} does not match ${relative(ROOT, PATCH)} (another classic-level version?); ` +
            'update the patch for it',
        )
      }
      source = source.slice(0, at) + to + source.slice(at + from.length)
    }
    if (source !== before) {
      writeFileSync(path, source)
      changed.push(file)
    }
    files.push(file)
  }
  return { changed, files }
}

function parsePatch(text) {
  const files = []
  let file
  let hunk
  for (const line of text.split('\n')) {
    if (line.startsWith('+++ ')) {
      file = { file: line.slice(4).trim().replace(/^b\//, '').split('\t')[0], hunks: [] }
      files.push(file)
      hunk = undefined
    } else if (line.startsWith('@@') && file) {
      hunk = { from: [], to: [] }
      file.hunks.push(hunk)
    } else if (hunk && /^[ +-]/.test(line) && !line.startsWith('--- ')) {
      if (line[0] !== '+') hunk.from.push(line.slice(1))
      if (line[0] !== '-') hunk.to.push(line.slice(1))
    } else {
      hunk = undefined
    }
  }
  for (const f of files) for (const h of f.hunks) Object.assign(h, { from: h.from.join('\n'), to: h.to.join('\n') })
  if (files.length === 0) throw new Impossible(`${PATCH} holds no diff`)
  return files
}

/** Identifies a build: the (patched) sources, the patch, and the Node ABI and platform it is for. */
export function buildKey(pkg, patchedFiles) {
  const hash = createHash('sha256')
  hash.update(readFileSync(PATCH))
  const sources = ['binding.cc', 'binding.gyp', ...listFiles(pkg.dir, 'deps')].sort()
  for (const file of sources) hash.update(`\0${file}\0`).update(readFileSync(join(pkg.dir, file)))
  hash.update(JSON.stringify([pkg.version, patchedFiles, process.platform, process.arch, process.versions.modules]))
  return `${pkg.version}-${process.platform}-${process.arch}-abi${process.versions.modules}-${hash.digest('hex').slice(0, 16)}`
}

export function listFiles(dir, sub) {
  const out = []
  for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const path = join(sub, entry.name)
    if (entry.isDirectory()) out.push(...listFiles(dir, path))
    else if (entry.isFile()) out.push(path)
  }
  return out
}
