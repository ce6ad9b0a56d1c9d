// Campaign tests (创建活动): open, apply, self-assess with evidence,
// department review limited to one's items, metric overrides with reasons,
// the anonymous worker poll, the child-labor veto from the roster, the
// written-contract rate from the contract module, confirm, publish and
// results — on a live server.
//
//   node tests/api/campaign.mjs --bin build/hexie [--db URL]
import path from 'node:path'
import { ADMIN_PASSWORD, Client, ROOT, assert, contractWorker, eq, idnum, makeStore, runTests, signedContract, startServer, uscc } from './lib.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DB = opt('--db', null)
const SUITE = 'campaign' + (DB ? '-postgresql' : '')

const store = makeStore(BIN, DB)
const srv = await startServer(BIN, store)
const admin = new Client(srv.base)
await admin.login('admin', ADMIN_PASSWORD)
const areas = (await admin.get('/api/v1/areas')).json.items
const orgs = (await admin.get('/api/v1/organizations')).json.items
const orgId = (name) => orgs.find((o) => o.name === name).id

async function user(role, extra) {
  const username = role + Math.random().toString(36).slice(2, 8)
  const password = 'Passw0rd-' + Math.random().toString(36).slice(2, 8)
  const r = await admin.post('/api/v1/users', { username, display_name: role, password, role, ...extra })
  eq(r.status, 201, 'user ' + JSON.stringify(r.json))
  const c = new Client(srv.base)
  eq((await c.login(username, password)).status, 200, 'login')
  return c
}
async function enterprise(extra = {}) {
  const r = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: '申报企业' + Math.random().toString(36).slice(2, 7),
    area_id: areas.find((a) => a.name === '浮云街道').id, is_company: true, ...extra })
  eq(r.status, 201, 'enterprise')
  return r.json
}
async function campaign(extra = {}) {
  const r = await admin.post('/api/v1/campaigns', { name: '2026年度和谐企业创建' + Math.random().toString(36).slice(2, 6), year: 2026,
    subject: 'enterprise', rubric_id: 'lishui-2021-enterprise', pass_line: 80, grades: [{ name: 'AAA', min: 90 }, { name: 'AA', min: 85 }], ...extra })
  eq(r.status, 201, 'campaign ' + JSON.stringify(r.json))
  return r.json
}

const T = []
const test = (name, fn) => T.push([name, fn])

test('opening a campaign assigns each item to the county departments', async () => {
  const k = await campaign()
  eq(k.status, 'open', 'status'); eq(k.rubric_version, 1, 'version'); eq(k.pass_line, 80, 'pass line')
  const item1 = k.assignments.find((a) => a.item_id === '1')
  assert(item1.org_names.includes('云和县人力资源和社会保障局'), JSON.stringify(item1))
  assert(k.assignments.some((a) => a.org_names.includes('云和县总工会')), 'union items')
  let r = await admin.post('/api/v1/campaigns', { name: 'x', year: 2026, subject: 'enterprise', rubric_id: 'nope', pass_line: 80 })
  eq(r.status, 422, 'unknown rubric'); eq(r.json.error.field, 'rubric_id', 'field')
  r = await admin.post('/api/v1/campaigns', { name: 'x', year: 2026, subject: 'enterprise', rubric_id: 'lishui-2021-park', pass_line: 80 })
  eq(r.status, 422, 'subject mismatch')
  r = await admin.post('/api/v1/campaigns', { name: 'x', year: 2026, subject: 'enterprise', rubric_id: 'lishui-2021-enterprise', pass_line: 101 })
  eq(r.status, 422, 'pass line over the total')
  const hr = await user('enterprise_hr', { enterprise_id: (await enterprise()).id })
  eq((await hr.post('/api/v1/campaigns', { name: 'x', year: 2026, subject: 'enterprise', rubric_id: 'lishui-2021-enterprise', pass_line: 80 })).status, 403, 'HR cannot open')
})

