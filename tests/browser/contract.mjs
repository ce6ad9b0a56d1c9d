// Browser tests for 电子劳动合同 (electronic labor contracts): headless
// Chromium (the system's /usr/bin/chromium) driven by playwright-core
// against a running server, as tests/browser/checkup.mjs.
//
//   HEXIE_URL=http://127.0.0.1:18080 HEXIE_ADMIN_PASSWORD=… node tests/browser/contract.mjs [name…]
//
// The server must hold a store made with `hexie init --demo`. Setup goes
// through the API as the admin (an enterprise with a worker on its roster
// and an enterprise_hr user); the steps under test go through the UI: the HR
// drafts a contract and sees the legal check beside the field, fixes it and
// sends it; the worker signs on a 375-px phone through the link (identity,
// reading, intent, signature with a WebCrypto key); the HR signs for the
// enterprise with the browser key; the PDF downloaded from the worker's
// completion page passes `pdfsig` against the platform root. One-time codes
// are read from the outbox (GET /api/v1/outbox as the admin). Prints
// `ok - name` / `not ok - name` and `contract-browser: N passed, M failed`.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ADMIN_PASSWORD, ADMIN_USER, Api, AssertionError, BASE, admin, assert, daysFromNow, fillDate, idNumber, login, makeUser, runSuite, sel, sleep, today, uniq, usccSeries } from './lib.mjs'
// the PNG writer (a handwritten name for API signing) and reader (pages
// rendered by pdftoppm) of the API suite's visible-signature tests
import { handwriting, readPng } from '../api/contract.d/visible.mjs'

// A taller phone than the other suites', taking downloads.
const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, acceptDownloads: true }

// A valid 统一社会信用代码 (GB 32100-2015) not used yet.
const uscc = usccSeries('MC')

// ---------------------------------------------------------------- shared state

const S = {
  setup: null, // {enterprise, worker: {id, name, id_number, phone}, hr: {username, password}}
  contract: null, // {id, token}
  workerState: null, // the worker's browser state (the signer cookie) after signing
}

// An enterprise with everything 《劳动合同法》第十七条 needs of the employer,
// one worker on its roster, and its HR user.
async function ensureSetup() {
  if (S.setup) return S.setup
  const a = await admin()
  const { items: areas } = await a.get('/areas')
  const area = areas.find((x) => x.kind !== 'county' && x.code) || areas.find((x) => x.kind !== 'county') || areas[0]
  const enterprise = await a.post('/enterprises', {
    uscc: uscc(), name: `浏览器合同企业${uniq()}`, area_id: area.id, legal_representative: '王建国',
    address: '浙江省丽水市云和县浮云街道合同路8号', employee_count: 30, is_sme: true, is_company: true,
  })
  const phone = '139' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0')
  const idn = idNumber('19900315')
  const worker = await a.post('/workers', {
    enterprise_id: enterprise.id, name: `林${uniq().slice(-3)}`, id_number: idn, phone, hire_date: today(), job: '装配工',
  })
  // the HR user's own phone: the enterprise's intent codes (意愿确认) go there
  const hrPhone = '136' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0')
  const hr = { ...(await makeUser({ display_name: '合同企业人事', role: 'enterprise_hr', enterprise_id: enterprise.id, phone: hrPhone })), phone: hrPhone }
  S.setup = { enterprise, worker: { id: worker.id, name: worker.name, id_number: idn, phone }, hr }
  return S.setup
}

// The newest one-time code sent to a phone after message id `after`.
async function codeFor(phone, after = 0, ms = 8000) {
  const a = await admin()
  const end = Date.now() + ms
  while (Date.now() < end) {
    const { items } = await a.get('/outbox', { limit: 50 })
    const digits = phone.replace(/\D/g, '')
    const hit = (items || [])
      .filter((m) => String(m.recipient || '').replace(/\D/g, '').endsWith(digits) && Number(m.id) > after)
      .sort((x, y) => Number(y.id) - Number(x.id))
      .find((m) => /(?<!\d)\d{6}(?!\d)/.test(m.text || ''))
    if (hit) return { id: Number(hit.id), code: /(?<!\d)(\d{6})(?!\d)/.exec(hit.text)[1] }
    await sleep(200)
  }
  throw new AssertionError(`no code for ${phone} in the outbox`)
}

async function lastOutboxId() {
  const { items } = await (await admin()).get('/outbox', { limit: 1 })
  return items && items.length ? Number(items[0].id) : 0
}

// The identity step of a signing link: name and ID number, then the code
// sent to the worker's phone (with `wrongFirst`, a wrong code first, refused
// in Chinese with the tries left). Gives the code's outbox message.
async function passIdentity(page, worker, { wrongFirst = false } = {}) {
  const after = await lastOutboxId()
  await page.locator(sel('sign-name')).fill(worker.name)
  await page.locator(sel('sign-id-number')).fill(worker.id_number)
  await page.locator(sel('sign-identity-submit')).click()
  await page.locator(sel('sign-code')).waitFor()
  if (wrongFirst) await page.locator(sel('sign-code')).fill('000000')
  const c = await codeFor(worker.phone, after)
  if (wrongFirst && c.code !== '000000') {
    await page.locator(sel('sign-code-submit')).click()
    await page.locator(sel('sign-error-text'), { hasText: '验证码错误' }).waitFor()
  }
  await page.locator(sel('sign-code')).fill(c.code)
  await page.locator(sel('sign-code-submit')).click()
  return c
}

// 意愿确认 in the page's dialog: the code goes to the HR user's own phone
// (shown masked), is read from the outbox (a message after id `after`) and
// typed in. Gives the message's id.
async function confirmIntent(page, phone, after) {
  await page.locator(sel('intent-phone'), { hasText: `${phone.slice(0, 3)}****${phone.slice(-4)}` }).waitFor()
  const c = await codeFor(phone, after)
  await page.locator(sel('intent-code')).fill(c.code)
  await page.locator(sel('intent-submit')).click()
  return c.id
}

