// API tests of what the HTTP layer guarantees for every request: health
// check and strict headers, the CSRF token on writes, JSON bodies parsed
// strictly (bad JSON, wrong types, unknown fields) and the 1 MiB body cap.
// Run by tests/api/run.mjs, which passes the shared server in ctx.
import { assert, eq } from './lib.mjs'

export default function (T, ctx) {
  const { srv, admin, entBody, count } = ctx
  const test = (name, fn) => T.push([name, fn])

  test('healthz answers and headers are strict', async () => {
    const r = await fetch(srv.base + '/healthz')
    eq(r.status, 200, 'status')
    eq((await r.json()).status, 'ok', 'body')
    const a = await admin.get('/api/v1/areas')
    assert((a.headers.get('content-security-policy') || '').includes("frame-ancestors 'none'"), 'CSP frame-ancestors')
    eq(a.headers.get('x-content-type-options'), 'nosniff', 'nosniff')
  })

  test('missing CSRF token is 403 and nothing is written', async () => {
    const before = await count(admin, '/api/v1/enterprises')
    const body = entBody()
    const r = await admin.post('/api/v1/enterprises', body, { csrf: false })
    eq(r.status, 403, 'status'); eq(r.json.error.code, 'csrf', 'code')
    const w = await admin.post('/api/v1/enterprises', body, { headers: { 'x-csrf-token': 'f'.repeat(64) }, csrf: false })
    eq(w.status, 403, 'wrong token')
    eq(await count(admin, '/api/v1/enterprises'), before, 'count unchanged')
  })

  test('malformed JSON, wrong types and unknown fields are 400', async () => {
    let r = await admin.post('/api/v1/enterprises', '{"uscc": ')
    eq(r.status, 400, 'malformed'); eq(r.json.error.code, 'bad_json', 'code')
    r = await admin.post('/api/v1/enterprises', '[1,2]')
    eq(r.status, 400, 'array')
    r = await admin.post('/api/v1/enterprises', entBody({ employee_count: '50' }))
    eq(r.status, 400, 'wrong type'); eq(r.json.error.code, 'wrong_type', 'code'); eq(r.json.error.field, 'employee_count', 'field')
    r = await admin.post('/api/v1/enterprises', { ...entBody(), password: 'x' })
    eq(r.status, 400, 'unknown'); eq(r.json.error.code, 'unknown_field', 'code'); eq(r.json.error.field, 'password', 'field')
    r = await admin.post('/api/v1/enterprises', '{"uscc":"a","uscc":"b"}')
    eq(r.status, 400, 'duplicate keys')
  })

  test('bodies over 1 MiB are 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1100000) })
    const r = await admin.post('/api/v1/enterprises', big)
    eq(r.status, 413, 'status'); eq(r.json.error.code, 'too_large', 'code')
  })
}
