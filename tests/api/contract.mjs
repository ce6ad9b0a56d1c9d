// Electronic labor contracts end to end through the HTTP API: drafting from
// the roster with the legal check, sending (frozen PDF, link, message),
// the worker's identity check, reading, intent code, certificate for a
// WebCrypto-style key made here (node:crypto webcrypto, non-extractable),
// signing, the enterprise signing with its browser key and with the seal,
// pdfsig on the result, the evidence package and `hexie verify`, and every
// bad input and fault the issue lists.
//
//   node tests/api/contract.mjs --bin build/hexie [--db postgresql://…] [--only NAME]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import { spawnSync } from 'node:child_process'
import { webcrypto } from 'node:crypto'
import { ADMIN_PASSWORD, Client, ROOT, assert, eq, hexie, idnum, makeStore, runTests, sleep, startServer, uscc } from './lib.mjs'

const subtle = webcrypto.subtle
const argv = process.argv.slice(2)
const opt = (k, d) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d }
const BIN = path.resolve(ROOT, opt('--bin', 'build/hexie'))
const DB = opt('--db', null)
const ONLY = opt('--only', null)

let store, srv, admin, hr, ent, hrUser
let seq = 0
const uniq = () => `${process.pid}${Date.now() % 100000}${seq++}`

// ---- helpers ----

// Each user has a phone of their own (the enterprise's intent codes go to
// the acting HR user's phone); phone: null makes one without.
let phoneSeq = 0
const newPhone = () => `136${String(process.pid % 10000).padStart(4, '0')}${String(phoneSeq++ % 10000).padStart(4, '0')}`
async function makeUser(body) {
  const username = `c${uniq()}`
  const password = `Init-${uniq()}-pw`
  const phone = body.phone === undefined ? newPhone() : body.phone
  const full = { username, password, ...body, phone }
  if (phone === null) delete full.phone
  const r = await admin.post('/api/v1/users', full)
  eq(r.status, 201, 'user ' + r.body.toString())
  const c = new Client(srv.base)
  let l = await c.login(username, password)
  if (l.json && l.json.user && l.json.user.must_change_password) {
    const next = `Next-${uniq()}-pw`
    const p = await c.post('/api/v1/session/password', { old_password: password, new_password: next })
    assert(p.status < 300, 'password change ' + p.status)
    c.csrf = (p.json && p.json.csrf_token) || c.csrf
  }
  return { c, id: l.json.user.id, phone, username }
}

async function newWorker(extra = {}) {
  const name = extra.name || `职工${uniq().slice(-4)}`
  const id_number = extra.id_number || idnum('19900101')
  const r = await admin.post('/api/v1/workers', {
    enterprise_id: ent.id, name, id_number, phone: extra.phone === undefined ? '13900001111' : extra.phone,
    hire_date: '2026-11-01', job: '装配工', employment_type: 'full_time',
  })
  eq(r.status, 201, 'worker ' + r.body.toString())
  return { ...r.json, id_number, name }
}

const TERMS = {
  term: { type: 'fixed', start: '2026-12-01', end: '2029-11-30' },
  probation_months: 2,
  job: { title: '木制玩具装配工', location: '浙江省丽水市云和县' },
  hours: { system: 'standard', hours_per_week: 40 },
  pay: { monthly: 4200, probation_monthly: 3400, pay_day: 15 },
  social_insurance: true,
  protection: '提供符合国家标准的劳动防护用品',
  worker_address: '浙江省丽水市云和县元和街道',
}

async function draft(w, extra = {}) {
  const r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: TERMS, ...extra })
  eq(r.status, 201, 'draft ' + r.body.toString())
  return r.json
}

async function sent(w, extra = {}) {
  const k = await draft(w, extra)
  const r = await hr.post(`/api/v1/contracts/${k.id}/send`)
  eq(r.status, 200, 'send ' + r.body.toString())
  assert(r.json.link_path && r.json.link_path.startsWith('/s/'), 'link')
  return { ...r.json, token: r.json.link_path.slice(3) }
}

// the newest outbox code sent to a phone
async function lastCode(phone) {
  const r = await admin.get('/api/v1/outbox?limit=50')
  eq(r.status, 200, 'outbox')
  const m = r.json.items.find((x) => x.recipient === phone && /(验证码|确认码)(\d{6})/.test(x.text))
  assert(m, 'a code in the outbox for ' + phone)
  return /(验证码|确认码)(\d{6})/.exec(m.text)[2]
}

// The worker's phone: a client with the signer cookie.
class Phone {
  constructor(token) { this.token = token; this.cookie = null }
  async req(method, p, body) {
    const h = {}
    if (this.cookie) h.cookie = this.cookie
    if (body !== undefined) h['content-type'] = 'application/json'
    const r = await fetch(srv.base + '/api/v1/sign/' + this.token + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
    const sc = r.headers.get('set-cookie')
    if (sc) { const m = /hx_signer=([^;]*)/.exec(sc); if (m) this.cookie = `hx_signer=${m[1]}` }
    const buf = Buffer.from(await r.arrayBuffer())
    let json = null
    if ((r.headers.get('content-type') || '').includes('json') && buf.length) json = JSON.parse(buf.toString('utf8'))
    return { status: r.status, json, body: buf, headers: r.headers }
  }
  async identify(w) {
    let r = await this.req('POST', '/identity', { name: w.name, id_number: w.id_number })
    eq(r.status, 200, 'identity ' + r.body.toString())
    r = await this.req('POST', '/identity/confirm', { code: await lastCode(w.phone || '13900001111') })
    eq(r.status, 200, 'identity confirm ' + r.body.toString())
  }
  async readAndIntent(w) {
    let r = await this.req('GET', '/text')
    eq(r.status, 200, 'text')
    r = await this.req('POST', '/read', { seconds: 30 })
    eq(r.status, 204, 'read ' + r.body.toString())
    r = await this.req('POST', '/intent')
    eq(r.status, 200, 'intent ' + r.body.toString())
    r = await this.req('POST', '/intent/confirm', { code: await lastCode(w.phone || '13900001111') })
    eq(r.status, 204, 'intent confirm ' + r.body.toString())
  }
}

const b64 = (buf) => Buffer.from(buf).toString('base64')

// A signer key as the browser makes it.
async function newKey() {
  const kp = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const spki = b64(await subtle.exportKey('spki', kp.publicKey))
  const proof = b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, kp.privateKey, Buffer.from('hexie-enrol:' + spki)))
  return { kp, spki, proof }
}
const signB64 = async (key, toSign) => b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.kp.privateKey, Buffer.from(toSign, 'base64')))

