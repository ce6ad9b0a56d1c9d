// Browser tests for the Hexie web app: headless Chromium (the system's
// /usr/bin/chromium) driven by playwright-core against a running server.
//
//   HEXIE_URL=http://127.0.0.1:18080 HEXIE_ADMIN_PASSWORD=… node tests/browser/run.mjs [name…]
//
// The server must hold a freshly initialised store with demo data
// (`hexie init --demo`). Each test gets its own browser context. Prints
// `ok - name` / `not ok - name` per test and `browser: N passed, M failed`.
import { AssertionError, BASE, PHONE, USCC_CHARS, assert, idNumber, login, runSuite, sel, tmpFile, uniq, usccCheck } from './lib.mjs'

// ---------------------------------------------------------------- helpers

// A valid 统一社会信用代码: 9 (工商) 1 (企业) 331125 (云和县) + 9-character org code.
function makeUscc() {
  let org = 'MA'
  for (let i = 0; i < 7; i++) org += USCC_CHARS[Math.floor(Math.random() * 10)]
  const first17 = '91331125' + org
  return first17 + usccCheck(first17)
}
// A code of the right form whose check character is wrong.
function badUscc() {
  const sample = '91350100M000100Y44'
  if (usccCheck(sample.slice(0, 17)) !== sample[17]) return sample
  const good = makeUscc()
  const wrong = USCC_CHARS[(USCC_CHARS.indexOf(good[17]) + 1) % 31]
  return good.slice(0, 17) + wrong
}

// A 居民身份证号码 whose check character is wrong.
function wrongCheck(id) {
  const c = '10X98765432'
  return id.slice(0, 17) + c[(c.indexOf(id[17]) + 1) % 11]
}

// JSON API calls from the logged-in context (same cookies), with the CSRF
// token from GET /api/v1/session.
async function apiClient(page) {
  const req = page.context().request
  const s = await req.get(BASE + '/api/v1/session')
  assert(s.ok(), `GET /api/v1/session: ${s.status()}`)
  const { csrf_token: csrf } = await s.json()
  const call = async (method, p, body) => {
    const r = await req.fetch(BASE + '/api/v1' + p, {
      method,
      headers: { 'X-CSRF-Token': csrf, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      data: body ? JSON.stringify(body) : undefined,
    })
    const text = await r.text()
    let json = null
    try { json = text ? JSON.parse(text) : null } catch { json = null }
    if (!r.ok()) throw new AssertionError(`${method} ${p}: ${r.status()} ${text.slice(0, 300)}`)
    return json
  }
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b),
  }
}

// An area that enterprises can belong to (a 街道/镇/乡/园区 when there is one).
async function someArea(api) {
  const { items } = await api.get('/areas')
  assert(items && items.length, 'no areas')
  return items.find((a) => a.kind !== 'county') || items[0]
}

async function createEnterprise(api, name) {
  const area = await someArea(api)
  return api.post('/enterprises', { uscc: makeUscc(), name, area_id: area.id, employee_count: 10 })
}

// Chooses an area in an el-tree-select by typing its name and clicking the
// node; the popper closes and the select then shows the name.
async function pickArea(page, selectLocator, area) {
  const popper = page.locator('.el-tree-select__popper:visible')
  for (let attempt = 0; attempt < 3; attempt++) {
    await selectLocator.click()
    await selectLocator.locator('input').fill(area.name)
    const node = popper.locator('.el-tree-node__content', { hasText: area.name }).first()
    await node.waitFor()
    await node.click()
    try {
      await popper.waitFor({ state: 'hidden', timeout: 2000 })
    } catch {
      await page.keyboard.press('Escape')
    }
    if ((await selectLocator.innerText()).includes(area.name)) return
  }
  throw new AssertionError(`could not choose the area ${area.name}`)
}

// Picks an option of a remote el-select by typing part of its label.
async function pickRemote(page, selectLocator, text) {
  await selectLocator.click()
  await selectLocator.locator('input').fill(text)
  const opt = page.locator('.el-select-dropdown__item:visible', { hasText: text }).first()
  await opt.waitFor()
  await opt.click()
}

