// Browser tests for 劳动用工体检 (health checks): headless Chromium (the
// system's /usr/bin/chromium) driven by playwright-core against a running
// server, as tests/browser/run.mjs and rating.mjs.
//
//   HEXIE_URL=http://127.0.0.1:18080 HEXIE_ADMIN_PASSWORD=… node tests/browser/checkup.mjs [name…]
//
// The server must hold a store made with `hexie init --demo`. Setup goes
// through the API (as the admin: an agency with a service contract, a check,
// an agency inspector and an enterprise_hr user); the step under test goes
// through the UI. The tests build on each other (inspection → report →
// rectification → follow-up and re-grading) but each one makes what it needs
// through the API when run alone. Prints `ok - name` / `not ok - name` and
// `checkup-browser: N passed, M failed`.
import { ADMIN_PASSWORD, ADMIN_USER, Api, BASE, PHONE, YEAR, admin, assert, confirmBox, daysFromNow, eventually, fillDate, login, makeUser, pageWidth, runSuite, sel, tmpFile, uniq, usccSeries } from './lib.mjs'

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f1bd6b0000000049454e44ae426082', 'hex')

// A valid 统一社会信用代码 (GB 32100-2015) not used yet.
const uscc = usccSeries('MB')

// ---------------------------------------------------------------- shared state

const S = {
  checklist: null,
  agency: null, // {org, contract}
  inspector: null, // {username, password}
  check: null, // the check the inspector works on (id, enterprise)
  risky: null, // checklist item marked 风险 on it
  hr: null, // {username, password} of the check's enterprise
}

async function checklist() {
  if (!S.checklist) S.checklist = await (await admin()).get('/checkup/checklist')
  return S.checklist
}

// A 较大 item the platform does not answer and that raises no flag: one such
// risk grades B, and A once it is rectified.
async function riskyItem() {
  if (!S.risky) S.risky = (await checklist()).items.find((i) => i.severity === '较大' && !i.auto && !(i.flags || []).length)
  assert(S.risky, 'no 较大 item without auto answer or flags in the checklist')
  return S.risky
}

async function newEnterprise(prefix = '浏览器体检企业') {
  const a = await admin()
  const { items: areas } = await a.get('/areas')
  const area = areas.find((x) => x.kind !== 'county') || areas[0]
  return a.post('/enterprises', { uscc: uscc(), name: `${prefix}${uniq()}`, area_id: area.id, employee_count: 20, is_sme: true })
}

async function ensureAgency() {
  if (S.agency) return S.agency
  const a = await admin()
  const org = await a.post('/organizations', { name: `浏览器体检服务机构${uniq()}`, kind: 'agency' })
  const { items } = await a.post('/checkup/contracts', { org_id: org.id, year: YEAR, check_count: 10, fee: 30000 })
  S.agency = { org, contract: items.find((k) => k.org_id === org.id) }
  return S.agency
}

async function ensureInspector() {
  if (S.inspector) return S.inspector
  const { org } = await ensureAgency()
  S.inspector = await makeUser({ display_name: '体检员小王', role: 'agency', org_id: org.id })
  return S.inspector
}

// A check of a new enterprise assigned to the agency.
async function newCheck() {
  const { org, contract } = await ensureAgency()
  const e = await newEnterprise()
  const c = await (await admin()).post('/checkup/checks', { enterprise_id: e.id, org_id: org.id, contract_id: contract.id, year: YEAR, scheduled_on: daysFromNow(3) })
  return { id: c.id, enterprise: e }
}

async function ensureCheck() {
  if (!S.check) S.check = await newCheck()
  return S.check
}

// The check reported with one 较大 risk (through the API when the UI test
// did not do it).
async function ensureReported() {
  const c = await ensureCheck()
  const insp = await ensureInspector()
  const u = await Api.login(insp.username, insp.password)
  const k = await u.get(`/checkup/checks/${c.id}`)
  if (!k.reported_at) {
    const risky = await riskyItem()
    const body = {}
    for (const it of (await checklist()).items) {
      if (k.answers[it.id] && k.answers[it.id].auto) continue
      body[it.id] = it.id === risky.id ? { result: 'risk', note: '接口准备：制度未公示' } : { result: 'pass', note: '' }
    }
    await u.put(`/checkup/checks/${c.id}/answers`, body)
    await u.post(`/checkup/checks/${c.id}/finish`)
  }
  return c
}