async function workerSigns(k, w, phone = new Phone(k.token)) {
  if (!phone.cookie) await phone.identify(w)
  await phone.readAndIntent(w)
  const key = await newKey()
  let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
  eq(r.status, 201, 'certificate ' + r.body.toString())
  const serial = r.json.serial
  r = await phone.req('POST', '/prepare', { cert_serial: serial })
  eq(r.status, 200, 'prepare ' + r.body.toString())
  const sig = await signB64(key, r.json.to_sign)
  const s = await phone.req('POST', '/sign', { signature_id: r.json.signature_id, signature: sig })
  return { s, phone, key, serial, prep: r.json }
}

// The enterprise's intent (意愿确认): a code to the acting HR user's own
// phone for this contract (POST /contracts/:id/intent), read from the outbox.
async function intentCode(id, u = hrUser) {
  const r = await u.c.post(`/api/v1/contracts/${id}/intent`)
  eq(r.status, 200, 'enterprise intent ' + r.body.toString())
  return lastCode(u.phone)
}

// The enterprise seals contract id (u: the acting HR user).
async function sealAs(id, u = hrUser) {
  return u.c.post(`/api/v1/contracts/${id}/seal`, { code: await intentCode(id, u) })
}

// A (new) seal key for the enterprise, confirmed with a code.
async function makeSeal(u = hrUser, enterpriseId = ent.id) {
  const i = await u.c.post(`/api/v1/enterprises/${enterpriseId}/seal/intent`)
  eq(i.status, 200, 'seal intent ' + i.body.toString())
  return u.c.post(`/api/v1/enterprises/${enterpriseId}/seal`, { code: await lastCode(u.phone) })
}

// A batch seal of ids, confirmed with one code for exactly these ids.
async function sealBatch(ids, u = hrUser) {
  const i = await u.c.post('/api/v1/contracts/seal/intent', { ids })
  eq(i.status, 200, 'batch intent ' + i.body.toString())
  return u.c.post('/api/v1/contracts/seal', { ids, code: await lastCode(u.phone) })
}

let hrKey, hrSerial
async function enterpriseSigns(id) {
  if (!hrKey) {
    hrKey = await newKey()
    const r = await hr.post('/api/v1/contracts/certificates', { spki: hrKey.spki, proof: hrKey.proof })
    eq(r.status, 201, 'hr certificate ' + r.body.toString())
    hrSerial = r.json.serial
  }
  const p = await hr.post(`/api/v1/contracts/${id}/sign/prepare`, { cert_serial: hrSerial, code: await intentCode(id) })
  eq(p.status, 200, 'hr prepare ' + p.body.toString())
  return hr.post(`/api/v1/contracts/${id}/sign`, { signature_id: p.json.signature_id, signature: await signB64(hrKey, p.json.to_sign) })
}

function tmpFile(name, buf) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-contract-'))
  const f = path.join(d, name)
  fs.writeFileSync(f, buf)
  return f
}

let nssDir
function pdfsig(pdf) {
  if (!nssDir) {
    nssDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-nss-'))
    spawnSync('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password'])
    // trusted for e-mail/document signing too (the second flag): pdfsig verifies for that use
    const r = spawnSync('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'hexie-root', '-t', 'C,C,C', '-i', path.join(store.varDir, 'keys', 'ca.crt')], { encoding: 'utf8' })
    assert(r.status === 0, 'certutil: ' + r.stderr)
  }
  const f = tmpFile('c.pdf', pdf)
  const r = spawnSync('pdfsig', ['-nssdir', `sql:${nssDir}`, f], { encoding: 'utf8' })
  return r.stdout + r.stderr
}

async function contract(id) {
  const r = await hr.get(`/api/v1/contracts/${id}`)
  eq(r.status, 200, 'get contract')
  return r.json
}

// ---- tests ----

const T = []

T.push(['a draft from the roster carries the roster data and shows lint findings beside fields', async () => {
  const w = await newWorker()
  const r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: { ...TERMS, pay: { monthly: 1000, probation_monthly: 900, pay_day: 15 } } })
  eq(r.status, 201, 'draft ' + r.body.toString())
  eq(r.json.status, 'draft', 'status')
  eq(r.json.terms.worker.name, w.name, 'worker from roster')
  eq(r.json.terms.employer.uscc, ent.uscc, 'employer from roster')
  const codes = r.json.lint.errors.map((e) => e.code + ':' + e.field)
  assert(codes.includes('wage_below_minimum:pay.monthly'), codes.join(','))
  // sending is refused while lint fails
  const s = await hr.post(`/api/v1/contracts/${r.json.id}/send`)
  eq(s.status, 422, 'send refused')
  eq(s.json.error.code, 'lint_failed', 'code')
  eq(s.json.error.field, 'pay.monthly', 'field named')
  // fixed, it sends
  const u = await hr.req('PUT', `/api/v1/contracts/${r.json.id}`, { kind: 'full_time', terms: TERMS })
  eq(u.status, 200, 'update ' + u.body.toString())
  eq(u.json.lint.errors.length, 0, 'no errors')
  const s2 = await hr.post(`/api/v1/contracts/${r.json.id}/send`)
  eq(s2.status, 200, 'sent ' + s2.body.toString())
  eq(s2.json.status, 'sent', 'status')
  assert(/^[0-9a-f]{64}$/.test(s2.json.doc_sha256), 'hash fixed')
  // the PDF's hash is the one fixed at sending
  const pdf = await hr.get(`/api/v1/contracts/${r.json.id}/document.pdf`)
  eq(pdf.status, 200, 'pdf')
  const sha = (await import('node:crypto')).createHash('sha256').update(pdf.body).digest('hex')
  eq(sha, s2.json.doc_sha256, 'sha of the frozen PDF')
  const txt = spawnSync('pdftotext', ['-q', '-enc', 'UTF-8', tmpFile('a.pdf', pdf.body), '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
  assert(txt.includes(w.name) && txt.includes(ent.name), 'Chinese text extractable')
  // the worker got a message with the link
  const ob = await admin.get('/api/v1/outbox?limit=20')
  assert(ob.json.items.some((m) => m.recipient === '13900001111' && m.text.includes(s2.json.link_path)), 'message with link')
  // QR code of the link
  const qr = await hr.get(`/api/v1/contracts/${r.json.id}/qr.png`)
  eq(qr.status, 200, 'qr')
  assert(qr.body.toString('utf8').includes('<svg'), 'svg QR')
}])