// 电子印章签署 from a contract's page, confirmed with a code: when the
// server says there is no seal, it is made from the page first (with a code
// of its own), then the contract is sealed (its code).
async function sealFromPage(page, phone) {
  let after = await lastOutboxId()
  await page.locator(sel('contract-seal')).click()
  // no seal yet: the server sends no code and the page offers to make one
  const made = await Promise.race([
    page.locator(sel('contract-no-seal')).waitFor().then(() => true),
    page.locator(sel('intent-phone')).waitFor().then(() => false),
  ])
  if (made) {
    await page.locator(sel('seal-create')).click()
    after = await confirmIntent(page, phone, after)
  }
  await confirmIntent(page, phone, after)
}

async function noHorizontalScroll(page, where) {
  const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, bw: document.body.scrollWidth, w: window.innerWidth }))
  assert(m.sw <= m.w && m.bw <= m.w, `${where}: horizontal scroll at ${m.w} px (scrollWidth ${m.sw}/${m.bw})`)
}

// ---------------------------------------------------------------- tests

// The HR drafts through the dialog: a wage under the minimum is flagged
// beside the monthly-pay field with its article, the fix clears it, and the
// contract is sent; the worker's link and QR code are on the page.
async function hr_drafts_lints_and_sends({ open }) {
  const { worker, hr } = await ensureSetup()
  const page = await open()
  await login(page, hr.username, hr.password)
  await page.locator(sel('nav-contracts')).click()
  await page.waitForURL((u) => u.pathname === '/contracts')
  await page.locator(sel('contract-new')).click()
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(sel('terms-form')) })
  await dialog.waitFor()

  await dialog.locator(sel('draft-worker')).click()
  await dialog.locator(sel('draft-worker') + ' input').fill(worker.name)
  await page.locator(sel('draft-worker-' + worker.id) + ':visible').click()
  await dialog.locator(sel('draft-worker-info')).waitFor()
  await dialog.locator(sel('terms-worker-address')).fill('浙江省丽水市云和县元和街道幸福里3号')
  await fillDate(page, dialog.locator(sel('terms-term-start')), today())
  await fillDate(page, dialog.locator(sel('terms-term-end')), daysFromNow(3 * 365))
  await dialog.locator(sel('terms-probation-months')).fill('2')
  await dialog.locator(sel('terms-job-title')).fill('木制玩具装配工')
  await dialog.locator(sel('terms-job-location')).fill('浙江省丽水市云和县')
  await dialog.locator(sel('terms-pay-probation')).fill('3600')
  await dialog.locator(sel('terms-pay-monthly')).fill('1000')

  // The finding sits in the monthly-pay form item, red, citing the law.
  const payItem = dialog.locator('.el-form-item', { has: page.locator(sel('terms-pay-monthly')) })
  const finding = payItem.locator('[data-test="lint-finding"][data-code="wage_below_minimum"]')
  await finding.waitFor()
  const ftext = await finding.innerText()
  assert(/最低工资/.test(ftext) && /第四十八条|最低工资规定/.test(ftext), `finding text: ${ftext}`)
  assert((await finding.getAttribute('class')).includes('error'), 'the wage finding is an error')
  await dialog.locator(sel('draft-lint-errors')).waitFor()

  await dialog.locator(sel('terms-pay-monthly')).fill('4500')
  await finding.waitFor({ state: 'detached' })
  await dialog.locator(sel('draft-lint-ok')).waitFor()
  const errs = await dialog.locator('[data-test="lint-finding"].error').count()
  assert(errs === 0, `${errs} lint errors left`)

  await dialog.locator(sel('draft-done')).click()
  await page.waitForURL((u) => /^\/contracts\/\d+$/.test(u.pathname))
  const id = Number(new URL(page.url()).pathname.split('/').pop())
  await page.locator(sel('contract-status'), { hasText: '草稿' }).waitFor()
  const draft = await (await admin()).get(`/contracts/${id}`)
  assert(draft.status === 'draft' && draft.worker_id === worker.id, `draft ${JSON.stringify(draft).slice(0, 200)}`)
  assert(Number(draft.terms.pay.monthly) === 4500, `monthly wage saved: ${JSON.stringify(draft.terms.pay)}`)

  await page.locator(sel('contract-send')).click()
  await page.locator('.el-message-box__btns .el-button--primary').click()
  await page.locator(sel('contract-status'), { hasText: '待签署' }).waitFor()
  const link = await page.locator(sel('contract-link')).inputValue()
  const m = /\/s\/([^/?#\s]+)/.exec(link)
  assert(m, `worker link: ${link}`)
  // no SMS gateway here: HR is told the message waits in the outbox
  await page.locator(sel('contract-link-channel'), { hasText: '未接入短信通道' }).waitFor()
  // no real-name provider here: the page says how the worker is verified
  await page.locator(sel('contract-identity-method'), { hasText: '核验方式：用人单位登记信息＋短信验证码' }).waitFor()
  // the server runs with --demo: the header says so
  await page.locator(sel('demo-badge'), { hasText: '演示模式' }).waitFor()
  const qr = page.locator(sel('contract-qr'))
  await qr.waitFor()
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await qr.elementHandle())
  S.contract = { id, token: m[1] }
}

async function ensureSent() {
  if (S.contract) return S.contract
  S.contract = await draftAndSend({
    worker_address: '浙江省丽水市云和县元和街道幸福里3号',
    term: { type: 'fixed', start: today(), end: daysFromNow(3 * 365) }, probation_months: 2,
    job: { title: '木制玩具装配工', location: '浙江省丽水市云和县' }, hours: { system: 'standard', hours_per_week: 40 },
    pay: { monthly: 4500, probation_monthly: 3600, pay_day: 15 }, social_insurance: true,
    protection: '提供符合国家标准的劳动防护用品', prior: { fixed_term_contracts: 0, years_of_service: 0 },
  })
  return S.contract
}

