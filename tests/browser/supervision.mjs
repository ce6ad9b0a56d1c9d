// Browser tests for the supervision of health-check agencies (劳动用工体检:
// 分阶段验收, 抽查, 机构监管, 区域分析, 批量生成报告, 档案包): headless
// Chromium (the system's /usr/bin/chromium) driven by playwright-core
// against a running server, as tests/browser/checkup.mjs.
//
//   HEXIE_URL=http://127.0.0.1:18080 HEXIE_ADMIN_PASSWORD=… node tests/browser/supervision.mjs [name…]
//
// The server must hold a store made with `hexie init --demo`. Setup goes
// through the API (as the admin: an agency with a service contract, an
// agency inspector and three checks answered and finished, one of them with
// a risk); the step under test goes through the UI. The tests build on each
// other (batch → spot check, return, acceptance → agency page) but each one
// makes what it needs through the API when run alone. Prints `ok - name` /
// `not ok - name` and `supervision-browser: N passed, M failed`.
import { ADMIN_PASSWORD, ADMIN_USER, Api, BASE, PHONE, YEAR, admin, assert, confirmBox, eventually, login, makeUser, pageWidth, runSuite, sel, uniq, usccSeries } from './lib.mjs'

// A valid 统一社会信用代码 (GB 32100-2015) not used yet.
const uscc = usccSeries('MB')

// ---------------------------------------------------------------- shared state

const S = {
  agency: null, // {org, contract}
  inspector: null, // {username, password}
  checks: null, // the three reported checks [{id, enterprise}]
  batch: null, // the batch the inspector submitted (id)
  spot: false, // a check of the batch recorded 真实
}

async function ensureAgency() {
  if (S.agency) return S.agency
  const a = await admin()
  const org = await a.post('/organizations', { name: `浏览器监管机构${uniq()}`, kind: 'agency' })
  const { items } = await a.post('/checkup/contracts', { org_id: org.id, year: YEAR, check_count: 10, fee: 30000 })
  S.agency = { org, contract: items.find((k) => k.org_id === org.id) }
  return S.agency
}

async function ensureInspector() {
  if (S.inspector) return S.inspector
  const { org } = await ensureAgency()
  S.inspector = await makeUser({ display_name: '监管测试体检员', role: 'agency', org_id: org.id })
  return S.inspector
}

async function inspectorApi() {
  const i = await ensureInspector()
  return Api.login(i.username, i.password)
}

// A check of a new enterprise, answered (one 风险 when `risky`) and finished
// by the agency's inspector.
async function reportedCheck(risky = false) {
  const a = await admin()
  const { org, contract } = await ensureAgency()
  const { items: areas } = await a.get('/areas')
  const area = areas.find((x) => x.kind !== 'county') || areas[0]
  const e = await a.post('/enterprises', { uscc: uscc(), name: `浏览器验收企业${uniq()}`, area_id: area.id, employee_count: 30, industry: 'C', is_sme: true })
  const c = await a.post('/checkup/checks', { enterprise_id: e.id, org_id: org.id, contract_id: contract.id, year: YEAR })
  const { items } = await a.get('/checkup/checklist')
  const u = await inspectorApi()
  const k = await u.get(`/checkup/checks/${c.id}`)
  const body = {}
  const riskItem = items.find((i) => i.severity === '较大' && !i.auto && !(i.flags || []).length)
  for (const it of items) {
    if (k.answers[it.id] && k.answers[it.id].auto) continue
    body[it.id] = risky && it.id === riskItem.id ? { result: 'risk', note: '制度未公示' } : { result: 'pass', note: '' }
  }
  await u.put(`/checkup/checks/${c.id}/answers`, body)
  await u.post(`/checkup/checks/${c.id}/finish`)
  return { id: c.id, enterprise: e }
}

async function ensureChecks() {
  if (!S.checks) S.checks = [await reportedCheck(true), await reportedCheck(), await reportedCheck()]
  return S.checks
}

async function ensureBatch() {
  if (S.batch) return S.batch
  const checks = await ensureChecks()
  const u = await inspectorApi()
  S.batch = (await u.post('/checkup/batches', { check_ids: checks.map((c) => c.id) })).id
  return S.batch
}

