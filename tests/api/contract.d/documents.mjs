// Documents that say what was agreed (issue 9, points 11 and 12): every
// template rendered through the real workflow (draft → send → the PDF as HR
// reads it back with pdftotext) shows every value entered; a field the
// document would leave blank is lint_failed naming it; renewal rules
// (probation_repeated, late signing from the old contract's end, the
// one-month check on the day of sending, no drafting date as sign_date).
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, assert, eq, idnum, makeStore, startServer, uscc } from '../lib.mjs'

export default function (T, ctx) {
  const { uniq, newWorker, TERMS, draft, sent, workerSigns, enterpriseSigns, tmpFile, contract } = ctx
  const hr = () => ctx.hr

  // the PDF as HR downloads it, its text without whitespace
  async function pdfText(id) {
    const r = await hr().get(`/api/v1/contracts/${id}/document.pdf`)
    eq(r.status, 200, 'pdf ' + r.status)
    const out = spawnSync('pdftotext', ['-q', '-enc', 'UTF-8', tmpFile('d.pdf', r.body), '-'], { encoding: 'utf8' })
    eq(out.status, 0, 'pdftotext')
    return out.stdout.replace(/\s+/g, '')
  }
  const cn = (d) => { const [y, m, day] = d.split('-').map(Number); return `${y}年${m}月${day}日` }
  const has = (text, list) => { for (const s of list) assert(text.includes(s.replace(/\s+/g, '')), 'the PDF shows ' + s) }
  // no blank line anywhere before the signature block (which the visible
  // signatures fill in)
  const noBlank = (text) => {
    const end = text.indexOf('甲方（盖章）')
    assert(end > 0, 'signature block')
    assert(!text.slice(0, end).includes('＿'), 'no blank line: ' + text.slice(Math.max(0, text.indexOf('＿') - 40), text.indexOf('＿') + 10))
  }
  async function signedContract(w, extra) {
    const k = await sent(w, extra)
    eq((await workerSigns(k, w)).s.status, 200, 'worker signs')
    eq((await enterpriseSigns(k.id)).status, 200, 'enterprise signs')
    const c = await contract(k.id)
    eq(c.status, 'signed', 'signed')
    return c
  }
  async function sendOk(id) {
    const r = await hr().post(`/api/v1/contracts/${id}/send`)
    eq(r.status, 200, 'send ' + r.body.toString())
    return r.json
  }
  async function sendRefused(id, field) {
    const r = await hr().post(`/api/v1/contracts/${id}/send`)
    eq(r.status, 422, 'send refused ' + r.body.toString())
    eq(r.json.error.code, 'lint_failed', 'code')
    eq(r.json.error.field, field, 'the field named')
    eq((await contract(id)).status, 'draft', 'still a draft')
  }
  const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)

  T.push(['documents: the full-time contract shows every value entered, and no drafting date as the signing date', async () => {
    const w = await newWorker()
    const k = await draft(w)
    assert(!('sign_date' in k.terms), 'no sign_date in the terms: ' + k.terms.sign_date)
    await sendOk(k.id)
    const text = await pdfText(k.id)
    has(text, [w.name, w.id_number, ctx.ent.name, ctx.ent.uscc, '张三', '浙江省丽水市云和县浮云街道示例路1号', TERMS.worker_address, '13900001111',
      '全日制', '固定期限，自2026年12月1日起至2029年11月30日止', '试用期2个月，自2026年12月1日起至2027年1月31日止',
      '自2026年11月1日起在甲方处工作', TERMS.job.title, TERMS.job.location, '标准工时制', '月工资为人民币4200元',
      '试用期月工资为人民币3400元', '每月15日', TERMS.protection])
    noBlank(text)
    // the day HR drafted it is not printed as the day it was signed
    assert(!text.includes('日期' + cn(today())), 'the drafting date printed as the signing date')
  }])

  T.push(['documents: the part-time contract shows every value entered', async () => {
    const w = await newWorker()
    const terms = { ...TERMS, probation_months: 0, hours: { system: 'standard', hours_per_week: 18 },
      pay: { hourly: 26.5, pay_day: 15 }, social_insurance: false, job: { title: '包装工（非全日制）', location: '云和县城东工业区' } }
    const k = await draft(w, { kind: 'part_time', terms })
    eq(k.lint.errors.length, 0, 'no errors ' + JSON.stringify(k.lint.errors))
    await sendOk(k.id)
    const text = await pdfText(k.id)
    has(text, ['非全日制劳动合同书', w.name, w.id_number, TERMS.worker_address, '固定期限，自2026年12月1日起至2029年11月30日止',
      '包装工（非全日制）', '云和县城东工业区', '每周工作18小时', '小时工资为人民币26.50元', '以个人身份参加基本养老保险和基本医疗保险',
      TERMS.protection])
    noBlank(text)
  }])

  let signed, signedW
  T.push(['documents: the amendment shows each changed term before → after, its effective date and the original', async () => {
    signedW = await newWorker()
    signed = await signedContract(signedW)
    const r = await hr().post(`/api/v1/contracts/${signed.id}/amend`, {
      changes: { pay: { monthly: 4600, probation_monthly: 3680, pay_day: 15 }, job: { title: '质检员', location: TERMS.job.location } },
      effective_date: '2027-03-01',
    })
    eq(r.status, 201, 'amend ' + r.body.toString())
    eq(r.json.lint.errors.length, 0, 'no errors ' + JSON.stringify(r.json.lint.errors))
    await sendOk(r.json.id)
    const text = await pdfText(r.json.id)
    const signedOn = new Date(Date.parse(signed.completed_at) + 8 * 3600e3).toISOString().slice(0, 10)
    has(text, ['变更劳动合同协议书', `于${cn(signedOn)}订立了全日制劳动合同`, `合同编号：${signed.number}`,
      '（1）工作岗位：木制玩具装配工 → 质检员', '（2）月工资：4200元 → 4600元', '（3）试用期月工资：3400元 → 3680元', '本协议自2027年3月1日起生效',
      signedW.name, signedW.id_number, TERMS.worker_address])
    // unchanged terms are not listed as changes
    assert(!text.includes('工作地点：') && !text.includes('工资支付日：'), 'only what changed')
    noBlank(text)
  }])

  T.push(['documents: bad amendments: an unknown term, a wrong type, nothing changed', async () => {
    assert(signed, 'needs the signed contract')
    let r = await hr().post(`/api/v1/contracts/${signed.id}/amend`, { changes: { pay: { bonus: 100 } }, effective_date: '2027-03-01' })
    eq(r.status, 400, 'unknown term'); eq(r.json.error.code, 'unknown_field', 'code'); eq(r.json.error.field, 'changes.pay.bonus', 'field')
    r = await hr().post(`/api/v1/contracts/${signed.id}/amend`, { changes: { employer: { name: 'x' } }, effective_date: '2027-03-01' })
    eq(r.status, 400, 'the parties are not terms to change'); eq(r.json.error.field, 'changes.employer.name', 'field')
    r = await hr().post(`/api/v1/contracts/${signed.id}/amend`, { changes: { job: { title: ['x'] } }, effective_date: '2027-03-01' })
    eq(r.status, 400, 'wrong type'); eq(r.json.error.code, 'wrong_type', 'code')
    r = await hr().post(`/api/v1/contracts/${signed.id}/amend`, { changes: { pay: { monthly: 4200 } }, effective_date: '2027-03-01' })
    eq(r.status, 422, 'nothing changed'); eq(r.json.error.code, 'no_change', 'code'); eq(r.json.error.field, 'changes', 'field')
    r = await hr().post(`/api/v1/contracts/${signed.id}/amend`, { changes: { pay: { monthly: 4600 } } })
    eq(r.status, 422, 'no effective date'); eq(r.json.error.field, 'effective_date', 'field')
  }])

  T.push(['documents: the termination certificate shows the date, 解除, the reason, the legal basis and the years of service', async () => {
    const w = await newWorker()
    const k = await signedContract(w)
    const body = { event: 'rescind', date: '2028-12-31', reason: '乙方因个人原因提出辞职，双方协商一致', legal_basis: '《劳动合同法》第三十六条' }
    const r = await hr().post(`/api/v1/contracts/${k.id}/terminate`, body)
    eq(r.status, 201, 'terminate ' + r.body.toString())
    eq(r.json.lint.errors.length, 0, 'no errors ' + JSON.stringify(r.json.lint.errors))
    await sendOk(r.json.id)
    const text = await pdfText(r.json.id)
    // 实施条例第二十四条: term, date, job, years of service in this unit
    has(text, ['解除或终止劳动合同证明书', `合同编号：${k.number}`, '固定期限，自2026年12月1日起至2029年11月30日止',
      '于2028年12月31日解除', '解除的原因：' + body.reason, '解除的法律依据：' + body.legal_basis,
      '乙方自2026年11月1日起在甲方处工作，至2028年12月31日止，在本单位的工作年限为2年2个月', TERMS.job.title, TERMS.job.location,
      w.name, w.id_number, TERMS.worker_address])
    noBlank(text)
  }])

  T.push(['documents: a field the certificate would leave blank blocks sending, named', async () => {
    const w = await newWorker()
    const k = await signedContract(w)
    let r = await hr().post(`/api/v1/contracts/${k.id}/terminate`, { event: 'terminate', date: '2029-11-30', reason: '劳动合同期满' })
    eq(r.status, 422, 'no legal basis'); eq(r.json.error.field, 'legal_basis', 'field')
    r = await hr().post(`/api/v1/contracts/${k.id}/terminate`, { event: 'terminate', date: '2026-10-01', reason: '劳动合同期满', legal_basis: '第四十四条' })
    eq(r.status, 422, 'before the hire date'); eq(r.json.error.field, 'date', 'field')
    r = await hr().post(`/api/v1/contracts/${k.id}/terminate`, { event: 'terminate', date: '2029-11-30', reason: '劳动合同期满', legal_basis: '《劳动合同法》第四十四条第（一）项' })
    eq(r.status, 201, 'terminate ' + r.body.toString())
    // HR edits the draft and drops the legal basis: a lint error beside the field, and sending is refused
    const u = await hr().req('PUT', `/api/v1/contracts/${r.json.id}`, { terms: { event: 'terminate', date: '2029-11-30', reason: '劳动合同期满' } })
    eq(u.status, 200, 'update ' + u.body.toString())
    const codes = u.json.lint.errors.map((e) => e.code + ':' + e.field)
    eq(codes, ['unfilled_field:legal_basis'], 'the unfilled field')
    await sendRefused(r.json.id, 'legal_basis')
    // filled in again, it sends and prints 终止
    const u2 = await hr().req('PUT', `/api/v1/contracts/${r.json.id}`, { terms: { event: 'terminate', date: '2029-11-30', reason: '劳动合同期满', legal_basis: '《劳动合同法》第四十四条第（一）项' } })
    eq(u2.json.lint.errors.length, 0, 'no errors ' + JSON.stringify(u2.json.lint.errors))
    await sendOk(r.json.id)
    const text = await pdfText(r.json.id)
    has(text, ['于2029年11月30日终止', '终止的原因：劳动合同期满', '终止的法律依据：《劳动合同法》第四十四条第（一）项', '工作年限为3年1个月'])
    noBlank(text)
  }])

  T.push(['documents: a labor contract with a field its document would print blank is refused at sending', async () => {
    const w = await newWorker()
    const k = await draft(w, { terms: { ...TERMS, pay: { monthly: 4200, probation_monthly: 3400 } } })
    const f = k.lint.errors.find((e) => e.field === 'pay.pay_day')
    assert(f && f.code === 'unfilled_field' && /工资支付日/.test(f.message), 'shown beside the field: ' + JSON.stringify(k.lint.errors))
    await sendRefused(k.id, 'pay.pay_day')
  }])

  T.push(['documents: a renewal carries no probation and does not warn of late signing before the old contract ends', async () => {
    assert(signed, 'needs the signed contract')
    const r = await hr().post(`/api/v1/contracts/${signed.id}/renew`, { terms: { term: { type: 'fixed', start: '2029-12-01', end: '2032-11-30' } } })
    eq(r.status, 201, 'renew ' + r.body.toString())
    eq(r.json.terms.probation_months, 0, 'no probation copied')
    eq(r.json.lint.errors, [], 'no errors')
    const warns = r.json.lint.warnings.map((x) => x.code)
    assert(!warns.includes('late_signing'), 'late signing counted from the hire date: ' + JSON.stringify(r.json.lint.warnings))
    eq(r.json.terms.worker.address, TERMS.worker_address, 'the address kept')
    await sendOk(r.json.id)
    const text = await pdfText(r.json.id)
    has(text, ['不约定试用期', '固定期限，自2029年12月1日起至2032年11月30日止', TERMS.worker_address])
    assert(!text.includes('试用期月工资'), 'no probation pay')
  }])

  T.push(['documents: probation_repeated: a renewal with a probation, a new contract after one with a probation', async () => {
    assert(signed, 'needs the signed contract')
    const r = await hr().post(`/api/v1/contracts/${signed.id}/renew`, { terms: { term: { type: 'fixed', start: '2029-12-01', end: '2032-11-30' }, probation_months: 2, pay: { monthly: 4200, probation_monthly: 3400, pay_day: 15 } } })
    eq(r.status, 201, 'renew ' + r.body.toString())
    eq(r.json.lint.errors.map((e) => e.code + ':' + e.field), ['probation_repeated:probation_months'], 'the error and field')
    assert(/第十九条第二款/.test(r.json.lint.errors[0].message), 'cites the article')
    await sendRefused(r.json.id, 'probation_months')
    // another new contract of the same worker, who had a probation here
    const k2 = await draft(signedW, { terms: { ...TERMS, probation_months: 1 } })
    eq(k2.lint.errors.map((e) => e.code + ':' + e.field), ['probation_repeated:probation_months'], 'a second probation')
    await sendRefused(k2.id, 'probation_months')
    const k3 = await draft(signedW, { terms: { ...TERMS, probation_months: 0 } })
    eq(k3.lint.errors, [], 'without a probation it is fine')
    // the same person rehired on a new roster row: still the same worker
    const w = await newWorker()
    const k = await signedContract(w)
    const t = await hr().post(`/api/v1/contracts/${k.id}/terminate`, { event: 'rescind', date: '2026-12-31', reason: '协商一致', legal_basis: '《劳动合同法》第三十六条' })
    eq(t.status, 201, 'terminate ' + t.body.toString())
    await sendOk(t.json.id)
    eq((await enterpriseSigns(t.json.id)).status, 200, 'certificate signed')
    const again = await newWorker({ name: w.name, id_number: w.id_number })
    const k4 = await draft(again)
    eq(k4.lint.errors.map((e) => e.code + ':' + e.field), ['probation_repeated:probation_months'], 'a rehire is the same person')
  }])

  T.push(['documents: a renewal after the old contract ended warns of late signing from that end', async () => {
    const w = await newWorker()
    const k = await signedContract(w, { terms: { ...TERMS, hire_date: '2023-09-01', term: { type: 'fixed', start: '2023-09-01', end: '2026-10-31' }, probation_months: 0, pay: { monthly: 4200, pay_day: 15 } } })
    const r = await hr().post(`/api/v1/contracts/${k.id}/renew`, { terms: { term: { type: 'fixed', start: '2026-11-01', end: '2029-10-31' } } })
    eq(r.status, 201, 'renew ' + r.body.toString())
    const late = r.json.lint.warnings.find((x) => x.code === 'late_signing')
    assert(late && late.field === 'term.start' && late.message.includes('2026-10-31'), 'from the old end: ' + JSON.stringify(r.json.lint.warnings))
  }])

  T.push(['documents: the one-month check runs on the day of sending, not the day of drafting', async () => {
    // a server of its own whose clock is pinned: drafted on 2026-11-20, sent on 2026-12-08
    const store = makeStore(ctx.BIN, null, { demo: false })
    let srv = await startServer(ctx.BIN, store, [], { HEXIE_TODAY: '2026-11-20' })
    let worker, id
    try {
      const admin = new Client(srv.base)
      eq((await admin.login('admin', ADMIN_PASSWORD)).status, 200, 'login')
      const areas = (await admin.get('/api/v1/areas')).json.items
      const area = areas.find((a) => a.kind !== 'county') || areas[0]
      const e = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: `签订日期测试企业${uniq()}`, area_id: area.id, legal_representative: '张三', address: '浙江省丽水市云和县浮云街道示例路1号' })
      eq(e.status, 201, 'enterprise ' + e.body.toString())
      worker = await admin.post('/api/v1/workers', { enterprise_id: e.json.id, name: '王五', id_number: idnum('19900101'), phone: '13900002222', hire_date: '2026-11-01', employment_type: 'full_time' })
      eq(worker.status, 201, 'worker ' + worker.body.toString())
      const d = await admin.post('/api/v1/contracts', { worker_id: worker.json.id, kind: 'full_time', terms: TERMS })
      eq(d.status, 201, 'draft ' + d.body.toString())
      id = d.json.id
      assert(!d.json.lint.warnings.some((x) => x.code === 'late_signing'), 'within the month on the day of drafting')
    } finally { await srv.stop() }
    srv = await startServer(ctx.BIN, store, [], { HEXIE_TODAY: '2026-12-08' })
    try {
      const admin = new Client(srv.base)
      eq((await admin.login('admin', ADMIN_PASSWORD)).status, 200, 'login')
      const s = await admin.post(`/api/v1/contracts/${id}/send`)
      eq(s.status, 200, 'send ' + s.body.toString())
      const late = s.json.lint.warnings.find((x) => x.code === 'late_signing')
      assert(late && late.field === 'hire_date' && /仍未/.test(late.message), 'late on the day of sending: ' + JSON.stringify(s.json.lint))
    } finally { await srv.stop() }
  }])
}