let signedK, signedW, signedPhone
T.push(['the worker signs on the phone, then the enterprise; pdfsig: valid, trusted, totally signed', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const { s, phone } = await workerSigns(k, w)
  eq(s.status, 200, 'worker signed ' + s.body.toString())
  signedPhone = phone
  let c = await contract(k.id)
  eq(c.status, 'signing', 'one side signed')
  assert(c.worker_signed_at, 'worker_signed_at')
  const e = await enterpriseSigns(k.id)
  eq(e.status, 200, 'enterprise signed ' + e.body.toString())
  c = await contract(k.id)
  eq(c.status, 'signed', 'signed')
  eq(c.signatures.length, 2, 'two signatures')
  for (const sg of c.signatures) assert(sg.timestamp_time && sg.status === 'done', JSON.stringify(sg))
  const pdf = await hr.get(`/api/v1/contracts/${k.id}/document.pdf`)
  const out = pdfsig(pdf.body)
  const valid = out.match(/Signature is Valid/g) || []
  const trusted = out.match(/Certificate is Trusted/g) || []
  eq(valid.length, 2, 'two valid signatures:\n' + out)
  eq(trusted.length, 2, 'two trusted certificates:\n' + out)
  assert(/Signer Certificate Common Name: 职工/.test(out), 'the worker\'s Chinese name in the certificate')
  // the Chinese text is embedded and extractable, never boxes
  const fonts = spawnSync('pdffonts', [tmpFile('f.pdf', pdf.body)], { encoding: 'utf8' }).stdout
  assert(/NotoSansCJK/.test(fonts) && fonts.split('\n').slice(2).filter(Boolean).every((l) => /yes yes yes/.test(l)), 'CJK font embedded, subset, with ToUnicode:\n' + fonts)
  assert(/Total document signed/.test(out), 'the last covers the whole document:\n' + out)
  // no SMS gateway in the tests: the notice says the link waits in the outbox
  const note = c.evidence.find((x) => x.kind === 'notified' && x.detail.to === 'worker')
  eq(note && note.detail.channel, 'outbox', 'the notice names its channel')
  const kinds = c.evidence.map((x) => x.kind)
  for (const kind of ['sent', 'notified', 'identity_checked', 'code_sent', 'code_confirmed', 'viewed', 'read', 'intent_confirmed', 'cert_issued', 'signed', 'timestamped'])
    assert(kinds.includes(kind), 'evidence ' + kind + ' in ' + kinds.join(','))
  // both parties told, the worker with a download link
  const ob = await admin.get('/api/v1/outbox?limit=30')
  assert(ob.json.items.some((m) => m.recipient === '13900001111' && m.text.includes('已签署完成') && m.text.includes(k.link_path)), 'worker notified with the link')
  const notes = await hr.get('/api/v1/notifications')
  assert(notes.json.items.some((n) => n.text.includes('已签署完成')), 'enterprise notified')
  signedK = k
  signedW = w
}])

T.push(['expiry after N days, with a reminder the day before', async () => {
  const w = await newWorker()
  const k = await sent(w, { expires_days: 3 })
  const k2 = await sent(await newWorker(), { expires_days: 3 })
  const set = (id, sec) => {
    const q = `UPDATE contracts SET expires_at = '${new Date(Date.now() + sec * 1000).toISOString().slice(0, 19)}Z' WHERE id = ${id}`
    const r = DB ? spawnSync('psql', [DB, '-c', q]) : spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(store.varDir, 'hexie.db'), q])
    eq(r.status, 0, 'set expiry')
  }
  set(k.id, -5)
  set(k2.id, 3600)
  let c, c2
  for (let i = 0; i < 50; i++) {
    c = await contract(k.id)
    c2 = await contract(k2.id)
    if (c.status === 'expired' && c2.evidence.some((e) => e.kind === 'reminded')) break
    await sleep(100)
  }
  eq(c.status, 'expired', 'expired')
  assert(c.evidence.some((e) => e.kind === 'expired'), 'recorded')
  eq(c2.status, 'sent', 'the other still open')
  assert(c2.evidence.some((e) => e.kind === 'reminded'), 'reminded')
  const r = await new Phone(k.token).req('POST', '/identity', { name: w.name, id_number: w.id_number })
  assert(r.status === 200 || r.status === 409, 'identity may pass')
  const ob = await admin.get('/api/v1/outbox?limit=30')
  assert(ob.json.items.some((m) => m.text.includes('提醒') && m.text.includes(k2.link_path)), 'reminder message with the link')
}])

T.push(['the platform checks an uploaded signed PDF: known, not tampered, timestamps good', async () => {
  assert(signedK, 'needs the signed contract')
  const pdf = (await hr.get(`/api/v1/contracts/${signedK.id}/document.pdf`)).body
  // the tokens are in the CMS: dump with openssl cms and find them through the report instead
  const rep = await hr.req('POST', '/api/v1/contracts/verify', undefined, { raw: pdf, headers: { 'content-type': 'application/pdf' } })
  eq(rep.status, 200, 'verify ' + rep.body.toString())
  eq(rep.json.known, true, 'known')
  eq(rep.json.tampered, false, 'not tampered')
  for (const s of rep.json.report.signatures) assert(s.timestamp && s.timestamp.ok, 'timestamp ok ' + JSON.stringify(s))
}])

T.push(['the worker downloads the signed PDF free of charge, from the link and from the portal', async () => {
  assert(signedK, 'needs the signed contract')
  const phone = signedPhone // the worker's own phone, still identified
  const d = await phone.req('GET', '/document.pdf?download=1')
  eq(d.status, 200, 'download')
  eq(d.body.subarray(0, 5).toString(), '%PDF-', 'a PDF')
  // the portal
  let r = await fetch(srv.base + '/api/v1/my/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: signedW.name, id_number: signedW.id_number }) })
  eq(r.status, 200, 'portal login')
  const cookie = /hx_signer=([^;]*)/.exec(r.headers.get('set-cookie'))[0]
  r = await fetch(srv.base + '/api/v1/my/login/confirm', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ code: await lastCode('13900001111') }) })
  eq(r.status, 204, 'portal confirm')
  r = await fetch(srv.base + '/api/v1/my/contracts', { headers: { cookie } })
  const list = await r.json()
  assert(list.items.some((x) => x.id === signedK.id && x.status === 'signed'), 'own contract listed')
  r = await fetch(srv.base + `/api/v1/my/contracts/${signedK.id}/document.pdf`, { headers: { cookie } })
  eq(r.status, 200, 'portal download')
  const c = await contract(signedK.id)
  assert(c.evidence.some((x) => x.kind === 'downloaded'), 'download recorded')
}])

