// Supervision of health-check agencies: phased acceptance of batches,
// spot checks whose draw is recorded and repeatable, the agency page, the
// archive package of a closed check, and the area analysis.
//
//   node tests/api/supervision.mjs --bin build/hexie [--db URL]
import crypto from 'node:crypto'
import path from 'node:path'
import { ADMIN_PASSWORD, Client, ROOT, assert, eq, makeStore, runTests, startServer, uscc } from './lib.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DB = opt('--db', null)
const SUITE = 'supervision' + (DB ? '-postgresql' : '')
const YEAR = 2026

const store = makeStore(BIN, DB)
const srv = await startServer(BIN, store)
const admin = new Client(srv.base)
await admin.login('admin', ADMIN_PASSWORD)
const areas = (await admin.get('/api/v1/areas')).json.items
const items = (await admin.get('/api/v1/checkup/checklist')).json.items

async function user(role, extra) {
  const username = role + Math.random().toString(36).slice(2, 8)
  const password = 'Passw0rd-' + Math.random().toString(36).slice(2, 8)
  eq((await admin.post('/api/v1/users', { username, display_name: role, password, role, ...extra })).status, 201, 'user')
  const c = new Client(srv.base)
  eq((await c.login(username, password)).status, 200, 'login')
  return c
}
// An agency with n reported checks (the first `risky` of them with one risk).
async function agencyWithChecks(n, risky = 0) {
  const org = (await admin.post('/api/v1/organizations', { name: '监督测试机构' + Math.random().toString(36).slice(2, 7), kind: 'agency' })).json
  const k = (await admin.post('/api/v1/checkup/contracts', { org_id: org.id, year: YEAR, check_count: n, fee: 1000 * n })).json.items.find((x) => x.org_id === org.id)
  const insp = await user('agency', { org_id: org.id })
  const checks = []
  for (let i = 0; i < n; i++) {
    const e = (await admin.post('/api/v1/enterprises', { uscc: uscc(), name: '受检企业' + Math.random().toString(36).slice(2, 7), area_id: areas.find((a) => a.name === '崇头镇').id, employee_count: 50, industry: 'C' })).json
    const c = (await admin.post('/api/v1/checkup/checks', { enterprise_id: e.id, org_id: org.id, contract_id: k.id, year: YEAR })).json
    const ans = Object.fromEntries(items.map((it, j) => [it.id, { result: i < risky && j === 5 ? 'risk' : 'pass' }]))
    eq((await insp.req('PUT', `/api/v1/checkup/checks/${c.id}/answers`, ans)).status, 200, 'answers')
    eq((await insp.post(`/api/v1/checkup/checks/${c.id}/finish`)).status, 200, 'finish')
    checks.push({ ...c, enterprise: e })
  }
  return { org, insp, checks }
}

const T = []
const test = (name, fn) => T.push([name, fn])

test('phased acceptance: an agency submits a batch, the county returns it with reasons, then accepts', async () => {
  const a = await agencyWithChecks(3)
  const other = await agencyWithChecks(1)
  let r = await a.insp.post('/api/v1/checkup/batches', { check_ids: [a.checks[0].id, other.checks[0].id] })
  eq(r.status, 422, 'a check of another agency')
  r = await a.insp.post('/api/v1/checkup/batches', { check_ids: a.checks.map((c) => c.id) })
  eq(r.status, 201, 'submitted ' + JSON.stringify(r.json)); eq(r.json.checks.length, 3, 'three checks')
  const b = r.json
  eq((await a.insp.post('/api/v1/checkup/batches', { check_ids: [a.checks[0].id] })).status, 409, 'a check is in one batch')
  eq((await other.insp.get('/api/v1/checkup/batches/' + b.id)).status, 404, 'another agency does not see it')
  eq((await a.insp.post(`/api/v1/checkup/batches/${b.id}/accept`)).status, 403, 'an agency cannot accept')
  eq((await admin.post(`/api/v1/checkup/batches/${b.id}/return`, {})).status, 422, 'reasons required')
  r = await admin.post(`/api/v1/checkup/batches/${b.id}/return`, { reasons: '第2家报告缺现场照片' })
  eq(r.status, 200, 'returned'); eq(r.json.status, 'returned', 'status'); eq(r.json.reasons, '第2家报告缺现场照片', 'reasons')
  r = await a.insp.post('/api/v1/checkup/batches', { check_ids: a.checks.map((c) => c.id) })
  eq(r.status, 201, 'resubmitted')
  r = await admin.post(`/api/v1/checkup/batches/${r.json.id}/accept`)
  eq(r.json.status, 'accepted', 'accepted')
})

