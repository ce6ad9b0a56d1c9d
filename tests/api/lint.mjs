// Contract lint tests, data-driven (tests/data/contract-lint/NN.json):
// each case patches the valid base contract (or gives raw input) and names
// the exit code and the finding codes `hexie contract lint` must print.
// The same check is also asked of POST /api/v1/contracts/lint.
//
//   node tests/api/lint.mjs --bin build/hexie
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, ROOT, assert, eq, makeStore, runTests, startServer } from './lib.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DIR = path.join(ROOT, 'tests', 'data', 'contract-lint')
const base = JSON.parse(fs.readFileSync(path.join(DIR, 'base.json'), 'utf8'))

function merge(a, b) {
  const out = structuredClone(a)
  for (const [k, v] of Object.entries(b)) {
    if (v === null) delete out[k]
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object') out[k] = merge(out[k], v)
    else out[k] = v
  }
  return out
}
const sorted = (a) => [...a].sort()

const T = []
const cases = fs.readdirSync(DIR).filter((f) => /^\d+\.json$/.test(f)).sort()
for (const f of cases) {
  const c = JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'))
  T.push([`${f}: ${c.name}`, async () => {
    const input = c.raw !== undefined ? c.raw : JSON.stringify(merge(base, c.patch || {}))
    const r = spawnSync(BIN, ['contract', 'lint', '-', '--date', c.date], { cwd: ROOT, input, encoding: 'utf8' })
    eq(r.status, c.exit, 'exit (' + r.stderr + r.stdout.slice(0, 300) + ')')
    if (c.exit === 2) { assert(r.stderr.trim().length > 0, 'an error line'); return }
    const out = JSON.parse(r.stdout)
    eq(sorted(out.errors.map((x) => x.code)), sorted(c.errors), 'errors')
    eq(sorted(out.warnings.map((x) => x.code)), sorted(c.warnings), 'warnings')
    for (const x of [...out.errors, ...out.warnings]) assert(x.field && /[\u4e00-\u9fa5]/.test(x.message), 'a Chinese message with its field')
  }])
}
T.push(['every legal finding cites its article', async () => {
  const r = spawnSync(BIN, ['contract', 'lint', '-', '--date', '2026-01-01'], { cwd: ROOT, input: JSON.stringify(merge(base, { term: { end: '2026-12-30' } })), encoding: 'utf8' })
  const e = JSON.parse(r.stdout).errors[0]
  assert(e.message.includes('第十九条'), e.message)
}])
T.push(['POST /api/v1/contracts/lint answers like the command', async () => {
  const store = makeStore(BIN, null, { demo: false })
  const srv = await startServer(BIN, store)
  try {
    const c = new Client(srv.base)
    await c.login('admin', ADMIN_PASSWORD)
    const input = merge(base, { pay: { monthly: 2000, probation_monthly: 2010 } })
    const r = await c.post('/api/v1/contracts/lint', input)
    eq(r.status, 200, 'status'); eq(r.json.errors.map((x) => x.code), ['wage_below_minimum'], 'codes')
    eq((await c.post('/api/v1/contracts/lint', { ...input, kind: 'x' })).status, 400, 'unusable input')
  } finally { await srv.stop() }
}])

const res = await runTests('lint', T, opt('--only', null))
console.log(`lint: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