// ---------------------------------------------------------------- tests

async function admin_login({ open }) {
  const page = await open()
  await page.goto(BASE + '/')
  await page.waitForURL((u) => u.pathname === '/login')
  await login(page)
  assert(new URL(page.url()).pathname === '/', `after login at ${page.url()}`)
  const header = await page.locator('header').innerText()
  assert(header.includes('和谐同行 · 劳动关系治理平台'), 'product name missing in header')
  await page.locator(sel('user-name')).waitFor()
  await page.locator(sel('logout')).waitFor()
  await page.locator(sel('nav-enterprises')).waitFor()
  await page.locator(sel('nav-users')).waitFor()
}

async function enterprise_create({ open }) {
  const page = await open()
  await login(page)
  const area = await someArea(await apiClient(page))
  await page.goto(BASE + '/enterprises')
  await page.locator(sel('enterprise-table') + ' .el-table__row').first().waitFor()
  const uscc = makeUscc()
  const name = `浏览器测试企业${uniq()}`
  await page.locator(sel('enterprise-new')).click()
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(sel('enterprise-form')) })
  await dialog.waitFor()
  // Typed in lower case: the form upper-cases it.
  await page.locator(sel('enterprise-form-uscc')).fill(uscc.toLowerCase())
  assert((await page.locator(sel('enterprise-form-uscc')).inputValue()) === uscc, 'credit code not upper-cased')
  await page.locator(sel('enterprise-form-name')).fill(name)
  await pickArea(page, page.locator(sel('enterprise-form-area')), area)
  await page.locator(sel('enterprise-form-legal')).fill('张三')
  await page.locator(sel('enterprise-form-submit')).click()
  await dialog.waitFor({ state: 'hidden' })
  // In the list (newest first), and findable by its credit code.
  await page.locator(sel('enterprise-table'), { hasText: uscc }).waitFor()
  await page.locator(sel('enterprise-search')).fill(uscc)
  await page.locator(sel('enterprise-search')).press('Enter')
  const row = page.locator(sel('enterprise-table') + ' .el-table__row', { hasText: uscc })
  await row.first().waitFor()
  assert((await row.first().innerText()).includes(name), 'new enterprise name not in its row')
}

async function enterprise_bad_credit_code({ open }) {
  const page = await open()
  await login(page)
  const area = await someArea(await apiClient(page))
  await page.goto(BASE + '/enterprises')
  await page.locator(sel('enterprise-new')).click()
  await page.locator(sel('enterprise-form')).waitFor()
  await page.locator(sel('enterprise-form-uscc')).fill(badUscc())
  await page.locator(sel('enterprise-form-name')).fill(`校验位测试企业${uniq()}`)
  await pickArea(page, page.locator(sel('enterprise-form-area')), area)
  await page.locator(sel('enterprise-form-submit')).click()
  const err = page.locator(sel('enterprise-form-uscc-item') + ' .el-form-item__error')
  await err.waitFor()
  const text = await err.innerText()
  assert(text.includes('校验位'), `error under the credit code field: "${text}"`)
  // The dialog stays open with the input kept.
  assert(await page.locator(sel('enterprise-form')).isVisible(), 'form closed on error')
}

