// Test harness for the HTTP API: starts a real `hexie serve` on a free
// loopback port against a fresh store, and a small client that keeps the
// session cookie and the CSRF token.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..')
export const ADMIN_PASSWORD = 'Adm1n-Test-Passw0rd'

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
    s.on('error', reject)
  })
}

export function hexie(bin, args, env = {}) {
  const r = spawnSync(bin, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

// A store and its var directory; init'ed with demo data.
export function makeStore(bin, db, { demo = true } = {}) {
  const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-api-'))
  const args = ['init', '--var', varDir]
  if (db) args.push('--db', db)
  if (demo) args.push('--demo')
  // Under ASan the demo contracts' PDFs meet cairo's own leak; LeakSanitizer
  // can match tests/lsan.supp only with full stacks (cairo has no frame pointers).
  const env = { HEXIE_ADMIN_PASSWORD: ADMIN_PASSWORD }
  if (process.env.ASAN_OPTIONS) env.ASAN_OPTIONS = process.env.ASAN_OPTIONS + ':fast_unwind_on_malloc=0'
  const r = hexie(bin, args, env)
  if (r.code !== 0) throw new Error('hexie init failed: ' + r.err + r.out)
  return { varDir, db }
}

export async function startServer(bin, store, extra = [], env = {}) {
  const port = await freePort()
  // demo mode: with no SMS gateway, codes and links are readable in the outbox
  const args = ['serve', '--var', store.varDir, '--listen', `127.0.0.1:${port}`, '--threads', '4',
    ...(extra.includes('--no-demo') ? [] : ['--demo']), ...extra.filter((x) => x !== '--no-demo')]
  if (store.db) args.push('--db', store.db)
  const proc = spawn(bin, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  proc.stderr.on('data', (d) => { log += d })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(base + '/healthz')
      if (r.ok) return { base, proc, port, log: () => log, stop: () => stop(proc) }
    } catch {}
    await sleep(50)
  }
  proc.kill('SIGKILL')
  throw new Error('server did not start: ' + log)
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode)
    proc.on('exit', (code, sig) => resolve(code ?? sig))
    proc.kill('SIGTERM')
  })
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export class Client {
  constructor(base) { this.base = base; this.cookie = null; this.csrf = null }
  async login(username, password) {
    const r = await this.req('POST', '/api/v1/session', { username, password }, { csrf: false })
    if (r.status === 200) this.csrf = r.json.csrf_token
    return r
  }
  async req(method, p, body, { csrf = true, raw = null, headers = {} } = {}) {
    const h = { ...headers }
    if (this.cookie) h.cookie = this.cookie
    if (csrf && this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf
    let payload
    if (raw !== null) { payload = raw; h['content-type'] = h['content-type'] || 'application/octet-stream' }
    else if (body !== undefined) { payload = typeof body === 'string' ? body : JSON.stringify(body); h['content-type'] = 'application/json' }
    const r = await fetch(this.base + p, { method, headers: h, body: payload, redirect: 'manual' })
    const sc = r.headers.get('set-cookie')
    if (sc) {
      const m = /hexie_session=([^;]*)/.exec(sc)
      if (m) this.cookie = m[1] ? `hexie_session=${m[1]}` : null
    }
    const buf = Buffer.from(await r.arrayBuffer())
    let json = null
    if ((r.headers.get('content-type') || '').includes('json') && buf.length) json = JSON.parse(buf.toString('utf8'))
    return { status: r.status, json, headers: r.headers, body: buf }
  }
  get(p) { return this.req('GET', p) }
  post(p, b, o) { return this.req('POST', p, b, o) }
  patch(p, b, o) { return this.req('PATCH', p, b, o) }
  del(p, o) { return this.req('DELETE', p, undefined, o) }
}

// Valid codes.
const USCC = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const UW = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
let usccSeq = Math.floor(Math.random() * 900000)
export function uscc() {
  const s = String(usccSeq++).padStart(7, '0')
  const first = '91331125MA' + s
  let sum = 0
  for (let i = 0; i < 17; i++) sum += USCC.indexOf(first[i]) * UW[i]
  return first + USCC[(31 - (sum % 31)) % 31]
}
const IW = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
let idSeq = Math.floor(Math.random() * 500)
export function idnum(birth = '19900101') {
  const first = '331125' + birth + String(idSeq++ % 1000).padStart(3, '0')
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first[i]) * IW[i]
  return first + '10X98765432'[sum % 11]
}

