// Health-check tests (劳动用工体检): targets, assignment under a service
// contract, the inspector's scope, on-site answers with the platform's own
// answers (the roster's, and the written-contract rate of the contract
// module), files checked by content, grading and the report, warnings,
// rectification, follow-up and re-grading, satisfaction, archive, and a
// server killed while an inspector saves.
//
//   node tests/api/checkup.mjs --bin build/hexie [--db URL]
import fs from 'node:fs'
import path from 'node:path'
import { ADMIN_PASSWORD, Client, ROOT, assert, contractWorker, eq, idnum, makeStore, runTests, signedContract, sleep, startServer, uscc } from './lib.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DB = opt('--db', null)
const SUITE = 'checkup' + (DB ? '-postgresql' : '')
const YEAR = 2026

const store = makeStore(BIN, DB)
let srv = await startServer(BIN, store)
const admin = new Client(srv.base)
await admin.login('admin', ADMIN_PASSWORD)
const areas = (await admin.get('/api/v1/areas')).json.items
const checklist = (await admin.get('/api/v1/checkup/checklist')).json
const items = checklist.items
const wageItem = items.find((i) => (i.flags || []).includes('wage_arrears'))
const childItem = items.find((i) => i.auto === 'child_labor')
const contractItem = items.find((i) => i.auto === 'written_contract_rate')
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f1bd6b0000000049454e44ae426082', 'hex')

async function user(role, extra) {
  const username = role + Math.random().toString(36).slice(2, 8)
  const password = 'Passw0rd-' + Math.random().toString(36).slice(2, 8)
  const r = await admin.post('/api/v1/users', { username, display_name: role, password, role, ...extra })
  eq(r.status, 201, 'user ' + JSON.stringify(r.json))
  const c = new Client(srv.base)
  eq((await c.login(username, password)).status, 200, 'login')
  c.creds = [username, password]
  return c
}
async function enterprise(extra = {}) {
  const r = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: '体检企业' + Math.random().toString(36).slice(2, 7),
    area_id: areas.find((a) => a.name === '石塘镇').id, ...extra })
  eq(r.status, 201, 'enterprise')
  return r.json
}
async function agency() {
  const r = await admin.post('/api/v1/organizations', { name: '体检服务机构' + Math.random().toString(36).slice(2, 7), kind: 'agency' })
  eq(r.status, 201, 'agency')
  const k = await admin.post('/api/v1/checkup/contracts', { org_id: r.json.id, year: YEAR, check_count: 5, fee: 15000 })
  eq(k.status, 201, 'contract ' + JSON.stringify(k.json))
  return { org: r.json, contract: k.json.items.find((x) => x.org_id === r.json.id) }
}
async function assigned(extra = {}) {
  const e = await enterprise(extra), ag = await agency()
  const r = await admin.post('/api/v1/checkup/checks', { enterprise_id: e.id, org_id: ag.org.id, contract_id: ag.contract.id, year: YEAR, scheduled_on: '2026-12-01' })
  eq(r.status, 201, 'check ' + JSON.stringify(r.json))
  const insp = await user('agency', { org_id: ag.org.id })
  return { e, ag, check: r.json, insp }
}
const allPass = (except = {}) => Object.fromEntries(items.map((i) => [i.id, { result: except[i.id] || 'pass', note: '现场核查' }]))

const T = []
const test = (name, fn) => T.push([name, fn])

test('the checklist has at least 40 items over every area, with basis, advice and a case', async () => {
  assert(items.length >= 40, 'items ' + items.length)
  for (const a of checklist.areas) assert(items.some((i) => i.area === a.id), 'area ' + a.id)
  for (const i of items) assert(i.basis.length && i.advice && i.case.facts && i.case.decision && i.case.lesson, 'item ' + i.id)
  assert(wageItem && childItem, 'wage-arrears and child-labor items')
})

test('targets: drawn from the registry with reasons, adjusted, then fixed', async () => {
  const e = await enterprise({ special_difficulty: true, registered_on: '2026-06-01' })
  let r = await admin.post('/api/v1/checkup/targets/generate', { year: YEAR })
  eq(r.status, 200, 'generate ' + JSON.stringify(r.json))
  const t = r.json.items.find((x) => x.enterprise_id === e.id)
  assert(t.reasons.includes('特殊困难企业') && t.reasons.includes('近12个月新注册') && t.reasons.includes('12个月内未体检'), JSON.stringify(t.reasons))
  eq(t.included, true, 'included')
  r = await admin.patch('/api/v1/checkup/targets/' + t.id, { included: false, note: '已停产' })
  eq(r.json.items.find((x) => x.id === t.id).included, false, 'adjusted')
  eq((await admin.post('/api/v1/checkup/targets/fix', { year: YEAR })).status, 200, 'fixed')
  eq((await admin.post('/api/v1/checkup/targets/generate', { year: YEAR })).status, 409, 'a fixed list is not drawn again')
  eq((await admin.patch('/api/v1/checkup/targets/' + t.id, { included: true })).status, 409, 'nor adjusted')
})