T.push(['evidence package verifies offline with hexie verify; a changed event is caught', async () => {
  assert(signedK, 'needs the signed contract')
  const z = await hr.get(`/api/v1/contracts/${signedK.id}/evidence.zip`)
  eq(z.status, 200, 'package ' + z.body.toString().slice(0, 200))
  const f = tmpFile('p.zip', z.body)
  const ok = hexie(BIN, ['verify', f, '--ca', path.join(store.varDir, 'keys', 'ca.crt')])
  eq(ok.code, 0, 'verify ok: ' + ok.out + ok.err)
  const rep = JSON.parse(ok.out)
  eq(rep.ok, true, 'ok')
  // each timestamp token in the package passes openssl ts -verify against the platform root
  const x = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-pkg-'))
  spawnSync('unzip', ['-q', f, '-d', x])
  const toks = fs.readdirSync(path.join(x, 'timestamps')).filter((n) => n.endsWith('.tst'))
  eq(toks.length, 2, 'two tokens')
  for (const t of toks) {
    const dg = fs.readFileSync(path.join(x, 'timestamps', t.replace(/\.tst$/, '.sha256')), 'utf8').trim()
    const v = spawnSync('openssl', ['ts', '-verify', '-digest', dg, '-in', path.join(x, 'timestamps', t), '-token_in', '-CAfile', path.join(x, 'ca.crt')], { encoding: 'utf8' })
    assert(v.status === 0 && /Verification: OK/.test(v.stdout), 'openssl ts -verify ' + t + ': ' + v.stdout + v.stderr)
  }
  // checked against another root, the signatures are not trusted
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-root-'))
  spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(other, 'k.pem'), '-subj', '/CN=other', '-days', '1', '-out', path.join(other, 'ca.crt')])
  const wrongRoot = hexie(BIN, ['verify', f, '--ca', path.join(other, 'ca.crt')])
  eq(wrongRoot.code, 1, 'another root: exit 1 ' + wrongRoot.err)
  assert(/"check": "signatures",\s*"ok": false/.test(wrongRoot.out), 'signatures fail under another root')
  // a checkpoint signed by another key is refused
  spawnSync('openssl', ['pkey', '-in', path.join(other, 'k.pem'), '-pubout', '-out', path.join(other, 'pub.pem')])
  const wrongKey = hexie(BIN, ['verify', f, '--log-key', path.join(other, 'pub.pem')])
  eq(wrongKey.code, 1, 'another log key: exit 1 ' + wrongKey.err)
  assert(/"check": "checkpoint_signature",\s*"ok": false/.test(wrongKey.out), 'the checkpoint does not verify')
  // tamper with one event inside the package
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-pkg-'))
  spawnSync('unzip', ['-q', f, '-d', d])
  const ev = JSON.parse(fs.readFileSync(path.join(d, 'evidence.json'), 'utf8'))
  ev.events[0].leaf = ev.events[0].leaf.replace('"kind":"sent"', '"kind":"sent "')
  fs.writeFileSync(path.join(d, 'evidence.json'), JSON.stringify(ev))
  const g = path.join(d, 'bad.zip')
  spawnSync('zip', ['-q', '-r', g, '.'], { cwd: d })
  const bad = hexie(BIN, ['verify', g])
  eq(bad.code, 1, 'tampered package: exit 1 ' + bad.out + bad.err)
  assert(/event_hashes[\s\S]*"ok": false/.test(bad.out), 'event hashes fail')
}])

T.push(['a tampered PDF uploaded for checking is reported as tampered', async () => {
  assert(signedK, 'needs the signed contract')
  const pdf = Buffer.from((await hr.get(`/api/v1/contracts/${signedK.id}/document.pdf`)).body)
  // change one byte inside the signed range (in the first page's content)
  const i = pdf.indexOf(Buffer.from('stream')) + 20
  pdf[i] = pdf[i] ^ 0x01
  const rep = await hr.req('POST', '/api/v1/contracts/verify', undefined, { raw: pdf, headers: { 'content-type': 'application/pdf' } })
  eq(rep.status, 200, 'verify')
  eq(rep.json.known, false, 'not the archived file')
  eq(rep.json.tampered, true, 'tampered: ' + JSON.stringify(rep.json.report.signatures.map((s) => s.error)))
}])

T.push(['identity: wrong name or ID refused, 5 wrong tries lock the link', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const p = new Phone(k.token)
  let r = await p.req('POST', '/identity', { name: w.name, id_number: idnum('19850101') })
  eq(r.status, 422, 'mismatch')
  eq(r.json.error.code, 'identity_mismatch', 'code')
  for (let i = 0; i < 3; i++) await p.req('POST', '/identity', { name: '别人', id_number: w.id_number })
  r = await p.req('POST', '/identity', { name: '别人', id_number: w.id_number })
  eq(r.status, 429, 'locked on the 5th')
  r = await p.req('POST', '/identity', { name: w.name, id_number: w.id_number })
  eq(r.status, 429, 'still locked with the right data')
  const c = await contract(k.id)
  assert(c.evidence.filter((x) => x.kind === 'identity_checked').length >= 5, 'each try recorded')
}])

T.push(['codes: wrong, replayed, expired-by-resend and locked after 5', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const p = new Phone(k.token)
  let r = await p.req('POST', '/identity', { name: w.name, id_number: w.id_number })
  eq(r.status, 200, 'identity')
  const code = await lastCode('13900001111')
  const wrong = code === '000000' ? '111111' : '000000'
  r = await p.req('POST', '/identity/confirm', { code: wrong })
  eq(r.status, 422, 'wrong code')
  eq(r.json.error.code, 'wrong_code', 'wrong_code')
  r = await p.req('POST', '/identity/confirm', { code })
  eq(r.status, 200, 'right code')
  r = await p.req('POST', '/identity/confirm', { code })
  eq(r.status, 422, 'replayed')
  eq(r.json.error.code, 'code_used', 'code_used')
  // intent code locked after 5 wrong tries
  await p.req('POST', '/read', { seconds: 5 })
  r = await p.req('POST', '/intent')
  eq(r.status, 200, 'intent code sent')
  const ic = await lastCode('13900001111')
  const bad = ic === '000000' ? '111111' : '000000'
  for (let i = 0; i < 4; i++) eq((await p.req('POST', '/intent/confirm', { code: bad })).status, 422, 'wrong ' + i)
  r = await p.req('POST', '/intent/confirm', { code: bad })
  eq(r.status, 403, 'locked')
  eq(r.json.error.code, 'code_locked', 'code_locked')
  r = await p.req('POST', '/intent/confirm', { code: ic })
  eq(r.status, 403, 'the right code no longer works')
  // without intent, no signature
  const key = await newKey()
  r = await p.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
  eq(r.status, 201, 'cert')
  r = await p.req('POST', '/prepare', { cert_serial: r.json.serial })
  eq(r.status, 409, 'intent required')
  eq(r.json.error.code, 'intent_required', 'code')
}])

