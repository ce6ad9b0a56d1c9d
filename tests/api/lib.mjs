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
  const r = hexie(bin, args, { HEXIE_ADMIN_PASSWORD: ADMIN_PASSWORD })
  if (r.code !== 0) throw new Error('hexie init failed: ' + r.err + r.out)
  return { varDir, db }
}

export async function startServer(bin, store, extra = [], env = {}) {
  const port = await freePort()
  const args = ['serve', '--var', store.varDir, '--listen', `127.0.0.1:${port}`, '--threads', '4', ...extra]
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
