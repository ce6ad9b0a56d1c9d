// Shared by the browser suites (run, rating, checkup, supervision,
// contract): the runner (system Chromium, one context per `open`, page and
// console errors fail the test, `ok - …` / `not ok - …` lines, a screenshot
// of a failing test and the final "<label>: N passed, M failed"), the admin
// API session and users made through it, UI helpers, and test data (unique
// tags, Beijing dates, valid credit codes and ID numbers).
import { chromium } from 'playwright-core'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Api, AssertionError, BASE, assert } from './api.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const OUT = path.resolve(HERE, '..', 'out')
export const ADMIN_USER = process.env.HEXIE_ADMIN_USER || 'admin'
export const ADMIN_PASSWORD = process.env.HEXIE_ADMIN_PASSWORD || ''
export const TIMEOUT = Number(process.env.HEXIE_TEST_TIMEOUT || 15000)
// A phone: 375×667 with touch.
export const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }

export const sel = (name) => `[data-test="${name}"]`
export const uniq = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.toUpperCase()
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Beijing time, as the server counts years and dates.
export const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)
export const YEAR = Number(today().slice(0, 4))
export const daysFromNow = (n) => new Date(Date.now() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10)

// ---------------------------------------------------------------- test data

// GB 32100-2015 统一社会信用代码 check character.
export const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
export function usccCheck(first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(first17[i]) * USCC_WEIGHTS[i]
  return USCC_CHARS[(31 - (sum % 31)) % 31]
}

// A maker of valid codes not used yet: 9 (工商) 1 (企业) 331125 (云和县),
// then `org` (two letters, one per suite) and a running number.
export function usccSeries(org) {
  let seq = Math.floor(Math.random() * 9000000)
  return () => {
    const first = '91331125' + org + String(seq++ % 10000000).padStart(7, '0')
    return first + usccCheck(first)
  }
}

// GB 11643-1999 居民身份证号码 check character.
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
export function idCheck(first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]
  return '10X98765432'[sum % 11]
}
// A valid 18-digit ID number of someone born on birth (云和县).
export function idNumber(birth /* YYYYMMDD */, seq = Math.floor(Math.random() * 1000)) {
  const first17 = '331125' + birth + String(seq % 1000).padStart(3, '0')
  return first17 + idCheck(first17)
}

// A file in a new temporary folder; done() removes the folder.
export function tmpFile(name, bytes, prefix = 'hexie-browser-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const file = path.join(dir, name)
  fs.writeFileSync(file, bytes)
  return { file, done: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

// ---------------------------------------------------------------- API setup

let adminApi = null
// The admin's API session (logged in once).
export async function admin() {
  if (!adminApi) adminApi = await Api.login(ADMIN_USER, ADMIN_PASSWORD)
  return adminApi
}

// A user made by the admin, logged in once through the API so that a
// forced password change (if the server asks for one) is out of the way.
export async function makeUser(body) {
  const a = await admin()
  const username = `t${uniq().toLowerCase()}`
  const password = `Init-${uniq()}-pw`
  await a.post('/users', { username, password, ...body })
  const u = await Api.login(username, password)
  if (u.user && u.user.must_change_password) {
    const next = `Next-${uniq()}-pw`
    await u.post('/session/password', { old_password: password, new_password: next })
    return { username, password: next, id: u.user.id }
  }
  return { username, password, id: u.user.id }
}

// Waits until fn() returns a truthy value (polling the API).
export async function eventually(fn, what, ms = 8000) {
  const end = Date.now() + ms
  let last
  while (Date.now() < end) {
    try {
      last = await fn()
      if (last) return last
    } catch (e) {
      last = e
    }
    await sleep(200)
  }
  throw new AssertionError(`timed out waiting for ${what}${last instanceof Error ? ': ' + last.message : ''}`)
}

// ---------------------------------------------------------------- UI helpers

export async function login(page, user = ADMIN_USER, password = ADMIN_PASSWORD) {
  await page.goto(BASE + '/login')
  await page.locator(sel('login-username')).fill(user)
  await page.locator(sel('login-password')).fill(password)
  await page.locator(sel('login-submit')).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  // The layout is up once the menu is there.
  await page.locator(sel('main')).waitFor()
}

// Accepts the open confirmation box.
export async function confirmBox(page) {
  const btn = page.locator('.el-message-box .el-button--primary')
  await btn.waitFor()
  await btn.click()
  await page.locator('.el-message-box').waitFor({ state: 'hidden' })
}

export async function fillDate(page, locator, date) {
  const input = locator.locator('input')
  await input.fill(date)
  await input.press('Enter')
  // The picker's panel closes with Enter; wait until it is gone.
  await page.locator('.el-picker-panel.el-date-picker:visible').waitFor({ state: 'hidden' }).catch(() => {})
}

export async function pageWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth)
}