T.push(['a code sent over 5 minutes ago is expired', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const p = new Phone(k.token)
  eq((await p.req('POST', '/identity', { name: w.name, id_number: w.id_number })).status, 200, 'identity')
  const code = await lastCode('13900001111')
  // age the code in the store (the server reads expiry from it)
  const { spawnSync: sp } = await import('node:child_process')
  if (!DB) sp('sqlite3', ['-cmd', '.timeout 10000', path.join(store.varDir, 'hexie.db'), "UPDATE otp_codes SET expires_at = expires_at - 400, sent_at = sent_at - 400 WHERE purpose = 'sign_identity'"])
  else sp('psql', [DB, '-c', "UPDATE otp_codes SET expires_at = expires_at - 400, sent_at = sent_at - 400 WHERE purpose = 'sign_identity'"])
  const r = await p.req('POST', '/identity/confirm', { code })
  eq(r.status, 422, 'expired')
  eq(r.json.error.code, 'code_expired', 'code_expired')
}])

T.push(['a signature over other bytes is refused; signing twice is refused', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const phone = new Phone(k.token)
  await phone.identify(w)
  await phone.readAndIntent(w)
  const key = await newKey()
  let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
  const serial = r.json.serial
  r = await phone.req('POST', '/prepare', { cert_serial: serial })
  const other = b64(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.kp.privateKey, Buffer.from('other bytes')))
  let s = await phone.req('POST', '/sign', { signature_id: r.json.signature_id, signature: other })
  eq(s.status, 422, 'bad signature')
  eq(s.json.error.code, 'bad_signature', 'code')
  // a signature by another key over the right bytes
  const k2 = await newKey()
  s = await phone.req('POST', '/sign', { signature_id: r.json.signature_id, signature: await signB64(k2, r.json.to_sign) })
  eq(s.status, 422, 'other key')
  s = await phone.req('POST', '/sign', { signature_id: r.json.signature_id, signature: await signB64(key, r.json.to_sign) })
  eq(s.status, 200, 'the right one ' + s.body.toString())
  s = await phone.req('POST', '/sign', { signature_id: r.json.signature_id, signature: await signB64(key, r.json.to_sign) })
  eq(s.status, 409, 'signing twice')
  r = await phone.req('POST', '/prepare', { cert_serial: serial })
  eq(r.status, 409, 'prepare again')
  eq(r.json.error.code, 'already_signed', 'already_signed')
}])

T.push(['a revoked certificate cannot sign; re-enrolment revokes the lost key and the CRL lists it', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const phone = new Phone(k.token)
  await phone.identify(w)
  await phone.readAndIntent(w)
  const lost = await newKey()
  let r = await phone.req('POST', '/certificate', { spki: lost.spki, proof: lost.proof })
  const lostSerial = r.json.serial
  const fresh = await newKey()
  r = await phone.req('POST', '/certificate', { spki: fresh.spki, proof: fresh.proof })
  eq(r.status, 201, 're-enrol')
  r = await phone.req('POST', '/prepare', { cert_serial: lostSerial })
  eq(r.status, 422, 'revoked')
  eq(r.json.error.code, 'cert_revoked', 'cert_revoked')
  const crl = await fetch(srv.base + '/api/v1/trust/crl')
  eq(crl.status, 200, 'crl')
  const f = tmpFile('c.crl', Buffer.from(await crl.arrayBuffer()))
  const t = spawnSync('openssl', ['crl', '-inform', 'DER', '-in', f, '-noout', '-text'], { encoding: 'utf8' }).stdout.toLowerCase()
  assert(t.replace(/:/g, '').includes(lostSerial.replace(/^0+/, '')), 'serial in the CRL')
  // a proof by another key is refused
  const k2 = await newKey()
  r = await phone.req('POST', '/certificate', { spki: k2.spki, proof: lost.proof })
  eq(r.status, 422, 'bad proof')
}])

T.push(['an expired certificate cannot sign', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const phone = new Phone(k.token)
  await phone.identify(w)
  await phone.readAndIntent(w)
  const key = await newKey()
  let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
  const serial = r.json.serial
  // the store's copy becomes a certificate (same serial, same issuing CA) that expired in 2021:
  // what a certificate looks like two years after issue, without waiting two years
  const keys = path.join(store.varDir, 'keys')
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-exp-'))
  spawnSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(d, 'k.pem')])
  spawnSync('openssl', ['req', '-new', '-key', path.join(d, 'k.pem'), '-subj', '/CN=expired', '-out', path.join(d, 'r.csr')])
  fs.writeFileSync(path.join(d, 'index.txt'), '')
  fs.writeFileSync(path.join(d, 'serial'), serial + '\n')
  fs.writeFileSync(path.join(d, 'ca.cnf'), `[ca]\ndefault_ca=c\n[c]\ndir=${d}\ndatabase=${d}/index.txt\nserial=${d}/serial\nnew_certs_dir=${d}\ndefault_md=sha256\npolicy=p\nunique_subject=no\nx509_extensions=e\n[p]\ncommonName=supplied\n[e]\nkeyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE\n`)
  const mk = spawnSync('openssl', ['ca', '-batch', '-config', path.join(d, 'ca.cnf'), '-cert', path.join(keys, 'issuing.crt'), '-keyfile', path.join(keys, 'issuing.key'),
    '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-in', path.join(d, 'r.csr'), '-out', path.join(d, 'old.pem'), '-notext'], { encoding: 'utf8' })
  assert(mk.status === 0, 'openssl ca: ' + mk.stderr)
  spawnSync('openssl', ['x509', '-in', path.join(d, 'old.pem'), '-outform', 'DER', '-out', path.join(d, 'old.der')])
  const old = fs.readFileSync(path.join(d, 'old.der')).toString('base64')
  if (!DB) spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(store.varDir, 'hexie.db'), `UPDATE certificates SET cert = '${old}' WHERE serial = '${serial}'`])
  else spawnSync('psql', [DB, '-c', `UPDATE certificates SET cert = '${old}' WHERE serial = '${serial}'`])
  r = await phone.req('POST', '/prepare', { cert_serial: serial })
  eq(r.status, 422, 'expired ' + r.body.toString())
  eq(r.json.error.code, 'cert_expired', 'cert_expired')
}])