// The worker on a 375-px phone: identity and code, the whole text read to
// its end, the intent code, the signature with a key made in the browser.
async function worker_signs_on_phone({ open }) {
  const { worker } = await ensureSetup()
  const { token, id } = await ensureSent()
  const page = await open(PHONE)
  await page.goto(`${BASE}/s/${token}`)
  await page.locator(sel('step-identity')).waitFor()
  await page.locator(sel('sign-identity-method'), { hasText: '核验方式：用人单位登记信息＋短信验证码' }).waitFor()
  await noHorizontalScroll(page, 'identity')

  // A wrong code is refused in Chinese with the tries left.
  let c = await passIdentity(page, worker, { wrongFirst: true })

  await page.locator(sel('step-read')).waitFor()
  const box = page.locator(sel('sign-text'))
  await box.waitFor()
  const body = await box.innerText()
  assert(body.includes('劳动合同期限') && /4,?500/.test(body), `the contract text: ${body.slice(0, 300)}`)
  await noHorizontalScroll(page, 'read')
  const done = page.locator(sel('sign-read-done'))
  const tall = await box.evaluate((el) => el.scrollHeight > el.clientHeight + 30)
  if (tall) assert(await done.isDisabled(), 'the read button waits for the end of the text')
  await box.evaluate((el) => { el.scrollTop = el.scrollHeight })
  await page.waitForFunction((el) => !el.disabled, await done.elementHandle())
  await done.click()

  await page.locator(sel('step-intent')).waitFor()
  const after = c.id
  await page.locator(sel('sign-intent-send')).click()
  await page.locator(sel('sign-intent-code')).waitFor()
  c = await codeFor(worker.phone, after)
  await page.locator(sel('sign-intent-code')).fill(c.code)
  await page.locator(sel('sign-intent-submit')).click()

  await page.locator(sel('step-sign')).waitFor()
  await noHorizontalScroll(page, 'sign')
  // an empty signature pad is refused before anything is sent
  await page.locator(sel('sign-submit')).click()
  const err = page.locator(sel('sign-error-text'))
  await err.waitFor()
  assert((await err.innerText()).includes('请先在签名框内手写您的姓名'), `empty pad: ${await err.innerText()}`)
  assert(await page.locator(sel('step-sign')).isVisible(), 'still on the sign step')
  // the worker writes a name: strokes with the mouse across the pad
  const pad = await page.locator(sel('sign-pad')).boundingBox()
  assert(pad && pad.width > 200 && pad.height > 100, `the pad: ${JSON.stringify(pad)}`)
  const strokes = [[0.12, 0.3, 0.3, 0.75], [0.32, 0.25, 0.45, 0.8], [0.5, 0.7, 0.68, 0.2], [0.72, 0.35, 0.9, 0.7]]
  for (const [x0, y0, x1, y1] of strokes) {
    await page.mouse.move(pad.x + x0 * pad.width, pad.y + y0 * pad.height)
    await page.mouse.down()
    for (let i = 1; i <= 12; i++)
      await page.mouse.move(pad.x + (x0 + (x1 - x0) * i / 12) * pad.width, pad.y + (y0 + (y1 - y0) * i / 12) * pad.height)
    await page.mouse.up()
  }
  await page.locator(sel('sign-submit')).click()
  await page.locator(sel('step-done')).waitFor({ timeout: 30000 })
  await noHorizontalScroll(page, 'done')

  S.workerState = await page.context().storageState()
  const k = await (await admin()).get(`/contracts/${id}`)
  assert(/^\d{6}-\d{4}-\d{6}$/.test(k.number || ''), `the contract number: ${k.number}`)
  assert(k.status === 'signing' || k.pending, `after the worker: ${k.status}`)
  assert((k.signatures || []).some((s) => s.party === 'worker'), 'a worker signature is recorded')
  const ev = (k.evidence || []).find((e) => e.kind === 'signed' && JSON.stringify(e).includes('"worker"'))
  assert(ev && /"handwriting_sha256":"[0-9a-f]{64}"/.test(JSON.stringify(ev)), `the handwriting in the evidence: ${JSON.stringify(ev)}`)
}