// ---------------------------------------------------------------- UI helpers

async function pickOption(page, selectLocator, text) {
  await selectLocator.click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
}

// A file link of the page fetched with the page's cookies.
async function fetchLink(page, locator) {
  const href = await locator.getAttribute('href')
  assert(href && href.startsWith('/api/v1/'), `link ${href}`)
  const r = await page.request.get(BASE + href)
  return { href, status: r.status(), body: await r.body(), type: r.headers()['content-type'] || '' }
}

// ---------------------------------------------------------------- tests

// The agency's inspector, on a phone, submits the three reported checks.
async function inspector_submits_batch({ open }) {
  const checks = await ensureChecks()
  const insp = await ensureInspector()
  const page = await open(PHONE)
  await login(page, insp.username, insp.password)
  await page.goto(BASE + '/checkup/batches')
  await page.locator(sel('batch-submit-card')).waitFor()
  for (const c of checks) {
    const box = page.locator(sel('batch-candidate') + `[data-check="${c.id}"]`)
    await box.waitFor()
    assert((await box.innerText()).includes(c.enterprise.name), `candidate ${c.id} names its enterprise`)
    await box.click()
  }
  assert(await page.locator(sel('batch-submit')).isEnabled(), 'submit enabled')
  assert((await page.locator(sel('batch-submit')).innerText()).includes('3家'), 'three picked')
  assert((await pageWidth(page)) <= 376, `no sideways scroll on a phone: ${await pageWidth(page)}`)
  await page.locator(sel('batch-submit')).click()
  await page.waitForURL((u) => /^\/checkup\/batches\/\d+$/.test(u.pathname))
  S.batch = Number(new URL(page.url()).pathname.split('/').pop())
  await page.locator(sel('batch-status'), { hasText: '待验收' }).waitFor()
  assert((await page.locator(sel('batch-count')).innerText()).trim() === '3', 'three checks in the batch')
  // No accept/return for the agency.
  assert((await page.locator(sel('batch-accept')).count()) === 0, 'an agency cannot accept')
  const b = await (await admin()).get(`/checkup/batches/${S.batch}`)
  assert(b.status === 'submitted' && b.checks.length === 3, `batch ${JSON.stringify(b).slice(0, 200)}`)
  // Back on the list the checks are no longer offered.
  await page.goto(BASE + '/checkup/batches')
  await page.locator(sel('batch-row')).first().waitFor()
  assert((await page.locator(sel('batch-candidate') + `[data-check="${checks[0].id}"]`).count()) === 0, 'a batched check is not offered again')
}

