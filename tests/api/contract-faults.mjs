// Faults in signing electronic contracts: the time-stamping authority down
// (the signature waits as pending and is completed by the retry when the
// TSA answers again; never with a local time), and the server killed in
// the middle of a signature (after restart the contract is either signed
// with its evidence or not signed at all).
//
// The server is set up with an external TSA (HEXIE_TSA_URL): a proxy in
// this process that forwards RFC 3161 requests to a second Hexie server
// holding the same TSA key (its POST /api/v1/trust/tsa) while "up", and
// answers 503 or drops the connection while "down".
//
//   node tests/api/contract-faults.mjs --bin build/hexie [--db postgresql://…]
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { webcrypto } from 'node:crypto'
import { ADMIN_PASSWORD, Client, ROOT, assert, eq, freePort, idnum, makeStore, runTests, sleep, startServer, uscc } from './lib.mjs'

const subtle = webcrypto.subtle
const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DB = opt('--db', null)
let seq = 0
const uniq = () => `${process.pid}${Date.now() % 100000}${seq++}`
const b64 = (b) => Buffer.from(b).toString('base64')

// ---- the TSA proxy ----
let tsaMode = 'up' // 'up' | '503' | 'drop'
let tsaTarget = null
let tsaCalls = 0
const proxyPort = await freePort()
const proxy = http.createServer(async (req, res) => {
  tsaCalls++
  const chunks = []
  for await (const c of req) chunks.push(c)
  if (tsaMode === 'drop') { req.socket.destroy(); return }
  if (tsaMode === '503' || !tsaTarget) { res.writeHead(503); res.end('down'); return }
  try {
    const r = await fetch(tsaTarget + '/api/v1/trust/tsa', { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: Buffer.concat(chunks) })
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/octet-stream' })
    res.end(Buffer.from(await r.arrayBuffer()))
  } catch {
    res.writeHead(502)
    res.end('upstream gone')
  }
})
await new Promise((r) => proxy.listen(proxyPort, '127.0.0.1', r))
const TSA_ENV = { HEXIE_TSA_URL: `http://127.0.0.1:${proxyPort}/tsa` }

let store, srv, admin, hr, ent

async function login(c, username, password) {
  const l = await c.login(username, password)
  if (l.json && l.json.user && l.json.user.must_change_password) {
    const next = `Next-${uniq()}-pw`
    await c.post('/api/v1/session/password', { old_password: password, new_password: next })
    return next
  }
  return password
}

async function start(env = {}) {
  srv = await startServer(BIN, store, [], { ...TSA_ENV, ...env })
  admin = new Client(srv.base)
  eq((await admin.login('admin', ADMIN_PASSWORD)).status, 200, 'admin login')
  if (hr) {
    const c = new Client(srv.base)
    eq((await c.login(hr.username, hr.password)).status, 200, 'hr login')
    hr.c = c
  }
}

const TERMS = {
  term: { type: 'fixed', start: '2026-12-01', end: '2029-11-30' }, probation_months: 2,
  job: { title: '装配工', location: '云和县' }, hours: { system: 'standard', hours_per_week: 40 },
  pay: { monthly: 4200, probation_monthly: 3400, pay_day: 15 }, social_insurance: true,
  protection: '提供劳动防护用品', worker_address: '云和县元和街道',
}

async function newWorker() {
  const w = { name: `职工${uniq().slice(-4)}`, id_number: idnum('19920202'), phone: '13700002222' }
  const r = await admin.post('/api/v1/workers', { enterprise_id: ent.id, ...w, hire_date: '2026-11-01' })
  eq(r.status, 201, 'worker ' + r.body.toString())
  return { ...w, id: r.json.id }
}

async function sentContract(order = 'enterprise_first') {
  const w = await newWorker()
  let r = await hr.c.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: TERMS, sign_order: order })
  eq(r.status, 201, 'draft')
  r = await hr.c.post(`/api/v1/contracts/${r.json.id}/send`)
  eq(r.status, 200, 'send ' + r.body.toString())
  return { w, k: r.json, token: r.json.link_path.slice(3) }
}