// The HR signs for the enterprise with a key made in this browser; then the
// PDF from the worker's completion page passes pdfsig against the root.
async function hr_signs_and_pdf_verifies({ open }) {
  const { hr, worker } = await ensureSetup()
  if (!S.contract) {
    // Run alone: the worker signs through the API; the phone gets its cookie.
    S.contract = await sendOne()
    const value = await workerSignsViaApi(S.contract.token)
    const host = new URL(BASE).hostname
    S.workerState = { cookies: [{ name: 'hx_signer', value, domain: host, path: '/api/v1/', expires: -1, httpOnly: true, secure: false, sameSite: 'Strict' }], origins: [] }
  }
  const { id, token } = S.contract
  const a = await admin()
  const page = await open()
  await login(page, hr.username, hr.password)
  await page.goto(`${BASE}/contracts/${id}`)
  const no = page.locator(sel('contract-number'))
  await no.waitFor()
  assert(/^\d{6}-\d{4}-\d{6}$/.test((await no.innerText()).trim()), `the number on the page: ${await no.innerText()}`)
  const sign = page.locator(sel('contract-sign'))
  await sign.waitFor()
  await page.waitForFunction((el) => !el.disabled, await sign.elementHandle())
  const after = await lastOutboxId()
  await sign.click()
  await confirmIntent(page, hr.phone, after)
  await page.locator(sel('contract-notice')).waitFor({ timeout: 30000 })
  // Signed, or waiting for its timestamp (then completed by the retry).
  let k
  const end = Date.now() + 60000
  for (;;) {
    k = await a.get(`/contracts/${id}`)
    if (k.status === 'signed' && !k.pending) break
    assert(Date.now() < end, `contract still ${k.status} (pending ${k.pending})`)
    await sleep(1000)
  }
  await page.locator(sel('contract-status'), { hasText: '已签署' }).waitFor({ timeout: 20000 })
  const kinds = await page.locator(sel('evidence-item')).allInnerTexts()
  for (const want of ['身份核验', '阅读完成', '意愿确认', '签署']) assert(kinds.some((t) => t.includes(want)), `evidence ${want}: ${kinds.join(' | ')}`)

  // The worker's completion page (the same phone, its signer cookie still
  // valid) offers the signed PDF.
  const phone = await open(S.workerState ? { ...PHONE, storageState: S.workerState } : PHONE)
  await phone.goto(`${BASE}/s/${token}`)
  const st = await Promise.race([
    phone.locator(sel('step-done')).waitFor().then(() => 'done'),
    phone.locator(sel('step-identity')).waitFor().then(() => 'identity'),
  ])
  if (st === 'identity') {
    // A new context holds no signer cookie: identity first.
    await passIdentity(phone, worker)
    await phone.locator(sel('step-done')).waitFor()
  }
  await noHorizontalScroll(phone, 'done (after the enterprise)')
  const [dl] = await Promise.all([phone.waitForEvent('download'), phone.locator(sel('sign-download')).click()])
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-pdfsig-'))
  try {
    const pdf = path.join(dir, 'contract.pdf')
    await dl.saveAs(pdf)
    assert(fs.readFileSync(pdf).subarray(0, 5).toString() === '%PDF-', 'the download is a PDF')
    const ca = await fetch(BASE + '/api/v1/trust/ca.crt')
    assert(ca.ok, `ca.crt: ${ca.status}`)
    fs.writeFileSync(path.join(dir, 'ca.crt'), Buffer.from(await ca.arrayBuffer()))
    const nss = path.join(dir, 'nss')
    fs.mkdirSync(nss)
    execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password'])
    // pdfsig checks the signer for e-mail (S/MIME) use: the root must be a
    // trusted CA for that too ("C,,": SSL only, gives "issuer isn't Trusted").
    const pem = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8').includes('BEGIN CERTIFICATE')
    execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'hexie-root', '-t', 'C,C,', ...(pem ? ['-a'] : []), '-i', path.join(dir, 'ca.crt')])
    let out
    try {
      out = execFileSync('pdfsig', ['-nssdir', `sql:${nss}`, pdf], { encoding: 'utf8' })
    } catch (e) {
      out = String(e.stdout || '') + String(e.stderr || '')
    }
    const sigs = out.split(/^Signature #\d+:/m).slice(1)
    assert(sigs.length >= 2, `pdfsig found ${sigs.length} signatures:\n${out}`)
    sigs.forEach((s, i) => {
      assert(s.includes('Signature is Valid'), `signature ${i + 1} not valid:\n${s}`)
      assert(s.includes('Certificate is Trusted'), `signature ${i + 1} certificate not trusted:\n${s}`)
    })
    assert(/Total document signed/.test(sigs[sigs.length - 1]) && !/Not total document signed/.test(sigs[sigs.length - 1]),
      `the last signature does not cover the whole document:\n${sigs[sigs.length - 1]}`)
    // the signatures are seen where the parties sign: the seal's red at
    // 甲方（盖章）, the handwritten strokes at 乙方（签字）
    const boxes = (await a.get(`/contracts/${id}`)).sign_boxes
    assert(boxes && boxes.enterprise && boxes.worker, `sign boxes: ${JSON.stringify(boxes)}`)
    const look = (party, pred) => {
      const b = boxes[party]
      execFileSync('pdftoppm', ['-r', '72', '-png', '-f', String(b.page + 1), '-l', String(b.page + 1), pdf, path.join(dir, party)])
      const img = readPng(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((n) => n.startsWith(party) && n.endsWith('.png')))))
      const [x0, y0, x1, y1] = b.rect
      let n = 0
      for (let y = Math.ceil(img.h - y1); y < Math.floor(img.h - y0); y++)
        for (let x = Math.ceil(x0); x < Math.floor(x1); x++) if (pred(...img.px(x, y))) n++
      return n
    }
    const red = look('enterprise', (r, g, b) => r > 180 && g < 90 && b < 100)
    assert(red > 300, `the seal's red at 甲方（盖章）: ${red} pixels`)
    const dark = look('worker', (r, g, b) => r < 90 && g < 90 && b < 90)
    assert(dark > 100, `the handwriting at 乙方（签字）: ${dark} pixels`)
  } finally {
    if (process.env.HEXIE_KEEP_PDF) console.log(`  kept ${dir}`)
    else fs.rmSync(dir, { recursive: true, force: true })
  }
}