async function ensureHr() {
  if (S.hr) return S.hr
  const c = await ensureCheck()
  S.hr = await makeUser({ display_name: '体检企业人事', role: 'enterprise_hr', enterprise_id: c.enterprise.id })
  return S.hr
}

// The report acknowledged and the risk rectified by the enterprise.
async function ensureRectified() {
  const c = await ensureReported()
  const hr = await ensureHr()
  const u = await Api.login(hr.username, hr.password)
  const k = await u.get(`/checkup/checks/${c.id}`)
  if (!k.acknowledged_at) await u.post(`/checkup/checks/${c.id}/acknowledge`)
  const risky = await riskyItem()
  const r = (await u.get(`/checkup/checks/${c.id}`)).rectifications.find((x) => x.item_id === risky.id)
  if (r && r.status === 'open') await u.put(`/checkup/checks/${c.id}/rectifications`, { [risky.id]: { action: '接口准备的整改措施', due_on: daysFromNow(20) } })
  return c
}

// ---------------------------------------------------------------- UI helpers

async function openInspect(page, checkId) {
  await page.goto(BASE + `/checkup/checks/${checkId}/inspect`)
  await page.locator(sel('inspect-status')).waitFor()
  const toggle = page.locator(sel('inspect-expand-all'))
  if ((await toggle.innerText()).includes('展开')) await toggle.click()
}

// ---------------------------------------------------------------- tests

async function admin_draws_targets_and_assigns({ open }) {
  const a = await admin()
  // A year whose list is not fixed yet (the picker offers next year and a
  // few back).
  let year = null
  for (const y of [YEAR + 1, YEAR, YEAR - 1, YEAR - 2, YEAR - 3]) {
    const t = await a.get('/checkup/targets', { year: y })
    if (!t.items.some((x) => x.fixed)) { year = y; break }
  }
  assert(year, 'every year offered already has a fixed list')
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  // The menu group is there for the admin, with every entry.
  for (const n of ['checkup-targets', 'checkup-contracts', 'checkup-checks', 'checkup-warnings', 'checkup-training']) {
    await page.locator(sel('nav-' + n)).waitFor()
  }
  await page.locator(sel('nav-checkup-targets')).click()
  await page.waitForURL((u) => u.pathname === '/checkup/targets')
  await page.locator(sel('targets-year')).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: `${year}年度` }).click()
  const before = (await a.get('/checkup/targets', { year })).items.length
  await page.locator(sel(before ? 'targets-draft' : 'targets-empty')).waitFor()
  await page.locator(sel('targets-generate')).click()
  // A list drawn before is topped up after a question.
  if (before) await confirmBox(page)
  await page.locator(sel('targets-table') + ' .el-table__row').first().waitFor()
  const list = await eventually(async () => {
    const t = await a.get('/checkup/targets', { year })
    return t.items.length > 0 && t
  }, 'the list to be generated')
  // Reasons show as tags.
  const first = page.locator(sel('targets-table') + ' .el-table__row').first()
  assert((await first.locator(sel('target-reasons') + ' .el-tag').count()) > 0, 'no reason tags in the first row')
  assert((await page.locator(sel('targets-count')).innerText()).includes(`共${list.items.length}家`), 'count line')

  // Take one enterprise out of the list, with a note.
  const t = list.items.find((x) => x.included && !x.check_id)
  assert(t, 'no included target without a check')
  // (Demo names repeat across areas: the credit code is the key.)
  await page.locator(sel('targets-q')).fill(t.uscc)
  const row = page.locator(sel('targets-table') + ' .el-table__row', { hasText: t.uscc })
  await row.waitFor()
  assert((await page.locator(sel('targets-table') + ' .el-table__row').count()) === 1, 'the search leaves one row')
  await row.locator(sel('target-included')).click()
  await eventually(async () => !(await a.get('/checkup/targets', { year })).items.find((x) => x.id === t.id).included, 'included=false to be saved')
  await row.locator(sel('target-note')).fill('已停产')
  await row.locator(sel('target-note')).press('Enter')
  await eventually(async () => (await a.get('/checkup/targets', { year })).items.find((x) => x.id === t.id).note === '已停产', 'the note to be saved')
  // Back in, then 委托体检 from the row to the task force.
  await row.locator(sel('target-included')).click()
  await eventually(async () => (await a.get('/checkup/targets', { year })).items.find((x) => x.id === t.id).included, 'included=true to be saved')
  await row.locator(sel('target-assign')).click()
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(sel('assign-form')) })
  await dialog.waitFor()
  assert((await dialog.locator(sel('assign-enterprise')).innerText()).includes(t.enterprise_name) ||
    (await dialog.locator(sel('assign-enterprise') + ' input').inputValue().catch(() => '')).includes(t.enterprise_name) ||
    (await dialog.innerText()).includes(t.enterprise_name), 'the enterprise is chosen in the dialog')
  const tf = (await a.get('/organizations')).items.find((o) => o.kind === 'task_force')
  await dialog.locator(sel('assign-org')).click()
  await page.locator(sel('org-option-' + tf.id) + ':visible').click()
  await dialog.locator(sel('assign-submit')).click()
  await dialog.waitFor({ state: 'hidden' })
  await row.locator(sel('target-check')).waitFor()
  const after = (await a.get('/checkup/targets', { year })).items.find((x) => x.id === t.id)
  assert(after.check_id, 'target has no check after 委托体检')
  const k = await a.get(`/checkup/checks/${after.check_id}`)
  assert(k.org_id === tf.id && k.status === 'assigned' && k.year === year, `check ${JSON.stringify({ org: k.org_id, status: k.status, year: k.year })}`)
}