async function get(id) {
  const r = await hr.c.get(`/api/v1/contracts/${id}`)
  eq(r.status, 200, 'get')
  return r.json
}

function sqlScalar(q) {
  const r = DB ? spawnSync('psql', [DB, '-At', '-c', q], { encoding: 'utf8' })
    : spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
  return r.stdout.trim()
}

async function lastCode(phone) {
  const r = await admin.get('/api/v1/outbox?limit=30')
  const m = r.json.items.find((x) => x.recipient === phone && /(验证码|确认码)(\d{6})/.test(x.text))
  assert(m, 'code for ' + phone)
  return /(验证码|确认码)(\d{6})/.exec(m.text)[2]
}

// The worker's side up to a prepared signature; returns what /sign needs.
async function workerPrepared(token, w) {
  let cookie = null
  const call = async (method, p, body) => {
    const h = body === undefined ? {} : { 'content-type': 'application/json' }
    if (cookie) h.cookie = cookie
    const r = await fetch(srv.base + '/api/v1/sign/' + token + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
    const sc = r.headers.get('set-cookie')
    if (sc) cookie = /hx_signer=[^;]*/.exec(sc)[0]
    const t = await r.text()
    return { status: r.status, json: t && (r.headers.get('content-type') || '').includes('json') ? JSON.parse(t) : null, text: t }
  }
  eq((await call('POST', '/identity', { name: w.name, id_number: w.id_number })).status, 200, 'identity')
  eq((await call('POST', '/identity/confirm', { code: await lastCode(w.phone) })).status, 200, 'confirm')
  eq((await call('POST', '/read', { seconds: 9 })).status, 204, 'read')
  eq((await call('POST', '/intent')).status, 200, 'intent')
  eq((await call('POST', '/intent/confirm', { code: await lastCode(w.phone) })).status, 204, 'intent confirm')
  const kp = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const spki = b64(await subtle.exportKey('spki', kp.publicKey))
  const proof = b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, kp.privateKey, Buffer.from('hexie-enrol:' + spki)))
  const c = await call('POST', '/certificate', { spki, proof })
  eq(c.status, 201, 'cert ' + c.text)
  const prepare = async () => {
    const p = await call('POST', '/prepare', { cert_serial: c.json.serial })
    eq(p.status, 200, 'prepare ' + p.text)
    const signature = b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, kp.privateKey, Buffer.from(p.json.to_sign, 'base64')))
    return { signature_id: p.json.signature_id, signature }
  }
  return { call, prepare, body: await prepare() }
}

// The enterprise's intent code (意愿确认) to the HR user's phone, then the
// request with it: the seal key (path /enterprises/:id/seal) or a contract
// (/contracts/:id/seal, its code from /contracts/:id/intent).
async function confirmed(path, intentPath = path + '/intent') {
  const i = await hr.c.post(intentPath)
  eq(i.status, 200, 'intent ' + i.body.toString())
  return hr.c.post(path, { code: await lastCode(hr.phone) })
}
const sealContract = (id) => confirmed(`/api/v1/contracts/${id}/seal`, `/api/v1/contracts/${id}/intent`)

const T = []

