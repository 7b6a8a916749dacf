#!/usr/bin/env node
// postinstall: rebuilds classic-level's LevelDB so that it reads table files with pread into the
// block cache instead of mmapping them (classic-level-no-mmap.patch says why). Mapped table pages
// count in RSS outside of cacheSize, so with the prebuilt binary a --memory budget does not bound
// RSS (up to maxOpenFiles × maxFileSize more; 64 MiB at LevelDB's floor).
//
// Steps: patch the source in node_modules/classic-level (idempotent), then reuse the binary when it
// is already built for these sources and this Node ABI (build stamp, else the user cache), otherwise
// build it with npm's node-gyp against the local Node headers (offline, never downloads) and check
// that it loads and reports mmap limit 0. node-gyp-build then prefers build/Release over prebuilds/.
// It never fails the install: when the build is impossible it prints one line (what, why, what to do)
// and classic-level keeps its prebuilt binary; livestate detects that at run time
// (storage/leveldb/table-reads.ts) and falls back to the mapped memory split.
//
//   node storage/native/build-classic-level.mjs [--force]   (--force: ignore stamp and cache)
//   LIVESTATE_SKIP_NATIVE_BUILD=1   keep the prebuilt binary
//   LIVESTATE_NATIVE_CACHE=<dir>|off  where built binaries are kept across `npm ci` (default
//                                   $XDG_CACHE_HOME/livestate or ~/.cache/livestate)
//
// Only Node built-ins: it runs before (and without) any dev dependency.
import { execFileSync, spawn } from 'node:child_process'
import {
  accessSync,
  constants,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, homedir } from 'node:os'