T.push(['two signing requests at once for the same contract: one wins', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const phone = new Phone(k.token)
  await phone.identify(w)
  await phone.readAndIntent(w)
  const key = await newKey()
  let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
  const serial = r.json.serial
  const p1 = await phone.req('POST', '/prepare', { cert_serial: serial })
  const p2 = await phone.req('POST', '/prepare', { cert_serial: serial })
  const [a, b] = await Promise.all([
    phone.req('POST', '/sign', { signature_id: p1.json.signature_id, signature: await signB64(key, p1.json.to_sign) }),
    phone.req('POST', '/sign', { signature_id: p2.json.signature_id, signature: await signB64(key, p2.json.to_sign) }),
  ])
  const st = [a.status, b.status].sort()
  eq(st, [200, 409], 'one signed, one conflict: ' + a.body + ' / ' + b.body)
  const c = await contract(k.id)
  eq(c.signatures.filter((s) => s.party === 'worker').length, 1, 'one worker signature')
  eq(c.doc_version, 2, 'one new revision')
}])

T.push(["another person's link is 404 without saying it exists; an unknown link too", async () => {
  const w = await newWorker()
  const k = await sent(w)
  const other = await newWorker()
  const k2 = await sent(other)
  // the other worker's session does not open this contract
  const p = new Phone(k2.token)
  await p.identify(other)
  const mine = new Phone(k.token)
  mine.cookie = p.cookie
  let r = await mine.req('GET', '/document.pdf')
  eq(r.status, 404, "another person's contract: 404")
  const r404 = r
  r = await mine.req('GET', '/text')
  eq(r.status, 404, 'text too')
  r = await new Phone(k.token).req('GET', '/document.pdf')
  eq(r.status, 401, 'without a session: identify first')
  r = await new Phone('A'.repeat(48)).req('GET', '')
  eq(r.status, 404, 'unknown link')
  eq(r.json.error.message, r404.json.error.message, 'the same answer as an unknown link')
  const r2 = await new Phone(k.token.slice(0, -1) + (k.token.endsWith('A') ? 'B' : 'A')).req('GET', '')
  eq(r2.status, 404, 'a near link')
  eq(JSON.stringify(r.json.error.message), JSON.stringify(r2.json.error.message), 'same answer')
  // HR of another enterprise cannot see it
  const e2 = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: `他家企业${uniq()}`, area_id: ent.area_id, legal_representative: '王五', address: '云和县' })
  const hr2 = await makeUser({ display_name: '他家人事', role: 'enterprise_hr', enterprise_id: e2.json.id })
  r = await hr2.c.get(`/api/v1/contracts/${k.id}`)
  eq(r.status, 404, 'other enterprise 404')
  r = await hr2.c.get(`/api/v1/contracts/${k.id}/document.pdf`)
  eq(r.status, 404, 'other enterprise pdf 404')
}])

T.push(['enterprise first with the seal; batch seal signing', async () => {
  let r = await makeSeal()
  eq(r.status, 201, 'seal ' + r.body.toString())
  const w = await newWorker()
  const k = await sent(w, { sign_order: 'enterprise_first' })
  // the worker must wait
  const phone = new Phone(k.token)
  await phone.identify(w)
  r = await phone.req('POST', '/read', { seconds: 3 })
  eq(r.status, 204, 'read')
  r = await phone.req('POST', '/intent')
  eq(r.status, 409, 'not the worker\'s turn')
  eq(r.json.error.code, 'not_your_turn', 'not_your_turn')
  r = await sealAs(k.id)
  eq(r.status, 200, 'sealed ' + r.body.toString())
  eq(r.json.status, 'signing', 'signing')
  const { s } = await workerSigns(k, w, phone)
  eq(s.status, 200, 'worker signed after ' + s.body.toString())
  eq((await contract(k.id)).status, 'signed', 'signed')
  // batch
  const ids = []
  for (let i = 0; i < 3; i++) ids.push((await sent(await newWorker(), { sign_order: 'enterprise_first' })).id)
  // an officer who sees the contracts cannot use the enterprise's seal
  const off = await admin.post(`/api/v1/contracts/${ids[0]}/seal`)
  eq(off.status, 403, 'admin cannot seal for the enterprise')
  eq(off.json.error.code, 'not_the_enterprise', 'not_the_enterprise')
  eq((await admin.post(`/api/v1/enterprises/${ent.id}/seal`)).status, 403, 'nor make its seal')
  r = await sealBatch([...ids, 999999])
  eq(r.status, 200, 'batch')
  eq(r.json.signed.sort(), ids.sort(), 'all signed')
  eq(r.json.failed.length, 1, 'unknown id failed')
}])

T.push(['batch drafting with progress, then sending', async () => {
  const ws = []
  for (let i = 0; i < 4; i++) ws.push(await newWorker())
  let r = await hr.post('/api/v1/contracts/batches', { worker_ids: ws.map((w) => w.id), kind: 'full_time', terms: TERMS, send: true })
  eq(r.status, 202, 'batch ' + r.body.toString())
  let b
  for (let i = 0; i < 100; i++) {
    b = (await hr.get(`/api/v1/contracts/batches/${r.json.id}`)).json
    if (b.status === 'done') break
    await sleep(100)
  }
  eq(b.status, 'done', 'done')
  eq(b.done, 4, 'all done')
  eq(b.failed, 0, 'none failed ' + JSON.stringify(b.errors))
  for (const id of b.contract_ids) eq((await contract(id)).status, 'sent', 'sent')
  r = await hr.post('/api/v1/contracts/batches', { worker_ids: [999999], kind: 'full_time', terms: TERMS })
  eq(r.status, 422, 'unknown worker refused')
  eq(r.json.error.field, 'worker_ids', 'field')
}])

T.push(['reject with a reason; withdraw before the other side signs; not after', async () => {
  const w = await newWorker()
  const k = await sent(w)
  const p = new Phone(k.token)
  await p.identify(w)
  let r = await p.req('POST', '/reject', { reason: '工资与面试时说的不一致' })
  eq(r.status, 200, 'rejected')
  eq((await contract(k.id)).status, 'rejected', 'status')
  const k2 = await sent(await newWorker())
  r = await hr.post(`/api/v1/contracts/${k2.id}/withdraw`, { reason: '岗位调整' })
  eq(r.status, 200, 'withdrawn')
  eq(r.json.status, 'withdrawn', 'status')
  r = await new Phone(k2.token).req('POST', '/identity', { name: 'x', id_number: idnum() })
  assert(r.status === 409 || r.status === 422, 'no signing after withdrawal: ' + r.status)
  assert(signedK, 'needs the signed contract')
  r = await hr.post(`/api/v1/contracts/${signedK.id}/withdraw`, { reason: 'x' })
  eq(r.status, 409, 'signed cannot be withdrawn')
}])

