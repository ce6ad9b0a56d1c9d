// Shared by the browser suites: the server's address, assertions, and a
// logged-in API session outside the browser (cookie + CSRF token) for
// setting up what a test needs.

export const BASE = (process.env.HEXIE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')

export class AssertionError extends Error {}
export function assert(cond, msg) {
  if (!cond) throw new AssertionError(msg)
}

// A logged-in API session outside the browser: cookie + CSRF token.
export class Api {
  constructor() {
    this.cookie = ''
    this.csrf = ''
  }

  static async login(username, password) {
    const a = new Api()
    const r = await a.raw('POST', '/session', { username, password })
    if (r.status !== 200) throw new AssertionError(`login ${username}: ${r.status} ${r.text.slice(0, 200)}`)
    a.csrf = r.json.csrf_token
    a.user = r.json.user
    return a
  }

  async raw(method, p, body, { bytes, query } = {}) {
    const headers = { Accept: 'application/json' }
    if (this.cookie) headers.Cookie = this.cookie
    if (method !== 'GET' && this.csrf) headers['X-CSRF-Token'] = this.csrf
    let payload
    if (bytes) {
      payload = bytes
      headers['Content-Type'] = 'application/octet-stream'
    } else if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['Content-Type'] = 'application/json'
    }
    const qs = query ? '?' + new URLSearchParams(query).toString() : ''
    const r = await fetch(BASE + '/api/v1' + p + qs, { method, headers, body: payload, redirect: 'manual' })
    const sc = r.headers.get('set-cookie')
    if (sc) {
      const m = /hexie_session=([^;]*)/.exec(sc)
      if (m) this.cookie = `hexie_session=${m[1]}`
    }
    const text = await r.text()
    let json = null
    try { json = text ? JSON.parse(text) : null } catch { json = null }
    return { status: r.status, json, text }
  }

  async call(method, p, body, opts) {
    const r = await this.raw(method, p, body, opts)
    if (r.status >= 400) throw new AssertionError(`${method} ${p}: ${r.status} ${r.text.slice(0, 300)}`)
    return r.json
  }

  get(p, query) { return this.call('GET', p, undefined, { query }) }
  post(p, b) { return this.call('POST', p, b) }
  put(p, b) { return this.call('PUT', p, b) }
  patch(p, b) { return this.call('PATCH', p, b) }
}