async function admin_signs_contract_and_assigns({ open }) {
  const a = await admin()
  const org = await a.post('/organizations', { name: `浏览器合同机构${uniq()}`, kind: 'agency' })
  const e = await newEnterprise('浏览器委托企业')
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.goto(BASE + '/checkup/contracts')
  await page.locator(sel('contract-new')).click()
  const form = page.locator('.el-dialog:visible', { has: page.locator(sel('contract-form')) })
  await form.waitFor()
  await form.locator(sel('contract-form-org')).click()
  await page.locator(sel('org-option-' + org.id) + ':visible').click()
  await form.locator(sel('contract-form-count') + ' input').fill('3')
  await form.locator(sel('contract-form-fee') + ' input').fill('12000')
  await form.locator(sel('contract-form-submit')).click()
  await form.waitFor({ state: 'hidden' })
  const crow = page.locator(sel('contracts-table') + ' .el-table__row', { hasText: org.name })
  await crow.waitFor()
  const ctext = await crow.innerText()
  assert(ctext.includes('0 / 3') && ctext.includes('12,000.00'), `contract row: ${ctext}`)
  const k = (await a.get('/checkup/contracts', { year: YEAR })).items.find((x) => x.org_id === org.id)
  assert(k && k.check_count === 3 && Number(k.fee) === 12000, `contract ${JSON.stringify(k)}`)

  // 新建委托: enterprise by remote search, the agency, its contract.
  await page.goto(BASE + '/checkup/checks')
  await page.locator(sel('check-new')).click()
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(sel('assign-form')) })
  await dialog.waitFor()
  await dialog.locator(sel('assign-enterprise')).click()
  await dialog.locator(sel('assign-enterprise') + ' input').fill(e.name)
  await page.locator('.el-select-dropdown__item:visible', { hasText: e.name }).click()
  await dialog.locator(sel('assign-org')).click()
  await page.locator(sel('org-option-' + org.id) + ':visible').click()
  // The only contract of the agency is taken.
  await dialog.locator(sel('assign-contract'), { hasText: '3家' }).waitFor()
  await fillDate(page, dialog.locator(sel('assign-date')), daysFromNow(7))
  await dialog.locator(sel('assign-submit')).click()
  await page.waitForURL((u) => /^\/checkup\/checks\/\d+$/.test(u.pathname))
  const id = Number(new URL(page.url()).pathname.split('/').pop())
  await page.locator(sel('check-enterprise'), { hasText: e.name }).waitFor()
  const c = await a.get(`/checkup/checks/${id}`)
  assert(c.org_id === org.id && c.enterprise_id === e.id && c.scheduled_on === daysFromNow(7), `check ${JSON.stringify({ org: c.org_id, e: c.enterprise_id, d: c.scheduled_on })}`)
  assert((await a.get('/checkup/contracts', { year: YEAR })).items.find((x) => x.org_id === org.id).used === 1, 'contract used')
  // The detail page lists the papers to prepare.
  assert((await page.locator(sel('check-papers') + ' ' + sel('paper')).count()) === c.papers.length, 'papers list')
  assert((await page.locator(sel('check-papers')).innerText()).includes('劳动合同管理'), 'papers grouped by area')
}

