// The enterprise's intent (意愿确认, 附件3 第七、八条; 电子签名法 第十三条):
// sealing or signing for the enterprise, a batch seal and a new seal key
// each need a fresh one-time code sent to the acting HR user's own phone,
// bound to that user and to exactly what is confirmed, and recorded in the
// evidence (the operation log for a seal key). Revocation of certificates
// stays in scope: only the holder, the enterprise's own HR (its seal) and
// county administrators revoke; every revocation is logged, evidenced and
// told to the holder.
import { assert, eq, idnum, uscc } from '../lib.mjs'

export default function (T, ctx) {
  const { makeUser, newWorker, sent, lastCode, newKey, signB64, workerSigns, uniq } = ctx
  const hint = (p) => `${p.slice(0, 3)}****${p.slice(-4)}`

  // An enterprise of its own (its own seal key: the resend limit is per
  // user and key) with an HR user who has a phone.
  async function enterprise(area_id) {
    const admin = ctx.admin
    const e = await admin.post('/api/v1/enterprises', {
      uscc: uscc(), name: `意愿测试企业${uniq()}`, area_id: area_id || ctx.ent.area_id, legal_representative: '李四',
      address: '浙江省丽水市云和县浮云街道示例路2号', employee_count: 10,
    })
    eq(e.status, 201, 'enterprise ' + e.body.toString())
    const hr = await makeUser({ display_name: '意愿人事', role: 'enterprise_hr', enterprise_id: e.json.id })
    return { e: e.json, hr }
  }
  async function worker(e, extra = {}) {
    const phone = extra.phone || ctx.newPhone()
    const id_number = idnum('19910101')
    const name = `意愿职工${uniq().slice(-4)}`
    const r = await ctx.admin.post('/api/v1/workers', { enterprise_id: e.id, name, id_number, phone, hire_date: '2026-11-01', job: '装配工', employment_type: 'full_time' })
    eq(r.status, 201, 'worker ' + r.body.toString())
    return { ...r.json, id_number, name, phone }
  }
  async function sendAs(hr, w, extra = {}) {
    let r = await hr.c.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: ctx.TERMS, ...extra })
    eq(r.status, 201, 'draft ' + r.body.toString())
    r = await hr.c.post(`/api/v1/contracts/${r.json.id}/send`)
    eq(r.status, 200, 'send ' + r.body.toString())
    return { ...r.json, token: r.json.link_path.slice(3) }
  }
  async function codeFor(hr, path, body) {
    const r = await hr.c.post(path, body)
    eq(r.status, 200, 'intent ' + r.body.toString())
    eq(r.json.phone_hint, hint(hr.phone), 'the masked phone of the acting user')
    return lastCode(hr.phone)
  }
  const evidence = async (hr, id) => (await hr.c.get(`/api/v1/contracts/${id}`)).json.evidence
  const audit = async (action, q) => {
    const r = await ctx.admin.get(`/api/v1/audit?action=${encodeURIComponent(action)}&page_size=100${q ? '&q=' + encodeURIComponent(q) : ''}`)
    eq(r.status, 200, 'audit ' + r.body.toString())
    return r.json.items
  }

  T.push(['enterprise intent: a seal key needs a code to the HR user\'s own phone, recorded in the operation log', async () => {
    const { e, hr } = await enterprise()
    // no code is spent on a seal that does not exist yet
    const k = await sendAs(hr, await worker(e), { sign_order: 'enterprise_first' })
    let r = await hr.c.post(`/api/v1/contracts/${k.id}/intent`, { method: 'seal' })
    eq(r.status, 409, 'no seal yet')
    eq(r.json.error.code, 'no_seal', 'no_seal')
    assert(!(await ctx.admin.get('/api/v1/outbox?limit=20')).json.items.some((x) => x.recipient === hr.phone), 'no code sent')
    r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`)
    eq(r.status, 422, 'no code: ' + r.body.toString())
    eq(r.json.error.field, 'code', 'field code')
    r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code: '123456' })
    eq(r.status, 422, 'a code never sent')
    eq(r.json.error.field, 'code', 'field code')
    const code = await codeFor(hr, `/api/v1/enterprises/${e.id}/seal/intent`)
    const wrong = code === '000000' ? '111111' : '000000'
    r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code: wrong })
    eq(r.status, 422, 'wrong code')
    eq(r.json.error.field, 'code', 'field code')
    r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code })
    eq(r.status, 201, 'made ' + r.body.toString())
    const serial = r.json.cert_serial
    r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code })
    eq(r.status, 422, 'a used code')
    eq(r.json.error.field, 'code', 'field code')
    const log = (await audit('contract.seal_make')).find((x) => x.object_id === e.id)
    assert(log, 'seal_make in the log')
    eq(log.changes.intent_confirmed[1], `user:${hr.id}`, 'confirmed by the user')
    eq(log.changes.intent_phone[1], hint(hr.phone), 'the masked phone')
    eq(log.changes.intent_purpose[1], 'enterprise_intent', 'the purpose')
    assert(serial, 'a certificate')
    // an officer who oversees the enterprise gets no code and makes no seal
    r = await ctx.admin.post(`/api/v1/enterprises/${e.id}/seal/intent`)
    eq(r.status, 403, 'admin: no code for the enterprise')
  }])

  T.push(['enterprise intent: sealing one contract needs a fresh code bound to the user and to that contract', async () => {
    const { e, hr } = await enterprise()
    const hr2 = await makeUser({ display_name: '同事人事', role: 'enterprise_hr', enterprise_id: e.id })
    eq((await (async () => { const c = await codeFor(hr, `/api/v1/enterprises/${e.id}/seal/intent`); return hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code: c }) })()).status, 201, 'seal key')
    const k1 = await sendAs(hr, await worker(e), { sign_order: 'enterprise_first' })
    const k2 = await sendAs(hr, await worker(e), { sign_order: 'enterprise_first' })
    let r = await hr.c.post(`/api/v1/contracts/${k1.id}/seal`)
    eq(r.status, 422, 'no code')
    eq(r.json.error.field, 'code', 'field code')
    assert(/验证码/.test(r.json.error.message), 'a Chinese message: ' + r.json.error.message)
    // a code for another contract does not seal this one
    const c2 = await codeFor(hr, `/api/v1/contracts/${k2.id}/intent`)
    const msg = (await ctx.admin.get('/api/v1/outbox?limit=5')).json.items.find((x) => x.recipient === hr.phone)
    assert(msg && msg.text.includes(String(k2.id)) && /意愿确认码\d{6}/.test(msg.text), 'the message names the contract: ' + (msg && msg.text))
    r = await hr.c.post(`/api/v1/contracts/${k1.id}/seal`, { code: c2 })
    eq(r.status, 422, "another contract's code")
    eq(r.json.error.field, 'code', 'field code')
    // nor does a colleague's code for the same contract
    r = await hr2.c.post(`/api/v1/contracts/${k2.id}/seal`, { code: c2 })
    eq(r.status, 422, "a colleague's code")
    eq(r.json.error.field, 'code', 'field code')
    r = await hr.c.post(`/api/v1/contracts/${k2.id}/seal`, { code: c2 })
    eq(r.status, 200, 'sealed with its own code ' + r.body.toString())
    eq(r.json.status, 'signing', 'the worker next')
    const ev = await evidence(hr, k2.id)
    const ic = ev.find((x) => x.kind === 'intent_confirmed' && x.detail.party === 'enterprise')
    assert(ic, 'intent_confirmed in the evidence: ' + JSON.stringify(ev.map((x) => x.kind)))
    eq(ic.detail.by, `user:${hr.id}`, 'by the user')
    eq(ic.detail.purpose, 'enterprise_intent', 'purpose')
    eq(ic.detail.phone, hint(hr.phone), 'masked phone')
    eq(ic.detail.method, 'seal', 'method')
    assert(!JSON.stringify(ev).includes(hr.phone), 'no full phone number in the evidence')
    const sent_ = ev.find((x) => x.kind === 'code_sent' && x.detail.purpose === 'enterprise_intent')
    assert(sent_ && sent_.detail.phone === hint(hr.phone), 'the code sent is in the evidence')
    // the colleague's wrong try is evidence too
    assert(ev.some((x) => x.kind === 'code_refused' && x.detail.purpose === 'enterprise_intent'), 'a refused code is recorded')
    // and k1 still seals with its own fresh code
    r = await hr.c.post(`/api/v1/contracts/${k1.id}/seal`, { code: await codeFor(hr, `/api/v1/contracts/${k1.id}/intent`) })
    eq(r.status, 200, 'k1 sealed ' + r.body.toString())
    // no code is sent for a contract that is not the enterprise's to sign
    r = await hr.c.post(`/api/v1/contracts/${k1.id}/intent`)
    eq(r.status, 409, 'already signed by the enterprise')
  }])

  T.push(['enterprise intent: the browser signature needs the code at prepare; a reused code is refused', async () => {
    // a second HR user of the suite's enterprise (a new certificate would
    // supersede the one the suite's enterpriseSigns keeps)
    const hr = await makeUser({ display_name: '第二人事', role: 'enterprise_hr', enterprise_id: ctx.ent.id })
    const w = await newWorker()
    const k = await sent(w)
    eq((await workerSigns(k, w)).s.status, 200, 'worker signed')
    const key = await newKey()
    let r = await hr.c.post('/api/v1/contracts/certificates', { spki: key.spki, proof: key.proof })
    eq(r.status, 201, 'certificate')
    const serial = r.json.serial
    r = await hr.c.post(`/api/v1/contracts/${k.id}/sign/prepare`, { cert_serial: serial })
    eq(r.status, 422, 'prepare without a code')
    eq(r.json.error.field, 'code', 'field code')
    const code = await codeFor(hr, `/api/v1/contracts/${k.id}/intent`)
    r = await hr.c.post(`/api/v1/contracts/${k.id}/sign/prepare`, { cert_serial: serial, code: code === '999999' ? '888888' : '999999' })
    eq(r.status, 422, 'wrong code')
    eq(r.json.error.field, 'code', 'field code')
    r = await hr.c.post(`/api/v1/contracts/${k.id}/sign/prepare`, { cert_serial: serial, code })
    eq(r.status, 200, 'prepared ' + r.body.toString())
    const again = await hr.c.post(`/api/v1/contracts/${k.id}/sign/prepare`, { cert_serial: serial, code })
    eq(again.status, 422, 'the code is used up')
    eq(again.json.error.field, 'code', 'field code')
    r = await hr.c.post(`/api/v1/contracts/${k.id}/sign`, { signature_id: r.json.signature_id, signature: await signB64(key, r.json.to_sign) })
    eq(r.status, 200, 'signed ' + r.body.toString())
    eq(r.json.status, 'signed', 'signed')
    const ic = r.json.evidence.find((x) => x.kind === 'intent_confirmed' && x.detail.party === 'enterprise')
    assert(ic && ic.detail.method === 'browser' && ic.detail.by === `user:${hr.id}`, 'intent in the evidence: ' + JSON.stringify(ic))
  }])

  T.push(['enterprise intent: a batch seal takes one code for exactly its ids', async () => {
    const { e, hr } = await enterprise()
    const sk = await codeFor(hr, `/api/v1/enterprises/${e.id}/seal/intent`)
    eq((await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code: sk })).status, 201, 'seal key')
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await sendAs(hr, await worker(e), { sign_order: 'enterprise_first' })).id)
    let r = await hr.c.post('/api/v1/contracts/seal', { ids })
    eq(r.status, 422, 'no code')
    eq(r.json.error.field, 'code', 'field code')
    const code = await codeFor(hr, '/api/v1/contracts/seal/intent', { ids: ids.slice(0, 2) })
    r = await hr.c.post('/api/v1/contracts/seal', { ids, code })
    eq(r.status, 422, 'a code for two does not seal three')
    eq(r.json.error.field, 'code', 'field code')
    // the failed try counted but the code still works for its own set (any order)
    r = await hr.c.post('/api/v1/contracts/seal', { ids: [ids[1], ids[0]], code })
    eq(r.status, 200, 'batch ' + r.body.toString())
    eq(r.json.signed.slice().sort(), ids.slice(0, 2).sort(), 'both sealed')
    for (const id of ids.slice(0, 2)) {
      const ic = (await evidence(hr, id)).find((x) => x.kind === 'intent_confirmed' && x.detail.party === 'enterprise')
      assert(ic && ic.detail.batch === true && ic.detail.by === `user:${hr.id}` && ic.detail.phone === hint(hr.phone), 'intent in each contract: ' + JSON.stringify(ic))
    }
    r = await hr.c.post('/api/v1/contracts/seal', { ids: [ids[2]], code })
    eq(r.status, 422, 'used')
    r = await ctx.admin.post('/api/v1/contracts/seal', { ids })
    eq(r.status, 403, 'an officer cannot batch seal')
  }])

  T.push(['enterprise intent: a user with no phone on record is told to register one', async () => {
    const { e } = await enterprise()
    const nophone = await makeUser({ display_name: '无手机人事', role: 'enterprise_hr', enterprise_id: e.id, phone: null })
    const k = await sendAs(nophone, await worker(e), { sign_order: 'enterprise_first' })
    let r = await nophone.c.post(`/api/v1/contracts/${k.id}/intent`)
    eq(r.status, 409, 'no phone')
    eq(r.json.error.code, 'no_phone', 'no_phone')
    assert(r.json.error.message.includes('请先在账号信息中登记本人手机号码'), r.json.error.message)
    const key = await newKey()
    r = await nophone.c.post('/api/v1/contracts/certificates', { spki: key.spki, proof: key.proof })
    eq(r.status, 201, 'certificate')
    r = await nophone.c.post(`/api/v1/contracts/${k.id}/sign/prepare`, { cert_serial: r.json.serial, code: '123456' })
    eq(r.json.error.code, 'no_phone', 'the signature says so too')
    r = await nophone.c.post(`/api/v1/enterprises/${e.id}/seal/intent`)
    eq(r.json.error.code, 'no_phone', 'and the seal key')
  }])

  // ---- revocation ----

  T.push(['revocation: only the holder, the own HR (seal) and county admins; others 403 in scope, 404 outside; a reason is required', async () => {
    const areas = (await ctx.admin.get('/api/v1/areas')).json.items.filter((a) => a.kind !== 'county')
    const otherArea = areas.find((a) => a.id !== ctx.ent.area_id)
    const { e, hr } = await enterprise()
    const colleague = await makeUser({ display_name: '同事', role: 'enterprise_hr', enterprise_id: e.id })
    const { hr: stranger } = await enterprise(otherArea && otherArea.id)
    const officer = await makeUser({ display_name: '街道干部', role: 'area_officer', area_id: e.area_id })
    const farOfficer = otherArea ? await makeUser({ display_name: '别处干部', role: 'area_officer', area_id: otherArea.id }) : null
    const c = await codeFor(hr, `/api/v1/enterprises/${e.id}/seal/intent`)
    let r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code: c })
    eq(r.status, 201, 'seal')
    const seal = r.json.cert_serial
    const key = await newKey()
    r = await hr.c.post('/api/v1/contracts/certificates', { spki: key.spki, proof: key.proof })
    const userCert = r.json.serial
    // a worker's certificate
    const w = await worker(e)
    const k = await sendAs(hr, w)
    const ws = await workerSigns(k, w)
    eq(ws.s.status, 200, 'worker signed')
    const rv = (u, serial, body = { reason: '测试吊销' }) => u.c.post(`/api/v1/contracts/certificates/${serial}/revoke`, body)

    r = await rv(officer, seal)
    eq(r.status, 403, 'an area officer over the enterprise: 403 ' + r.body.toString())
    r = await rv(officer, ws.serial)
    eq(r.status, 403, "an area officer and the enterprise's worker: 403")
    if (farOfficer) {
      eq((await rv(farOfficer, seal)).status, 404, 'an officer of another area: 404')
      eq((await rv(farOfficer, ws.serial)).status, 404, 'nor a worker out of the area')
    }
    eq((await rv(stranger, seal)).status, 404, "another enterprise's HR: 404")
    eq((await rv(stranger, userCert)).status, 404, "another enterprise's HR, a user certificate: 404")
    eq((await rv(stranger, ws.serial)).status, 404, "another enterprise's HR, a worker: 404")
    eq((await rv(colleague, userCert)).status, 403, "a colleague's own certificate: 403")
    eq((await rv(hr, ws.serial)).status, 403, "the enterprise's HR cannot revoke the worker's certificate")
    r = await rv(hr, userCert, {})
    eq(r.status, 422, 'no reason')
    eq(r.json.error.field, 'reason', 'field reason')
    r = await rv(hr, userCert, { reason: '   ' })
    eq(r.status, 422, 'a blank reason')
    eq(r.json.error.field, 'reason', 'field reason')
    // nothing was revoked by the refused tries
    r = await ctx.admin.get(`/api/v1/audit?action=contract.cert_revoke&q=${seal}`)
    eq(r.json.items.length, 0, 'no revocation logged yet')
    // the holder, the own HR, a county administrator
    eq((await rv(hr, userCert, { reason: '本人密钥丢失' })).status, 204, 'the holder')
    eq((await rv(colleague, seal, { reason: '印章密钥疑似泄露' })).status, 204, 'the own HR: the seal')
    eq((await rv({ c: ctx.admin }, ws.serial, { reason: '劳动者申请吊销' })).status, 204, 'a county administrator: the worker')
    r = await rv({ c: ctx.admin }, ws.serial, { reason: '再次' })
    eq(r.status, 409, 'already revoked')
  }])

  T.push(['revocation: logged with serial and reason, in the evidence of what it signed, and the holder is told', async () => {
    const { e, hr } = await enterprise()
    const sk = await codeFor(hr, `/api/v1/enterprises/${e.id}/seal/intent`)
    let r = await hr.c.post(`/api/v1/enterprises/${e.id}/seal`, { code: sk })
    const seal = r.json.cert_serial
    const w = await worker(e)
    const k = await sendAs(hr, w, { sign_order: 'enterprise_first' })
    r = await hr.c.post(`/api/v1/contracts/${k.id}/seal`, { code: await codeFor(hr, `/api/v1/contracts/${k.id}/intent`) })
    eq(r.status, 200, 'sealed')
    const ws = await workerSigns(k, w)
    eq(ws.s.status, 200, 'worker signed')
    r = await hr.c.post(`/api/v1/contracts/certificates/${seal}/revoke`, { reason: '印章密钥疑似泄露' })
    eq(r.status, 204, 'revoked ' + r.body.toString())
    const log = await audit('contract.cert_revoke', seal)
    eq(log.length, 1, 'one log entry')
    eq(log[0].object_label, seal, 'the serial')
    eq(log[0].changes.reason[1], '印章密钥疑似泄露', 'the reason')
    eq(log[0].actor_id, hr.id, 'who')
    const ev = (await evidence(hr, k.id)).filter((x) => x.kind === 'cert_revoked')
    eq(ev.length, 1, 'in the evidence of the sealed contract')
    eq(ev[0].detail.serial, seal, 'serial')
    eq(ev[0].detail.reason, '印章密钥疑似泄露', 'reason')
    eq(ev[0].detail.signed_with, true, 'signed with it')
    const n = (await hr.c.get('/api/v1/notifications')).json.items
    assert(n.some((x) => x.text.includes(seal) && x.text.includes('印章密钥疑似泄露')), 'the enterprise is told: ' + JSON.stringify(n.slice(0, 3)))
    // the worker revokes their own certificate through the link's session
    r = await ws.phone.req('POST', '/certificate/revoke', { serial: ws.serial })
    eq(r.status, 422, 'a reason is required')
    eq(r.json.error.field, 'reason', 'field reason')
    r = await ws.phone.req('POST', '/certificate/revoke', { serial: seal, reason: '不是我的' })
    eq(r.status, 404, "not the worker's certificate")
    r = await ws.phone.req('POST', '/certificate/revoke', { serial: ws.serial, reason: '手机丢失' })
    eq(r.status, 204, 'the worker revokes their own ' + r.body.toString())
    const wev = (await evidence(hr, k.id)).filter((x) => x.kind === 'cert_revoked')
    assert(wev.some((x) => x.detail.serial === ws.serial && x.actor.startsWith('worker:')), 'in the evidence, by the worker')
    const wlog = await audit('contract.cert_revoke', ws.serial)
    eq(wlog.length, 1, 'logged')
    eq(wlog[0].changes.reason[1], '手机丢失', 'reason')
    const out = (await ctx.admin.get('/api/v1/outbox?limit=20')).json.items
    assert(out.some((x) => x.recipient === w.phone && x.text.includes(ws.serial) && x.text.includes('手机丢失')), 'the worker is told on their phone')
    // a certificate that signed nothing: the holder's latest contract
    const key = await newKey()
    r = await hr.c.post('/api/v1/contracts/certificates', { spki: key.spki, proof: key.proof })
    const unused = r.json.serial
    eq((await hr.c.post(`/api/v1/contracts/certificates/${unused}/revoke`, { reason: '换电脑' })).status, 204, 'revoked')
    const uev = (await evidence(hr, k.id)).find((x) => x.kind === 'cert_revoked' && x.detail.serial === unused)
    assert(uev && uev.detail.signed_with === false, 'on the latest contract, not signed with it')
  }])
}