// 批量起草: two workers chosen in the table with the same terms (one address
// for both, enterprise first), drafted and sent by the job with the bar
// full; one is signed with the enterprise seal, made from the page when the
// server says there is none.
async function hr_batch_drafts_and_seals({ open }) {
  const { enterprise, hr } = await ensureSetup()
  const a = await admin()
  const tag = `批${uniq().slice(-4)}`
  const workers = []
  for (const n of ['甲', '乙', '丙']) {
    workers.push(await a.post('/workers', {
      enterprise_id: enterprise.id, name: `${tag}${n}`, id_number: idNumber('19920101'),
      phone: '137' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0'), hire_date: today(), job: '包装工',
    }))
  }
  const page = await open()
  await login(page, hr.username, hr.password)
  await page.goto(BASE + '/contracts')
  await page.locator(sel('contract-batch')).click()
  const dialog = page.locator('.el-dialog:visible', { hasText: '批量起草合同' })
  await dialog.locator(sel('batch-workers')).waitFor()
  await dialog.locator(sel('batch-q')).fill(tag)
  await dialog.locator(sel('batch-q')).press('Enter')
  const rows = dialog.locator(sel('batch-workers') + ' .el-table__body .el-table__row')
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length === n,
    [`[data-test="batch-workers"] .el-table__body .el-table__row`, 3])
  for (let i = 0; i < 3; i++) await rows.nth(i).locator('.el-checkbox').click()
  await dialog.locator(sel('batch-count'), { hasText: '已选 3 人' }).waitFor()
  await dialog.locator(sel('terms-worker-address')).fill('浙江省丽水市云和县浮云街道职工宿舍')
  await fillDate(page, dialog.locator(sel('terms-term-start')), today())
  await fillDate(page, dialog.locator(sel('terms-term-end')), daysFromNow(365))
  await dialog.locator(sel('terms-job-title')).fill('包装工')
  await dialog.locator(sel('terms-job-location')).fill('浙江省丽水市云和县')
  await dialog.locator(sel('terms-pay-monthly')).fill('3800')
  await dialog.locator(sel('terms-sign-order')).getByText('企业先签').click()
  await dialog.locator(sel('batch-send') + ' .el-checkbox__input').click()
  await dialog.locator(sel('batch-start')).click()
  await dialog.locator(sel('batch-status'), { hasText: '已完成' }).waitFor({ timeout: 30000 })
  const pct = await dialog.locator(sel('batch-progress')).getAttribute('aria-valuenow')
  assert(pct === '100', `progress ${pct}`)
  assert((await dialog.locator(sel('batch-errors')).count()) === 0, 'batch failures listed')

  const { items } = await a.get('/contracts', { q: tag })
  items.sort((x, y) => x.id - y.id)
  assert(items.length === 3 && items.every((c) => c.status === 'sent' && c.sign_order === 'enterprise_first'),
    `batch contracts: ${JSON.stringify(items.map((c) => [c.worker_name, c.status, c.sign_order]))}`)

  // 电子印章签署: no seal yet → made from the page → signed.
  await page.goto(`${BASE}/contracts/${items[0].id}`)
  await sealFromPage(page, hr.phone)
  await page.locator(sel('contract-notice')).waitFor({ timeout: 30000 })
  await page.locator(sel('contract-status'), { hasText: '签署中' }).waitFor({ timeout: 20000 })
  const k = await a.get(`/contracts/${items[0].id}`)
  assert((k.signatures || []).some((x) => x.party === 'enterprise'), `seal signature: ${JSON.stringify(k.signatures)}`)
  assert(k.turn === 'worker', `turn after the seal: ${k.turn}`)

  // 企业签署 with the browser key; then that certificate is revoked and the
  // next signature in the same browser enrols a new key by itself.
  const browserSign = async (cid) => {
    await page.goto(`${BASE}/contracts/${cid}`)
    const b = page.locator(sel('contract-sign'))
    await b.waitFor()
    const after = await lastOutboxId()
    await b.click()
    await confirmIntent(page, hr.phone, after)
    await page.locator(sel('contract-notice')).waitFor({ timeout: 30000 })
    await page.locator(sel('contract-status'), { hasText: '签署中' }).waitFor({ timeout: 20000 })
    const x = await a.get(`/contracts/${cid}`)
    const sig = (x.signatures || []).find((y) => y.party === 'enterprise')
    assert(sig && sig.cert_serial, `browser signature: ${JSON.stringify(x.signatures)}`)
    return sig.cert_serial
  }
  const first = await browserSign(items[1].id)
  await a.post(`/contracts/certificates/${first}/revoke`, { reason: '浏览器测试：模拟密钥丢失' })
  const second = await browserSign(items[2].id)
  assert(second !== first, 'a new certificate after the revocation')
}

// The worker refuses with a reason; the HR sees 已拒签 and the reason in the
// evidence.
async function worker_rejects({ open }) {
  const { worker } = await ensureSetup()
  const { id, token } = await sendOne()
  const page = await open(PHONE)
  await page.goto(`${BASE}/s/${token}`)
  await passIdentity(page, worker)
  await page.locator(sel('step-read')).waitFor()
  await page.locator(sel('sign-reject')).click()
  const dialog = page.locator('.el-dialog:visible', { has: page.locator(sel('sign-reject-reason')) })
  await dialog.waitFor()
  await noHorizontalScroll(page, 'reject dialog')
  await dialog.locator(sel('sign-reject-reason')).fill('工资与面谈约定不一致')
  await dialog.locator(sel('sign-reject-submit')).click()
  await page.locator(sel('sign-closed'), { hasText: '拒绝签署' }).waitFor()
  const k = await (await admin()).get(`/contracts/${id}`)
  assert(k.status === 'rejected', `after rejecting: ${k.status}`)
  assert(k.evidence.some((e) => e.kind === 'rejected'), 'a rejected event')
}

