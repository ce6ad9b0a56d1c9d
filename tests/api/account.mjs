// API tests of accounts: logging in and out (cookie flags, 401s, throttled
// wrong passwords, idle expiry), users (scope fields by role, password
// policy, reset and forced change) and the data scope each role sees.
// Run by tests/api/run.mjs, which passes the shared server in ctx.
import { ADMIN_PASSWORD, Client, assert, eq, idnum, sleep, startServer } from './lib.mjs'

export default function (T, ctx) {
  const { BIN, srv, store, admin, areaByName, entBody, newEnt, newUser } = ctx
  const test = (name, fn) => T.push([name, fn])

  test('session cookie is HttpOnly and SameSite=Strict', async () => {
    const r = await fetch(srv.base + '/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })
    const sc = r.headers.get('set-cookie')
    assert(/HttpOnly/.test(sc) && /SameSite=Strict/.test(sc), sc)
  })

  test('no session is 401; a forged cookie is 401', async () => {
    const c = new Client(srv.base)
    eq((await c.get('/api/v1/enterprises')).status, 401, 'no cookie')
    c.cookie = 'hexie_session=' + 'a'.repeat(64)
    const r = await c.get('/api/v1/enterprises')
    eq(r.status, 401, 'forged'); eq(r.json.error.code, 'unauthenticated', 'code')
  })

  test('wrong password is 401 and repeated failures are throttled (429)', async () => {
    const c = await newUser('reviewer')
    const name = (await c.get('/api/v1/session')).json.user.username
    const x = new Client(srv.base)
    for (let i = 0; i < 5; i++) eq((await x.login(name, 'wrong-password-1')).status, 401, 'attempt ' + i)
    const r = await x.login(name, 'wrong-password-1')
    eq(r.status, 429, 'throttled'); eq(r.json.error.code, 'throttled', 'code')
    const log = (await admin.get('/api/v1/audit?action=login_failed&page_size=100')).json
    assert(log.items.some((e) => e.object_label === name), 'failed login logged')
  })

  test('users: scope fields required by role, password policy, reset and forced change', async () => {
    let r = await admin.post('/api/v1/users', { username: 'areax' + Date.now(), display_name: 'x', password: 'Abcdefgh123', role: 'area_officer' })
    eq(r.status, 422, 'area required'); eq(r.json.error.field, 'area_id', 'field')
    r = await admin.post('/api/v1/users', { username: 'weak' + Date.now(), display_name: 'x', password: 'short', role: 'reviewer' })
    eq(r.status, 422, 'weak password'); eq(r.json.error.field, 'password', 'field')
    const name = 'dup' + Date.now()
    eq((await admin.post('/api/v1/users', { username: name, display_name: 'x', password: 'Abcdefgh123', role: 'reviewer' })).status, 201, 'create')
    r = await admin.post('/api/v1/users', { username: name, display_name: 'x', password: 'Abcdefgh123', role: 'reviewer' })
    eq(r.status, 409, 'duplicate username')
    const id = (await admin.get('/api/v1/users?q=' + name)).json.items[0].id
    r = await admin.post(`/api/v1/users/${id}/reset-password`)
    eq(r.status, 200, 'reset')
    const c = new Client(srv.base)
    const l = await c.login(name, r.json.password)
    eq(l.status, 200, 'login with one-time password'); eq(l.json.user.must_change_password, true, 'must change')
    eq((await c.get('/api/v1/enterprises')).status, 403, 'nothing else until changed')
    eq((await c.post('/api/v1/session/password', { old_password: r.json.password, new_password: 'N3w-Passw0rd!' })).status, 204, 'change')
    eq((await c.get('/api/v1/enterprises')).status, 200, 'works after change')
    eq((await c.del('/api/v1/session')).status, 204, 'logout')
    eq((await c.get('/api/v1/session')).status, 401, 'session gone')
  })

  test('data scopes: area officer, enterprise HR, agency, worker see only their own (404 outside)', async () => {
    const fy = areaByName('浮云街道'), st = areaByName('石塘镇')
    const e1 = await newEnt({ area_id: fy.id }), e2 = await newEnt({ area_id: st.id })
    const w2 = (await admin.post('/api/v1/workers', { enterprise_id: e2.id, name: '钱七', id_number: idnum('19800101'), hire_date: '2019-01-01' })).json
    const w1 = (await admin.post('/api/v1/workers', { enterprise_id: e1.id, name: '孙八', id_number: idnum('19810101'), hire_date: '2019-01-01' })).json
    const area = await newUser('area_officer', { area_id: fy.id })
    eq((await area.get('/api/v1/enterprises/' + e2.id)).status, 404, 'other area enterprise')
    eq((await area.get('/api/v1/enterprises/' + e1.id)).status, 200, 'own area enterprise')
    const list = await area.get('/api/v1/enterprises?page_size=100')
    assert(list.json.items.every((x) => x.area_id === fy.id), 'area list scoped')
    eq((await area.get('/api/v1/workers/' + w2.id)).status, 404, 'other area worker')
    const ex = await area.get('/api/v1/enterprises/export.xlsx')
    eq(ex.status, 200, 'export in scope')
    eq((await area.post('/api/v1/enterprises', entBody({ area_id: st.id }))).status, 422, 'cannot place outside area')

    const hr = await newUser('enterprise_hr', { enterprise_id: e1.id })
    eq((await hr.get('/api/v1/workers/' + w2.id)).status, 404, 'worker of another enterprise')
    eq((await hr.patch('/api/v1/workers/' + w2.id, { name: 'x' })).status, 404, 'edit another enterprise worker')
    const own = await hr.get('/api/v1/workers/' + w1.id)
    eq(own.status, 200, 'own worker'); assert(!own.json.id_number.includes('*'), 'HR sees the full ID number')
    const cross = await hr.post('/api/v1/workers', { enterprise_id: e2.id, name: '周九', id_number: idnum('19820101'), hire_date: '2019-01-01' })
    eq(cross.status, 422, 'cannot add to another enterprise')
    eq((await hr.get('/api/v1/enterprises?page_size=100')).json.total, 1, 'HR sees one enterprise')
    eq((await hr.get('/api/v1/users')).status, 403, 'HR cannot manage users')

    const orgs = (await admin.get('/api/v1/organizations')).json.items
    let agency = orgs.find((o) => o.kind === 'agency')
    if (!agency) agency = (await admin.post('/api/v1/organizations', { name: '测试第三方机构' + Date.now(), kind: 'agency' })).json
    eq((await admin.req('PUT', `/api/v1/organizations/${agency.id}/enterprises`, { enterprise_ids: [e2.id] })).status, 200, 'assign')
    const ag = await newUser('agency', { org_id: agency.id })
    const al = await ag.get('/api/v1/enterprises?page_size=100')
    eq(al.json.items.map((x) => x.id), [e2.id], 'agency sees its assigned enterprise')
    eq((await ag.get('/api/v1/enterprises/' + e1.id)).status, 404, 'agency outside')

    const wk = await newUser('worker', { worker_id: w1.id })
    const wl = await wk.get('/api/v1/workers?page_size=100')
    eq(wl.json.items.map((x) => x.id), [w1.id], 'worker sees self')
    eq((await wk.get('/api/v1/workers/' + w2.id)).status, 404, 'worker outside')
  })

  test('an expired session is 401', async () => {
    const s2 = await startServer(BIN, store, ['--session-idle', '1'])
    try {
      const c = new Client(s2.base)
      eq((await c.login('admin', ADMIN_PASSWORD)).status, 200, 'login')
      eq((await c.get('/api/v1/session')).status, 200, 'fresh')
      await sleep(2200)
      const r = await c.get('/api/v1/session')
      eq(r.status, 401, 'expired'); eq(r.json.error.code, 'unauthenticated', 'code')
    } finally { await s2.stop() }
  })
}
