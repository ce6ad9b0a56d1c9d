// The worker's side belongs to the worker (issue 9, points 1, 2, 3, 10):
// the phone is frozen with the contract at sending; the /my portal opens
// only through a phone the person confirmed a code on; a real-name
// provider (HEXIE_IDV_URL, a small node server here) is asked at the
// identity step; outbox texts are stored sealed and shown only in demo
// mode, and a server without --demo and without an SMS gateway refuses to
// send codes.
import http from 'node:http'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, assert, eq, idnum, startServer, uscc } from '../lib.mjs'

let phoneSeq = Math.floor(Math.random() * 9000000)
const newPhone = () => '137' + String(10000000 + (phoneSeq++ % 89999999)).slice(-8)

export default function (T, ctx) {
  const { newWorker, sent, lastCode, Phone } = ctx

  // SQL on the suite's store (SQLite file or PostgreSQL), rows as arrays
  const sql = (q) => {
    const r = ctx.DB ? spawnSync('psql', [ctx.DB, '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' })
      : spawnSync('sqlite3', ['-cmd', '.timeout 10000', '-separator', '\t', path.join(ctx.store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
    eq(r.status, 0, q + ': ' + r.stderr)
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'))
  }
  const outbox = async (limit = 100) => {
    const r = await ctx.admin.get(`/api/v1/outbox?limit=${limit}`)
    eq(r.status, 200, 'outbox in demo mode')
    return r.json.items
  }
  const portal = async (base, path_, body, cookie) => {
    const h = { 'content-type': 'application/json' }
    if (cookie) h.cookie = cookie
    const r = await fetch(base + path_, { method: body === undefined ? 'GET' : 'POST', headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
    const sc = r.headers.get('set-cookie')
    const buf = Buffer.from(await r.arrayBuffer())
    let json = null
    if ((r.headers.get('content-type') || '').includes('json') && buf.length) json = JSON.parse(buf.toString('utf8'))
    return { status: r.status, json, cookie: sc ? /hx_signer=[^;]*/.exec(sc)[0] : cookie }
  }
  // a second enterprise with its own HR, in the same county
  const otherEnterprise = async () => {
    const areas = (await ctx.admin.get('/api/v1/areas')).json.items
    const area = areas.find((a) => a.kind !== 'county') || areas[0]
    const er = await ctx.admin.post('/api/v1/enterprises', { uscc: uscc(), name: `另一企业${ctx.uniq()}`, area_id: area.id, legal_representative: '李四', address: '浙江省丽水市云和县白龙山街道示例路2号', employee_count: 12 })
    eq(er.status, 201, 'enterprise ' + JSON.stringify(er.json))
    const hr2 = await ctx.makeUser({ display_name: '另一人事', role: 'enterprise_hr', enterprise_id: er.json.id })
    return { ent: er.json, hr: hr2.c }
  }

  T.push(['a roster phone changed after sending does not redirect the codes: they go to the frozen phone, the old number is told', async () => {
    const p1 = newPhone(), p2 = newPhone()
    const w = await newWorker({ phone: p1 })
    const k = await sent(w)
    // HR edits the roster phone to its own number after sending
    const u = await ctx.hr.patch(`/api/v1/workers/${w.id}`, { phone: p2 })
    eq(u.status, 200, 'roster phone changed ' + JSON.stringify(u.json))
    eq(u.json.phone, p2, 'the roster says p2')
    // the identity code goes to the phone the link was sent to
    const phone = new Phone(k.token)
    let r = await phone.req('POST', '/identity', { name: w.name, id_number: w.id_number })
    eq(r.status, 200, 'identity ' + r.body.toString())
    eq(r.json.phone_hint, p1.slice(0, 3) + '****' + p1.slice(-4), 'the hint names the frozen phone')
    r = await phone.req('POST', '/identity/confirm', { code: await lastCode(p1) })
    eq(r.status, 200, 'identity confirmed with the frozen phone\'s code')
    await phone.readAndIntent({ phone: p1 })
    let items = await outbox()
    assert(!items.some((m) => m.recipient === p2), 'HR\'s new phone got nothing: ' + JSON.stringify(items.filter((m) => m.recipient === p2)))
    const told = items.find((m) => m.recipient === p1 && m.text.includes('联系电话'))
    assert(told, 'the old phone was told the number changed')
    assert(told.text.includes(p2.slice(-4)) && !told.text.includes(p2), 'the new number masked in the notice: ' + told.text)
    // the contract keeps the frozen phone; a new draft takes the roster's
    const c = await ctx.contract(k.id)
    const sentNote = c.evidence.find((e) => e.kind === 'code_sent' && e.detail.purpose === 'intent')
    eq(sentNote.detail.phone, p1.slice(0, 3) + '****' + p1.slice(-4), 'intent code to the frozen phone')
    const k2 = await sent(w)
    r = await new Phone(k2.token).req('POST', '/identity', { name: w.name, id_number: w.id_number })
    eq(r.status, 200, 'identity on the new contract')
    eq(r.json.phone_hint, p2.slice(0, 3) + '****' + p2.slice(-4), 'a contract sent after the change goes to the new phone')
  }])

  T.push(['the /my portal sends its code only to a phone the person confirmed at signing, never to a roster phone', async () => {
    const other = await otherEnterprise()
    // a worker who never signed anything: another employer's HR adds a
    // roster row with their name and ID number and its own phone
    const victim = { name: `受害${ctx.uniq().slice(-4)}`, id_number: idnum('19880808') }
    const hrPhone = newPhone()
    let r = await other.hr.post('/api/v1/workers', { ...victim, enterprise_id: other.ent.id, phone: hrPhone, hire_date: '2026-11-01', job: '文员', employment_type: 'full_time' })
    eq(r.status, 201, 'roster row ' + JSON.stringify(r.json))
    let l = await portal(ctx.srv.base, '/api/v1/my/login', { name: victim.name, id_number: victim.id_number })
    eq(l.status, 409, 'no bound phone: login refused')
    eq(l.json.error.code, 'no_bound_phone', 'code')
    assert(l.json.error.message.includes('请先通过用人单位发送的签署链接完成一次签署'), l.json.error.message)
    assert(!(await outbox()).some((m) => m.recipient === hrPhone), 'HR\'s phone got no portal code')

    // a real worker confirms a code on their own contract: that phone is bound
    const p1 = newPhone()
    const w = await newWorker({ phone: p1 })
    const k = await sent(w)
    await new Phone(k.token).identify(w)
    // the other employer adds them with its own phone, sends a contract and
    // confirms the identity code on that phone itself
    r = await other.hr.post('/api/v1/workers', { name: w.name, id_number: w.id_number, enterprise_id: other.ent.id, phone: hrPhone, hire_date: '2026-11-01', job: '文员', employment_type: 'full_time' })
    eq(r.status, 201, 'second roster row')
    const d = await other.hr.post('/api/v1/contracts', { worker_id: r.json.id, kind: 'full_time', terms: ctx.TERMS })
    eq(d.status, 201, 'draft ' + JSON.stringify(d.json))
    const s = await other.hr.post(`/api/v1/contracts/${d.json.id}/send`)
    eq(s.status, 200, 'sent')
    const fake = new Phone(s.json.link_path.slice(3))
    await fake.identify({ ...w, phone: hrPhone })
    // that session opens nothing sent to the worker's own phone
    const g = await fake.req('GET', '/text')
    eq(g.status, 200, 'its own contract')
    const cross = await new Phone(k.token)
    cross.cookie = fake.cookie
    eq((await cross.req('GET', '/text')).status, 401, 'the other contract wants its own identity check')

    // the portal: the code goes to the phone the worker named, if bound
    l = await portal(ctx.srv.base, '/api/v1/my/login', { name: w.name, id_number: w.id_number, phone: '13812345678' })
    eq(l.status, 422, 'an unbound phone is refused')
    eq(l.json.error.code, 'phone_not_bound', 'code')
    l = await portal(ctx.srv.base, '/api/v1/my/login', { name: w.name, id_number: w.id_number, phone: p1 })
    eq(l.status, 200, 'login via the bound phone ' + JSON.stringify(l.json))
    eq(l.json.phone_hint, p1.slice(0, 3) + '****' + p1.slice(-4), 'hint')
    let cf = await portal(ctx.srv.base, '/api/v1/my/login/confirm', { code: await lastCode(p1) }, l.cookie)
    eq(cf.status, 204, 'confirmed')
    let list = await portal(ctx.srv.base, '/api/v1/my/contracts', undefined, l.cookie)
    assert(list.json.items.some((x) => x.id === k.id), 'the worker sees their contract')
    assert(!list.json.items.some((x) => x.id === s.json.id), 'not the one sent to another phone')
    // the other employer's HR, logging in on the phone it bound, sees only
    // what was sent to that phone: never the worker's other contracts
    l = await portal(ctx.srv.base, '/api/v1/my/login', { name: w.name, id_number: w.id_number, phone: hrPhone })
    eq(l.status, 200, 'its phone is bound to its own contract')
    cf = await portal(ctx.srv.base, '/api/v1/my/login/confirm', { code: await lastCode(hrPhone) }, l.cookie)
    eq(cf.status, 204, 'confirmed')
    list = await portal(ctx.srv.base, '/api/v1/my/contracts', undefined, l.cookie)
    assert(!list.json.items.some((x) => x.id === k.id), 'the worker\'s contract is not listed: ' + JSON.stringify(list.json.items.map((x) => x.id)))
    const doc = await portal(ctx.srv.base, `/api/v1/my/contracts/${k.id}/document.pdf`, undefined, l.cookie)
    eq(doc.status, 404, 'nor downloadable')
  }])

  T.push(['without a real-name provider the evidence and the contract page say 核验方式：用人单位登记信息＋短信验证码', async () => {
    const w = await newWorker({ phone: newPhone() })
    const k = await sent(w)
    const phone = new Phone(k.token)
    const link = await phone.req('GET', '')
    eq(link.json.identity_method, '用人单位登记信息＋短信验证码', 'the sign page says it')
    await phone.identify(w)
    const c = await ctx.contract(k.id)
    eq(c.identity_method, '用人单位登记信息＋短信验证码', 'the HR page says it')
    const ev = c.evidence.find((e) => e.kind === 'identity_checked')
    eq(ev.detail.method_text, '核验方式：用人单位登记信息＋短信验证码', 'the evidence says it')
    eq(ev.detail.method, 'employer_record+sms', 'machine key')
    assert(!ev.detail.idv, 'no provider answer')
  }])

  T.push(['a real-name provider (HEXIE_IDV_URL) is asked at the identity step: a match passes, a mismatch is refused, an outage fails', async () => {
    // the provider: registered owners of phones, and what it was asked
    const owners = new Map()
    const asked = []
    let down = false
    const prov = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d) => { body += d })
      req.on('end', () => {
        if (down) { res.writeHead(503); return res.end('busy') }
        let q
        try { q = JSON.parse(body) } catch { res.writeHead(400); return res.end() }
        asked.push({ ...q, auth: req.headers.authorization, type: req.headers['content-type'] })
        const o = owners.get(q.phone)
        const match = !!o && o.name === q.name && o.id_number === q.id_number
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ match, provider: '测试运营商核验', ref: 'ref-' + asked.length }))
      })
    })
    await new Promise((ok) => prov.listen(0, '127.0.0.1', ok))
    const srv2 = await startServer(ctx.BIN, ctx.store, [], {
      HEXIE_IDV_URL: `http://127.0.0.1:${prov.address().port}/verify`, HEXIE_IDV_TOKEN: 'idv-secret', HEXIE_IDV_TIMEOUT_MS: '2000',
    })
    try {
      const hr2 = new Client(srv2.base)
      hr2.cookie = ctx.hr.cookie
      hr2.csrf = ctx.hr.csrf
      const phoneOn = (k) => { const p = new Phone(k.token); p.req = rebase(p, srv2.base); return p }
      // a match
      const pm = newPhone()
      const wm = await newWorker({ phone: pm })
      owners.set(pm, { name: wm.name, id_number: wm.id_number })
      const km = await sent(wm)
      let ph = phoneOn(km)
      eq((await ph.req('GET', '')).json.identity_method, '运营商三要素实名核验（姓名、身份证号码、手机号码）＋短信验证码', 'the sign page names the provider check')
      let r = await ph.req('POST', '/identity', { name: wm.name, id_number: wm.id_number })
      eq(r.status, 200, 'identity with a match ' + r.body.toString())
      const q = asked[asked.length - 1]
      eq([q.name, q.id_number, q.phone], [wm.name, wm.id_number, pm], 'the provider got name, ID number and the frozen phone')
      eq(q.auth, 'Bearer idv-secret', 'token sent')
      r = await ph.req('POST', '/identity/confirm', { code: await lastCode(pm) })
      eq(r.status, 200, 'confirmed')
      let c = (await hr2.get(`/api/v1/contracts/${km.id}`)).json
      eq(c.identity_method, '运营商三要素实名核验（姓名、身份证号码、手机号码）＋短信验证码', 'the HR page names it')
      let ev = c.evidence.find((e) => e.kind === 'identity_checked')
      eq([ev.detail.idv.provider, ev.detail.idv.match, ev.detail.idv.ref], ['测试运营商核验', true, 'ref-' + asked.length], 'the answer is evidence')
      eq(ev.detail.method, 'carrier_3factor+sms', 'method')
      eq(ev.detail.match, true, 'match')
      assert(!JSON.stringify(c.evidence).includes(wm.id_number), 'no full ID number in the evidence')

      // a mismatch: the phone is registered to someone else
      const px = newPhone()
      const wx = await newWorker({ phone: px })
      owners.set(px, { name: '别人', id_number: idnum('19700101') })
      const kx = await sent(wx)
      ph = phoneOn(kx)
      r = await ph.req('POST', '/identity', { name: wx.name, id_number: wx.id_number })
      eq(r.status, 422, 'identity refused ' + r.body.toString())
      eq(r.json.error.code, 'idv_mismatch', 'code')
      assert(r.json.error.message.includes('实名核验未通过'), r.json.error.message)
      assert(!(await outbox()).some((m) => m.recipient === px && /验证码/.test(m.text)), 'no code sent on a mismatch')
      c = (await hr2.get(`/api/v1/contracts/${kx.id}`)).json
      ev = c.evidence.find((e) => e.kind === 'identity_checked')
      eq(ev.detail.match, false, 'the evidence records the refusal')
      eq(ev.detail.roster_match, true, 'though the roster matched')
      eq(ev.detail.idv.match, false, 'the provider said no')
      eq(ev.detail.idv.provider, '测试运营商核验', 'provider named')
      assert(!JSON.stringify(c.evidence).includes(wx.id_number), 'no full ID number in the evidence')
      assert(!c.evidence.some((e) => e.kind === 'code_sent'), 'no code sent')

      // an outage: the step fails plainly, nothing is skipped
      down = true
      r = await ph.req('POST', '/identity', { name: wx.name, id_number: wx.id_number })
      eq(r.status, 409, 'provider down ' + r.body.toString())
      eq(r.json.error.code, 'idv_unavailable', 'code')
      assert(r.json.error.message.includes('实名核验服务暂时无法使用'), r.json.error.message)
      c = (await hr2.get(`/api/v1/contracts/${kx.id}`)).json
      assert(c.evidence.some((e) => e.kind === 'identity_checked' && e.detail.idv && e.detail.idv.error === 'idv_unavailable'), 'the outage is in the evidence')
      assert(!c.evidence.some((e) => e.kind === 'code_sent'), 'still no code')
      // the roster check still comes first: a wrong ID number never reaches the provider
      const before = asked.length
      down = false
      r = await ph.req('POST', '/identity', { name: wx.name, id_number: idnum('19910101') })
      eq(r.status, 422, 'roster mismatch')
      eq(r.json.error.code, 'identity_mismatch', 'code')
      eq(asked.length, before, 'the provider was not asked')
    } finally {
      await srv2.stop()
      prov.close()
    }
  }])

  T.push(['outbox texts are stored sealed; without --demo the outbox is closed and codes are refused without an SMS gateway', async () => {
    // every stored text is sealed: no code or link in the table
    const w = await newWorker({ phone: newPhone() })
    const k = await sent(w)
    const phone = new Phone(k.token)
    await phone.identify(w)
    const rows = sql('SELECT sealed, text FROM outbox ORDER BY id DESC LIMIT 20')
    assert(rows.length > 0, 'rows')
    for (const [sealed, text] of rows) {
      eq(sealed, '1', 'sealed')
      assert(!/验证码|和谐劳动|\/s\//.test(text), 'no clear text in the table: ' + text.slice(0, 60))
    }
    // the demo server says so
    eq((await ctx.admin.get('/api/v1/meta')).json.demo, true, 'meta says demo')
    eq((await ctx.admin.get('/api/v1/outbox?limit=1')).json.demo, true, 'the outbox says demo')
    // a row from before sealing is sealed when a server starts
    sql("INSERT INTO outbox (channel, recipient, text, created_at, status, attempts, sealed) VALUES ('outbox', '13700000001', '【和谐劳动】旧消息验证码000111', '2026-01-01T00:00:00Z', 'kept', 0, 0)")
    const srv3 = await startServer(ctx.BIN, ctx.store, ['--no-demo'])
    try {
      const legacy = sql("SELECT sealed, text FROM outbox WHERE recipient = '13700000001'")
      eq(legacy.length, 1, 'one legacy row')
      eq(legacy[0][0], '1', 'sealed at start-up')
      assert(!legacy[0][1].includes('000111'), 'no clear code left')
      const old = (await outbox(500)).find((m) => m.recipient === '13700000001')
      eq(old && old.text, '【和谐劳动】旧消息验证码000111', 'it still opens')

      const admin3 = new Client(srv3.base)
      eq((await admin3.login('admin', ADMIN_PASSWORD)).status, 200, 'admin login')
      eq((await admin3.get('/api/v1/meta')).json.demo, false, 'meta: not demo')
      const ob = await admin3.get('/api/v1/outbox')
      eq(ob.status, 403, 'the outbox is closed for real')
      eq(ob.json.error.code, 'demo_only', 'code')
      // no gateway, no demo: codes are refused plainly
      const w2 = await newWorker({ phone: newPhone() })
      const hr3 = new Client(srv3.base)
      hr3.cookie = ctx.hr.cookie
      hr3.csrf = ctx.hr.csrf
      const d = await hr3.post('/api/v1/contracts', { worker_id: w2.id, kind: 'full_time', terms: ctx.TERMS })
      eq(d.status, 201, 'draft')
      const s = await hr3.post(`/api/v1/contracts/${d.json.id}/send`)
      eq(s.status, 200, 'sending works; HR still has the link and QR code')
      assert(s.json.link_path, 'link for the QR code')
      const p3 = new Phone(s.json.link_path.slice(3))
      p3.req = rebase(p3, srv3.base)
      const r = await p3.req('POST', '/identity', { name: w2.name, id_number: w2.id_number })
      eq(r.status, 409, 'no code without a gateway ' + r.body.toString())
      eq(r.json.error.code, 'sms_unavailable', 'code')
      eq(r.json.error.message, '平台未配置短信通道，无法发送验证码，请联系管理员', 'message')
      const l = await portal(srv3.base, '/api/v1/my/login', { name: w.name, id_number: w.id_number })
      eq(l.status, 409, 'the portal too')
      eq(l.json.error.code, 'sms_unavailable', 'code')
    } finally {
      await srv3.stop()
    }
  }])
}

// Phone.req against another server of the same store.
function rebase(phone, base) {
  return async (method, p, body) => {
    const h = {}
    if (phone.cookie) h.cookie = phone.cookie
    if (body !== undefined) h['content-type'] = 'application/json'
    const r = await fetch(base + '/api/v1/sign/' + phone.token + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
    const sc = r.headers.get('set-cookie')
    if (sc) { const m = /hx_signer=([^;]*)/.exec(sc); if (m) phone.cookie = `hx_signer=${m[1]}` }
    const buf = Buffer.from(await r.arrayBuffer())
    let json = null
    if ((r.headers.get('content-type') || '').includes('json') && buf.length) json = JSON.parse(buf.toString('utf8'))
    return { status: r.status, json, body: buf, headers: r.headers }
  }
}