async function import_roster_with_bad_row({ open }) {
  const page = await open()
  await login(page)
  const api = await apiClient(page)
  const ent = await createEnterprise(api, `导入测试企业${uniq()}`)

  const seq = Math.floor(Math.random() * 900)
  const good1 = idNumber('19880315', seq)
  const bad = wrongCheck(idNumber('19920704', seq + 1))
  const good2 = idNumber('19790101', seq + 2)
  const csv = [
    '姓名,身份证号码,手机号码,入职日期,岗位,用工形式',
    `王小明,${good1},13800000001,2021-03-01,操作工,全日制`,
    `李小红,${bad},13800000002,2022-06-15,质检员,全日制`,
    `赵大山,${good2},13800000003,2020-09-01,仓管员,非全日制`,
  ].join('\r\n') + '\r\n'
  const { file, done } = tmpFile('职工名册.csv', csv)

  try {
    await page.goto(BASE + '/enterprises')
    await page.locator(sel('import-open')).click()
    await page.locator(sel('import-panel')).waitFor()
    await page.locator(sel('import-kind-workers')).click()
    await pickRemote(page, page.locator(sel('import-enterprise')), ent.name)
    await page.locator(sel('import-file')).setInputFiles(file)
    await page.locator(sel('import-submit')).click()
    const table = page.locator(sel('import-errors'))
    await table.waitFor({ timeout: 30000 })
    const rows = await table.locator('.el-table__body tr').allInnerTexts()
    const cells = rows.map((r) => r.split(/\t|\n/).map((s) => s.trim()).filter(Boolean))
    assert(cells.some((c) => c[0] === '3'), `row 3 not in the error table: ${JSON.stringify(cells)}`)
    assert(!cells.some((c) => c[0] === '2' || c[0] === '4'), `good rows reported: ${JSON.stringify(cells)}`)
    const failed = await page.locator(sel('import-failed')).innerText()
    assert(failed.includes('文件未导入，请修改后重新上传'), 'missing "文件未导入" text')
    assert(!(await page.locator(sel('import-done')).count()), 'success text shown')
    // Nothing was imported.
    const list = await api.get(`/workers?enterprise_id=${ent.id}&page_size=100`)
    assert(list.total === 0, `workers imported despite the bad row: ${list.total}`)
  } finally {
    done()
  }
}

async function logout_to_login({ open }) {
  const page = await open()
  await login(page)
  await page.locator(sel('logout')).click()
  await page.waitForURL((u) => u.pathname === '/login')
  await page.locator(sel('login-username')).waitFor()
  // The session is gone: the app sends us back to the login page.
  await page.goto(BASE + '/enterprises')
  await page.waitForURL((u) => u.pathname === '/login')
  const r = await page.context().request.get(BASE + '/api/v1/session')
  assert(r.status() === 401, `GET /api/v1/session after logout: ${r.status()}`)
}

async function phone_enterprises_no_overflow({ open }) {
  const page = await open(PHONE)
  await login(page)
  await page.goto(BASE + '/enterprises')
  await page.locator(sel('enterprise-table') + ' .el-table__row').first().waitFor()
  await page.waitForTimeout(300)
  const sw = await page.evaluate(() => document.documentElement.scrollWidth)
  assert(sw <= 375 + 1, `page is ${sw}px wide at 375px`)
  // The menu is a drawer behind a button, not a sidebar.
  await page.locator(sel('menu-toggle')).click()
  await page.locator(sel('nav-workers')).waitFor()
  // A dialog is full-screen on a phone.
  await page.keyboard.press('Escape')
  await page.locator(sel('nav-workers')).waitFor({ state: 'hidden' })
  await page.locator(sel('enterprise-new')).click()
  const dlg = page.locator('.el-dialog:visible', { has: page.locator(sel('enterprise-form')) })
  await dlg.waitFor()
  assert(await dlg.evaluate((el) => el.classList.contains('is-fullscreen')), 'dialog is not full-screen on a phone')
  const sw2 = await page.evaluate(() => document.documentElement.scrollWidth)
  assert(sw2 <= 375 + 1, `page is ${sw2}px wide with the dialog open`)
}

async function names_are_text_not_html({ open }) {
  const page = await open()
  await login(page)
  const api = await apiClient(page)
  const tag = uniq()
  const name = `<img src=x data-xss="${tag}">企业<b>${tag}</b>`
  await createEnterprise(api, name)
  await page.goto(BASE + '/enterprises?q=' + encodeURIComponent(tag))
  const row = page.locator(sel('enterprise-table') + ' .el-table__row', { hasText: tag }).first()
  await row.waitFor()
  assert((await row.innerText()).includes(name), 'name not shown literally')
  assert((await page.locator(`img[data-xss="${tag}"]`).count()) === 0, 'HTML from a name was rendered')
}