T.push(['TSA down: the seal signature waits as pending, nobody else can sign, the retry completes it', async () => {
  eq((await confirmed(`/api/v1/enterprises/${ent.id}/seal`)).status, 201, 'seal key')
  const { w, k, token } = await sentContract('enterprise_first')
  tsaMode = '503'
  const before = tsaCalls
  let r = await sealContract(k.id)
  eq(r.status, 202, 'pending ' + r.body.toString())
  assert(tsaCalls > before, 'the TSA was asked')
  let c = await get(k.id)
  eq(c.pending, true, 'pending')
  eq(c.status, 'sent', 'not signed yet')
  eq(c.doc_version, 1, 'no new revision without a timestamp')
  const sig = c.signatures.find((s) => s.party === 'enterprise')
  eq(sig.status, 'pending', 'signature pending')
  eq(sig.timestamp_time, null, 'no local time stands in')
  assert(c.evidence.some((e) => e.kind === 'timestamp_pending'), 'recorded')
  // the TSA drops connections: still pending after retries
  tsaMode = 'drop'
  await sleep(1500)
  c = await get(k.id)
  eq(c.pending, true, 'still pending')
  // back up: the retry completes it
  tsaMode = 'up'
  for (let i = 0; i < 50 && (c = await get(k.id)).pending; i++) await sleep(200)
  eq(c.pending, false, 'completed by the retry')
  eq(c.status, 'signing', 'the enterprise signed')
  const done = c.signatures.find((s) => s.party === 'enterprise')
  assert(done.status === 'done' && /^\d{4}-\d\d-\d\dT/.test(done.timestamp_time), JSON.stringify(done))
  // the worker signs afterwards, through the external TSA
  const { call, body } = await workerPrepared(token, w)
  const s = await call('POST', '/sign', body)
  if (s.status !== 200) console.log('# ' + JSON.stringify((await get(k.id)).signatures))
  eq(s.status, 200, 'worker signed ' + s.text)
  c = await get(k.id)
  eq(c.status, 'signed', 'signed')
  const pdf = await hr.c.get(`/api/v1/contracts/${k.id}/document.pdf`)
  const rep = await hr.c.req('POST', '/api/v1/contracts/verify', undefined, { raw: pdf.body, headers: { 'content-type': 'application/pdf' } })
  eq(rep.json.report.valid, true, 'valid')
  for (const x of rep.json.report.signatures) assert(x.timestamp && x.timestamp.ok, 'timestamp ok')
}])

T.push(['TSA down for the worker: 202 pending, then completed; no second signature meanwhile', async () => {
  const { w, k, token } = await sentContract('worker_first')
  const { call, body } = await workerPrepared(token, w)
  tsaMode = 'drop'
  const s = await call('POST', '/sign', body)
  eq(s.status, 202, 'pending ' + s.text)
  eq(s.json.pending, true, 'pending flag')
  const again = await call('POST', '/sign', body)
  eq(again.status, 409, 'no second submission while pending')
  // no intent code is sent for a signature that cannot be made now, and a
  // seal (with or without one) waits too
  const hi = await hr.c.post(`/api/v1/contracts/${k.id}/intent`)
  eq(hi.status, 409, 'no code while the worker\'s signature is pending')
  eq(hi.json.error.code, 'signature_pending', 'signature_pending (intent)')
  const hp = await hr.c.post(`/api/v1/contracts/${k.id}/seal`, { code: '123456' })
  eq(hp.status, 409, 'the enterprise waits')
  eq(hp.json.error.code, 'signature_pending', 'signature_pending')
  tsaMode = 'up'
  let c
  for (let i = 0; i < 50 && (c = await get(k.id)).pending; i++) await sleep(200)
  eq(c.status, 'signing', 'worker signed after the retry')
  assert(c.worker_signed_at, 'worker_signed_at')
}])