async function inspector_on_a_phone({ open }) {
  const c = await ensureCheck()
  const insp = await ensureInspector()
  const list = await checklist()
  const risky = await riskyItem()
  const page = await open(PHONE)
  await login(page, insp.username, insp.password)
  // The inspector's menu: 体检任务 and 培训重点名单, not the county's pages.
  await page.locator(sel('menu-toggle')).click()
  await page.locator(sel('nav-checkup-checks')).waitFor()
  assert((await page.locator(sel('nav-checkup-targets')).count()) === 0, 'inspector sees 体检名单')
  assert((await page.locator(sel('nav-checkup-warnings')).count()) === 0, 'inspector sees 预警处置')
  await page.locator(sel('nav-checkup-checks')).click()
  const card = page.locator(sel('check-card'), { hasText: c.enterprise.name })
  await card.waitFor()
  await card.locator(sel('check-inspect')).click()
  await page.waitForURL((u) => u.pathname === `/checkup/checks/${c.id}/inspect`)
  await page.locator(sel('inspect-status')).waitFor()
  assert((await pageWidth(page)) <= 376, `inspect page is ${await pageWidth(page)} px wide on a 375 px phone`)
  const toggle = page.locator(sel('inspect-expand-all'))
  if ((await toggle.innerText()).includes('展开')) await toggle.click()

  // The platform answers the child-labor item itself.
  const child = list.items.find((i) => i.auto === 'child_labor')
  const childBox = page.locator(sel('inspect-item-' + child.id))
  await childBox.locator(sel('auto-tag')).waitFor()
  assert((await childBox.locator(sel('auto-note')).innerText()).includes('未满16周岁'), 'platform note on the child-labor item')
  // 查看要点 opens the check, papers and basis.
  const firstBox = page.locator(sel('inspect-item-' + list.items[0].id))
  await firstBox.locator(sel('points-toggle')).click()
  const pts = await firstBox.locator(sel('points')).innerText()
  assert(pts.includes('检查要点') && pts.includes('法律依据') && pts.includes(list.items[0].basis[0].law), 'points text')
  // Big buttons for a thumb.
  const btn = await firstBox.locator(sel('result-pass')).boundingBox()
  assert(btn && btn.height >= 44 && btn.width >= 90, `合格 button is ${btn && btn.width}×${btn && btn.height}`)

  const k0 = await (await Api.login(insp.username, insp.password)).get(`/checkup/checks/${c.id}`)
  for (const it of list.items) {
    if (k0.answers[it.id] && k0.answers[it.id].auto) continue
    const box = page.locator(sel('inspect-item-' + it.id))
    if (it.id === risky.id) {
      await box.locator(sel('result-risk')).click()
      await box.locator(sel('note')).fill('规章制度未经民主程序，也未向职工公示')
    } else {
      await box.locator(sel('result-pass')).click()
    }
    await box.locator(sel('save-state') + '[data-state="saved"]', { hasText: '已保存' }).waitFor()
  }
  // Everything answered: the bar is full, everything saved.
  await page.locator(sel('inspect-progress'), { hasText: `${list.items.length}/${list.items.length}` }).waitFor()
  assert((await page.locator(sel('inspect-progress-bar')).getAttribute('aria-valuenow')) === '100', 'progress bar not full')
  await page.locator(sel('inspect-all-saved')).waitFor()
  const u = await Api.login(insp.username, insp.password)
  const k = await eventually(async () => {
    const x = await u.get(`/checkup/checks/${c.id}`)
    return x.answers[risky.id] && x.answers[risky.id].note === '规章制度未经民主程序，也未向职工公示' && x
  }, 'the risk note to be saved')
  assert(k.answers[risky.id].result === 'risk', 'risk saved')
  assert(list.items.every((i) => k.answers[i.id]), 'not every item answered on the server')

  // A photo for the risk.
  const png = tmpFile('现场照片.png', PNG)
  try {
    await page.locator(sel('inspect-item-' + risky.id) + ' ' + sel('file-input')).setInputFiles(png.file)
    await page.locator(sel('inspect-item-' + risky.id) + ' ' + sel('site-file')).waitFor()
  } finally {
    png.done()
  }

  // 生成报告 → the report with the grade and the risk's advice.
  await page.locator(sel('inspect-finish')).click()
  await confirmBox(page)
  await page.waitForURL((u2) => u2.pathname === `/checkup/checks/${c.id}/report`)
  await page.locator(sel('report-cover')).waitFor()
  const grade = (await page.locator(sel('report-grade') + ' ' + sel('grade-now')).innerText()).trim()
  assert(grade === 'B', `grade ${grade}, expected B for one 较大 risk`)
  const riskBox = page.locator(sel('risk-' + risky.id))
  await riskBox.waitFor()
  assert((await riskBox.locator(sel('risk-advice')).innerText()).trim() === risky.advice.trim(), 'the advice of the risk')
  assert((await riskBox.locator(sel('risk-note')).innerText()).includes('未向职工公示'), 'the note of the risk')
  await page.locator(sel('radar-chart') + ' svg').first().waitFor()
  assert((await pageWidth(page)) <= 376, `report is ${await pageWidth(page)} px wide on a phone`)
  const done = await u.get(`/checkup/checks/${c.id}`)
  assert(done.status === 'reported' && done.grade === 'B', `check ${done.status} ${done.grade}`)
}