// The admin draws 50 %, records one drawn check as 真实, returns the batch;
// the inspector resubmits (API) and the admin accepts the new batch.
async function admin_spotchecks_returns_accepts({ open }) {
  const batchId = await ensureBatch()
  const checks = await ensureChecks()
  const a = await admin()
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  for (const n of ['checkup-batches', 'checkup-agencies', 'checkup-analysis']) await page.locator(sel('nav-' + n)).waitFor()
  await page.locator(sel('nav-checkup-batches')).click()
  await page.waitForURL((u) => u.pathname === '/checkup/batches')
  const row = page.locator(sel('batches-table') + ' .el-table__row', { hasText: `第${batchId}批` })
  await row.waitFor()
  const rtext = await row.innerText()
  assert(rtext.includes(S.agency.org.name) && rtext.includes('待验收'), `batch row: ${rtext}`)
  await row.locator(sel('batch-view')).click()
  await page.waitForURL((u) => u.pathname === `/checkup/batches/${batchId}`)
  await page.locator(sel('batch-checks') + ' .el-table__row').nth(2).waitFor()
  // Each check links to its report.
  const links = page.locator(sel('batch-check-report'))
  assert((await links.count()) === 3, 'three report links')
  assert((await links.first().getAttribute('href')).startsWith('/checkup/checks/'), 'report link')

  // 抽查 50 %: ceil(0.5 × 3) = 2 drawn, the seed and the method shown.
  const share = page.locator(sel('spot-share') + ' input')
  await share.fill('50')
  await share.press('Tab')
  await page.locator(sel('spot-draw')).click()
  const seed = (await page.locator(sel('spot-seed')).innerText()).trim()
  assert(/^[0-9a-f]{16,}$/.test(seed), `seed ${seed}`)
  assert((await page.locator(sel('spot-method')).innerText()).includes('SHA-256'), 'method text')
  assert((await page.locator(sel('spot-share-shown')).innerText()).includes('50%'), 'share shown')
  const rows = page.locator(sel('spot-row'))
  assert((await rows.count()) === 2, `two drawn, got ${await rows.count()}`)
  const s = (await a.get(`/checkup/batches/${batchId}`)).spotcheck
  assert(s && s.seed === seed && s.drawn.length === 2, 'the draw is stored')
  const drawnIds = await rows.evaluateAll((els) => els.map((e) => Number(e.dataset.check)))
  assert(JSON.stringify(drawnIds) === JSON.stringify(s.drawn), `drawn ${drawnIds} vs ${s.drawn}`)
  const names = await page.locator(sel('spot-enterprise')).allInnerTexts()
  for (const id of s.drawn) assert(names.includes(checks.find((c) => c.id === id).enterprise.name), 'drawn check named')
  assert((await page.locator(sel('batch-check-drawn')).count()) === 2, 'drawn checks marked in the list')

  // Record the first as 真实 (phone).
  const first = rows.first()
  await first.locator(sel('spot-method-pick')).getByText('电话').click()
  await first.locator(sel('spot-truthful')).getByText('真实').click()
  await first.locator(`input${sel('spot-note')}, ${sel('spot-note')} input`).fill('电话回访企业，确认体检属实')
  await first.locator(sel('spot-save')).click()
  await first.locator(sel('spot-record-result'), { hasText: '真实' }).waitFor()
  assert((await first.locator(sel('spot-record-note')).innerText()).includes('确认体检属实'), 'note shown')
  const rec = (await a.get(`/checkup/batches/${batchId}`)).spotcheck.records
  assert(rec.length === 1 && rec[0].check_id === s.drawn[0] && rec[0].truthful === true && rec[0].method === 'phone', `record ${JSON.stringify(rec)}`)
  S.spot = true
  // A reload shows the stored record.
  await page.reload()
  await page.locator(sel('spot-row')).first().locator(sel('spot-record-result'), { hasText: '真实' }).waitFor()
  assert((await page.locator(sel('spot-record-none')).count()) === 1, 'the other drawn check waits')

  // 退回: reasons required.
  await page.locator(sel('batch-return')).click()
  const dlg = page.locator('.el-dialog:visible', { has: page.locator(sel('batch-return-reasons')) })
  await dlg.waitFor()
  await dlg.locator(sel('batch-return-confirm')).click()
  await dlg.locator('.el-form-item__error', { hasText: '退回原因' }).waitFor()
  await dlg.locator(`textarea${sel('batch-return-reasons')}, ${sel('batch-return-reasons')} textarea`).fill('第2家报告缺现场照片')
  await dlg.locator(sel('batch-return-confirm')).click()
  await dlg.waitFor({ state: 'hidden' })
  await page.locator(sel('batch-status'), { hasText: '已退回' }).waitFor()
  assert((await page.locator(sel('batch-reasons')).innerText()).includes('第2家报告缺现场照片'), 'reasons shown')
  assert((await page.locator(sel('batch-accept')).count()) === 0, 'no accept once returned')
  const rb = await a.get(`/checkup/batches/${batchId}`)
  assert(rb.status === 'returned' && rb.reasons === '第2家报告缺现场照片', 'returned with reasons')

  // The inspector submits again; the admin accepts the new batch.
  const again = await (await inspectorApi()).post('/checkup/batches', { check_ids: checks.map((c) => c.id) })
  await page.goto(BASE + '/checkup/batches')
  const row2 = page.locator(sel('batches-table') + ' .el-table__row', { hasText: `第${again.id}批` })
  await row2.waitFor()
  assert((await page.locator(sel('batches-table') + ' .el-table__row', { hasText: `第${batchId}批` }).innerText()).includes('已退回'), 'the old batch shows 已退回')
  await row2.locator(sel('batch-view')).click()
  await page.waitForURL((u) => u.pathname === `/checkup/batches/${again.id}`)
  await page.locator(sel('batch-accept')).click()
  await confirmBox(page)
  await page.locator(sel('batch-status'), { hasText: '已验收' }).waitFor()
  assert((await a.get(`/checkup/batches/${again.id}`)).status === 'accepted', 'accepted')
}