// A full-time contract of the worker with these terms, drafted and sent by
// the HR through the API: its id and the worker's link token.
async function draftAndSend(terms) {
  const { worker, hr } = await ensureSetup()
  const u = await Api.login(hr.username, hr.password)
  const c = await u.post('/contracts', { worker_id: worker.id, kind: 'full_time', terms })
  const sent = await u.post(`/contracts/${c.id}/send`)
  return { id: c.id, token: /\/s\/([^/?#\s]+)/.exec(sent.link || sent.link_path)[1] }
}

// A contract drafted and sent through the API (not the one the UI test uses).
function sendOne() {
  return draftAndSend({
    worker_address: '浙江省丽水市云和县元和街道幸福里3号',
    term: { type: 'fixed', start: today(), end: daysFromNow(365) },
    job: { title: '质检员', location: '浙江省丽水市云和县' }, hours: { system: 'standard', hours_per_week: 40 },
    pay: { monthly: 4200, pay_day: 10 }, social_insurance: true, protection: '提供劳动防护用品',
    prior: { fixed_term_contracts: 0, years_of_service: 0 },
  })
}

// A contract the worker and the enterprise have signed, all through the API
// (for a test run alone): the worker's steps with a P-256 key made here, the
// enterprise's seal.
async function signViaApi() {
  const { hr, enterprise } = await ensureSetup()
  const { id, token } = await sendOne()
  await workerSignsViaApi(token)
  const u = await Api.login(hr.username, hr.password)
  const a = await admin()
  for (const end = Date.now() + 30000; ;) {
    const k = await a.get(`/contracts/${id}`)
    if (k.turn === 'enterprise') break
    assert(Date.now() < end, `the enterprise's turn never came: ${k.status}`)
    await sleep(300)
  }
  // the enterprise's intent code (意愿确认) to the HR user's own phone, for
  // the seal key (when there is none yet) and for the seal
  let after = await lastOutboxId()
  let q = await u.raw('POST', `/contracts/${id}/intent`, { method: 'seal' })
  if (q.status >= 400 && q.json && q.json.error && q.json.error.code === 'no_seal') {
    const k = await u.raw('POST', `/enterprises/${enterprise.id}/seal/intent`)
    assert(k.status < 300, `seal key intent: ${k.status} ${k.text.slice(0, 200)}`)
    const mk = await u.raw('POST', `/enterprises/${enterprise.id}/seal`, { code: (await codeFor(hr.phone, after)).code })
    assert(mk.status < 300, `seal key: ${mk.status} ${mk.text.slice(0, 200)}`)
    after = await lastOutboxId()
    q = await u.raw('POST', `/contracts/${id}/intent`, { method: 'seal' })
  }
  assert(q.status < 300, `intent: ${q.status} ${q.text.slice(0, 200)}`)
  const r = await u.raw('POST', `/contracts/${id}/seal`, { code: (await codeFor(hr.phone, after)).code })
  assert(r.status < 300, `seal: ${r.status} ${r.text.slice(0, 200)}`)
  for (const end = Date.now() + 60000; ;) {
    const k = await a.get(`/contracts/${id}`)
    if (k.status === 'signed' && !k.pending) return k
    assert(Date.now() < end, `contract still ${k.status}`)
    await sleep(500)
  }
}

// The worker's steps on a link through the API; gives the signer cookie.
async function workerSignsViaApi(token) {
  const { worker } = await ensureSetup()
  let cookie = ''
  const call = async (method, p, body) => {
    const headers = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (cookie) headers.Cookie = cookie
    const r = await fetch(`${BASE}/api/v1/sign/${token}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const m = /hx_signer=([^;]*)/.exec(r.headers.get('set-cookie') || '')
    if (m) cookie = `hx_signer=${m[1]}`
    const text = await r.text()
    if (r.status >= 400) throw new AssertionError(`${method} /sign/…${p}: ${r.status} ${text.slice(0, 200)}`)
    return text ? JSON.parse(text) : null
  }
  let after = await lastOutboxId()
  await call('POST', '/identity', { name: worker.name, id_number: worker.id_number })
  let c = await codeFor(worker.phone, after)
  await call('POST', '/identity/confirm', { code: c.code })
  await call('GET', '/text')
  await call('POST', '/read', { seconds: 30 })
  after = c.id
  await call('POST', '/intent')
  c = await codeFor(worker.phone, after)
  await call('POST', '/intent/confirm', { code: c.code })
  const { subtle } = globalThis.crypto
  const ALG = { name: 'ECDSA', hash: 'SHA-256' }
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const spki = Buffer.from(await subtle.exportKey('spki', pair.publicKey)).toString('base64')
  const proof = Buffer.from(await subtle.sign(ALG, pair.privateKey, Buffer.from('hexie-enrol:' + spki))).toString('base64')
  const cert = await call('POST', '/certificate', { spki, proof })
  const prep = await call('POST', '/prepare', { cert_serial: cert.serial, handwriting: handwriting().toString('base64') })
  const signature = Buffer.from(await subtle.sign(ALG, pair.privateKey, Buffer.from(prep.to_sign, 'base64'))).toString('base64')
  await call('POST', '/sign', { signature_id: prep.signature_id, signature })
  return cookie.slice('hx_signer='.length)
}

// The worker's signed labor contract: one a UI test made, else one now.
async function ensureSigned() {
  const { worker } = await ensureSetup()
  const a = await admin()
  const found = (await a.get('/contracts', { status: 'signed', q: worker.name })).items.find((c) => c.kind === 'full_time' && c.worker_id === worker.id)
  return found || signViaApi()
}

// The county side: the signed PDF passes 合同验真; 签约率 and 备案导出 list the
// enterprise; the filing's Excel answers; 最低工资档次 and the outbox show.
async function oversight_pages({ open }) {
  const { enterprise, worker } = await ensureSetup()
  const a = await admin()
  const signed = await ensureSigned()
  const page = await open()
  await login(page, ADMIN_USER, ADMIN_PASSWORD)

  // 首页: the county's written-contract rate as the rates API computes it,
  // and the contracts still waiting for a signature, one click away.
  const rates = await a.get('/contracts/rates')
  assert(rates.total && typeof rates.total.rate === 'number', `a county rate: ${JSON.stringify(rates.total)}`)
  const open_ = await a.get('/contracts', { status: 'open', per_page: 100 })
  assert(open_.total >= 1 && open_.items.every((c) => c.status === 'sent' || c.status === 'signing'), 'open contracts')
  await page.goto(BASE + '/')
  await page.locator(sel('stat-contract-rate'), { hasText: `${(rates.total.rate * 100).toFixed(1)}%` }).waitFor()
  // the rate names its parts (electronic, paper, unsigned)
  await page.locator(sel('stat-contract-rate-parts'), { hasText: `电子 ${rates.total.electronic}、纸质 ${rates.total.paper}、未签 ${rates.total.unsigned}` }).waitFor()
  // a county admin on an open contract: no sign or seal button (only the
  // enterprise's own HR signs or seals), and the warning that the links point
  // at this machine (no HEXIE_PUBLIC_URL on the test server)
  const mineOpen = open_.items.find((c) => !c.enterprise_signed_at) || open_.items[0]
  await page.goto(`${BASE}/contracts/${mineOpen.id}`)
  await page.locator(sel('contract-link-local'), { hasText: 'HEXIE_PUBLIC_URL' }).waitFor()
  if (!mineOpen.enterprise_signed_at) await page.locator(sel('contract-sign-hr-only')).waitFor()
  assert(await page.locator(sel('contract-sign')).count() === 0 && await page.locator(sel('contract-seal')).count() === 0, 'no sign or seal button for the admin')
  await page.goto(BASE + '/')
  await page.locator(sel('stat-contracts-waiting'), { hasText: String(open_.total) }).waitFor()
  await page.locator(sel('stat-contracts-waiting')).click()
  await page.waitForURL((u) => u.pathname === '/contracts' && u.searchParams.get('status') === 'open')
  await page.locator(sel('contract-status')).first().waitFor()
  const shown = await page.locator(sel('contract-status')).allInnerTexts()
  assert(shown.length >= 1 && shown.every((t) => t === '待签署' || t === '签署中'), `only open contracts: ${shown}`)

  // 合同验真 with the signed PDF as the platform holds it. The administrator
  // oversees but is no party and lacks pii.read: the PDF (full ID numbers)
  // is refused to it and its page offers no download; the enterprise's HR
  // has the file.
  const refused = await page.context().request.get(`${BASE}/api/v1/contracts/${signed.id}/document.pdf`)
  assert(refused.status() === 403, `document.pdf for the administrator: ${refused.status()}`)
  await page.goto(`${BASE}/contracts/${signed.id}`)
  await page.locator(sel('contract-worker')).waitFor()
  assert((await page.locator(sel('contract-pdf')).count()) === 0, 'no PDF download for the administrator')
  const hrApi = await Api.login(S.setup.hr.username, S.setup.hr.password)
  const pdfRes = await fetch(`${BASE}/api/v1/contracts/${signed.id}/document.pdf`, { headers: { Cookie: hrApi.cookie } })
  assert(pdfRes.ok, `document.pdf for HR: ${pdfRes.status}`)
  const pdfBytes = Buffer.from(await pdfRes.arrayBuffer())
  const pdf = { body: async () => pdfBytes }
  await page.locator(sel('nav-contract-verify')).click()
  await page.waitForURL((u) => u.pathname === '/contracts/verify')
  await page.locator(sel('verify-file')).setInputFiles({ name: 'contract.pdf', mimeType: 'application/pdf', buffer: await pdf.body() })
  await page.locator(sel('verify-submit')).click()
  const result = page.locator(sel('verify-result'))
  await result.waitFor()
  assert((await result.locator(sel('verify-known')).innerText()).includes('本平台签发'), 'known to the platform')
  assert((await result.locator(sel('verify-tampered')).innerText()).includes('未被修改'), 'not tampered')
  const trusted = await result.locator(sel('verify-trusted')).allInnerTexts()
  assert(trusted.length >= 2 && trusted.every((t) => t === '可信'), `trusted: ${trusted}`)
  await result.getByText('验真通过').waitFor()

  // A changed byte in the signed range: tampered.
  const bytes = Buffer.from(await pdf.body())
  const at = bytes.indexOf(Buffer.from('/Type'))
  bytes[at + 1] = 'X'.charCodeAt(0)
  await page.locator(sel('verify-file')).setInputFiles({ name: 'changed.pdf', mimeType: 'application/pdf', buffer: bytes })
  await page.locator(sel('verify-submit')).click()
  await page.locator(sel('verify-result')).waitFor()
  await page.locator(sel('verify-tampered'), { hasText: '已被修改' }).waitFor()

  await page.locator(sel('nav-contract-rates')).click()
  const row = page.locator(sel('rates-table') + ' .el-table__row', { hasText: enterprise.name })
  await row.waitFor()
  assert(/%/.test(await row.locator(sel('rate-value')).innerText()), 'a percentage')
  for (const [where, name] of [['/contracts/rates', 'rates-export'], ['/contracts?status=signed', 'contracts-export']]) {
    if (where !== '/contracts/rates') await page.goto(BASE + where)
    const link = await page.locator(sel(name)).getAttribute('href')
    const xr = await page.context().request.get(new URL(link, BASE).href)
    assert(xr.ok() && (await xr.body()).subarray(0, 2).toString() === 'PK', `${name}: ${xr.status()}`)
    if (name === 'contracts-export') assert(/status=signed/.test(link), `the list's filter goes with the export: ${link}`)
  }

  await page.locator(sel('nav-contract-filing')).click()
  const frow = page.locator(sel('filing-table') + ' .el-table__row', { hasText: worker.name }).first()
  await frow.waitFor()
  for (const g of ['基本信息', '合同内容', '签署信息']) await page.locator(sel('filing-table') + ' th', { hasText: g }).first().waitFor()
  const href = await page.locator(sel('filing-xlsx')).getAttribute('href')
  const x = await page.context().request.get(BASE + href)
  assert(x.ok() && (await x.body()).subarray(0, 2).toString() === 'PK', `filing.xlsx: ${x.status()}`)

  await page.locator(sel('nav-wage-tiers')).click()
  await page.locator(sel('wage-standards') + ' .el-table__row').first().waitFor()
  await page.locator(sel('nav-outbox')).click()
  await page.locator(sel('outbox-text'), { hasText: '验证码' }).first().waitFor()
  await page.locator(sel('outbox-demo'), { hasText: '演示模式' }).waitFor()
}

// 我的合同 at 375 px: name + ID number, the code, the signed contract listed
// with its download answering a PDF.
async function worker_portal({ open }) {
  const { worker } = await ensureSetup()
  await ensureSigned()
  const page = await open(PHONE)
  await page.goto(BASE + '/my')
  await page.locator(sel('my-login')).waitFor()
  await noHorizontalScroll(page, '/my login')
  const after = await lastOutboxId()
  await page.locator(sel('my-name')).fill(worker.name)
  await page.locator(sel('my-id-number')).fill(worker.id_number)
  await page.locator(sel('my-send')).click()
  await page.locator(sel('my-code')).waitFor()
  const c = await codeFor(worker.phone, after)
  await page.locator(sel('my-code')).fill(c.code)
  await page.locator(sel('my-confirm')).click()
  const item = page.locator(sel('my-contract'), { hasText: '已签署' }).first()
  await item.waitFor()
  await noHorizontalScroll(page, '/my list')
  const href = await item.locator(sel('my-download')).getAttribute('href')
  const r = await page.context().request.get(BASE + href)
  assert(r.ok() && (await r.body()).subarray(0, 5).toString() === '%PDF-', `my download: ${r.status()}`)
}

// A signed contract changed, renewed and ended from its page: each makes a
// draft linked to it; the termination certificate, sent and sealed, ends
// the contract.
async function hr_amends_renews_terminates({ open }) {
  const { hr, worker } = await ensureSetup()
  const a = await admin()
  const signed = await ensureSigned()
  const page = await open()
  await login(page, hr.username, hr.password)

  await page.goto(`${BASE}/contracts/${signed.id}`)
  await page.locator(sel('contract-amend')).click()
  let dialog = page.locator('.el-dialog:visible', { hasText: '变更劳动合同' })
  // A wage under the minimum is refused, shown beside the field.
  await dialog.locator(sel('terms-pay-monthly')).fill('1000')
  await dialog.locator(sel('change-submit')).click()
  await dialog.locator('.el-form-item', { has: page.locator(sel('terms-pay-monthly')) })
    .locator('[data-test="lint-finding"][data-code="lint_failed"]').waitFor()
  await dialog.locator(sel('terms-pay-monthly')).fill('5200')
  await dialog.locator(sel('terms-pay-probation')).fill('4200')
  await dialog.locator(sel('change-submit')).click()
  await page.waitForURL((u) => /^\/contracts\/\d+$/.test(u.pathname) && u.pathname !== `/contracts/${signed.id}`)
  await page.locator(sel('contract-status'), { hasText: '草稿' }).waitFor()
  const amendId = Number(new URL(page.url()).pathname.split('/').pop())
  const am = await a.get(`/contracts/${amendId}`)
  assert(am.kind === 'amendment' && am.event === 'change' && am.parent_id === signed.id, `amendment ${JSON.stringify(am).slice(0, 200)}`)

  await page.goto(`${BASE}/contracts/${signed.id}`)
  await page.locator(sel('contract-renew')).click()
  dialog = page.locator('.el-dialog:visible', { hasText: '续签劳动合同' })
  await dialog.locator(sel('change-submit')).click()
  await page.waitForURL((u) => /^\/contracts\/\d+$/.test(u.pathname) && u.pathname !== `/contracts/${signed.id}`)
  const renewId = Number(new URL(page.url()).pathname.split('/').pop())
  const rn = await a.get(`/contracts/${renewId}`)
  assert(rn.event === 'renew' && rn.parent_id === signed.id && rn.status === 'draft', `renewal ${JSON.stringify(rn).slice(0, 200)}`)

  await page.goto(`${BASE}/contracts/${signed.id}`)
  await page.locator(sel('contract-terminate')).click()
  dialog = page.locator('.el-dialog:visible', { hasText: '解除或终止劳动合同' })
  await dialog.locator(sel('terminate-reason')).fill('双方协商一致解除劳动合同')
  await dialog.locator(sel('terminate-basis')).click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '第三十六条' }).click()
  await dialog.locator(sel('change-submit')).click()
  await page.waitForURL((u) => /^\/contracts\/\d+$/.test(u.pathname) && u.pathname !== `/contracts/${signed.id}`)
  await page.locator(sel('contract-status'), { hasText: '草稿' }).waitFor()
  await page.locator(sel('contract-send')).click()
  await page.locator('.el-message-box__btns .el-button--primary').click()
  await page.locator(sel('contract-status'), { hasText: '待签署' }).waitFor()
  await sealFromPage(page, hr.phone)
  await page.locator(sel('contract-status'), { hasText: '已签署' }).waitFor({ timeout: 30000 })
  const old = await a.get(`/contracts/${signed.id}`)
  assert(old.status === 'ended', `the contract after its termination certificate: ${old.status}`)
  await page.goto(`${BASE}/contracts/${signed.id}`)
  await page.locator(sel('contract-status'), { hasText: '已终止' }).waitFor()
  await page.locator(sel('contract-children')).waitFor()
}

// 执法司法机关人员 (a court's judge): the contracts menu, no export, no
// drafting; opening a contract asks for the case number and reason first
// (an empty one is refused in the dialog); the evidence package too; each
// read is in the operation log with the case number.
async function authority_reads_under_case({ open }) {
  const signed = await ensureSigned()
  const a = await admin()
  const court = await a.post('/organizations', { name: `云和县人民法院${uniq()}庭`, kind: 'court' })
  const judge = await makeUser({ display_name: '审判员李', role: 'authority', org_id: court.id })
  const page = await open()
  await login(page, judge.username, judge.password)
  await page.locator(sel('nav-contracts')).click()
  await page.waitForURL((u) => u.pathname === '/contracts')
  await page.goto(BASE + '/contracts?status=signed')
  await page.locator(sel('contracts-q')).fill(S.setup.worker.name)
  await page.locator(sel('contracts-search')).click()
  const openLink = page.locator(sel('contract-open'), { hasText: S.setup.worker.name }).first()
  await openLink.waitFor()
  assert((await page.locator(sel('contracts-export')).count()) === 0, 'no bulk export for an authority')
  assert((await page.locator(sel('contract-new')).count()) === 0, 'no drafting for an authority')
  await openLink.click()
  const dlg = page.locator(sel('case-dialog'))
  await dlg.waitFor()
  await page.locator(sel('case-confirm')).click()
  await dlg.getByText('请填写案号').waitFor()
  assert(new URL(page.url()).pathname === '/contracts', 'not opened without a case number')
  const CASE = `（2026）浙1125民初${uniq().slice(-4)}号`
  await page.locator(sel('case-no')).fill(CASE)
  await page.locator(sel('case-reason')).fill('审理劳动争议案件需调取劳动合同')
  await page.locator(sel('case-confirm')).click()
  await page.waitForURL((u) => /^\/contracts\/\d+$/.test(u.pathname))
  await page.locator(sel('contract-worker')).waitFor()
  for (const b of ['contract-sign', 'contract-seal', 'contract-withdraw', 'contract-amend', 'cert-revoke'])
    assert((await page.locator(sel(b)).count()) === 0, `no ${b} for an authority`)
  // the package: the dialog again, with the case filled in
  await page.locator(sel('contract-evidence')).click()
  await dlg.waitFor()
  assert((await page.locator(sel('case-no')).inputValue()) === CASE, 'the case number offered again')
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(sel('case-confirm')).click()])
  const file = await download.path()
  assert(file && fs.readFileSync(file).subarray(0, 2).toString() === 'PK', 'the evidence package downloaded')
  const id = Number(new URL(page.url()).pathname.split('/').pop())
  const log = await a.get('/audit', { object_type: 'contract', object_id: id, action: 'contract.inquire' })
  const mine = log.items.filter((e) => e.actor_id === judge.id)
  assert(mine.length === 2 && mine.every((e) => e.changes.case_no[1] === CASE), `two reads logged with the case: ${JSON.stringify(mine.map((e) => e.changes))}`)
  assert(signed.id > 0, 'a signed contract exists')
}

const TESTS = [
  hr_drafts_lints_and_sends,
  worker_signs_on_phone,
  hr_signs_and_pdf_verifies,
  hr_batch_drafts_and_seals,
  worker_rejects,
  oversight_pages,
  worker_portal,
  hr_amends_renews_terminates,
  authority_reads_under_case,
]

runSuite(TESTS, { label: 'contract-browser', shot: 'contract-', allPages: true, context: { acceptDownloads: true } })
