// Rating tests: `hexie rate` on the shipped rubrics (every refusal the
// issue lists, and the seeds' rules on real facts), a malformed rubric
// refused at load, and POST /api/v1/rubrics/:id/score on a live server.
//
//   node tests/api/rate.mjs --bin build/hexie
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, ROOT, assert, eq, makeStore, runTests, startServer } from './lib.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const SUITE = 'rate'
const DATA = path.join(ROOT, 'data')

function rate(args, input) {
  const r = spawnSync(BIN, ['rate', ...args], { cwd: ROOT, input, encoding: 'utf8' })
  let json = null
  try { json = JSON.parse(r.stdout) } catch {}
  return { code: r.status, json, err: r.stderr, out: r.stdout }
}
const rubric = (id) => JSON.parse(fs.readFileSync(path.join(DATA, 'rubrics', `${id}.v1.json`), 'utf8'))
function criteriaOf(rb) {
  const out = []
  for (const it of rb.items) {
    for (const c of it.criteria || []) out.push(c)
    for (const e of it.elements || []) for (const c of e.criteria || []) out.push(c)
  }
  return out
}
const GOOD_METRICS = { serious_injury_rate_per_thousand: 0, migrants_per_coordinator: 100, average_wage: 6000,
  industry_average_wage: 5000, enterprise_fault_cases: 0, is_company: true }
// Facts under which every criterion is met and no fault is present.
function bestFacts(rb) {
  const answers = {}, metrics = {}
  for (const c of criteriaOf(rb)) {
    const rule = c.rule || { kind: 'answer' }
    const conds = rule.when || rule.when_any || []
    const ans = conds.find((k) => 'answer' in k)
    if (c.max > 0) answers[c.id] = rule.kind === 'band' ? c.max : true
    else if (ans) answers[c.id] = !ans.answer
  }
  for (const [m, d] of Object.entries(rb.metrics)) metrics[m] = m in GOOD_METRICS ? GOOD_METRICS[m] : d.type === 'rate' ? 1 : d.type === 'bool' ? true : 0
  return { answers, metrics }
}
function tmpFile(obj) {
  const f = path.join(os.tmpdir(), `hexie-facts-${process.pid}-${Math.random().toString(36).slice(2)}.json`)
  fs.writeFileSync(f, typeof obj === 'string' ? obj : JSON.stringify(obj))
  return f
}
const itemScore = (res, id) => res.items.find((i) => i.id === id).score
const critScore = (res, id) => res.items.flatMap((i) => i.criteria).find((c) => c.id === id).score

const T = []
const test = (name, fn) => T.push([name, fn])
const IDS = ['lishui-2021-enterprise', 'lishui-2021-park', 'hlr-enterprise-spec']

test('rate --list lists the three rubrics', async () => {
  const r = rate(['--list'])
  eq(r.code, 0, 'exit')
  for (const id of IDS) assert(r.out.includes(id), id)
})

test('best facts score 100 on every rubric, without vetoes or warnings', async () => {
  for (const id of IDS) {
    const r = rate(['--rubric', id, tmpFile(bestFacts(rubric(id)))])
    eq(r.code, 0, id + ' exit ' + r.err)
    eq(r.json.total, 100, id + ' total'); eq(r.json.max, 100, id + ' max')
    eq(r.json.vetoed, false, id + ' vetoed'); eq(r.json.warnings, [], id + ' warnings')
  }
})

test('lishui enterprise: contract rate below 95% zeroes item 1; insurance 98% loses one point each', async () => {
  const rb = rubric('lishui-2021-enterprise')
  const f = bestFacts(rb)
  f.metrics.contract_signing_rate = 0.94
  let r = rate(['--rubric', rb.id, tmpFile(f)]).json
  eq(itemScore(r, '1'), 0, 'item 1')
  const g = bestFacts(rb)
  for (const m of ['pension', 'medical', 'unemployment', 'injury', 'maternity']) g.metrics[`${m}_insurance_rate`] = 0.98
  r = rate(['--rubric', rb.id, tmpFile(g)]).json
  for (const c of ['6.1', '6.2', '6.3', '6.4', '6.5']) eq(critScore(r, c), 1, c)
  g.metrics.pension_insurance_rate = 0.5
  eq(critScore(rate(['--rubric', rb.id, tmpFile(g)]).json, '6.1'), 0, 'not below 0')
  const h = bestFacts(rb)
  h.metrics.average_wage = 4000
  eq(itemScore(rate(['--rubric', rb.id, tmpFile(h)]).json, '5'), 0, 'wage below the industry zeroes item 5')
  const v = bestFacts(rb)
  v.answers['13.3'] = true
  r = rate(['--rubric', rb.id, tmpFile(v)]).json
  eq(r.vetoed, true, 'vetoed'); eq(r.vetoes, ['13.3'], 'veto id'); eq(r.total, 100, 'total kept beside the veto')
})

