// Browser tests for 和谐创建 (rating campaigns): headless Chromium (the
// system's /usr/bin/chromium) driven by playwright-core against a running
// server, as tests/browser/run.mjs.
//
//   HEXIE_URL=http://127.0.0.1:18080 HEXIE_ADMIN_PASSWORD=… node tests/browser/rating.mjs [name…]
//
// The server must hold a store made with `hexie init --demo`. Setup goes
// through the API (as the admin, with the session cookie and the CSRF
// token); the step under test goes through the UI. The tests build on each
// other (campaign → application → review → poll → results) but each one
// makes what it needs through the API when run alone. Prints `ok - name` /
// `not ok - name` and `rating-browser: N passed, M failed`.
import { ADMIN_PASSWORD, ADMIN_USER, Api, BASE, PHONE, admin, assert, confirmBox, eventually, login, makeUser, pageWidth, runSuite, sel, tmpFile, uniq } from './lib.mjs'

const RUBRIC = 'lishui-2021-enterprise'
const UNION = '云和县总工会'

// ---------------------------------------------------------------- shared state

// What the tests hand on to each other; anything missing is made through
// the API when a test needs it.
const S = {
  campaign: null, // Campaign
  hr: null, // {username, password, enterprise}
  application: null, // Application id
  reviewer: null, // {username, password, org}
}

function tomorrowPlus(days) {
  const d = new Date(Date.now() + days * 86400000)
  return d.toISOString().slice(0, 10)
}

async function ensureCampaign() {
  if (S.campaign) return S.campaign
  const a = await admin()
  S.campaign = await a.post('/campaigns', {
    name: `浏览器测试创建活动${uniq()}`,
    year: new Date().getFullYear(),
    subject: 'enterprise',
    rubric_id: RUBRIC,
    rubric_version: 1,
    pass_line: 60,
    grades: [{ name: 'AAA', min: 90 }, { name: 'AA', min: 80 }],
    apply_until: tomorrowPlus(30),
  })
  return S.campaign
}

// A demo enterprise that has not applied to the campaign yet.
async function freeDemoEnterprise(campaignId) {
  const a = await admin()
  const { items: apps } = await a.get('/applications', { campaign_id: campaignId })
  const taken = new Set(apps.map((x) => x.enterprise_id))
  const { items } = await a.get('/enterprises', { page_size: 100 })
  const ent = items.find((e) => e.is_demo && !taken.has(e.id)) || items.find((e) => !taken.has(e.id))
  assert(ent, 'no enterprise left to apply')
  return ent
}

async function ensureHr() {
  if (S.hr) return S.hr
  const c = await ensureCampaign()
  const enterprise = await freeDemoEnterprise(c.id)
  S.hr = { ...(await makeUser({ display_name: '测试企业人事', role: 'enterprise_hr', enterprise_id: enterprise.id })), enterprise }
  return S.hr
}

// A submitted application (made through the API when the UI test did not).
async function ensureApplication() {
  if (S.application) return S.application
  const c = await ensureCampaign()
  const hr = await ensureHr()
  const u = await Api.login(hr.username, hr.password)
  const { items } = await u.get('/applications', { campaign_id: c.id })
  const app = items[0] || (await u.post(`/campaigns/${c.id}/applications`, { enterprise_id: hr.enterprise.id }))
  if (app.status === 'draft') {
    await u.put(`/applications/${app.id}/self`, { answers: { '1.2': { value: true, note: '接口准备的自评' } } })
    await u.post(`/applications/${app.id}/submit`)
  }
  S.application = app.id
  return S.application
}

async function unionOrg() {
  const { items } = await (await admin()).get('/organizations')
  const org = items.find((o) => o.name === UNION)
  assert(org, `organization ${UNION} missing`)
  return org
}

async function ensureReviewer() {
  if (S.reviewer) return S.reviewer
  const org = await unionOrg()
  S.reviewer = { ...(await makeUser({ display_name: '总工会评审员', role: 'reviewer', org_id: org.id })), org }
  return S.reviewer
}

// Criteria of a rubric item, elements included.
function criteriaOf(item) {
  const out = [...(item.criteria || [])]
  for (const e of item.elements || []) out.push(...(e.criteria || []))
  return out
}

// ---------------------------------------------------------------- tests