test('apply, self-assess with evidence, submit; the scope holds', async () => {
  const k = await campaign()
  const e = await enterprise(), other = await enterprise()
  const hr = await user('enterprise_hr', { enterprise_id: e.id })
  let r = await hr.post(`/api/v1/campaigns/${k.id}/applications`, {})
  eq(r.status, 201, 'apply ' + JSON.stringify(r.json)); eq(r.json.applicant, e.name, 'applicant')
  const app = r.json
  eq((await hr.post(`/api/v1/campaigns/${k.id}/applications`, {})).status, 409, 'once per campaign')
  eq((await hr.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: other.id })).status, 422, 'not another enterprise')
  r = await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { answers: { '1.2': { value: true, note: '合同条款齐全' }, '2.1': { value: 1.5 } }, metrics: { contract_signing_rate: 1 } })
  eq(r.status, 200, 'self ' + JSON.stringify(r.json))
  eq(r.json.answers['1.2'].self.note, '合同条款齐全', 'note kept')
  const crit = (res, id) => res.items.flatMap((i) => i.criteria).find((c) => c.id === id).score
  eq(crit(r.json.score, '1.1'), 5, 'metric rule'); eq(crit(r.json.score, '2.1'), 1.5, 'partial points')
  eq(r.json.metrics.find((m) => m.name === 'contract_signing_rate').source, 'self', 'self-filled metric')
  eq((await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { answers: { '99.1': { value: true } } })).status, 422, 'unknown criterion')
  eq((await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { answers: { '2.1': { value: 9 } } })).status, 422, 'out of range')
  eq((await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { metrics: { contract_signing_rate: 2 } })).status, 422, 'rate over 1')
  r = await hr.req('POST', `/api/v1/applications/${app.id}/evidence?criterion_id=1.2&filename=${encodeURIComponent('劳动合同样本.pdf')}`, undefined, { raw: Buffer.from('%PDF-1.4 sample') })
  eq(r.status, 201, 'evidence'); const ev = r.json
  const dl = await hr.get('/api/v1/evidence/' + ev.id)
  eq(dl.status, 200, 'download'); eq(dl.body.toString(), '%PDF-1.4 sample', 'bytes')
  const otherHr = await user('enterprise_hr', { enterprise_id: other.id })
  eq((await otherHr.get('/api/v1/evidence/' + ev.id)).status, 404, 'another enterprise cannot download')
  eq((await otherHr.get('/api/v1/applications/' + app.id)).status, 404, 'nor see the application')
  const worker = (await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '职工甲', id_number: idnum('19900101'), hire_date: '2020-01-01' })).json
  const wk = await user('worker', { worker_id: worker.id })
  eq((await wk.get('/api/v1/applications/' + app.id)).status, 404, 'a worker does not see the self-assessment')
  eq((await hr.post(`/api/v1/applications/${app.id}/submit`)).status, 200, 'submit')
  eq((await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { answers: { '1.2': { value: false } } })).status, 422, 'read-only after submit')
})

