// HTTP client for /api/v1 (docs/api.md). Same-origin cookies, JSON, and the
// X-CSRF-Token header on every state-changing request.
import { ElMessage } from 'element-plus'

const BASE = '/api/v1'
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken = ''
let unauthorizedHandler = null

export function setCsrfToken(t) {
  csrfToken = t || ''
}

// Called with no argument when a request answers 401 (session gone).
export function onUnauthorized(fn) {
  unauthorizedHandler = fn
}

async function refreshCsrf() {
  try {
    const r = await fetch(BASE + '/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    if (!r.ok) return false
    const d = await r.json()
    if (!d || !d.csrf_token || d.csrf_token === csrfToken) return false
    csrfToken = d.csrf_token
    return true
  } catch {
    return false
  }
}

export class ApiError extends Error {
  constructor(status, error) {
    const e = error || {}
    super(e.message || `请求失败（${status}）`)
    this.status = status
    this.code = e.code || ''
    this.field = e.field || ''
  }
}

function fallbackMessage(status) {
  if (status === 0) return '无法连接服务器，请检查网络'
  if (status === 401) return '请先登录'
  if (status === 403) return '没有权限执行此操作'
  if (status === 404) return '记录不存在或不在您的数据范围内'
  if (status === 413) return '提交的内容过大'
  if (status === 429) return '尝试次数过多，请稍后再试'
  if (status >= 500) return '服务器出错，请稍后再试'
  return `请求失败（${status}）`
}

export function apiUrl(path, query) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '' || v === false) continue
    p.set(k, v === true ? '1' : String(v))
  }
  const qs = p.toString()
  return BASE + path + (qs ? '?' + qs : '')
}

/**
 * request(method, path, opts)
 *   opts.query   object → query string (empty values left out)
 *   opts.body    JSON-encoded unless opts.raw
 *   opts.raw     send body as is (application/octet-stream, or opts.contentType)
 *   opts.form    a reactive object of field errors: an error with a `field`
 *                that is a key of it is shown there instead of as a message
 *   opts.silent  show no message at all
 *   opts.auth401 false → a 401 is an ordinary error (login form)
 */
export async function request(method, path, opts = {}) {
  const headers = { Accept: 'application/json' }
  let body
  if (opts.raw !== undefined) {
    body = opts.raw
    headers['Content-Type'] = opts.contentType || 'application/octet-stream'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['Content-Type'] = 'application/json'
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken

  let res
  try {
    res = await fetch(apiUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
    })
  } catch (e) {
    const err = new ApiError(0, { message: fallbackMessage(0) })
    if (!opts.silent) ElMessage.error(err.message)
    throw err
  }

  let data = null
  if (res.status !== 204) {
    const text = await res.text()
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = null
      }
    }
  }
  if (res.ok) return data

  const err = new ApiError(res.status, data && data.error ? data.error : { message: fallbackMessage(res.status) })
  // A stale CSRF token (e.g. the session was renewed in another tab): fetch
  // the current one and try once more.
  if (res.status === 403 && err.code === 'csrf' && !opts.csrfRetried && (await refreshCsrf())) {
    return request(method, path, { ...opts, csrfRetried: true })
  }
  if (res.status === 401 && opts.auth401 !== false) {
    if (unauthorizedHandler) unauthorizedHandler()
    throw err
  }
  if (opts.form && err.field && Object.prototype.hasOwnProperty.call(opts.form, err.field)) {
    opts.form[err.field] = err.message
  } else if (!opts.silent) {
    ElMessage({ type: 'error', message: err.message, grouping: true, showClose: true })
  }
  throw err
}

export const api = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  patch: (path, body, opts = {}) => request('PATCH', path, { ...opts, body }),
  del: (path, opts = {}) => request('DELETE', path, opts),
  upload: (path, query, blob, opts = {}) => request('POST', path, { ...opts, query, raw: blob }),
}

// Clears all keys of a field-error object.
export function clearErrors(errors) {
  for (const k of Object.keys(errors)) errors[k] = ''
}

// A request whose answer is a file (a PDF preview): the Blob, or an ApiError
// with the server's message.
export async function requestBlob(method, path, opts = {}) {
  const headers = { Accept: 'application/pdf, application/json' }
  let body
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['Content-Type'] = 'application/json'
  }
  if (UNSAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let res
  try {
    res = await fetch(apiUrl(path, opts.query), { method, headers, body, credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, { message: fallbackMessage(0) })
  }
  if (res.ok) return res.blob()
  let data = null
  try {
    data = await res.json()
  } catch {
    data = null
  }
  const err = new ApiError(res.status, data && data.error ? data.error : { message: fallbackMessage(res.status) })
  if (res.status === 401 && unauthorizedHandler) unauthorizedHandler()
  throw err
}