// ---------------------------------------------------------------- runner

// Console errors a test does not fail on: favicons, and refused API
// requests (answered in the UI; the browser logs them too). With `offline`,
// also requests cut off on purpose (offline, aborted) as network errors.
function ignorable(msg, offline) {
  const url = (msg.location() && msg.location().url) || ''
  const text = msg.text()
  if (/favicon\.(ico|svg)/.test(url) || /favicon/.test(text)) return true
  if (text.startsWith('Failed to load resource') &&
    (url.includes('/api/') || (offline && /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|ERR_FAILED/.test(text)))) return true
  return false
}

// Runs the suite's tests (those named on the command line, else all) and
// exits. Each test is called as t({ open, browser }); open(opts) gives a
// page in a new context (1366×768, zh-CN, Asia/Shanghai, then `context`,
// then opts). Options:
//   label      the final line's name ("<label>: N passed, M failed")
//   shot       screenshot name prefix (tests/out/<shot><test>.png)
//   allPages   watch every page of a context, not only the one open gives
//   offline    network errors of requests cut off on purpose are ignored
//   context    more options for every new context
export function runSuite(TESTS, { label, shot = '', allPages = false, offline = false, context = {} }) {
  const summary = (passed, failed) => console.log(`${label}: ${passed} passed, ${failed} failed`)
  const main = async () => {
    if (!ADMIN_PASSWORD) {
      console.error('HEXIE_ADMIN_PASSWORD is not set')
      summary(0, 1)
      process.exit(1)
    }
    const only = process.argv.slice(2)
    const tests = only.length ? TESTS.filter((t) => only.includes(t.name)) : TESTS
    fs.mkdirSync(OUT, { recursive: true })

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    let passed = 0
    let failed = 0
    for (const t of tests) {
      const contexts = []
      const problems = []
      let lastPage = null
      const watch = (page) => {
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
        page.on('console', (m) => {
          if (m.type() === 'error' && !ignorable(m, offline)) problems.push(`console error: ${m.text()}`)
        })
        lastPage = page
      }
      const open = async (opts = {}) => {
        const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...context, ...opts })
        ctx.setDefaultTimeout(TIMEOUT)
        if (allPages) ctx.on('page', watch)
        contexts.push(ctx)
        const page = await ctx.newPage()
        if (!allPages) watch(page)
        return page
      }
      const started = Date.now()
      try {
        await t({ open, browser })
        if (problems.length) throw new AssertionError(problems.join('\n'))
        passed++
        console.log(`ok - ${t.name} (${Date.now() - started} ms)`)
      } catch (e) {
        failed++
        console.log(`not ok - ${t.name}`)
        console.log('  ' + String((e && e.stack) || e).split('\n').slice(0, 6).join('\n  '))
        if (problems.length && !(e instanceof AssertionError && e.message === problems.join('\n'))) {
          console.log('  ' + problems.join('\n  '))
        }
        if (lastPage && !lastPage.isClosed()) {
          try {
            const file = path.join(OUT, `${shot}${t.name}.png`)
            await lastPage.screenshot({ path: file, fullPage: true })
            console.log(`  screenshot: ${file}`)
          } catch { /* page gone */ }
        }
      } finally {
        for (const c of contexts) await c.close().catch(() => {})
      }
    }
    await browser.close()
    summary(passed, failed)
    process.exit(failed ? 1 : 0)
  }
  main().catch((e) => {
    console.error(e)
    summary(0, 1)
    process.exit(1)
  })
}

export { Api, AssertionError, BASE, assert }