async function admin_opens_campaign({ open }) {
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  // The menu group 和谐创建 is there for the admin.
  await page.locator(sel('nav-rating-campaigns')).click()
  await page.waitForURL((u) => u.pathname === '/rating/campaigns')
  const name = `浏览器测试创建活动${uniq()}`
  await page.locator(sel('campaign-new')).click()
  const dialog = page.locator(sel('campaign-dialog'))
  await page.locator(sel('campaign-form')).waitFor()
  await page.locator(sel('campaign-form-name')).fill(name)
  await page.locator(sel('campaign-form-subject-enterprise')).click()
  await page.locator(sel('campaign-form-rubric')).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '和谐企业' }).first().click()
  // The version follows the rubric: its highest.
  await page.locator(sel('campaign-form-version'), { hasText: '第' }).waitFor()
  await page.locator(sel('grade-add')).click()
  await page.locator(sel('grade-name-0')).fill('AAA')
  await page.locator(sel('grade-min-0') + ' input').fill('90')
  const until = page.locator(sel('campaign-form-apply-until') + ' input')
  await until.fill(tomorrowPlus(30))
  await until.press('Enter')
  await page.locator(sel('campaign-form-name')).click()
  await page.locator(sel('campaign-form-submit')).click()
  await page.locator('.el-dialog:visible', { has: page.locator(sel('campaign-form')) }).waitFor({ state: 'hidden' })
  void dialog
  const row = page.locator(sel('campaign-table') + ' .el-table__row', { hasText: name }).first()
  await row.waitFor()
  const text = await row.innerText()
  assert(text.includes('申报中'), `new campaign not open: ${text}`)
  assert(text.includes('和谐企业'), `rubric not shown in the row: ${text}`)
  // The server has it, with the rubric chosen in the form.
  const { items } = await (await admin()).get('/campaigns')
  const c = items.find((x) => x.name === name)
  assert(c, 'campaign not in GET /campaigns')
  assert(c.rubric_id === RUBRIC && c.subject === 'enterprise', `campaign ${JSON.stringify(c)}`)
  assert(c.grades && c.grades.some((g) => g.name === 'AAA' && Number(g.min) === 90), `grades ${JSON.stringify(c.grades)}`)
  S.campaign = c
  // Its page shows the status steps and the assignments.
  await row.locator(sel('campaign-open')).click()
  await page.locator(sel('campaign-steps')).waitFor()
  await page.locator('.el-tabs__item', { hasText: '评审分工' }).click()
  await page.locator(sel('assignment-table') + ' .el-table__row', { hasText: UNION }).first().waitFor()
}

async function enterprise_applies_and_submits({ open }) {
  const c = await ensureCampaign()
  const hr = await ensureHr()
  const page = await open()
  await login(page, hr.username, hr.password)
  // An enterprise user sees 创建活动 but not 部门评审.
  await page.locator(sel('nav-rating-campaigns')).waitFor()
  assert((await page.locator(sel('nav-rating-reviews')).count()) === 0, 'enterprise user sees 部门评审')
  await page.goto(BASE + '/rating/campaigns')
  const row = page.locator(sel('campaign-table') + ' .el-table__row', { hasText: c.name }).first()
  await row.waitFor()
  await row.locator(sel('campaign-apply')).click()
  await confirmBox(page)
  await page.waitForURL((u) => /^\/rating\/applications\/\d+$/.test(u.pathname))
  const appId = Number(new URL(page.url()).pathname.split('/').pop())
  await page.locator(sel('application-applicant'), { hasText: hr.enterprise.name }).waitFor()

  // Self-assess 1.2: yes, with a note and an evidence file.
  const crit = page.locator(sel('criterion-1.2'))
  const item = page.locator(sel('item-1'))
  await crit.locator(sel('self-answer') + ' .el-switch').click()
  await item.locator(sel('item-save-status'), { hasText: '已保存' }).waitFor()
  const note = `劳动合同文本齐全${uniq()}`
  await crit.locator(sel('self-note')).fill(note)
  const u = await Api.login(hr.username, hr.password)
  await eventually(async () => {
    const a = await u.get(`/applications/${appId}`)
    const s = a.answers && a.answers['1.2'] && a.answers['1.2'].self
    return s && s.value === true && s.note === note
  }, 'the self answer with its note to be saved')
  // The live score counts it.
  await crit.locator(sel('criterion-score'), { hasText: '2' }).waitFor()

  const { file, done } = tmpFile('劳动合同样本.txt', '劳动合同样本（浏览器测试）\n', 'hexie-rating-')
  try {
    await crit.locator(sel('evidence-input')).setInputFiles(file)
    const link = crit.locator(sel('evidence-link'), { hasText: '劳动合同样本.txt' })
    await link.waitFor()
    const href = await link.getAttribute('href')
    assert(/^\/api\/v1\/evidence\/\d+$/.test(href || ''), `evidence link ${href}`)
  } finally {
    done()
  }

  // Submit: the page turns read-only.
  await page.locator(sel('application-submit')).click()
  await confirmBox(page)
  await page.locator(sel('application-readonly')).waitFor()
  assert((await page.locator(sel('application-submit')).count()) === 0, 'submit button still there')
  assert((await crit.locator(sel('self-answer') + ' .el-switch').count()) === 0, 'self answer still editable after submit')
  assert((await crit.locator(sel('evidence-input')).count()) === 0, 'upload still offered after submit')
  assert((await page.locator(sel('application-status')).innerText()).includes('已提交'), 'status not 已提交')

  const a = await (await admin()).get(`/applications/${appId}`)
  assert(a.status === 'submitted', `status ${a.status}`)
  assert(a.answers['1.2'].self.value === true && a.answers['1.2'].self.note === note, `answers ${JSON.stringify(a.answers['1.2'])}`)
  assert(a.evidence.some((e) => e.criterion_id === '1.2' && e.filename === '劳动合同样本.txt'), `evidence ${JSON.stringify(a.evidence)}`)
  S.application = appId
}