import { delimiter, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { applyPatch, buildKey, Impossible, listFiles } from './classic-level-patch.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '../..')
const STAMP = 'livestate-build.json'
const BINARY = 'classic_level.node'
const ME = relative(process.cwd(), fileURLToPath(import.meta.url)) || fileURLToPath(import.meta.url)
const TAG = 'livestate: classic-level'
const KEPT = `${TAG} keeps its prebuilt binary, which mmaps LevelDB table files (RSS can exceed --memory)`
const tty = Boolean(process.stderr.isTTY)
/** A progress line is on screen (TTY only); when it was last drawn. */
let shown = false
let lastDraw = 0

main().catch((err) => {
  // Never fail the install.
  clearLine()
  const reason =
    err instanceof Impossible ? err.message : `unexpected error: ${String(err?.message ?? err).split('\n')[0]}`
  console.error(`${KEPT}: ${reason}`)
})

async function main() {
  const t0 = performance.now()
  const force = process.argv.includes('--force')
  if (process.env.LIVESTATE_SKIP_NATIVE_BUILD) {
    console.error(
      `${TAG}: no-mmap build skipped (LIVESTATE_SKIP_NATIVE_BUILD is set), so LevelDB mmaps table files unless ` +
        `it was built before; unset it and run node ${ME}`,
    )
    return
  }
  const pkg = locateClassicLevel()
  if (process.platform === 'win32') {
    throw new Impossible("the no-mmap patch is for LevelDB's POSIX env (Windows uses another); nothing to do")
  }
  const release = join(pkg.dir, 'build', 'Release')

  const patched = applyPatch(pkg.dir)

  const key = buildKey(pkg, patched.files)
  const stamp = readJson(join(release, STAMP))
  if (!force && stamp?.key === key && existsSync(join(release, BINARY))) {
    const check = verify(pkg.dir)
    if (check.ok) {
      step(`already built for Node ABI ${process.versions.modules} (${check.binary}): table reads use pread`)
      return
    }
  }

  const cache = cacheDir()
  const cached = cache && join(cache, `${key}.node`)
  if (!force && cached && existsSync(cached)) {
    rmSync(join(pkg.dir, 'build'), { recursive: true, force: true })
    mkdirSync(release, { recursive: true })
    // Renamed into place: a process starting meanwhile loads the prebuilt binary or this one, whole.
    copyFileSync(cached, join(release, `${BINARY}.tmp-${process.pid}`))
    renameSync(join(release, `${BINARY}.tmp-${process.pid}`), join(release, BINARY))
    const check = verify(pkg.dir)
    if (check.ok) {
      writeStamp(release, { key, from: cached })
      step(`reused the build cached in ${cached}: table reads use pread`)
      return
    }
    rmSync(join(pkg.dir, 'build'), { recursive: true, force: true })
    rmSync(cached, { force: true })
  }

  const tools = findTools()
  const log = join(pkg.dir, 'livestate-build.log')
  const jobs = Math.max(1, availableParallelism())
  const gyp = (args, total) => runNodeGyp(tools, pkg.dir, args, log, total)
  writeFileSync(log, `# ${new Date().toISOString()} node ${process.version}, node-gyp ${tools.nodeGyp}\n`)

  let t = performance.now()
  progress('configure')
  await gyp(['clean'])
  await gyp(['configure', '--release', `--nodedir=${tools.nodedir}`])
  const patchNote = patched.changed.length > 0 ? `patched ${patched.changed.join(', ')}` : 'source already patched'
  step(`${patchNote}; configure (headers ${join(tools.nodedir, 'include', 'node')}) ${seconds(t)}`)

  t = performance.now()
  const total = countObjects(join(pkg.dir, 'build'))
  await gyp(['build', '--release', `--nodedir=${tools.nodedir}`, '-j', String(jobs)], total)
  step(`compile and link ${total} files with ${jobs} job${jobs === 1 ? '' : 's'} ${seconds(t)}`)

  const check = verify(pkg.dir)
  if (!check.ok) {
    rmSync(join(pkg.dir, 'build'), { recursive: true, force: true })
    throw new Impossible(`the built binary failed its check (${check.reason}); see ${log}`)
  }
  const totalSeconds = (performance.now() - t0) / 1000
  writeStamp(release, { key, seconds: Math.round(totalSeconds * 10) / 10 })
  if (cached) {
    try {
      mkdirSync(cache, { recursive: true })
      copyFileSync(join(release, BINARY), `${cached}.tmp-${process.pid}`)
      renameSync(`${cached}.tmp-${process.pid}`, cached)
    } catch {
      // A cache that cannot be written only makes the next `npm ci` build again.
    }
  }
  step(`built ${check.binary} in ${totalSeconds.toFixed(1)} s: table reads use pread (mmap limit 0)`)
}

// ---- locating things ----

function locateClassicLevel() {
  let manifest
  try {
    manifest = createRequire(join(ROOT, 'package.json')).resolve('classic-level/package.json')
  } catch {
    throw new Impossible('classic-level is not installed; run npm ci')
  }
  const json = JSON.parse(readFileSync(manifest, 'utf8'))
  return { dir: dirname(manifest), version: json.version }
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return undefined
}

/** Everything node-gyp needs, or Impossible naming what is missing and how to get it. */
function findTools() {
  const missing = []
  const cxx = process.env.CXX || which('g++') || which('c++') || which('clang++')
  if (!cxx) missing.push('C++ compiler (g++)')
  if (!which('make')) missing.push('make')
  const python = process.env.PYTHON || process.env.npm_config_python || which('python3') || which('python')
  if (!python) missing.push('python3')
  if (missing.length > 0) {
    throw new Impossible(
      `no ${missing.join(', ').replace(/, ([^,]+)$/, ' or $1')} found to build it; install them ` +
        `(apt-get install g++ make python3) and run node ${ME}`,
    )
  }
  // The headers of the running Node: a release tarball and Debian/NodeSource packages ship them in
  // <prefix>/include/node. node-gyp would otherwise try to download them.
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')].filter(Boolean)
  const nodedir = candidates.find(
    (dir) =>
      existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi')),
  )
  if (!nodedir) {
    throw new Impossible(
      `no Node headers in ${candidates.map((d) => join(d, 'include', 'node')).join(' or ')}; install the ones of ` +
        `Node ${process.version} (nodejs.org and NodeSource packages include them; Debian: apt-get install libnode-dev) ` +
        `or set npm_config_nodedir, and run node ${ME}`,
    )
  }
  const nodeGyp = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ].find((file) => file && existsSync(file))
  if (!nodeGyp) throw new Impossible(`npm's node-gyp was not found; run node ${ME} through npm (npm run postinstall)`)
  return { nodedir, nodeGyp }
}

function cacheDir() {
  const setting = process.env.LIVESTATE_NATIVE_CACHE
  if (setting === 'off') return undefined
  if (setting) return resolve(setting)
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'livestate', 'classic-level')
}

// ---- building ----