// 机构监管: the agency's check count and the spot-check finding.
async function admin_views_agency({ open }) {
  const batchId = await ensureBatch()
  const checks = await ensureChecks()
  const a = await admin()
  if (!S.spot) {
    const s = await a.post(`/checkup/batches/${batchId}/spotcheck`, { share: 0.5 })
    if (!s.records.length) await a.put(`/checkup/spotchecks/${s.id}/records/${s.drawn[0]}`, { method: 'phone', truthful: true, note: '接口准备' })
    S.spot = true
  }
  const sum = await a.get(`/checkup/agencies/${S.agency.org.id}`, { year: YEAR })
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.locator(sel('nav-checkup-agencies')).click()
  await page.waitForURL((u) => u.pathname === '/checkup/agencies')
  await page.locator(sel('agency-pick')).click()
  await page.locator(sel('org-option-' + S.agency.org.id) + ':visible').click()
  await page.locator(sel('agency-summary')).waitFor()
  assert((await page.locator(sel('agency-summary') + ' h3').innerText()).includes(S.agency.org.name), 'agency named')
  const n = Number((await page.locator(sel('agency-checks')).innerText()).trim())
  assert(n === sum.checks && n >= checks.length, `check count ${n} (API ${sum.checks})`)
  const truthful = Number((await page.locator(sel('agency-spot-truthful')).innerText()).trim())
  const checked = Number((await page.locator(sel('agency-spot-checked2')).innerText()).trim())
  assert(truthful >= 1 && truthful === sum.spotchecks.truthful && checked === sum.spotchecks.checked, `spot-check finding ${checked}/${truthful}`)
  assert((await page.locator(sel('agency-spot-untruthful')).innerText()).trim() === String(sum.spotchecks.untruthful), 'untruthful')
  // Grades given, labels of the satisfaction questions, the contract.
  const gA = Number((await page.locator(sel('agency-grade-count') + '[data-grade="A"]').innerText()).replace(/\D/g, ''))
  assert(gA === (sum.grades.A || 0), `grade A ${gA}`)
  const satText = await page.locator(sel('agency-satisfaction')).innerText()
  for (const q of ['专业水平', '按时到场', '建议实用', '服务态度', '总体满意']) assert(satText.includes(q), `question ${q}`)
  assert((await page.locator(sel('agency-contracts') + ' .el-table__row').count()) >= 1, 'contract listed')
  // The page is linkable.
  assert(new URL(page.url()).searchParams.get('org_id') === String(S.agency.org.id), 'org in the URL')
}

