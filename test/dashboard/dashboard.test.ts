// The dashboard in a real browser (Debian chromium via playwright-core) against a running demo job:
// the job, its plan and checkpoints render, a key lookup answers, and the entries table updates live
// over the WebSocket. A screenshot is kept in test-results/ for people to look at.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import demo from '../../src/demo/clicks-job.ts'
import { type EmbeddedHandle, startEmbedded } from '../../src/main.ts'

let handle: EmbeddedHandle
let browser: Browser
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livestate-dashboard-'))
  handle = await startEmbedded({ job: demo, port: 0, stateDir: dir, checkpointInterval: 500 })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] })
})

afterAll(async () => {
  await browser?.close()
  await handle?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('dashboard', () => {
  it('shows the running demo job, answers a key lookup and updates entries live', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(handle.url)
    await page.waitForSelector('.job[data-job="clicks"] .status.RUNNING')
    await page.waitForSelector('.vertex')
    expect(await page.locator('.vertex').count()).toBeGreaterThanOrEqual(2)
    await page.locator('.state-tab[data-state="page-views"]').click()
    await page.waitForSelector('#entries tr[data-key]')
    const home = page.locator('#entries tr[data-key="\\"/home\\""]')
    await home.waitFor()
    // live: the (epoch, seq) cell of /home fills in from the subscription and keeps moving
    await expect
      .poll(async () => (await home.locator('td').nth(2).textContent()) ?? '', { timeout: 15_000 })
      .toMatch(/^\(1, \d+\)$/)
    const first = Number((await home.locator('td').nth(1).textContent()) ?? '0')
    await expect
      .poll(async () => Number((await home.locator('td').nth(1).textContent()) ?? '0'), { timeout: 15_000 })
      .toBeGreaterThan(first)
    await page.fill('#lookup-key', '/home')
    await page.click('#lookup')
    await expect.poll(async () => (await page.locator('#lookup-out').textContent()) ?? '').toContain('"keyGroup":63')
    // the checkpoint card shows a completed checkpoint id
    await expect
      .poll(async () => await page.locator('.card').nth(3).locator('.value').textContent(), { timeout: 15_000 })
      .toMatch(/^\d+$/)
    await mkdir('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true })
    expect(errors).toEqual([])
  })
})