T.push(['server killed in the middle of a signature: not signed after restart, then signs cleanly', async () => {
  // the process dies inside the signature's transaction, just before commit
  await srv.stop()
  await start({ HEXIE_FAULT: 'sign_commit' })
  const { w, k, token } = await sentContract('worker_first')
  const worker = await workerPrepared(token, w)
  const evBefore = Number(sqlScalar(`SELECT count(*) FROM evidence WHERE contract_id = ${k.id}`))
  let died = false
  try {
    const r = await worker.call('POST', '/sign', worker.body)
    died = r.status >= 500
  } catch { died = true }
  assert(died, 'the server died mid-signature')
  for (let i = 0; i < 50 && srv.proc.exitCode === null; i++) await sleep(100)
  eq(srv.proc.exitCode, 86, 'exited at the fault point')
  await start()
  const c = await get(k.id)
  eq(c.status, 'sent', 'not signed')
  eq(c.doc_version, 1, 'no new revision')
  eq(c.signatures.length, 0, 'no signature')
  const kinds = c.evidence.map((e) => e.kind)
  assert(!kinds.includes('signed') && !kinds.includes('timestamped'), 'no signature evidence')
  eq(Number(sqlScalar(`SELECT count(*) FROM evidence WHERE contract_id = ${k.id}`)), evBefore, 'the steps before were kept, nothing after')
  eq(sqlScalar('SELECT count(*) FROM contract_documents WHERE contract_id = ' + k.id), '1', 'one document')
  const n = Number(sqlScalar('SELECT n FROM evidence_head'))
  eq(Number(sqlScalar('SELECT count(*) FROM evidence')), n, 'no gap in the log')
  // the worker's session survived the restart: signing again works
  const s = await worker.call('POST', '/sign', await worker.prepare())
  eq(s.status, 200, 'signed after restart ' + s.text)
  eq((await get(k.id)).doc_version, 2, 'one revision')
}])

T.push(['server killed at a random moment while signing: signed with evidence, or not signed', async () => {
  for (let round = 0; round < 3; round++) {
    const { w, k, token } = await sentContract('worker_first')
    const { call, body } = await workerPrepared(token, w)
    const p = call('POST', '/sign', body).catch(() => null)
    await sleep(round * 3)
    srv.proc.kill('SIGKILL')
    await p
    for (let i = 0; i < 50 && srv.proc.exitCode === null && srv.proc.signalCode === null; i++) await sleep(50)
    await start()
    const c = await get(k.id)
    const kinds = c.evidence.map((e) => e.kind)
    if (c.status === 'signing') {
      eq(c.doc_version, 2, 'a revision')
      assert(kinds.includes('signed') && kinds.includes('timestamped'), 'with its evidence')
      const pdf = await hr.c.get(`/api/v1/contracts/${k.id}/document.pdf`)
      eq(pdf.status, 200, 'document readable')
    } else {
      eq(c.status, 'sent', 'or not signed')
      eq(c.doc_version, 1, 'no revision')
      assert(!kinds.includes('signed'), 'no signature evidence')
    }
    const n = Number(sqlScalar('SELECT n FROM evidence_head'))
    eq(Number(sqlScalar('SELECT count(*) FROM evidence')), n, 'no gap in the log')
  }
}])

// ---- main ----
store = makeStore(BIN, DB)
// the external TSA: another server with the platform's TSA key and CA
const tsaStore = makeStore(BIN, null, { demo: false })
for (const f of ['ca.crt', 'ca.key', 'issuing.crt', 'issuing.key', 'tsa.crt', 'tsa.key'])
  fs.copyFileSync(path.join(store.varDir, 'keys', f), path.join(tsaStore.varDir, 'keys', f))
const tsaSrv = await startServer(BIN, tsaStore)
tsaTarget = tsaSrv.base
await start()
const areas = (await admin.get('/api/v1/areas')).json.items
const area = areas.find((a) => a.kind !== 'county') || areas[0]
const er = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: `故障测试企业${uniq()}`, area_id: area.id, legal_representative: '张三', address: '云和县' })
ent = er.json
const username = `f${uniq()}`
const pw = `Init-${uniq()}-pw`
// the HR user's own phone: the enterprise's intent codes go there
const hrPhone = `138${String(process.pid % 10000).padStart(4, '0')}${String(Date.now() % 10000).padStart(4, '0')}`
eq((await admin.post('/api/v1/users', { username, password: pw, display_name: '故障人事', role: 'enterprise_hr', enterprise_id: ent.id, phone: hrPhone })).status, 201, 'hr')
const c0 = new Client(srv.base)
hr = { username, password: await login(c0, username, pw), phone: hrPhone }
hr.c = new Client(srv.base)
eq((await hr.c.login(hr.username, hr.password)).status, 200, 'hr login')
const res = await runTests('contract-faults', T)
await srv.stop()
await tsaSrv.stop()
proxy.close()
console.log(`# contract-faults: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
