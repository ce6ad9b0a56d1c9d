// API tests of the registry, accounts and the HTTP layer: this runner
// starts one real `hexie serve` on a loopback port over a fresh store, logs
// in as admin and runs the tests of http.mjs, account.mjs and registry.mjs
// against it. Each of those exports default (T, ctx) and pushes [name, fn]
// pairs onto T; ctx carries the server, the store and the helpers below.
//
//   node tests/api/run.mjs --bin build/hexie [--db postgresql://…] [--name sqlite] [--only text]
//
// Ends with "api-NAME: N passed, M failed"; exit 1 if any failed.
import path from 'node:path'
import { execSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, ROOT, eq, makeStore, runTests, startServer, uscc } from './lib.mjs'
import httpTests from './http.mjs'
import accountTests from './account.mjs'
import registryTests from './registry.mjs'

const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DB = opt('--db', null)
const SUITE = 'api-' + opt('--name', DB ? 'postgresql' : 'sqlite')
const ONLY = opt('--only', null)
// For PostgreSQL each store needs its own database: the harness passes a
// command that prints a fresh URL.
const NEWDB = opt('--newdb', null)
const freshDb = () => NEWDB ? execSync(NEWDB, { encoding: 'utf8' }).trim() : null

const store = makeStore(BIN, DB)
const srv = await startServer(BIN, store)
const admin = new Client(srv.base)
{
  const r = await admin.login('admin', ADMIN_PASSWORD)
  if (r.status !== 200) { console.log(`not ok - ${SUITE}: admin login ${r.status} ${JSON.stringify(r.json)}`); process.exit(1) }
}
const areas = (await admin.get('/api/v1/areas')).json.items
const areaByName = (n) => areas.find((a) => a.name === n)

function entBody(extra = {}) {
  return { uscc: uscc(), name: '测试企业' + Math.random().toString(36).slice(2, 8), legal_representative: '王五',
    address: '云和县浮云街道', area_id: areaByName('浮云街道').id, industry: 'C', registered_on: '2020-05-01',
    employee_count: 50, above_scale: false, is_company: true, special_difficulty: false, is_sme: true, ...extra }
}
async function newEnt(extra) {
  const r = await admin.post('/api/v1/enterprises', entBody(extra))
  eq(r.status, 201, 'create enterprise ' + JSON.stringify(r.json))
  return r.json
}
async function newUser(role, extra = {}) {
  const username = role + Math.random().toString(36).slice(2, 8)
  const password = 'Passw0rd-' + Math.random().toString(36).slice(2, 8)
  const r = await admin.post('/api/v1/users', { username, display_name: '测试' + role, password, role, ...extra })
  eq(r.status, 201, 'create user ' + JSON.stringify(r.json))
  const c = new Client(srv.base)
  const l = await c.login(username, password)
  eq(l.status, 200, 'login ' + username)
  return c
}
async function count(c, p) { return (await c.get(p)).json.total }

const T = []
const ctx = { BIN, DB, freshDb, srv, store, admin, areas, areaByName, entBody, newEnt, newUser, count }
for (const add of [httpTests, accountTests, registryTests]) add(T, ctx)

const res = await runTests(SUITE, T, ONLY)
await srv.stop()
console.log(`${SUITE}: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