async function offline_answers_are_kept({ open }) {
  const c = await newCheck()
  const insp = await ensureInspector()
  const list = await checklist()
  const [a1, a2, a3] = list.items.filter((i) => !i.auto)
  const u = await Api.login(insp.username, insp.password)
  const page = await open(PHONE)
  await login(page, insp.username, insp.password)
  await openInspect(page, c.id)
  const box1 = page.locator(sel('inspect-item-' + a1.id))
  await box1.locator(sel('result-pass')).click()
  await box1.locator(sel('save-state') + '[data-state="saved"]').waitFor()

  // Offline: the change shows as not sent and stays on the device.
  await page.context().setOffline(true)
  await page.locator(sel('inspect-offline')).waitFor()
  const box2 = page.locator(sel('inspect-item-' + a2.id))
  await box2.locator(sel('result-risk')).click()
  await box2.locator(sel('note')).fill('离线记录：未签订书面合同3人')
  const failed = box2.locator(sel('save-state') + '[data-state="error"]')
  await failed.waitFor()
  assert((await failed.innerText()).includes('保存失败'), `state: ${await failed.innerText()}`)
  const stored = await page.evaluate((id) => Object.entries(localStorage).filter(([k]) => k.startsWith('hexie.checkup.unsent.') && k.endsWith('.' + id)).map(([, v]) => v), c.id)
  assert(stored.length === 1 && stored[0].includes(a2.id) && stored[0].includes('离线记录'), `localStorage: ${stored}`)
  let k = await u.get(`/checkup/checks/${c.id}`)
  assert(!k.answers[a2.id], 'answer reached the server while offline')

  // Back online: sent by itself.
  await page.context().setOffline(false)
  await box2.locator(sel('save-state') + '[data-state="saved"]').waitFor()
  await eventually(async () => {
    const x = await u.get(`/checkup/checks/${c.id}`)
    return x.answers[a2.id] && x.answers[a2.id].result === 'risk' && x.answers[a2.id].note === '离线记录：未签订书面合同3人'
  }, 'the offline answer to arrive')
  await page.locator(sel('inspect-all-saved')).waitFor()
  const left = await page.evaluate((id) => Object.keys(localStorage).filter((x) => x.startsWith('hexie.checkup.unsent.') && x.endsWith('.' + id)).length, c.id)
  assert(left === 0, 'unsent answers left in localStorage after they were saved')

  // The server out of reach and the page closed: the next visit sends it.
  await page.route('**/api/v1/checkup/checks/*/answers', (r) => r.abort('connectionrefused'))
  const box3 = page.locator(sel('inspect-item-' + a3.id))
  await box3.locator(sel('result-na')).click()
  await box3.locator(sel('save-state') + '[data-state="error"]').waitFor()
  await page.locator(sel('inspect-unsent')).waitFor()
  await page.unroute('**/api/v1/checkup/checks/*/answers')
  await page.close()
  const again = await page.context().newPage()
  await openInspect(again, c.id)
  await again.locator(sel('inspect-item-' + a3.id) + '[data-result="na"]').waitFor()
  await eventually(async () => {
    k = await u.get(`/checkup/checks/${c.id}`)
    return k.answers[a3.id] && k.answers[a3.id].result === 'na'
  }, 'the answer kept on the device to be sent on the next visit')
  await again.locator(sel('inspect-item-' + a3.id) + ' ' + sel('save-state') + '[data-state="saved"]').waitFor()

  // Generating the report early: the button waits for every item.
  assert(await again.locator(sel('inspect-finish')).isDisabled(), '生成报告 enabled with items unanswered')
}