async function child_labor_error_under_field({ open }) {
  const page = await open()
  await login(page)
  const api = await apiClient(page)
  const ent = await createEnterprise(api, `童工校验测试企业${uniq()}`)
  await page.goto(BASE + `/enterprises/${ent.id}`)
  await page.locator(sel('worker-new')).click()
  await page.locator(sel('worker-form')).waitFor()
  // 15 years old on the hire date.
  const now = new Date()
  const birth = `${now.getFullYear() - 15}0101`
  await page.locator(sel('worker-form-name')).fill('童工测试')
  await page.locator(sel('worker-form-id-number')).fill(idNumber(birth, 7))
  const hire = page.locator(sel('worker-form-hire-date') + ' input')
  await hire.fill(`${now.getFullYear()}-01-02`)
  await hire.press('Enter')
  await page.locator(sel('worker-form-job')).click()
  await page.locator(sel('worker-form-submit')).click()
  const err = page.locator(sel('worker-form') + ' .el-form-item__error').first()
  await err.waitFor()
  const item = await err.evaluate((el) => el.closest('.el-form-item').querySelector('.el-form-item__label').textContent)
  assert(/身份证号码|入职日期/.test(item), `child-labour error under "${item}"`)
  const list = await api.get(`/workers?enterprise_id=${ent.id}`)
  assert(list.total === 0, 'child worker was saved')
}

async function reset_password_forces_change({ open }) {
  const page = await open()
  await login(page)
  const api = await apiClient(page)
  const area = await someArea(api)
  const username = `t${uniq().toLowerCase()}`
  const first = `Init-${uniq()}-pw`
  const second = `Next-${uniq()}-pw`
  await page.goto(BASE + '/users')
  await page.locator(sel('user-new')).click()
  await page.locator(sel('user-form-username')).fill(username)
  await page.locator(sel('user-form-display-name')).fill('测试街道干部')
  await page.locator(sel('user-form-password')).fill(first)
  await page.locator(sel('user-form-role')).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '乡镇/街道/园区工作人员' }).click()
  await pickArea(page, page.locator(sel('user-form-area')), area)
  await page.locator(sel('user-form-submit')).click()
  await page.locator(sel('user-dialog')).waitFor({ state: 'hidden' })
  const row = page.locator(sel('user-table') + ' .el-table__row', { hasText: username }).first()
  await row.waitFor()
  // 重置密码: a one-time password, shown once; the user must change it.
  await row.locator(sel('user-reset-password')).click()
  await page.locator('.el-message-box .el-button--primary').click()
  const otpBox = page.locator(sel('reset-password-value'))
  await otpBox.waitFor()
  const otp = (await otpBox.innerText()).trim()
  assert(otp.length >= 10, `one-time password "${otp}"`)
  await page.keyboard.press('Escape')
  await page.locator(sel('logout')).click()
  await page.waitForURL((u) => u.pathname === '/login')

  // First login: the change-password dialog cannot be dismissed.
  await login(page, username, otp)
  const dlg = page.locator(sel('password-dialog'))
  await dlg.waitFor()
  assert(!(await dlg.locator('.el-dialog__headerbtn').count()), 'the forced dialog can be closed')
  await page.locator(sel('password-old')).fill(otp)
  await page.locator(sel('password-new')).fill(second)
  await page.locator(sel('password-confirm')).fill(second)
  await page.locator(sel('password-submit')).click()
  await dlg.waitFor({ state: 'hidden' })
  // An area officer's menu: the registry, not the account pages.
  await page.locator(sel('nav-enterprises')).waitFor()
  assert((await page.locator(sel('nav-users')).count()) === 0, 'area officer sees 用户与角色')
  assert((await page.locator(sel('nav-audit')).count()) === 0, 'area officer sees 操作日志')
  await page.locator(sel('logout')).click()
  await page.waitForURL((u) => u.pathname === '/login')
  await login(page, username, second)
}

const TESTS = [
  admin_login,
  enterprise_create,
  enterprise_bad_credit_code,
  import_roster_with_bad_row,
  logout_to_login,
  phone_enterprises_no_overflow,
  names_are_text_not_html,
  child_labor_error_under_field,
  reset_password_forces_change,
]

runSuite(TESTS, { label: 'browser' })
