// Contract templates (data/templates/) and their rendering to PDF:
// GET /api/v1/contracts/templates and POST /api/v1/contracts/render.
// The PDF's text is read back with pdftotext (whitespace removed).
//
//   node tests/api/template.mjs --bin build/hexie
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, ROOT, assert, eq, makeStore, runTests, startServer } from './lib.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'data', 'contract-lint', 'base.json'), 'utf8'))
const partTime = {
  ...structuredClone(base),
  kind: 'part_time',
  probation_months: 0,
  hours: { system: 'standard', hours_per_week: 20 },
  pay: { hourly: 25, pay_day: 15 },
}

function pdfText(buf) {
  const f = path.join(os.tmpdir(), `hexie-contract-${process.pid}-${Math.random().toString(36).slice(2)}.pdf`)
  fs.writeFileSync(f, buf)
  try {
    return spawnSync('pdftotext', ['-q', '-enc', 'UTF-8', f, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
  } finally { fs.unlinkSync(f) }
}

let srv, c
const render = (id, terms) => c.post(`/api/v1/contracts/render?template=${encodeURIComponent(id)}`, terms)
async function renderText(id, terms) {
  const r = await render(id, terms)
  eq(r.status, 200, 'status ' + r.body.toString('utf8').slice(0, 300))
  assert((r.headers.get('content-type') || '').startsWith('application/pdf'), 'a PDF')
  eq(r.body.subarray(0, 5).toString('latin1'), '%PDF-', 'PDF header')
  return { r, text: pdfText(r.body) }
}

const T = []
T.push(['lists the four templates with id, version and title', async () => {
  const r = await c.get('/api/v1/contracts/templates')
  eq(r.status, 200, 'status')
  eq(r.json.items.map((t) => t.id).sort(), ['amendment', 'full_time', 'part_time', 'termination'], 'ids')
  for (const t of r.json.items) assert(t.version === 1 && /[\u4e00-\u9fa5]/.test(t.title), JSON.stringify(t))
  assert(r.json.items.some((t) => t.title === '全日制劳动合同书'), 'the full-time title')
}])
T.push(['full-time contract carries every 第十七条 clause and the parties', async () => {
  const { r, text } = await renderText('full_time', base)
  assert(decodeURIComponent(r.headers.get('content-disposition') || '').includes('劳动合同-李四.pdf'), 'filename')
  for (const s of ['全日制劳动合同书', base.employer.name, base.employer.address, base.employer.legal_representative,
    base.worker.name, base.worker.id_number, base.worker.address,
    '劳动合同期限', '工作内容和工作地点', '工作时间和休息休假', '劳动报酬', '社会保险', '劳动保护、劳动条件和职业危害防护',
    '固定期限，自2026年1月1日起至2028年12月31日止', '试用期2个月，自2026年1月1日起至2026年2月28日止',
    base.job.title, '月工资为人民币4000元', '试用期月工资为人民币3200元', '每月15日', base.protection,
    '甲方（盖章）', '法定代表人', '乙方（签字）']) assert(text.includes(s), 'contains ' + s)
  assert(!text.includes('{{') && !text.includes('其他约定'), 'no placeholder left, no empty 其他约定')
}])
T.push(['part-time contract states the 第六十八条、第七十条、第七十一条、第七十二条 rules', async () => {
  const { text } = await renderText('part_time', partTime)
  for (const s of ['非全日制劳动合同书', '非全日制', '每周工作时间累计不超过二十四小时', '每周工作20小时', '不约定试用期',
    '小时工资为人民币25元', '不超过十五日', '随时通知对方终止用工', '不向乙方支付经济补偿']) assert(text.includes(s), 'contains ' + s)
}])
T.push(['the enterprise\'s own clauses appear under 其他约定', async () => {
  const clause = '甲方每年组织一次职工春季旅游，费用由甲方承担'
  const { text } = await renderText('full_time', { ...base, extra_clauses: [clause, '乙方享受每月200元交通补贴'] })
  const at = text.indexOf('其他约定')
  assert(at >= 0, '其他约定 heading')
  assert(text.indexOf(clause) > at && text.indexOf('（2）乙方享受每月200元交通补贴') > at, 'clauses after the heading')
  eq((await render('full_time', { ...base, extra_clauses: 'x' })).status, 400, 'extra_clauses not an array')
}])
const certificate = { ...base, event: 'rescind', date: '2028-06-30', reason: '双方协商一致解除劳动合同',
  legal_basis: '《劳动合同法》第三十六条', hire_date: '2025-08-01', original: { id: 4711, number: '331125-2026-004711' } }
const amendment = { ...base, changes: { pay: { monthly: 4600 }, job: { title: '质检员' } },
  before: { pay: { monthly: 4200 }, job: { title: '木制玩具装配工' } }, effective_date: '2027-03-01',
  original: { id: 4712, number: '331125-2026-004712', signed_date: '2026-12-08' } }
T.push(['the certificate and the amendment print every value, none blank', async () => {
  const { text } = await renderText('termination', certificate)
  for (const s of ['解除或终止劳动合同证明书', '于2028年6月30日解除', '解除的原因：双方协商一致解除劳动合同',
    '解除的法律依据：《劳动合同法》第三十六条', '自2025年8月1日起在甲方处工作，至2028年6月30日止，在本单位的工作年限为2年11个月',
    '合同编号：331125-2026-004711', base.job.title, base.job.location]) assert(text.includes(s), 'contains ' + s)
  assert(!text.includes('＿＿＿＿') || text.indexOf('＿＿＿＿') > text.indexOf('乙方（签字）'), 'no blank line in the text')
  const a = await renderText('amendment', amendment)
  for (const s of ['变更劳动合同协议书', '于2026年12月8日订立了全日制劳动合同（合同编号：331125-2026-004712', '（1）工作岗位：木制玩具装配工→质检员',
    '（2）月工资：4200元→4600元', '本协议自2027年3月1日起生效']) assert(a.text.includes(s), 'contains ' + s)
  const t = await renderText('termination', { ...certificate, event: 'terminate', date: '2025-08-20' })
  assert(t.text.includes('于2025年8月20日终止') && t.text.includes('工作年限为不满一个月'), 'terminate, under a month')
}])
T.push(['a field the document would leave blank is refused with lint_failed naming it', async () => {
  for (const [id, terms, field] of [
    ['termination', { ...certificate, reason: undefined }, 'reason'],
    ['termination', { ...certificate, legal_basis: '' }, 'legal_basis'],
    ['termination', { ...certificate, event: 'quit' }, 'event'],
    ['termination', { ...certificate, hire_date: undefined }, 'hire_date'],
    ['amendment', { ...amendment, effective_date: undefined }, 'effective_date'],
    ['amendment', { ...amendment, before: { pay: { monthly: 4600 }, job: { title: '质检员' } } }, 'changes'],
    ['full_time', { ...base, pay: { ...base.pay, pay_day: undefined } }, 'pay.pay_day'],
  ]) {
    const r = await render(id, terms)
    eq(r.status, 422, `${id} without ${field}: status`)
    eq(r.json.error.code, 'lint_failed', 'code')
    eq(r.json.error.field, field, 'the field named')
    assert(/尚未填写/.test(r.json.error.message), r.json.error.message)
  }
}])
T.push(['a draft with a lint error is refused with lint_failed', async () => {
  const r = await render('full_time', { ...base, pay: { ...base.pay, monthly: 1000, probation_monthly: 1000 } })
  eq(r.status, 422, 'status'); eq(r.json.error.code, 'lint_failed', 'code')
  assert(r.json.error.message.includes('最低工资'), r.json.error.message)
  eq(r.json.error.field, 'pay.monthly', 'field')
}])
T.push(['an unknown template is 404', async () => {
  const r = await render('no_such', base)
  eq(r.status, 404, 'status'); eq(r.json.error.code, 'no_template', 'code')
  eq((await c.post('/api/v1/contracts/render', base)).status, 400, 'no template parameter')
}])
T.push(['a malformed template stops the server from starting, naming the file', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-data-'))
  try {
    fs.cpSync(path.join(ROOT, 'data'), data, { recursive: true })
    const f = path.join(data, 'templates', 'full_time.v1.json')
    const t = JSON.parse(fs.readFileSync(f, 'utf8'))
    t.sections[1].paragraphs.push('本合同期限为{{term text}}')
    fs.writeFileSync(f, JSON.stringify(t))
    const store = makeStore(BIN, null, { demo: false })
    const r = spawnSync(BIN, ['serve', '--var', store.varDir, '--data', data, '--listen', '127.0.0.1:1'], { cwd: ROOT, encoding: 'utf8', timeout: 10000 })
    assert(r.status !== 0, 'exits with an error')
    assert(r.stderr.includes('full_time.v1.json') && r.stderr.includes('term text'), r.stderr)
  } finally { fs.rmSync(data, { recursive: true, force: true }) }
}])

const store = makeStore(BIN, null, { demo: false })
srv = await startServer(BIN, store)
let res
try {
  c = new Client(srv.base)
  await c.login('admin', ADMIN_PASSWORD)
  res = await runTests('template', T, opt('--only', null))
} finally { await srv.stop() }
console.log(`template: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