test('departments review only their own items (403 outside), override metrics with a reason', async () => {
  const k = await campaign()
  const e = await enterprise()
  const hr = await user('enterprise_hr', { enterprise_id: e.id })
  const app = (await hr.post(`/api/v1/campaigns/${k.id}/applications`, {})).json
  await hr.post(`/api/v1/applications/${app.id}/submit`)
  const union = orgId('云和县总工会')
  const unionItem = k.assignments.find((a) => a.org_ids.includes(union)).item_id
  const notUnion = k.assignments.find((a) => !a.org_ids.includes(union)).item_id
  const rb = (await admin.get('/api/v1/rubrics/lishui-2021-enterprise')).json
  const firstCrit = (item) => rb.items.find((i) => i.id === item).criteria.find((c) => c.max > 0).id
  const rev = await user('reviewer', { org_id: union })
  let r = await rev.get('/api/v1/applications/' + app.id)
  eq(r.status, 200, 'reviewer sees'); assert(r.json.my_items.includes(unionItem) && !r.json.my_items.includes(notUnion), 'my items')
  r = await rev.req('PUT', `/api/v1/applications/${app.id}/review`, { answers: { [firstCrit(unionItem)]: { value: true, note: '查阅了职代会记录' } }, comments: { [unionItem]: '工会组织健全' } })
  eq(r.status, 200, 'own item ' + JSON.stringify(r.json))
  eq(r.json.answers[firstCrit(unionItem)].review.org_name, '云和县总工会', 'review recorded with its department')
  r = await rev.req('PUT', `/api/v1/applications/${app.id}/review`, { answers: { [firstCrit(notUnion)]: { value: true } } })
  eq(r.status, 403, 'other item'); eq(r.json.error.code, 'not_your_item', 'code')
  eq((await rev.req('PUT', `/api/v1/applications/${app.id}/review`, { comments: { [notUnion]: 'x' } })).status, 403, 'other item comment')
  eq((await rev.req('PUT', `/api/v1/applications/${app.id}/metrics/contract_signing_rate`, { value: 0.9 })).status, 422, 'reason required')
  r = await rev.req('PUT', `/api/v1/applications/${app.id}/metrics/contract_signing_rate`, { value: 0.9, reason: '抽查发现10%未签' })
  eq(r.status, 200, 'override')
  const m = r.json.metrics.find((x) => x.name === 'contract_signing_rate')
  eq(m.source, 'override', 'source'); eq(m.value, 0.9, 'value'); eq(m.reason, '抽查发现10%未签', 'reason')
  eq(r.json.score.items.find((i) => i.id === '1').score, 0, 'below 95% zeroes item 1')
  const log = await admin.get(`/api/v1/audit?object_type=rating_application&object_id=${app.id}&action=override`)
  eq(log.json.total, 1, 'the override is logged')
  const prog = (await admin.get('/api/v1/campaigns/' + k.id)).json.progress.find((p) => p.org_id === union)
  assert(prog.reviewed >= 1 && prog.assigned >= prog.reviewed, 'progress ' + JSON.stringify(prog))
  eq((await admin.post(`/api/v1/campaigns/${k.id}/remind`, { org_id: union })).status, 204, 'remind')
  const notes = (await rev.get('/api/v1/notifications')).json.items
  assert(notes.some((n) => n.text.includes(k.name)), 'the reminder reaches the department')
})

test('the worker poll: one vote per link, links bound to their application, the rate feeds the rubric', async () => {
  const k = await campaign({ rubric_id: 'hlr-enterprise-spec', pass_line: 60 })
  const e1 = await enterprise(), e2 = await enterprise()
  const a1 = (await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: e1.id })).json
  const a2 = (await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: e2.id })).json
  const links = (await admin.post(`/api/v1/applications/${a1.id}/poll`, { count: 4 })).json.links
  eq(links.length, 4, 'four links')
  const anon = new Client(srv.base)
  const [, , appId, token] = links[0].url.split('/')
  eq(Number(appId), a1.id, 'link names its application')
  let r = await anon.get(`/api/v1/polls/${a1.id}/${token}`)
  eq(r.status, 200, 'poll page data'); eq(r.json.used, false, 'unused'); eq(r.json.applicant, e1.name, 'applicant')
  eq((await anon.get(`/api/v1/polls/${a2.id}/${token}`)).status, 404, 'a link of another enterprise')
  eq((await anon.post(`/api/v1/polls/${a2.id}/${token}`, { satisfied: true })).status, 404, 'cannot vote for another enterprise')
  eq((await anon.post(`/api/v1/polls/${a1.id}/${token}`, { satisfied: true })).status, 204, 'vote')
  r = await anon.post(`/api/v1/polls/${a1.id}/${token}`, { satisfied: false })
  eq(r.status, 409, 'second vote'); eq(r.json.error.code, 'already_voted', 'code')
  for (const [i, s] of [[1, true], [2, true], [3, false]]) {
    const t = links[i].url.split('/')[3]
    eq((await anon.post(`/api/v1/polls/${a1.id}/${t}`, { satisfied: s })).status, 204, 'vote ' + i)
  }
  const d = (await admin.get('/api/v1/applications/' + a1.id)).json
  eq(d.poll.voted, 4, 'turnout'); eq(d.poll.satisfied, 3, 'satisfied')
  const m = d.metrics.find((x) => x.name === 'employee_satisfaction_rate')
  eq(m.source, 'poll', 'source'); eq(m.value, 0.75, 'rate')
  eq(d.score.items.find((i) => i.id === '14').score, 5, '75% → 5 points (14.1)')
  eq((await anon.get(`/api/v1/polls/${a1.id}/${'0'.repeat(48)}`)).status, 404, 'unknown token')
  const qr = await admin.get('/api/v1/qr.svg?text=' + encodeURIComponent(srv.base + links[1].url))
  eq(qr.status, 200, 'qr'); assert(qr.body.toString().startsWith('<svg'), 'svg')
  const page = await fetch(srv.base + links[1].url)
  eq(page.status, 200, 'the phone page is served')
})