// 区域分析: the chart, a grade count, the PDF and Excel links.
async function admin_area_analysis({ open }) {
  await ensureChecks()
  const a = await admin()
  const an = await a.get('/checkup/analysis', { year: YEAR })
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.locator(sel('nav-checkup-analysis')).click()
  await page.waitForURL((u) => u.pathname === '/checkup/analysis')
  await pickOption(page, page.locator(sel('analysis-year')), `${YEAR}年度`)
  await page.locator(sel('grade-chart') + ' svg').waitFor()
  await eventually(async () => (await page.locator(sel('analysis-checks')).innerText()).trim() === String(an.current.checks), 'the check count')
  let total = 0
  for (const g of ['A', 'B', 'C', 'D']) {
    const v = Number((await page.locator(sel('analysis-grade-count') + `[data-grade="${g}"]`).innerText()).trim())
    assert(v === (an.current.grades[g] || 0), `grade ${g}: ${v}`)
    total += v
  }
  assert(total >= 3, `grade counts ${total}`)
  assert((await page.locator(sel('analysis-risks') + ' .el-table__row').count()) === an.current.top_risks.length && an.current.top_risks.length >= 1, 'top risks listed')
  const pdf = await fetchLink(page, page.locator(sel('analysis-pdf')))
  assert(pdf.status === 200 && pdf.body.subarray(0, 5).toString() === '%PDF-', `pdf ${pdf.href}: ${pdf.status}`)
  assert(pdf.href.includes(`year=${YEAR}`), 'pdf for the year')
  const xlsx = await fetchLink(page, page.locator(sel('analysis-xlsx')))
  assert(xlsx.status === 200 && xlsx.body.subarray(0, 2).toString() === 'PK', `xlsx ${xlsx.href}: ${xlsx.status}`)
  // A filter goes into the links too.
  await pickOption(page, page.locator(sel('analysis-size')), '小型')
  await eventually(async () => (await page.locator(sel('analysis-xlsx')).getAttribute('href')).includes('size=small'), 'size in the link')
}

// 批量生成报告: progress to done, then a download link.
async function admin_batch_reports({ open }) {
  await ensureChecks()
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.locator(sel('nav-checkup-checks')).click()
  await page.waitForURL((u) => u.pathname === '/checkup/checks')
  await page.locator(sel('reports-batch')).click()
  const dlg = page.locator('.el-dialog:visible', { has: page.locator(sel('reports-batch-year')) })
  await dlg.waitFor()
  // A year without reports is said in Chinese under the year.
  const empty = YEAR - 3
  const probe = await (await admin()).raw('GET', '/checkup/checks', undefined, { query: { year: empty } })
  if (probe.status === 200 && !probe.json.items.some((c) => c.reported_at)) {
    await pickOption(page, dlg.locator(sel('reports-batch-year')), `${empty}年度`)
    await dlg.locator(sel('reports-batch-start')).click()
    await dlg.locator('.el-form-item__error', { hasText: '还没有已出报告' }).waitFor()
  }
  await pickOption(page, dlg.locator(sel('reports-batch-year')), `${YEAR}年度`)
  await dlg.locator(sel('reports-batch-start')).click()
  await dlg.locator(sel('reports-batch-progress')).waitFor()
  await dlg.locator(sel('reports-batch-status'), { hasText: '已完成' }).waitFor({ timeout: 60000 })
  const count = (await dlg.locator(sel('reports-batch-count')).innerText()).trim()
  const [done, total] = count.split('/').map((x) => Number(x.trim()))
  assert(total >= 3 && done === total, `progress ${count}`)
  assert((await dlg.locator(sel('reports-batch-progress')).getAttribute('aria-valuenow')) === '100', 'progress at 100%')
  const z = await fetchLink(page, dlg.locator(sel('reports-batch-download')))
  assert(z.status === 200 && z.body.subarray(0, 2).toString() === 'PK', `zip ${z.href}: ${z.status}`)
}

// 下载档案包 on a closed check's detail and report pages.
async function archive_link_on_closed_check({ open }) {
  const c = await reportedCheck()
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.goto(BASE + `/checkup/checks/${c.id}`)
  await page.locator(sel('check-report')).waitFor()
  assert((await page.locator(sel('check-archive')).count()) === 0, 'no archive before closing')
  await (await inspectorApi()).post(`/checkup/checks/${c.id}/close`)
  await page.reload()
  const z = await fetchLink(page, page.locator(sel('check-archive')))
  assert(z.status === 200 && z.body.subarray(0, 2).toString() === 'PK', `archive ${z.href}: ${z.status}`)
  await page.goto(BASE + `/checkup/checks/${c.id}/report`)
  await page.locator(sel('report-archive')).waitFor()
}

const TESTS = [
  inspector_submits_batch,
  admin_spotchecks_returns_accepts,
  admin_views_agency,
  admin_area_analysis,
  admin_batch_reports,
  archive_link_on_closed_check,
]

runSuite(TESTS, { label: 'supervision-browser', shot: 'supervision-', allPages: true, offline: true })