test('a spot check draws a share with a recorded seed; asked twice it is the same draw; anyone can repeat it', async () => {
  const a = await agencyWithChecks(5)
  const b = (await a.insp.post('/api/v1/checkup/batches', { check_ids: a.checks.map((c) => c.id) })).json
  eq((await admin.post(`/api/v1/checkup/batches/${b.id}/spotcheck`, { share: 1.5 })).status, 422, 'share over 1')
  const s1 = (await admin.post(`/api/v1/checkup/batches/${b.id}/spotcheck`, { share: 0.4 })).json
  eq(s1.drawn.length, 2, 'ceil(0.4 × 5) = 2')
  const s2 = (await admin.post(`/api/v1/checkup/batches/${b.id}/spotcheck`, { share: 0.9 })).json
  eq(s2.drawn, s1.drawn, 'the same batch gives the same draw'); eq(s2.seed, s1.seed, 'and seed')
  const again = a.checks.map((c) => c.id).map((id) => [crypto.createHash('sha256').update(`${s1.seed}:${id}`).digest('hex'), id])
    .sort((x, y) => (x[0] < y[0] ? -1 : 1)).slice(0, 2).map((x) => x[1])
  eq(again, s1.drawn, 'repeated from the seed')
  const notDrawn = a.checks.map((c) => c.id).find((id) => !s1.drawn.includes(id))
  eq((await admin.req('PUT', `/api/v1/checkup/spotchecks/${s1.id}/records/${notDrawn}`, { method: 'phone', truthful: true })).status, 422, 'not drawn')
  eq((await admin.req('PUT', `/api/v1/checkup/spotchecks/${s1.id}/records/${s1.drawn[0]}`, { method: 'email', truthful: true })).status, 422, 'method')
  let r = await admin.req('PUT', `/api/v1/checkup/spotchecks/${s1.id}/records/${s1.drawn[0]}`, { method: 'phone', truthful: true, note: '企业确认体检属实' })
  eq(r.status, 200, 'record'); eq(r.json.records.length, 1, 'one record')
  r = await admin.req('PUT', `/api/v1/checkup/spotchecks/${s1.id}/records/${s1.drawn[1]}`, { method: 'visit', truthful: false, note: '未见现场检查记录' })
  const sum = (await admin.get(`/api/v1/checkup/agencies/${a.org.id}?year=${YEAR}`)).json
  eq(sum.checks, 5, 'checks'); eq(sum.spotchecks.checked, 2, 'spot-checked'); eq(sum.spotchecks.untruthful, 1, 'untruthful')
  eq(sum.grades.A, 5, 'grades given')
  const bd = (await admin.get('/api/v1/checkup/batches/' + b.id)).json
  eq(bd.spotcheck.records.length, 2, 'the batch shows its spot-check results')
})

test('the archive package of a closed check holds its record, report and files', async () => {
  const a = await agencyWithChecks(1, 1)
  const c = a.checks[0]
  eq((await a.insp.get(`/api/v1/checkup/checks/${c.id}/archive.zip`)).status, 409, 'only closed checks')
  await a.insp.post(`/api/v1/checkup/checks/${c.id}/close`)
  const z = await a.insp.get(`/api/v1/checkup/checks/${c.id}/archive.zip`)
  eq(z.status, 200, 'zip'); eq(z.body.subarray(0, 2).toString(), 'PK', 'a zip')
  const s = z.body.toString('latin1')
  assert(s.includes('check.json') && s.includes('report.json') && s.includes('report.pdf'), 'entries')
})

test('the area analysis counts grades, risks and compares with last year', async () => {
  const a = await agencyWithChecks(2, 1)
  const area = areas.find((x) => x.name === '崇头镇')
  const r = await admin.get(`/api/v1/checkup/analysis?year=${YEAR}&area_id=${area.id}&industry=C&size=small`)
  eq(r.status, 200, 'analysis ' + JSON.stringify(r.json))
  const g = r.json.current.grades
  assert(g.A + g.B + g.C + g.D >= 2, 'grades counted'); assert(r.json.current.top_risks.length >= 1, 'risks counted')
  eq(r.json.previous.year, YEAR - 1, 'last year beside')
  eq((await admin.get(`/api/v1/checkup/analysis?year=${YEAR}&size=huge`)).status, 422, 'bad size')
  const x = await admin.get(`/api/v1/checkup/analysis.xlsx?year=${YEAR}`)
  eq(x.status, 200, 'xlsx'); eq(x.body.subarray(0, 2).toString(), 'PK', 'zip')
  const p = await admin.get(`/api/v1/checkup/analysis.pdf?year=${YEAR}&area_id=${area.id}`)
  eq(p.status, 200, 'pdf'); eq(p.body.subarray(0, 5).toString(), '%PDF-', 'a PDF')
  const fs = await import('node:fs'), os = await import('node:os'), cp = await import('node:child_process')
  const f = path.join(os.tmpdir(), `analysis-${process.pid}.pdf`)
  fs.writeFileSync(f, p.body)
  const text = cp.spawnSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
  assert(text.includes('区域劳动用工抽验分析报告') && text.includes('崇头镇') && text.includes('评级分布'), 'the Chinese text extracts')
  eq((await a.insp.get(`/api/v1/checkup/analysis?year=${YEAR}`)).status, 403, 'county only')
})

const res = await runTests(SUITE, T, opt('--only', null))
await srv.stop()
console.log(`${SUITE}: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