test('a worker under 16 on the roster brings the child-labor veto', async () => {
  const k = await campaign()
  const e = await enterprise()
  // hired in the future at 16: still 15 today
  const r = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '未满十六', id_number: idnum('20110101'), hire_date: '2027-06-01' })
  eq(r.status, 201, 'worker ' + JSON.stringify(r.json))
  const a = (await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: e.id })).json
  const d = (await admin.get('/api/v1/applications/' + a.id)).json
  eq(d.score.vetoed, true, 'vetoed'); assert(d.score.vetoes.includes('13.1'), '13.1 非法使用童工')
  eq(d.metrics.find((m) => m.name === 'contract_signing_rate').platform, true, 'platform metric marked')
})

test('the contract module gives the written-contract rate once the enterprise uses the platform\'s contracts', async () => {
  const k = await campaign()
  const e = await enterprise({ legal_representative: '张三', address: '浙江省丽水市云和县浮云街道示例路1号' })
  const hr = await user('enterprise_hr', { enterprise_id: e.id })
  const w1 = await contractWorker(admin, e.id), w2 = await contractWorker(admin, e.id)
  const app = (await hr.post(`/api/v1/campaigns/${k.id}/applications`, {})).json
  const metric = (a) => a.metrics.find((m) => m.name === 'contract_signing_rate')
  const crit = (a, id) => a.score.items.flatMap((i) => i.criteria).find((c) => c.id === id).score
  // no contract sent on the platform yet: the applicant's figure stands
  let r = await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { metrics: { contract_signing_rate: 1 } })
  eq(r.status, 200, 'self ' + JSON.stringify(r.json))
  eq(metric(r.json).source, 'self', 'self-filled before the platform has a figure'); eq(metric(r.json).note, null, 'no note')
  eq(crit(r.json, '1.1'), 5, '100% → 5 points')
  // one of two active workers signed
  await signedContract(admin, hr, e.id, w1)
  let d = (await hr.get('/api/v1/applications/' + app.id)).json
  eq(metric(d).source, 'contract', 'from the contract module'); eq(metric(d).value, 0.5, '1 of 2')
  eq(metric(d).note, '应签订书面劳动合同2人：电子1人、纸质0人、未签1人，签订率50.0%', 'the figures in the note')
  eq(crit(d, '1.1'), 0, 'below 100%: no points for 1.1')
  eq(d.score.items.find((i) => i.id === '1').score, 0, 'below 95% zeroes item 1')
  // a contract sent but not yet signed does not count
  await signedContract(admin, hr, e.id, w2, { sign: false })
  eq(metric((await hr.get('/api/v1/applications/' + app.id)).json).value, 0.5, 'still 1 of 2')
  // the applicant's own figure does not override the platform's
  r = await hr.req('PUT', `/api/v1/applications/${app.id}/self`, { metrics: { contract_signing_rate: 1 } })
  eq(metric(r.json).source, 'contract', 'platform over self'); eq(metric(r.json).value, 0.5, 'value')
  // a reviewer overrides it with a logged reason; the platform's figures stay in view
  const rev = await user('reviewer', { org_id: orgId('云和县人力资源和社会保障局') })
  r = await rev.req('PUT', `/api/v1/applications/${app.id}/metrics/contract_signing_rate`, { value: 1, reason: '另有纸质合同1份，已核验' })
  eq(r.status, 200, 'override ' + JSON.stringify(r.json))
  eq(metric(r.json).source, 'override', 'override'); eq(metric(r.json).value, 1, 'value'); eq(metric(r.json).reason, '另有纸质合同1份，已核验', 'reason')
  eq(metric(r.json).note, '应签订书面劳动合同2人：电子1人、纸质0人、未签1人，签订率50.0%', 'the platform figures beside the override')
  eq(crit(r.json, '1.1'), 5, 'the override scores')
  eq((await admin.get(`/api/v1/audit?object_type=rating_application&object_id=${app.id}&action=override`)).json.total, 1, 'logged')
  // an enterprise that has not used the platform's contracts keeps its own figure
  const other = await enterprise()
  await contractWorker(admin, other.id)
  const a2 = (await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: other.id })).json
  eq(metric(a2).source, null, 'left to the applicant'); eq(metric(a2).value, null, 'no value')
})