async function enterprise_acknowledges_rectifies_rates({ open }) {
  const c = await ensureReported()
  const hr = await ensureHr()
  const risky = await riskyItem()
  const page = await open()
  await login(page, hr.username, hr.password)
  await page.locator(sel('nav-checkup-checks')).waitFor()
  assert((await page.locator(sel('nav-checkup-targets')).count()) === 0, 'enterprise user sees 体检名单')
  await page.locator(sel('nav-checkup-checks')).click()
  const row = page.locator(sel('checks-table') + ' .el-table__row', { hasText: c.enterprise.name }).first()
  await row.waitFor()
  await row.locator(sel('check-report')).click()
  await page.waitForURL((u) => u.pathname === `/checkup/checks/${c.id}/report`)
  await page.locator(sel('report-cover')).waitFor()
  assert((await page.locator(sel('report-pdf')).getAttribute('href')) === `/api/v1/checkup/checks/${c.id}/report.pdf`, 'PDF link')
  const riskBox = page.locator(sel('risk-' + risky.id))
  assert((await riskBox.locator(sel('risk-case')).count()) === 1, 'typical case missing')
  assert((await riskBox.locator(sel('risk-basis')).innerText()).includes(risky.basis[0].law), 'basis missing')
  // Nothing to fill before the report is acknowledged.
  assert((await riskBox.locator(sel('rect-action')).count()) === 0, 'rectification form before 确认已阅')
  assert((await riskBox.locator(sel('followup-box')).count()) === 0, 'enterprise sees the follow-up form')

  await page.locator(sel('report-ack')).click()
  await page.locator(sel('report-acked')).waitFor()
  assert((await page.locator(sel('report-ack')).count()) === 0, '确认已阅 still offered')

  // The rectification: action, due date, evidence (a script named .png is refused).
  await riskBox.locator(sel('rect-action')).fill('已召开职工代表大会审议规章制度并在公告栏公示')
  await fillDate(page, riskBox.locator(sel('rect-due')), daysFromNow(30))
  const bad = tmpFile('伪装.png', Buffer.from('#!/bin/sh\necho hi\n'))
  const good = tmpFile('公示照片.png', PNG)
  try {
    await riskBox.locator(sel('rect-file-input')).setInputFiles(bad.file)
    const err = riskBox.locator(sel('rect-file-error'))
    await err.waitFor()
    assert((await err.innerText()).includes('只能上传照片'), `415 text: ${await err.innerText()}`)
    await riskBox.locator(sel('rect-file-input')).setInputFiles(good.file)
    await riskBox.locator(sel('rect-file'), { hasText: '公示照片.png' }).waitFor()
  } finally {
    bad.done()
    good.done()
  }
  await riskBox.locator(sel('rect-save')).click()
  await riskBox.locator(sel('risk-rect-status'), { hasText: '已填报整改' }).waitFor()
  const u = await Api.login(hr.username, hr.password)
  const k = await u.get(`/checkup/checks/${c.id}`)
  const r = k.rectifications.find((x) => x.item_id === risky.id)
  assert(r.status === 'answered' && r.action.includes('职工代表大会') && r.due_on === daysFromNow(30), `rectification ${JSON.stringify(r)}`)
  assert(k.files.some((f) => f.kind === 'rectification' && f.item_id === risky.id && f.filename === '公示照片.png'), 'evidence file')
  assert(k.status === 'rectifying', `status ${k.status}`)

  // Satisfaction, once.
  const sat = page.locator(sel('satisfaction'))
  for (const [key, stars] of [['professional', 5], ['on_time', 4], ['advice_useful', 5], ['attitude', 5], ['overall', 5]]) {
    await sat.locator(sel('rate-' + key) + ' .el-rate__item').nth(stars - 1).click()
  }
  await sat.locator(sel('rate-comment')).fill('建议具体，照着就能改')
  await sat.locator(sel('rate-submit')).click()
  await sat.locator(sel('satisfaction-done')).waitFor()
  assert((await sat.locator(sel('rate-submit')).count()) === 0, 'the form is still there after rating')
  assert((await u.get(`/checkup/checks/${c.id}`)).rated === true, 'rated flag')
}