test('assignment needs a service contract with room; the task force needs none', async () => {
  const e = await enterprise(), ag = await agency()
  let r = await admin.post('/api/v1/checkup/checks', { enterprise_id: e.id, org_id: ag.org.id, year: YEAR })
  eq(r.status, 422, 'contract required'); eq(r.json.error.field, 'contract_id', 'field')
  const tf = (await admin.get('/api/v1/organizations')).json.items.find((o) => o.kind === 'task_force')
  r = await admin.post('/api/v1/checkup/checks', { enterprise_id: e.id, org_id: tf.id, year: YEAR })
  eq(r.status, 201, 'task force'); eq(r.json.status, 'assigned', 'status')
  assert(r.json.papers.length > 5, 'the papers to prepare')
  eq((await admin.post('/api/v1/checkup/checks', { enterprise_id: e.id, org_id: tf.id, year: YEAR })).status, 409, 'one open check a year')
  const small = await admin.post('/api/v1/checkup/contracts', { org_id: ag.org.id, year: YEAR, check_count: 1, fee: 100 })
  const k = small.json.items.filter((x) => x.org_id === ag.org.id).find((x) => x.check_count === 1)
  eq((await admin.post('/api/v1/checkup/checks', { enterprise_id: (await enterprise()).id, org_id: ag.org.id, contract_id: k.id, year: YEAR })).status, 201, 'first')
  eq((await admin.post('/api/v1/checkup/checks', { enterprise_id: (await enterprise()).id, org_id: ag.org.id, contract_id: k.id, year: YEAR })).status, 409, 'contract full')
})

test('an inspector sees and saves only its own agency\'s checks (404 otherwise)', async () => {
  const a = await assigned(), b = await assigned()
  eq((await a.insp.get('/api/v1/checkup/checks/' + a.check.id)).status, 200, 'own')
  eq((await a.insp.get('/api/v1/checkup/checks/' + b.check.id)).status, 404, 'other agency')
  const one = { [items[0].id]: { result: 'pass' } }
  eq((await a.insp.req('PUT', `/api/v1/checkup/checks/${b.check.id}/answers`, one)).status, 404, 'saving for an enterprise not assigned')
  eq((await a.insp.get('/api/v1/enterprises/' + a.e.id)).status, 200, 'the assigned enterprise is in the agency scope')
  eq((await a.insp.get('/api/v1/enterprises/' + b.e.id)).status, 404, 'another one is not')
  let r = await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, { [items[0].id]: { result: 'maybe' } })
  eq(r.status, 422, 'bad result'); eq(r.json.error.field, items[0].id, 'field')
  eq((await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, { ZZ99: { result: 'pass' } })).status, 422, 'unknown item')
  r = await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, one)
  eq(r.status, 200, 'saved'); eq(r.json.status, 'in_progress', 'in progress')
  eq(r.json.answers[childItem.id].auto, true, 'the platform answers the child-labor item')
  eq(r.json.answers[childItem.id].result, 'pass', 'no worker under 16')
})

test('files are checked by content: photos and PDFs only, 10 MiB at most', async () => {
  const a = await assigned()
  const url = (name) => `/api/v1/checkup/checks/${a.check.id}/files?item_id=${items[0].id}&filename=${encodeURIComponent(name)}`
  let r = await a.insp.req('POST', url('现场照片.png'), undefined, { raw: PNG })
  eq(r.status, 201, 'png'); eq(r.json.content_type, 'image/png', 'sniffed')
  r = await a.insp.req('POST', url('伪装.png'), undefined, { raw: Buffer.from('#!/bin/sh\necho hi\n') })
  eq(r.status, 415, 'a script named .png'); eq(r.json.error.code, 'unsupported_type', 'code')
  r = await a.insp.req('POST', url('大.pdf'), undefined, { raw: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(11 << 20)]) })
  eq(r.status, 413, 'over 10 MiB')
  const f = await a.insp.get('/api/v1/checkup/files/' + (await a.insp.get('/api/v1/checkup/checks/' + a.check.id)).json.files[0].id)
  eq(f.status, 200, 'download'); eq(Buffer.compare(f.body, PNG), 0, 'bytes')
})