/** The object files of the generated makefiles: the compile steps to come. */
function countObjects(buildDir) {
  let n = 0
  for (const file of listFiles(buildDir, '.')) {
    if (file.endsWith('.target.mk'))
      n +=
        readFileSync(join(buildDir, file), 'utf8').match(/^\t\$\(obj\)\.target\/\$\(TARGET\)\/.*\.o\b/gm)?.length ?? 0
  }
  return n
}

/** Runs node-gyp with its output in the log; `total` turns make's CXX/CC lines into progress. */
function runNodeGyp(tools, cwd, args, log, total) {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(log, { flags: 'a' })
    out.write(`\n$ node-gyp ${args.join(' ')}\n`)
    const child = spawn(process.execPath, [tools.nodeGyp, ...args], {
      cwd,
      env: { ...process.env, npm_config_nodedir: tools.nodedir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let done = 0
    let last = ''
    let pending = ''
    child.stdout.on('data', (chunk) => {
      out.write(chunk)
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()
      for (const line of lines) {
        const m = /^\s+(CXX|CC)\(target\) (.+)$/.exec(line)
        if (m) {
          done++
          last = m[2].split('/').pop()
        } else if (/^\s+(SOLINK_MODULE|AR|LINK)\(target\)/.test(line)) last = 'linking'
        if (m || last === 'linking') progress(`compile ${done}/${total ?? '?'} ${last}`)
      }
    })
    child.stderr.on('data', (chunk) => out.write(chunk))
    child.on('error', (err) => {
      out.end()
      reject(new Impossible(`node-gyp did not start (${err.message})`))
    })
    child.on('close', (code) => {
      out.end()
      if (code === 0) return resolvePromise()
      const tail = readFileSync(log, 'utf8').trim().split('\n')
      const error = tail
        .filter(
          (l) =>
            /error|not found|No such/i.test(l) &&
            !/^gyp (info|ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok))/.test(l),
        )
        .pop()
      reject(new Impossible(`node-gyp ${args[0]} failed${error ? ` (${error.trim().slice(0, 160)})` : ''}; see ${log}`))
    })
  })
}

/** Loads the package in a fresh process: which binary node-gyp-build picks, and its mmap limit. */
function verify(dir) {
  const script = `
    const path = require('node:path')
    const dir = ${JSON.stringify(dir)}
    const file = require(require.resolve('node-gyp-build', { paths: [dir] })).resolve(dir)
    const binding = require(path.join(dir, 'binding.js'))
    process.stdout.write(JSON.stringify({ file, limit: binding.livestate_read_mmap_limit }))`
  try {
    // As a plain install would load it: without node-gyp-build's overrides.
    const { CLASSIC_LEVEL_PREBUILD: _dir, PREBUILDS_ONLY: _only, ...env } = process.env
    const { file, limit } = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] }),
    )
    const binary = relative(ROOT, file)
    if (file !== join(dir, 'build', 'Release', BINARY))
      return { ok: false, binary, reason: `node-gyp-build loads ${binary}` }
    if (limit !== 0) return { ok: false, binary, reason: `its mmap limit is ${limit}` }
    return { ok: true, binary }
  } catch (err) {
    return {
      ok: false,
      binary: '?',
      reason: `it does not load: ${
        String(err.stderr || err.message)
          .trim()
          .split('\n')[0]
      }`,
    }
  }
}

function writeStamp(release, extra) {
  writeFileSync(
    join(release, STAMP),
    `${JSON.stringify({ ...extra, node: process.version, abi: process.versions.modules, builtAt: new Date().toISOString() }, null, 2)}\n`,
  )
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

// ---- output: a progress line on a TTY, one line per step otherwise ----

function progress(text) {
  if (!tty) return
  const now = performance.now()
  if (now - lastDraw < 100) return
  lastDraw = now
  const width = (process.stderr.columns || 100) - 1
  process.stderr.write(`\r\x1b[K${`${TAG} (no-mmap build): ${text}`.slice(0, width)}`)
  shown = true
}

function clearLine() {
  if (shown) process.stderr.write('\r\x1b[K')
  shown = false
}

function step(text) {
  clearLine()
  console.error(`${TAG} (no-mmap build): ${text}`)
}

function seconds(t) {
  return `${((performance.now() - t) / 1000).toFixed(1)} s`
}