async function reviewer_scores_own_item({ open }) {
  const appId = await ensureApplication()
  const reviewer = await ensureReviewer()
  const a = await admin()
  const app = await a.get(`/applications/${appId}`)
  const campaign = await a.get(`/campaigns/${app.campaign_id}`)
  const rubric = await a.get(`/rubrics/${RUBRIC}`, { version: campaign.rubric_version })
  const mine = (x) => (x.org_ids || []).includes(reviewer.org.id)
  // Own item: one with a plain yes/no criterion; other: one not assigned.
  const own = campaign.assignments.find((x) => mine(x) && criteriaOf(rubric.items.find((i) => i.id === x.item_id)).some((k) => !k.rule))
  const other = campaign.assignments.find((x) => !mine(x))
  assert(own && other, `assignments: ${JSON.stringify(campaign.assignments.map((x) => [x.item_id, x.org_ids]))}`)
  const cid = criteriaOf(rubric.items.find((i) => i.id === own.item_id)).find((k) => !k.rule).id
  // A reminder for the department shows in the reviewer's header.
  await a.post(`/campaigns/${campaign.id}/remind`, { org_id: reviewer.org.id })

  const page = await open()
  await login(page, reviewer.username, reviewer.password)
  await page.locator(sel('notifications-badge')).waitFor()
  await page.locator(sel('nav-rating-reviews')).click()
  await page.locator(sel('review-table') + ' .el-table__row', { hasText: app.applicant }).first().waitFor()
  await page.goto(BASE + `/rating/applications/${appId}`)
  const ownCard = page.locator(sel('item-' + own.item_id))
  const otherCard = page.locator(sel('item-' + other.item_id))
  await ownCard.locator(sel('my-item')).waitFor()
  await otherCard.locator(sel('not-my-item')).waitFor()
  assert((await otherCard.innerText()).includes('非本部门评审项'), 'other item not marked 非本部门评审项')
  assert((await otherCard.locator(sel('review-answer')).count()) === 0, 'other item has review inputs')
  assert((await otherCard.locator('.el-switch, .el-input-number, textarea').count()) === 0, 'other item has editable controls')
  assert((await ownCard.locator(sel('review-comment')).count()) === 1, 'own item has no comment box')

  // Score the own item: yes on one criterion, a note and an item comment.
  const row = ownCard.locator(sel('criterion-' + cid))
  const sw = row.locator(sel('review-answer') + ' .el-switch')
  assert(!(await sw.evaluate((el) => el.classList.contains('is-disabled'))), 'own review switch disabled')
  await sw.click()
  await row.locator(sel('review-note')).fill('现场核查属实')
  const comment = `评审意见${uniq()}`
  await ownCard.locator(sel('review-comment')).fill(comment)
  await ownCard.locator(sel('review-save')).click()
  await ownCard.locator(sel('item-save-status'), { hasText: '已保存' }).waitFor()
  const got = await eventually(async () => {
    const x = await a.get(`/applications/${appId}`)
    const r = x.answers[cid] && x.answers[cid].review
    return r && r.value === true && r.note === '现场核查属实' && x.comments.some((m) => m.item_id === own.item_id && m.text === comment) && x
  }, 'the review answer and comment to be saved')
  assert(got.answers[cid].review.org_name === UNION, `review org ${got.answers[cid].review.org_name}`)
  // After a reload the saved review is shown.
  await page.reload()
  await page.locator(sel('item-' + own.item_id) + ' ' + sel('criterion-' + cid) + ' ' + sel('review-answer') + ' .el-switch.is-checked').waitFor()
}