test('report: 409 before the check is finished; wage arrears grades D and warns labor inspection', async () => {
  const a = await assigned()
  eq((await a.insp.get(`/api/v1/checkup/checks/${a.check.id}/report`)).status, 409, 'no report yet')
  eq((await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/finish`)).status, 409, 'unanswered items')
  eq((await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, allPass({ [wageItem.id]: 'risk' }))).status, 200, 'answers')
  const r = await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/finish`)
  eq(r.status, 200, 'finish ' + JSON.stringify(r.json)); eq(r.json.check.grade, 'D', 'grade')
  eq(r.json.risks.length, 1, 'one risk'); eq(r.json.risks[0].item_id, wageItem.id, 'the wage item')
  assert(r.json.risks[0].advice && r.json.risks[0].case.lesson, 'advice and case')
  eq(r.json.areas.length, checklist.areas.length, 'radar areas')
  const w = (await admin.get('/api/v1/checkup/warnings?kind=inspection')).json.items.find((x) => x.check_id === a.check.id)
  eq(w.status, 'received', 'warning received'); eq(w.color, 'green', 'not late')
  eq((await admin.patch('/api/v1/checkup/warnings/' + w.id, { status: 'in_hand', note: '已立案' })).status, 200, 'in hand')
  const tp = (await admin.get('/api/v1/checkup/training-priority')).json.items
  assert(tp.some((x) => x.enterprise_id === a.e.id && x.grade === 'D'), 'on the training priority list')
  eq((await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, allPass())).status, 409, 'answers fixed once reported')
})