async function inspector_follows_up_and_regrades({ open }) {
  const c = await ensureRectified()
  const insp = await ensureInspector()
  const risky = await riskyItem()
  const page = await open()
  await login(page, insp.username, insp.password)
  await page.goto(BASE + `/checkup/checks/${c.id}/report`)
  await page.locator(sel('report-cover')).waitFor()
  const riskBox = page.locator(sel('risk-' + risky.id))
  assert((await riskBox.locator(sel('rect-read')).innerText()).length > 0, 'the enterprise\'s rectification is shown')
  // Too early: the risk is not confirmed yet.
  await page.locator(sel('report-regrade')).click()
  await confirmBox(page)
  await page.locator('.el-message--error', { hasText: '未经回访确认' }).waitFor()
  // The follow-up visit confirms it; then the grade goes up, the old one kept.
  await riskBox.locator(sel('followup-yes')).click()
  await riskBox.locator(sel('followup-note')).fill('现场查看公示记录，整改到位')
  await riskBox.locator(sel('followup-save')).click()
  await riskBox.locator(sel('risk-rect-status'), { hasText: '回访确认到位' }).waitFor()
  await page.locator(sel('report-regrade')).click()
  await confirmBox(page)
  const g = page.locator(sel('report-grade'))
  await g.locator(sel('grade-from'), { hasText: 'B' }).waitFor()
  assert((await g.locator(sel('grade-now')).innerText()).trim() === 'A', 'new grade A')
  await page.locator(sel('report-regraded')).waitFor()
  const k = await (await Api.login(insp.username, insp.password)).get(`/checkup/checks/${c.id}`)
  assert(k.grade === 'A' && k.regraded_from === 'B', `grade ${k.regraded_from} → ${k.grade}`)
  assert(k.rectifications.find((x) => x.item_id === risky.id).followup_note === '现场查看公示记录，整改到位', 'follow-up note')
  // The checks list shows both grades.
  await page.goto(BASE + '/checkup/checks')
  const row = page.locator(sel('checks-table') + ' .el-table__row', { hasText: c.enterprise.name }).first()
  await row.locator(sel('grade-from'), { hasText: 'B' }).waitFor()
  // Archive: read-only from now on.
  await page.goto(BASE + `/checkup/checks/${c.id}/report`)
  await page.locator(sel('report-close')).click()
  await confirmBox(page)
  await page.locator(sel('report-closed')).waitFor()
  assert((await page.locator(sel('followup-box')).count()) === 0, 'follow-up still offered after archiving')
  assert((await page.locator(sel('report-regrade')).count()) === 0, 'regrade still offered after archiving')
}