async function poll_on_a_phone({ open }) {
  const appId = await ensureApplication()
  const a = await admin()
  const before = (await a.get(`/applications/${appId}`)).poll || { voted: 0, satisfied: 0 }
  const { links } = await a.post(`/applications/${appId}/poll`, { count: 2 })
  assert(links && links.length === 2, `links ${JSON.stringify(links)}`)
  const url = new URL(links[0].url, BASE).href
  const page = await open(PHONE)
  await page.goto(url)
  await page.locator(sel('poll-question')).waitFor()
  assert(new URL(page.url()).pathname.startsWith('/poll/'), `redirected to ${page.url()}`)
  const q = await page.locator(sel('poll-question')).innerText()
  assert(q.includes('您对本企业的劳动关系状况是否满意？'), `question: ${q}`)
  assert((await page.locator(sel('poll-applicant')).innerText()).trim().length > 0, 'applicant name missing')
  assert((await page.locator(sel('main')).count()) === 0, 'the app layout is shown on the poll page')
  assert((await pageWidth(page)) <= 376, 'poll page wider than the phone')
  const yes = page.locator(sel('poll-yes'))
  const box = await yes.boundingBox()
  assert(box && box.height >= 44 && box.width >= 280, `满意 button is ${box && box.width}×${box && box.height}`)
  await yes.tap()
  await page.locator(sel('poll-thanks')).waitFor()
  // Opening the same link again: already used.
  await page.goto(url)
  const used = page.locator(sel('poll-used'))
  await used.waitFor()
  assert((await used.innerText()).includes('该链接已投票，每个链接只能投票一次'), 'used text')
  assert(new URL(page.url()).pathname.startsWith('/poll/'), `redirected to ${page.url()}`)
  // A made-up token.
  await page.goto(BASE + `/poll/${appId}/${'x'.repeat(48)}`)
  await page.locator(sel('poll-invalid'), { hasText: '链接无效' }).waitFor()
  const after = (await a.get(`/applications/${appId}`)).poll
  assert(after.voted === (before.voted || 0) + 1 && after.satisfied === (before.satisfied || 0) + 1, `poll ${JSON.stringify(after)}`)
}

async function results_and_trial_scoring({ open }) {
  const appId = await ensureApplication()
  const a = await admin()
  const app = await a.get(`/applications/${appId}`)
  let c = await a.get(`/campaigns/${app.campaign_id}`)
  if (c.status === 'open') c = await a.post(`/campaigns/${c.id}/close`)
  if (c.status === 'reviewing') c = await a.post(`/campaigns/${c.id}/confirm`)
  assert(['confirmed', 'published'].includes(c.status), `campaign status ${c.status}`)
  const results = await a.get(`/campaigns/${c.id}/results`)
  const mine = results.items.find((x) => x.application_id === appId)
  assert(mine, 'application not in the results')

  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)
  await page.goto(BASE + `/rating/campaigns/${c.id}?tab=results`)
  const row = page.locator(sel('results-table') + ' .el-table__row', { hasText: app.applicant }).first()
  await row.waitFor()
  const shown = (await row.locator(sel('result-total')).innerText()).trim()
  assert(Number(shown) === Number(mine.total), `total shown ${shown}, results say ${mine.total}`)
  assert((await page.locator(sel('results-export')).getAttribute('href')) === `/api/v1/campaigns/${c.id}/results.xlsx`, 'export link')
  // The comparison chart draws (SVG).
  await page.locator(sel('score-chart') + ' svg').first().waitFor()

  // 试评: all criteria met → a total from POST /rubrics/:id/score.
  await page.goto(BASE + `/rating/rubrics/${RUBRIC}?tab=trial`)
  await page.locator(sel('trial')).waitFor()
  await page.locator(sel('trial-best')).click()
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/api/v1/rubrics/${RUBRIC}/score`) && r.request().method() === 'POST'),
    page.locator(sel('trial-score')).first().click(),
  ])
  const sheet = await resp.json()
  assert(resp.status() === 200, `score: ${resp.status()}`)
  const total = (await page.locator(sel('trial-total')).innerText()).trim()
  assert(Number(total) === Number(sheet.total), `trial total ${total}, API ${sheet.total}`)
  assert(Number(total) === Number(sheet.max), `all-yes total ${total} of ${sheet.max}`)
  await page.locator(sel('trial-not-vetoed')).waitFor()
}

const TESTS = [
  admin_opens_campaign,
  enterprise_applies_and_submits,
  reviewer_scores_own_item,
  poll_on_a_phone,
  results_and_trial_scoring,
]

runSuite(TESTS, { label: 'rating-browser', shot: 'rating-' })