test('no risks is A; rectify, follow up, upgrade with both grades; satisfaction; archive', async () => {
  const a = await assigned()
  const risky = items.find((i) => i.severity === '较大' && !i.auto)
  await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, allPass({ [risky.id]: 'risk' }))
  const rep = (await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/finish`)).json
  assert(rep.check.grade !== 'A', 'a 较大 risk is not A: ' + rep.check.grade)
  const hr = await user('enterprise_hr', { enterprise_id: a.e.id })
  eq((await hr.get(`/api/v1/checkup/checks/${a.check.id}/report`)).status, 200, 'the enterprise reads its report')
  const notes = (await hr.get('/api/v1/notifications')).json.items
  assert(notes.some((n) => n.text.includes('劳动用工体检') && n.text.includes('请提前准备') && n.link === `/checkup/checks/${a.check.id}`), 'the enterprise was told of the check and its papers')
  eq((await hr.post(`/api/v1/checkup/checks/${a.check.id}/acknowledge`)).json.status, 'rectifying', 'acknowledged')
  eq((await hr.req('PUT', `/api/v1/checkup/checks/${a.check.id}/rectifications`, { [risky.id]: { action: '修订制度并公示', due_on: '2026-12-31' } })).status, 200, 'rectify')
  eq((await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/regrade`)).status, 409, 'upgrade without cleared risks')
  await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/followup`, { [risky.id]: { confirmed: false, note: '尚未公示' } })
  eq((await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/regrade`)).status, 409, 'reopened risk')
  await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/followup`, { [risky.id]: { confirmed: true, note: '已整改到位' } })
  const up = await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/regrade`)
  eq(up.status, 200, 'upgrade'); eq(up.json.grade, 'A', 'new grade'); eq(up.json.regraded_from, rep.check.grade, 'old grade kept')
  let s = await hr.post(`/api/v1/checkup/checks/${a.check.id}/satisfaction`, { scores: { professional: 6, on_time: 5, advice_useful: 5, attitude: 5, overall: 5 } })
  eq(s.status, 422, 'score over 5')
  s = await hr.post(`/api/v1/checkup/checks/${a.check.id}/satisfaction`, { scores: { professional: 5, on_time: 4, advice_useful: 5, attitude: 5, overall: 5 }, comment: '建议很实用' })
  eq(s.status, 200, 'rated'); eq(s.json.rated, true, 'rated flag')
  eq((await hr.post(`/api/v1/checkup/checks/${a.check.id}/satisfaction`, { scores: { professional: 5, on_time: 5, advice_useful: 5, attitude: 5, overall: 5 } })).status, 409, 'once')
  eq((await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/close`)).json.status, 'closed', 'archived')
  eq((await hr.req('PUT', `/api/v1/checkup/checks/${a.check.id}/rectifications`, { [risky.id]: { action: 'x', due_on: '2026-12-31' } })).status, 409, 'read-only')
  const b = await assigned()
  await b.insp.req('PUT', `/api/v1/checkup/checks/${b.check.id}/answers`, allPass())
  eq((await b.insp.post(`/api/v1/checkup/checks/${b.check.id}/finish`)).json.check.grade, 'A', 'no risks → A')
})

test('a worker under 16 makes the child-labor item a risk on its own', async () => {
  const a = await assigned()
  eq((await admin.post('/api/v1/workers', { enterprise_id: a.e.id, name: '少年', id_number: idnum('20110301'), hire_date: '2027-04-01' })).status, 201, 'worker')
  const g = (await a.insp.get('/api/v1/checkup/checks/' + a.check.id)).json
  eq(g.answers[childItem.id].result, 'risk', 'risk'); eq(g.answers[childItem.id].auto, true, 'from the platform')
})

test('the written-contract item is answered from the platform\'s contracts once the enterprise uses them', async () => {
  assert(contractItem && contractItem.severity === '重大', 'the written-contract item')
  const a = await assigned({ legal_representative: '张三', address: '浙江省丽水市云和县石塘镇示例路1号' })
  const hr = await user('enterprise_hr', { enterprise_id: a.e.id })
  const w1 = await contractWorker(admin, a.e.id), w2 = await contractWorker(admin, a.e.id)
  const answer = async () => (await a.insp.get('/api/v1/checkup/checks/' + a.check.id)).json.answers[contractItem.id]
  eq(await answer(), undefined, 'no contract sent on the platform: the inspector answers')
  await signedContract(admin, hr, a.e.id, w1)
  let ans = await answer()
  eq(ans.result, 'risk', 'one of two active workers without a signed contract'); eq(ans.auto, true, 'from the platform')
  eq(ans.note, '应签订书面劳动合同2人：电子1人、纸质0人、未签1人，签订率50.0%', 'the figures in the note')
  await signedContract(admin, hr, a.e.id, w2)
  ans = await answer()
  eq(ans.result, 'pass', 'all signed'); eq(ans.note, '应签订书面劳动合同2人：电子2人、纸质0人、未签0人，签订率100.0%', 'note')
  // the inspector's own answer wins over the platform's
  let r = await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, { [contractItem.id]: { result: 'risk', note: '现场发现1名未登记人员无合同' } })
  eq(r.status, 200, 'saved'); eq(r.json.answers[contractItem.id].auto, false, 'the inspector\'s'); eq(r.json.answers[contractItem.id].result, 'risk', 'risk')
  // the platform's answer is recorded with the report
  const b = await assigned({ legal_representative: '李四', address: '浙江省丽水市云和县石塘镇示例路2号' })
  const hrb = await user('enterprise_hr', { enterprise_id: b.e.id })
  await signedContract(admin, hrb, b.e.id, await contractWorker(admin, b.e.id))
  const rest = allPass()
  delete rest[contractItem.id]
  eq((await b.insp.req('PUT', `/api/v1/checkup/checks/${b.check.id}/answers`, rest)).status, 200, 'answers')
  r = await b.insp.post(`/api/v1/checkup/checks/${b.check.id}/finish`)
  eq(r.status, 200, 'finish ' + JSON.stringify(r.json)); eq(r.json.check.grade, 'A', 'no risk')
  ans = (await b.insp.get('/api/v1/checkup/checks/' + b.check.id)).json.answers[contractItem.id]
  eq(ans.result, 'pass', 'recorded'); eq(ans.auto, true, 'as the platform\'s'); eq(ans.note, '应签订书面劳动合同1人：电子1人、纸质0人、未签0人，签订率100.0%', 'note')
})

test('a server killed while an inspector saves leaves no half-written answers', async () => {
  const a = await assigned()
  const [u, p] = a.insp.creds
  const burst = async (c) => {
    const jobs = []
    for (let i = 0; i < 40; i++) {
      const body = Object.fromEntries(items.slice(0, 20).map((it) => [it.id, { result: i % 2 ? 'risk' : 'pass', note: `第${i}轮` }]))
      jobs.push(c.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, body).catch(() => null))
    }
    return jobs
  }
  const s2 = await startServer(BIN, store)
  const c2 = new Client(s2.base)
  await c2.login(u, p)
  const jobs = await burst(c2)
  await sleep(30)
  s2.proc.kill('SIGKILL')
  await Promise.all(jobs)
  const s3 = await startServer(BIN, store)
  try {
    const c3 = new Client(s3.base)
    await c3.login(u, p)
    const g = (await c3.get('/api/v1/checkup/checks/' + a.check.id)).json
    const rounds = new Set()
    for (const it of items.slice(0, 20)) {
      const ans = g.answers[it.id]
      if (!ans || ans.auto) continue
      const n = Number(/第(\d+)轮/.exec(ans.note)[1])
      eq(ans.result, n % 2 ? 'risk' : 'pass', 'result and note agree')
      rounds.add(n)
    }
    assert(rounds.size <= 1, 'all answers come from one save: ' + [...rounds])
  } finally { await s3.stop() }
})

test('report PDF and batch: the report as PDF (409 before finishing); a year of reports zipped by a job', async () => {
  const os = await import('node:os'), cp = await import('node:child_process')
  const a = await assigned()
  const url = `/api/v1/checkup/checks/${a.check.id}/report.pdf`
  eq((await a.insp.get(url)).status, 409, 'no PDF before the check is finished')
  const grave = items.find((i) => i.severity === '重大' && !i.auto), minor = items.find((i) => i.severity === '一般' && !i.auto)
  eq((await a.insp.req('PUT', `/api/v1/checkup/checks/${a.check.id}/answers`, allPass({ [minor.id]: 'risk', [grave.id]: 'risk' }))).status, 200, 'answers')
  eq((await a.insp.post(`/api/v1/checkup/checks/${a.check.id}/finish`)).status, 200, 'finish')
  const r = await a.insp.get(url)
  eq(r.status, 200, 'report.pdf'); eq(r.body.subarray(0, 5).toString(), '%PDF-', 'a PDF')
  eq(r.headers.get('content-type'), 'application/pdf', 'content type')
  assert((r.headers.get('content-disposition') || '').includes(encodeURIComponent(`体检报告-${a.e.name}.pdf`)), 'file name ' + r.headers.get('content-disposition'))
  const f = path.join(os.tmpdir(), `checkup-report-${process.pid}.pdf`)
  fs.writeFileSync(f, r.body)
  const text = cp.spawnSync('pdftotext', ['-q', '-enc', 'UTF-8', f, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
  fs.unlinkSync(f)
  for (const want of [a.e.name, '劳动用工体检报告', grave.title, minor.title, 'D级', '待整改'])
    assert(text.includes(want.replace(/\s+/g, '')), 'the PDF text has ' + want)
  assert(text.indexOf(grave.title.replace(/\s+/g, '')) < text.indexOf(minor.title.replace(/\s+/g, '')), '重大 before 一般')

  eq((await a.insp.post('/api/v1/checkup/reports/batch', { year: YEAR })).status, 403, 'batches are for checkup.manage')
  eq((await admin.post('/api/v1/checkup/reports/batch', { year: 2001 })).status, 422, 'a year without reports')
  const b = await admin.post('/api/v1/checkup/reports/batch', { year: YEAR })
  eq(b.status, 202, 'batch ' + JSON.stringify(b.json)); assert(b.json.total >= 1, 'total ' + b.json.total)
  const officer = await user('county_officer')
  eq((await officer.get('/api/v1/checkup/reports/batch/' + b.json.id)).status, 404, 'only its creator reads a batch')
  let s
  for (let i = 0; i < 1200; i++) {
    s = (await admin.get('/api/v1/checkup/reports/batch/' + b.json.id)).json
    assert(s.done <= s.total, 'progress ' + JSON.stringify(s))
    if (s.status === 'done' || s.status === 'failed') break
    await sleep(100)
  }
  eq(s.status, 'done', 'batch done ' + JSON.stringify(s)); eq(s.done, s.total, 'every report')
  const z = await admin.get(`/api/v1/checkup/reports/batch/${b.json.id}/download`)
  eq(z.status, 200, 'download'); eq(z.body.subarray(0, 2).toString(), 'PK', 'a zip')
  eq(z.headers.get('content-type'), 'application/zip', 'content type')
  const entry = `体检报告-${a.check.id}-${a.e.name}.pdf`
  assert(z.body.includes(Buffer.from(entry)), 'an entry for the check: ' + entry)
  const zf = path.join(os.tmpdir(), `checkup-reports-${process.pid}.zip`)
  fs.writeFileSync(zf, z.body)
  const l = cp.spawnSync('unzip', ['-Z1', zf], { encoding: 'utf8' })
  fs.unlinkSync(zf)
  if (!l.error) {
    const pdfs = l.stdout.split('\n').filter((x) => x.endsWith('.pdf'))
    eq(pdfs.length, s.total, 'one .pdf per report: ' + l.stdout + l.stderr)
  }
})

const res = await runTests(SUITE, T, opt('--only', null))
await srv.stop()
console.log(`${SUITE}: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