// A tiny test runner: named async tests, TAP-like output.
export async function runTests(suite, tests, only) {
  let passed = 0, failed = 0
  for (const [name, fn] of tests) {
    if (only && !name.includes(only)) continue
    const t0 = Date.now()
    try {
      await fn()
      passed++
      console.log(`ok - ${suite}: ${name} (${Date.now() - t0} ms)`)
    } catch (e) {
      failed++
      console.log(`not ok - ${suite}: ${name}\n  ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n  ')}`)
    }
  }
  return { passed, failed }
}

export function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg) }
export function eq(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`)
}

// ---- a signed electronic labor contract, for suites that read the
// written-contract rate (the full flow is tested in contract.mjs): the
// enterprise seals first (sign_order enterprise_first), then the worker
// checks their identity, reads, confirms the intent and signs on the phone
// page with a key made as the browser makes it (WebCrypto, non-extractable).

const ymd = (d) => d.toISOString().slice(0, 10)
// Terms running from today for three years; hire the worker today too.
export function contractTerms() {
  const start = new Date()
  const end = new Date(start)
  end.setUTCFullYear(end.getUTCFullYear() + 3)
  end.setUTCDate(end.getUTCDate() - 1)
  return {
    term: { type: 'fixed', start: ymd(start), end: ymd(end) },
    probation_months: 2,
    job: { title: '木制玩具装配工', location: '浙江省丽水市云和县' },
    hours: { system: 'standard', hours_per_week: 40 },
    pay: { monthly: 4200, probation_monthly: 3400, pay_day: 15 },
    social_insurance: true,
    protection: '提供符合国家标准的劳动防护用品',
    worker_address: '浙江省丽水市云和县元和街道',
  }
}
const today = () => ymd(new Date())

let phoneSeq = Math.floor(Math.random() * 9000)
// A roster entry fit for a contract: {id, name, id_number, phone}.
export async function contractWorker(admin, enterpriseId, extra = {}) {
  const w = { name: '签约职工' + String(phoneSeq).slice(-3), id_number: idnum('19900101'),
    phone: '139' + String(10000000 + (phoneSeq++ % 90000000)).padStart(8, '0'), ...extra }
  const r = await admin.post('/api/v1/workers', { enterprise_id: enterpriseId, ...w, hire_date: today(), job: '装配工', employment_type: 'full_time' })
  eq(r.status, 201, 'worker ' + r.body.toString())
  return { ...w, id: r.json.id }
}

async function outboxCode(admin, phone) {
  const r = await admin.get('/api/v1/outbox?limit=50')
  eq(r.status, 200, 'outbox')
  const m = r.json.items.find((x) => x.recipient === phone && /(验证码|确认码)(\d{6})/.test(x.text))
  assert(m, 'a code in the outbox for ' + phone)
  return /(验证码|确认码)(\d{6})/.exec(m.text)[2]
}

async function signerReq(base, token, jar, method, p, body) {
  const h = {}
  if (jar.cookie) h.cookie = jar.cookie
  if (body !== undefined) h['content-type'] = 'application/json'
  const r = await fetch(base + '/api/v1/sign/' + token + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
  const sc = r.headers.get('set-cookie')
  if (sc) { const m = /hx_signer=([^;]*)/.exec(sc); if (m) jar.cookie = `hx_signer=${m[1]}` }
  const buf = Buffer.from(await r.arrayBuffer())
  const json = (r.headers.get('content-type') || '').includes('json') && buf.length ? JSON.parse(buf.toString('utf8')) : null
  return { status: r.status, json, body: buf }
}

// The enterprise's intent (意愿确认): sealing for the enterprise needs a code
// sent to the acting HR user's own phone. This gives hr a phone on record
// (set by the admin when it has none) and answers it.
let hrPhoneSeq = 0
const hrPhones = new WeakMap()
export async function hrPhone(admin, hr) {
  if (hrPhones.has(hr)) return hrPhones.get(hr)
  const me = await hr.get('/api/v1/session')
  eq(me.status, 200, 'session')
  const u = me.json.user
  let phone = u.phone
  if (!phone) {
    phone = `135${String(process.pid % 10000).padStart(4, '0')}${String(hrPhoneSeq++ % 10000).padStart(4, '0')}`
    const r = await admin.patch(`/api/v1/users/${u.id}`, { phone })
    eq(r.status, 200, 'hr phone ' + r.body.toString())
  }
  hrPhones.set(hr, phone)
  return phone
}

// POSTs path with the intent code: first path + '/intent' (or intentPath)
// sends it to hr's phone, then path gets {code, ...body}.
export async function withIntent(admin, hr, path, body = {}, intentPath = path + '/intent', intentBody) {
  const phone = await hrPhone(admin, hr)
  const i = await hr.post(intentPath, intentBody)
  eq(i.status, 200, 'intent code ' + i.body.toString())
  return hr.post(path, { ...body, code: await outboxCode(admin, phone) })
}

const sealed = new Set()
// Drafts and sends a contract to the worker from hr (the enterprise's HR);
// unless sign is false, the enterprise seals it and the worker signs.
// Answers the contract as GET /api/v1/contracts/:id shows it.
export async function signedContract(admin, hr, enterpriseId, worker, { sign = true } = {}) {
  const { webcrypto } = await import('node:crypto')
  const subtle = webcrypto.subtle
  const b64 = (buf) => Buffer.from(buf).toString('base64')
  if (sign && !sealed.has(hr.base + ':' + enterpriseId)) {
    const s = await withIntent(admin, hr, `/api/v1/enterprises/${enterpriseId}/seal`)
    eq(s.status, 201, 'seal ' + s.body.toString())
    sealed.add(hr.base + ':' + enterpriseId)
  }
  let r = await hr.post('/api/v1/contracts', { worker_id: worker.id, kind: 'full_time', terms: contractTerms(), sign_order: 'enterprise_first' })
  eq(r.status, 201, 'draft ' + r.body.toString())
  const id = r.json.id
  r = await hr.post(`/api/v1/contracts/${id}/send`)
  eq(r.status, 200, 'send ' + r.body.toString())
  if (sign) {
    const token = r.json.link_path.slice(3), jar = {}
    const phone = (method, p, body) => signerReq(hr.base, token, jar, method, p, body)
    r = await withIntent(admin, hr, `/api/v1/contracts/${id}/seal`, {}, `/api/v1/contracts/${id}/intent`)
    eq(r.status, 200, 'sealed ' + r.body.toString())
    r = await phone('POST', '/identity', { name: worker.name, id_number: worker.id_number })
    eq(r.status, 200, 'identity ' + r.body.toString())
    r = await phone('POST', '/identity/confirm', { code: await outboxCode(admin, worker.phone) })
    eq(r.status, 200, 'identity confirm ' + r.body.toString())
    eq((await phone('GET', '/text')).status, 200, 'text')
    r = await phone('POST', '/read', { seconds: 30 })
    eq(r.status, 204, 'read ' + r.body.toString())
    r = await phone('POST', '/intent')
    eq(r.status, 200, 'intent ' + r.body.toString())
    r = await phone('POST', '/intent/confirm', { code: await outboxCode(admin, worker.phone) })
    eq(r.status, 204, 'intent confirm ' + r.body.toString())
    const kp = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const spki = b64(await subtle.exportKey('spki', kp.publicKey))
    const proof = b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, kp.privateKey, Buffer.from('hexie-enrol:' + spki)))
    r = await phone('POST', '/certificate', { spki, proof })
    eq(r.status, 201, 'certificate ' + r.body.toString())
    r = await phone('POST', '/prepare', { cert_serial: r.json.serial })
    eq(r.status, 200, 'prepare ' + r.body.toString())
    const signature = b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, kp.privateKey, Buffer.from(r.json.to_sign, 'base64')))
    r = await phone('POST', '/sign', { signature_id: r.json.signature_id, signature })
    eq(r.status, 200, 'worker signs ' + r.body.toString())
  }
  r = await hr.get(`/api/v1/contracts/${id}`)
  eq(r.status, 200, 'contract')
  if (sign) eq(r.json.status, 'signed', 'signed')
  return r.json
}