T.push(['change by amendment, renewal, and termination updates the roster', async () => {
  const w = await newWorker()
  const k = await sent(w)
  eq((await workerSigns(k, w)).s.status, 200, 'worker')
  eq((await enterpriseSigns(k.id)).status, 200, 'enterprise')
  // amendment: a wage change that still passes the check
  let r = await hr.post(`/api/v1/contracts/${k.id}/amend`, { changes: { pay: { monthly: 4250 } }, effective_date: '2027-01-01' })
  eq(r.status, 201, 'amend ' + r.body.toString())
  eq(r.json.kind, 'amendment', 'kind')
  eq(r.json.event, 'change', 'event')
  r = await hr.post(`/api/v1/contracts/${k.id}/amend`, { changes: { pay: { monthly: 100 } }, effective_date: '2027-01-01' })
  eq(r.status, 422, 'an amendment below the minimum wage')
  // renewal
  r = await hr.post(`/api/v1/contracts/${k.id}/renew`, { terms: { term: { type: 'fixed', start: '2029-12-01', end: '2032-11-30' }, probation_months: 0 } })
  eq(r.status, 201, 'renew ' + r.body.toString())
  eq(r.json.event, 'renew', 'event')
  eq(r.json.parent_id, k.id, 'linked')
  // termination certificate, signed by the enterprise with the seal
  r = await hr.post(`/api/v1/contracts/${k.id}/terminate`, { event: 'rescind', date: '2026-12-31', reason: '双方协商一致解除劳动合同', legal_basis: '《劳动合同法》第三十六条' })
  eq(r.status, 201, 'terminate ' + r.body.toString())
  const t = r.json
  r = await hr.post(`/api/v1/contracts/${t.id}/send`)
  eq(r.status, 200, 'send certificate ' + r.body.toString())
  r = await sealAs(t.id)
  eq(r.status, 200, 'sealed ' + r.body.toString())
  eq(r.json.status, 'signed', 'certificate signed')
  eq((await contract(k.id)).status, 'ended', 'the contract ended')
  const wk = await admin.get(`/api/v1/workers/${w.id}`)
  eq(wk.json.leave_date, '2026-12-31', 'roster leave date')
  r = await hr.post(`/api/v1/contracts/${k.id}/terminate`, { event: 'quit', date: '2026-12-31', reason: 'x' })
  eq(r.status, 409, 'an ended contract')
}])

T.push(['bad input: unknown fields, wrong types, a worker out of scope', async () => {
  const w = await newWorker()
  let r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: TERMS, salary: 1 })
  eq(r.status, 400, 'unknown field')
  r = await hr.post('/api/v1/contracts', { worker_id: 'x', kind: 'full_time', terms: TERMS })
  eq(r.status, 400, 'wrong type')
  r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'gig', terms: TERMS })
  eq(r.status, 422, 'unknown kind')
  eq(r.json.error.field, 'kind', 'field')
  r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: { ...TERMS, bonus: 1 } })
  eq(r.status, 400, 'unknown term')
  eq(r.json.error.field, 'terms.bonus', 'field named')
  const e2 = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: `另一企业${uniq()}`, area_id: ent.area_id })
  const w2 = await admin.post('/api/v1/workers', { enterprise_id: e2.json.id, name: '外人', id_number: idnum(), hire_date: '2026-01-01' })
  r = await hr.post('/api/v1/contracts', { worker_id: w2.json.id, kind: 'full_time', terms: TERMS })
  eq(r.status, 422, 'out of scope')
  eq(r.json.error.code, 'no_worker', 'no_worker')
  r = await hr.post(`/api/v1/contracts/${(await draft(w)).id}/send`, undefined, { csrf: false })
  eq(r.status, 403, 'csrf')
}])

T.push(['written-contract rate and the filing export (JSON and xlsx)', async () => {
  const r = await admin.get(`/api/v1/contracts/rates`)
  eq(r.status, 200, 'rates')
  const mine = r.json.items.find((x) => x.enterprise_id === ent.id)
  assert(mine && mine.signed >= 1 && mine.rate > 0 && mine.rate <= 1, JSON.stringify(mine))
  const month = new Date().toISOString().slice(0, 7)
  const f = await admin.get(`/api/v1/contracts/filing?month=${month}`)
  eq(f.status, 200, 'filing')
  const it = f.json.items.find((x) => x.signing.contract_id === signedK.id)
  assert(it && it.basic.employer_uscc === ent.uscc && it.terms.start === '2026-12-01' && it.signing.event === '新签' && /^[0-9a-f]{64}$/.test(it.signing.document_sha256), JSON.stringify(it))
  const x = await admin.get(`/api/v1/contracts/filing.xlsx?month=${month}`)
  eq(x.status, 200, 'xlsx')
  eq(x.body.subarray(0, 2).toString(), 'PK', 'xlsx zip')
  const bad = await admin.get('/api/v1/contracts/filing?month=2026-13')
  eq(bad.status, 422, 'bad month')
  eq(bad.json.error.field, 'month', 'field')
  // the rates and the contract list as spreadsheets, with labels not codes
  const xlsxText = (buf) => spawnSync('unzip', ['-p', tmpFile('x.xlsx', buf), 'xl/*.xml'], { encoding: 'utf8' }).stdout
  const rx = await admin.get('/api/v1/contracts/rates.xlsx')
  eq(rx.status, 200, 'rates.xlsx')
  const rt = xlsxText(rx.body)
  assert(rt.includes(ent.name) && rt.includes('合计') && rt.includes('书面劳动合同签订率') && /\d+\.\d%/.test(rt), 'rates sheet')
  const lx = await hr.get('/api/v1/contracts/export.xlsx?status=signed')
  eq(lx.status, 200, 'export.xlsx')
  const lt = xlsxText(lx.body)
  assert(lt.includes(signedW.name) && lt.includes('已签署') && lt.includes('新签') && !lt.includes('>signed<'), 'list sheet')
  assert(!lt.includes(signedW.id_number), 'no ID numbers in the list export')
  const none = await hr.get('/api/v1/contracts/export.xlsx?q=' + encodeURIComponent('无此职工'))
  eq(none.status, 200, 'empty export')
  assert(!xlsxText(none.body).includes(signedW.name), 'the filters apply')
  const badf = await hr.get('/api/v1/contracts/export.xlsx?enterprise_id=x')
  eq(badf.status, 400, 'a bad filter is refused')
  eq(badf.json.error.field, 'enterprise_id', 'the field named')
  eq((await hr.get('/api/v1/contracts/rates.xlsx')).status, 403, 'rates are for oversight')
}])