test('confirm fixes scores, passes and grades; publish records honours; results rank and export', async () => {
  const k = await campaign()
  const good = await enterprise(), poor = await enterprise()
  const rb = (await admin.get('/api/v1/rubrics/lishui-2021-enterprise')).json
  const all = {}
  for (const it of rb.items) for (const c of it.criteria || []) {
    const conds = (c.rule && (c.rule.when || c.rule.when_any)) || []
    const ans = conds.find((x) => 'answer' in x)
    if (c.max > 0) all[c.id] = { value: true }
    else if (ans) all[c.id] = { value: !ans.answer }
  }
  const metrics = { contract_signing_rate: 1, employee_satisfaction_rate: 1, average_wage: 6000, industry_average_wage: 5000,
    pension_insurance_rate: 1, medical_insurance_rate: 1, unemployment_insurance_rate: 1, injury_insurance_rate: 1,
    maternity_insurance_rate: 1, mediation_success_rate: 1, enterprise_fault_cases: 0 }
  const ag = (await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: good.id })).json
  eq((await admin.req('PUT', `/api/v1/applications/${ag.id}/self`, { answers: all, metrics })).status, 200, 'self')
  await admin.post(`/api/v1/applications/${ag.id}/submit`)
  const ap = (await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: poor.id })).json
  await admin.post(`/api/v1/applications/${ap.id}/submit`)
  eq((await admin.post(`/api/v1/campaigns/${k.id}/close`)).json.status, 'reviewing', 'closed')
  eq((await admin.post(`/api/v1/campaigns/${k.id}/applications`, { enterprise_id: (await enterprise()).id })).status, 422, 'no applications after closing')
  eq((await admin.post(`/api/v1/campaigns/${k.id}/confirm`)).json.status, 'confirmed', 'confirmed')
  let res = (await admin.get(`/api/v1/campaigns/${k.id}/results`)).json
  eq(res.items[0].applicant, good.name, 'ranked first'); eq(res.items[0].total, 100, 'total'); eq(res.items[0].grade, 'AAA', 'grade')
  eq(res.items[0].passed, true, 'passed'); eq(res.items[1].passed, false, 'the other fails')
  eq(res.averages.length, rb.items.length, 'averages per item')
  const pdf = await admin.get(`/api/v1/applications/${ag.id}/sheet.pdf`)
  eq(pdf.status, 200, 'score sheet pdf'); eq(pdf.body.subarray(0, 5).toString(), '%PDF-', 'a PDF')
  const fs = await import('node:fs'), os = await import('node:os'), cp = await import('node:child_process')
  const f = path.join(os.tmpdir(), `sheet-${process.pid}.pdf`)
  fs.writeFileSync(f, pdf.body)
  const text = cp.spawnSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
  assert(text.includes(good.name.replace(/\s+/g, '')) && text.includes('考核项目') && text.includes('劳动合同'), 'the Chinese text extracts')
  const x = await admin.get(`/api/v1/campaigns/${k.id}/results.xlsx`)
  eq(x.status, 200, 'xlsx'); eq(x.body.subarray(0, 2).toString(), 'PK', 'zip')
  eq((await admin.post(`/api/v1/campaigns/${k.id}/publish`, { valid_years: 20 })).status, 422, 'validity out of range')
  const p = await admin.post(`/api/v1/campaigns/${k.id}/publish`, { valid_years: 3 })
  eq(p.status, 200, 'publish'); eq(p.json.status, 'published', 'published')
  eq((await admin.post(`/api/v1/campaigns/${k.id}/confirm`)).status, 422, 'no going back')
})

const res = await runTests(SUITE, T, opt('--only', null))
await srv.stop()
console.log(`${SUITE}: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