async function admin_handles_warnings({ open }) {
  const a = await admin()
  const list = await checklist()
  const wage = list.items.find((i) => (i.flags || []).includes('wage_arrears'))
  assert(wage, 'no wage-arrears item')
  // A check with unpaid wages, done by the task force through the API.
  const e = await newEnterprise('浏览器欠薪企业')
  const tf = (await a.get('/organizations')).items.find((o) => o.kind === 'task_force')
  const c = await a.post('/checkup/checks', { enterprise_id: e.id, org_id: tf.id, year: YEAR })
  const body = {}
  for (const it of list.items) if (!(c.answers[it.id] && c.answers[it.id].auto)) body[it.id] = { result: it.id === wage.id ? 'risk' : 'pass', note: '' }
  await a.put(`/checkup/checks/${c.id}/answers`, body)
  const rep = await a.post(`/checkup/checks/${c.id}/finish`)
  assert(rep.check.grade === 'D', `wage arrears grade ${rep.check.grade}`)

  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.locator(sel('nav-checkup-warnings')).click()
  await page.waitForURL((u) => u.pathname === '/checkup/warnings')
  const row = page.locator(sel('warnings-table') + ' .el-table__row', { hasText: e.name }).first()
  await row.waitFor()
  assert((await row.innerText()).includes(wage.title.slice(0, 10)), 'the item title in the row')
  assert((await row.locator(sel('warning-dot')).getAttribute('data-color')) === 'green', 'a new warning is green')
  await row.locator(sel('warning-handle')).click()
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(sel('warning-form-note')) })
  await dialog.waitFor()
  await dialog.locator(sel('warning-status-in_hand')).click()
  await dialog.locator(sel('warning-form-note')).fill('已立案调查')
  await dialog.locator(sel('warning-form-submit')).click()
  await dialog.waitFor({ state: 'hidden' })
  await row.locator(sel('warning-status'), { hasText: '办理中' }).waitFor()
  const w = (await a.get('/checkup/warnings', { kind: 'inspection' })).items.find((x) => x.check_id === c.id)
  assert(w.status === 'in_hand' && w.note === '已立案调查', `warning ${JSON.stringify(w)}`)
  // The arbitration tab answers too (may be empty).
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/checkup/warnings?kind=arbitration')),
    page.locator('.el-tabs__item', { hasText: '劳动仲裁' }).click(),
  ])
  await page.locator(sel('warnings-table') + ' .el-loading-mask').waitFor({ state: 'hidden' })
  assert((await page.locator(sel('warnings-table') + ' .el-table__row', { hasText: e.name }).count()) === 0, 'an inspection warning under 劳动仲裁')

  // The D enterprise is on the training priority list.
  await page.locator(sel('nav-checkup-training')).click()
  const trow = page.locator(sel('training-table') + ' .el-table__row', { hasText: e.name }).first()
  await trow.waitFor()
  assert((await trow.locator(sel('grade-now')).innerText()).trim() === 'D', 'grade D on the training list')
}

const TESTS = [
  admin_draws_targets_and_assigns,
  admin_signs_contract_and_assigns,
  inspector_on_a_phone,
  offline_answers_are_kept,
  enterprise_acknowledges_rectifies_rates,
  inspector_follows_up_and_regrades,
  admin_handles_warnings,
]

runSuite(TESTS, { label: 'checkup-browser', shot: 'checkup-', allPages: true, offline: true })