T.push(['wage tiers: an admin changes an area tier and the check follows it', async () => {
  const t = await admin.get('/api/v1/contracts/wage-tiers')
  eq(t.status, 200, 'tiers')
  assert(t.json.standards.length >= 2, 'standards')
  const a = t.json.areas.find((x) => x.area_id === ent.area_id)
  eq(a.tier, 3, 'Yunhe tier 3')
  let r = await admin.req('PUT', `/api/v1/contracts/wage-tiers/${ent.area_id}`, { tier: 1 })
  eq(r.status, 200, 'set ' + r.body.toString())
  const w = await newWorker()
  r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: { ...TERMS, pay: { monthly: 2300, probation_monthly: 2300, pay_day: 15 } } })
  assert(r.json.lint.errors.some((e) => e.code === 'wage_below_minimum'), 'tier 1 minimum 2490 applies')
  r = await admin.req('PUT', `/api/v1/contracts/wage-tiers/${ent.area_id}`, { tier: 4 })
  eq(r.status, 422, 'tier 4')
  r = await hr.req('PUT', `/api/v1/contracts/wage-tiers/${ent.area_id}`, { tier: 3 })
  eq(r.status, 403, 'HR may not')
  await admin.req('PUT', `/api/v1/contracts/wage-tiers/${ent.area_id}`, { tier: 3 })
}])

T.push(['a log from before the stored Merkle nodes is caught up; packages verify before and after', async () => {
  assert(signedK, 'needs the signed contract')
  const sqlRun = (q) => DB ? spawnSync('psql', [DB, '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' })
    : spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
  const scalar = (q) => { const r = sqlRun(q); eq(r.status, 0, q + ': ' + r.stderr); return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l))[0] }
  // forget the nodes, as a log made before migration 002 would have none
  const forget = DB
    ? 'BEGIN; DROP TRIGGER evidence_nodes_no_update ON evidence_nodes; DELETE FROM evidence_nodes; UPDATE evidence_head SET nodes_n = 0;' +
      ' CREATE TRIGGER evidence_nodes_no_update BEFORE UPDATE OR DELETE ON evidence_nodes FOR EACH ROW EXECUTE FUNCTION evidence_refuse(); COMMIT;'
    : "BEGIN; DROP TRIGGER evidence_nodes_no_delete; DELETE FROM evidence_nodes; UPDATE evidence_head SET nodes_n = 0;" +
      " CREATE TRIGGER evidence_nodes_no_delete BEFORE DELETE ON evidence_nodes BEGIN SELECT RAISE(ABORT, 'evidence nodes are append-only'); END; COMMIT;"
  const f = sqlRun(forget)
  eq(f.status, 0, 'forget nodes: ' + f.stderr)
  const verify = async (name) => {
    const z = await hr.get(`/api/v1/contracts/${signedK.id}/evidence.zip`)
    eq(z.status, 200, 'package ' + name)
    const r = hexie(BIN, ['verify', tmpFile(name + '.zip', z.body)])
    eq(r.code, 0, 'verify ' + name + ': ' + r.out + r.err)
  }
  await verify('before') // from the leaves
  await sent(await newWorker()) // new events: the append catches the nodes up
  let n, have
  for (let i = 0; i < 50; i++) {
    n = scalar('SELECT n FROM evidence_head WHERE id = 1')
    have = scalar('SELECT nodes_n FROM evidence_head WHERE id = 1')
    if (n === have) break
    await sleep(100)
  }
  eq(have, n, 'nodes for every leaf')
  // a tree of n leaves has n - popcount(n) complete inner nodes
  const ones = Number(n).toString(2).split('').filter((b) => b === '1').length
  eq(Number(scalar('SELECT count(*) FROM evidence_nodes')), Number(n) - ones, 'every inner node stored again')
  await sleep(400) // a checkpoint over the new size, from the nodes
  await verify('after')
}])

T.push(['the evidence table has no update or delete path', async () => {
  const sql = "UPDATE evidence SET kind = 'x' WHERE idx = 0"
  const del = 'DELETE FROM evidence'
  for (const q of [sql, del, "UPDATE evidence_nodes SET hash = 'x'", 'DELETE FROM evidence_nodes']) {
    const r = DB ? spawnSync('psql', [DB, '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' })
      : spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
    assert(r.status !== 0 && /append-only/.test(r.stderr), 'refused: ' + r.stderr)
  }
}])

// ---- main ----

store = makeStore(BIN, DB)
srv = await startServer(BIN, store)
admin = new Client(srv.base)
eq((await admin.login('admin', ADMIN_PASSWORD)).status, 200, 'admin login')
const areas = (await admin.get('/api/v1/areas')).json.items
const area = areas.find((a) => a.kind !== 'county') || areas[0]
const er = await admin.post('/api/v1/enterprises', { uscc: uscc(), name: `合同测试企业${uniq()}`, area_id: area.id, legal_representative: '张三', address: '浙江省丽水市云和县浮云街道示例路1号', employee_count: 30 })
eq(er.status, 201, 'enterprise ' + er.body.toString())
ent = er.json
hrUser = await makeUser({ display_name: '合同人事', role: 'enterprise_hr', enterprise_id: ent.id })
hr = hrUser.c
// Further tests of the contract module live in tests/api/contract.d/*.mjs:
// each exports default (T, ctx) and pushes [name, fn] pairs onto T; they
// share this server, store and users through ctx.
const ctx = {
  get srv() { return srv }, get store() { return store }, get admin() { return admin }, get hr() { return hr },
  get ent() { return ent }, get hrUser() { return hrUser }, BIN, DB,
  uniq, makeUser, newWorker, TERMS, draft, sent, lastCode, Phone, newKey, signB64, workerSigns, enterpriseSigns,
  tmpFile, pdfsig, contract, newPhone, intentCode, sealAs, makeSeal, sealBatch,
}
const extraDir = path.join(ROOT, 'tests', 'api', 'contract.d')
if (fs.existsSync(extraDir)) {
  for (const f of fs.readdirSync(extraDir).filter((x) => x.endsWith('.mjs')).sort())
    (await import(path.join(extraDir, f))).default(T, ctx)
}
const res = await runTests('contract', T, ONLY)
await srv.stop()
console.log(`# contract: ${res.passed} passed, ${res.failed} failed`)
process.exit(res.failed ? 1 : 0)