test('lishui park: collective bargaining below 90% is a veto; a band needs the evaluator', async () => {
  const rb = rubric('lishui-2021-park')
  const f = bestFacts(rb)
  f.metrics.collective_bargaining_rate = 0.89
  const r = rate(['--rubric', rb.id, tmpFile(f)]).json
  eq(r.vetoes, ['9.1'], 'veto')
  const g = bestFacts(rb)
  g.metrics.contract_signing_rate = 0.95
  delete g.answers['3.1']
  const s = rate(['--rubric', rb.id, tmpFile(g)]).json
  eq(critScore(s, '3.1'), 0, 'no evaluator number → 0')
  assert(s.warnings.some((w) => w.includes('3.1')), 'with a warning')
  g.answers['3.1'] = 3.5
  eq(critScore(rate(['--rubric', rb.id, tmpFile(g)]).json, '3.1'), 3.5, 'the evaluator number')
})

test('hlr spec: satisfaction ladder, company deduction, 15.7 by satisfaction', async () => {
  const rb = rubric('hlr-enterprise-spec')
  const f = bestFacts(rb)
  f.metrics.employee_satisfaction_rate = 0.85
  eq(critScore(rate(['--rubric', rb.id, tmpFile(f)]).json, '14.1'), 8, '14.1 at 85%')
  f.metrics.employee_satisfaction_rate = 0.55
  const v = rate(['--rubric', rb.id, tmpFile(f)]).json
  assert(v.vetoes.includes('15.7'), '15.7 vetoes under 60%')
  const g = bestFacts(rb)
  g.answers['10.3.5'] = false
  const full = itemScore(rate(['--rubric', rb.id, tmpFile(bestFacts(rb))]).json, '10')
  eq(itemScore(rate(['--rubric', rb.id, tmpFile(g)]).json, '10'), full - 1, 'company without 10.3.5 loses 1')
  g.metrics.is_company = false
  eq(itemScore(rate(['--rubric', rb.id, tmpFile(g)]).json, '10'), full, 'no effect for a non-company')
})

test('bad input exits 2 with a one-line error naming the problem', async () => {
  const good = bestFacts(rubric('lishui-2021-enterprise'))
  const cases = [
    [['--rubric', 'no-such-rubric', tmpFile(good)], 'no-such-rubric'],
    [['--rubric', 'lishui-2021-enterprise', tmpFile({ answers: { '99.9': true } })], '99.9'],
    [['--rubric', 'lishui-2021-enterprise', tmpFile({ answers: { '1.2': 99 } })], '1.2'],
    [['--rubric', 'lishui-2021-enterprise', tmpFile({ metrics: { contract_signing_rate: 1.5 } })], 'contract_signing_rate'],
    [['--rubric', 'lishui-2021-enterprise', tmpFile({ metrics: { contract_signing_rate: 'high' } })], 'contract_signing_rate'],
    [['--rubric', 'lishui-2021-enterprise', tmpFile('{not json')], 'not JSON'],
  ]
  for (const [args, part] of cases) {
    const r = rate(args)
    eq(r.code, 2, 'exit for ' + part)
    assert(r.err.trim().split('\n').length === 1 && r.err.includes(part), `error for ${part}: ${r.err}`)
  }
})

test('a malformed rubric file is refused at load with file, place and reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-data-'))
  fs.mkdirSync(path.join(dir, 'rubrics'))
  const rb = rubric('lishui-2021-enterprise')
  rb.items[0].criteria[1].id = rb.items[0].criteria[0].id
  fs.writeFileSync(path.join(dir, 'rubrics', 'bad.v1.json'), JSON.stringify(rb))
  let r = spawnSync(BIN, ['rate', '--list', '--data', dir], { encoding: 'utf8' })
  eq(r.status, 2, 'exit'); assert(/bad\.v1\.json/.test(r.stderr) && /duplicate id/.test(r.stderr) && /items\[0\]/.test(r.stderr), r.stderr)
  const rb2 = rubric('lishui-2021-enterprise')
  rb2.items[0].max += 1
  fs.writeFileSync(path.join(dir, 'rubrics', 'bad.v1.json'), JSON.stringify(rb2))
  r = spawnSync(BIN, ['rate', '--list', '--data', dir], { encoding: 'utf8' })
  eq(r.status, 2, 'exit'); assert(/add up/.test(r.stderr), r.stderr)
})

test('POST /api/v1/rubrics/:id/score scores like the command and refuses bad facts', async () => {
  const store = makeStore(BIN, null, { demo: false })
  const srv = await startServer(BIN, store)
  try {
    const c = new Client(srv.base)
    eq((await c.login('admin', ADMIN_PASSWORD)).status, 200, 'login')
    const list = await c.get('/api/v1/rubrics')
    eq(list.json.items.length, 3, 'three rubrics')
    const facts = bestFacts(rubric('hlr-enterprise-spec'))
    const r = await c.post('/api/v1/rubrics/hlr-enterprise-spec/score', facts)
    eq(r.status, 200, 'score'); eq(r.json.total, 100, 'total')
    const cli = rate(['--rubric', 'hlr-enterprise-spec', tmpFile(facts)]).json
    eq(r.json, cli, 'same result as hexie rate')
    const bad = await c.post('/api/v1/rubrics/hlr-enterprise-spec/score', { answers: { 'x': true } })
    eq(bad.status, 422, 'unknown criterion')
    eq((await c.post('/api/v1/rubrics/nope/score', facts)).status, 404, 'unknown rubric')
    eq((await c.post('/api/v1/rubrics/hlr-enterprise-spec/score', facts, { csrf: false })).status, 403, 'csrf')
  } finally { await srv.stop() }
})

const res = await runTests(SUITE, T, opt('--only', null))
console.log(`${SUITE}: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
