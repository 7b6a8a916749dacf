// The SDK's browser bundle in headless Debian chromium (playwright-core, no downloaded browser) against
// a real `livestate run` with --auth-tokens: a page served on the API's origin (a loopback reverse
// proxy that adds `/app/*`, so no CORS is involved) subscribes with a token in `access_token`, renders
// updates while events are ingested, and the DOM must end with the oracle's values. Screenshot:
// test-results/client-browser.png.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildBrowserBundle } from '../../client/scripts/build-browser.mjs'
import { type LivestateProcess, ROOT, stopQuietly } from '../support/livestate-process.ts'
import { type PageServer, startPageServer } from './support/page-server.ts'
import { ShopOracle, makeVisits, postVisits, removeTempDirs, runShop, tempStateDir } from './support/shop.ts'

const CHROMIUM = '/usr/bin/chromium'
const PAGE_HTML = fileURLToPath(new URL('../fixtures/client/subscribe-page.html', import.meta.url))
const SCREENSHOT = join(ROOT, 'test-results', 'client-browser.png')
const VIEWER = 'viewer-token-0123456789' // read + subscribe: all the page may do
const INGESTER = 'ingest-token-0123456789'
const USERS = ['b1', 'b2', 'b3']

let server: LivestateProcess | undefined
let browser: Browser | undefined
let site: PageServer | undefined
/** The livestate server itself (ingest goes there directly). */
let url: string

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`)
  const dir = tempStateDir('livestate-browser-')
  const outfile = join(dir, 'livestate-client.browser.js')
  await buildBrowserBundle(outfile)
  const tokens = join(dir, 'tokens.json')
  writeFileSync(
    tokens,
    JSON.stringify({
      tokens: [
        { token: VIEWER, scopes: ['read', 'subscribe'], jobs: ['shop'] },
        { token: INGESTER, scopes: ['ingest'], jobs: ['shop'] },
      ],
    }),
  )
  server = runShop(tempStateDir(), 0, ['--auth-tokens', tokens])
  url = await server.url
  site = await startPageServer(Number(new URL(url).port), {
    'index.html': { type: 'text/html', body: readFileSync(PAGE_HTML, 'utf8') },
    'livestate-client.browser.js': { type: 'text/javascript', body: readFileSync(outfile, 'utf8') },
    'livestate-client.browser.js.map': { type: 'application/json', body: readFileSync(`${outfile}.map`, 'utf8') },
  })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] })
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await stopQuietly(server)
  removeTempDirs()
})

/** Opens the page on the API's origin; collects page errors and console errors and warnings. */
async function openPage(query: Record<string, string>): Promise<{ page: Page; problems: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 640, height: 420 } })
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    // Chromium logs every non-2xx resource; the page reads missing keys and states on purpose and
    // asserts what the SDK made of those answers.
    if (m.text().startsWith('Failed to load resource')) return
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`)
  })
  await page.goto(`${site!.url}/app/index.html?${new URLSearchParams(query)}`)
  return { page, problems }
}

/** The page's rows as { page: value }. */
function renderedValues(page: Page): Promise<Record<string, number>> {
  return page.$$eval('tr[data-page]', (rows) =>
    Object.fromEntries(
      rows.map((r) => [(r as HTMLElement).dataset.page!, Number(r.querySelector('.value')!.textContent)]),
    ),
  )
}

describe('in headless chromium', () => {
  test('pages subscribe through the bundle (JSON and msgpack) and render every update', async () => {
    const oracle = new ShopOracle()
    const pages = {
      json: ['/browser/json/home', '/browser/json/docs', '/browser/json/blog'],
      msgpack: ['/browser/msgpack/home', '/browser/msgpack/docs', '/browser/msgpack/blog'],
    }
    // A value that exists before the pages open arrives as their snapshot.
    const early = makeVisits(4, { users: USERS, pages: [pages.json[0]!, pages.msgpack[0]!] })
    await postVisits(url, early, undefined, INGESTER)
    oracle.add(early)

    const opened = await Promise.all(
      (['json', 'msgpack'] as const).map(async (encoding) => ({
        encoding,
        ...(await openPage({ encoding, prefix: `/browser/${encoding}/`, token: VIEWER })),
      })),
    )
    for (const { encoding, page, problems } of opened) {
      await page
        .waitForFunction(() => document.getElementById('status')?.textContent === 'subscribed', null, {
          timeout: 20_000,
        })
        .catch(async (error) => {
          const status = await page.textContent('#status')
          throw new Error(`${encoding} page not subscribed: status ${status}; ${problems.join('; ')}`, { cause: error })
        })
    }

    for (let round = 0; round < 6; round++) {
      const batch = makeVisits(6, { users: USERS, pages: [...pages.json, ...pages.msgpack], offsetMs: round * 1000 })
      await postVisits(url, batch, undefined, INGESTER)
      oracle.add(batch)
      await new Promise((r) => setTimeout(r, 40))
    }

    for (const { encoding, page, problems } of opened) {
      const expected = Object.fromEntries(pages[encoding].map((p) => [p, oracle.pageViews.get(p)]))
      try {
        await page.waitForFunction(
          (want) =>
            Object.entries(want).every(
              ([p, n]) => document.querySelector(`tr[data-page="${p}"] .value`)?.textContent === String(n),
            ),
          expected,
          { timeout: 20_000 },
        )
      } catch (error) {
        throw new Error(
          `${encoding} page shows ${JSON.stringify(await renderedValues(page))}, want ${JSON.stringify(expected)}`,
          {
            cause: error,
          },
        )
      }
      expect(await renderedValues(page)).toEqual(expected)
      // Several frames per page reached the DOM (snapshot, then updates), not just a final read.
      const frames = await page.$$eval('tr[data-page]', (rows) =>
        rows.map((r) => Number((r as HTMLElement).dataset.frames)),
      )
      expect(frames.every((n) => n >= 2)).toBe(true)

      const self = await page.evaluate((p) => (window as any).selfTest(p), pages[encoding][0]!)
      expect(self).toEqual({
        value: oracle.pageViews.get(pages[encoding][0]!),
        many: [[pages[encoding][0]!, oracle.pageViews.get(pages[encoding][0]!)]],
        missing: true,
        unknownState: 'UNKNOWN_STATE',
        webSocketIsNative: true,
      })
      expect(problems).toEqual([])
    }

    mkdirSync(join(ROOT, 'test-results'), { recursive: true })
    await opened[1]!.page.screenshot({ path: SCREENSHOT })
    expect(existsSync(SCREENSHOT)).toBe(true)
  })

  test('without a token the page reports UNAUTHORIZED instead of rendering', async () => {
    const { page } = await openPage({ encoding: 'json', prefix: '/browser/json/' })
    // The describe (HTTP) is refused before any socket is opened; browsers hide a refused upgrade's status.
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('error'), null, {
      timeout: 20_000,
    })
    expect(await page.textContent('#status')).toBe('error UNAUTHORIZED')
    expect(await page.$$('tr[data-page]')).toHaveLength(0)
    await page.close()
  })
})
