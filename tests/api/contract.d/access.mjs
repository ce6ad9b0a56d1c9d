// Who may read a contract (issue 9, points 7–9; 附件3 第四条、第十七条;
// 个人信息保护法): lists and details need contract.draft (own enterprise),
// contract.oversee (officers, in scope) or contract.inquire (the
// authorities, in scope, under a case number); the signed PDF and the
// evidence package carry full ID numbers and go only to the enterprise party
// and to roles with pii.read, each download in the operation log; a
// one-time password opens nothing but the password change.
import path from 'node:path'
import { Client, assert, eq, hexie } from '../lib.mjs'

export default function (T, ctx) {
  const { uniq, makeUser, newWorker, sent, workerSigns, enterpriseSigns } = ctx

  // A signed contract of ctx.ent (worker first, then HR).
  let signedK, signedW, workerSerial
  async function signedContract() {
    if (signedK) return { k: signedK, w: signedW, serial: workerSerial }
    const w = await newWorker()
    const k = await sent(w)
    const ws = await workerSigns(k, w)
    eq(ws.s.status, 200, 'worker signs')
    workerSerial = ws.serial
    const e = await enterpriseSigns(k.id)
    eq(e.status, 200, 'enterprise signs ' + e.body.toString())
    signedK = k
    signedW = w
    return { k, w, serial: workerSerial }
  }

  async function areas() {
    const all = (await ctx.admin.get('/api/v1/areas')).json.items
    const mine = all.find((a) => a.id === ctx.ent.area_id)
    const other = all.find((a) => a.kind !== 'county' && a.id !== mine.id && !mine.path.startsWith(a.path) && !a.path.startsWith(mine.path))
    assert(other, 'an area apart from the enterprise’s')
    return { mine, other }
  }

  // A user that has changed its first password (makeUser does).
  const user = (body) => makeUser({ display_name: `用户${uniq().slice(-4)}`, ...body })

  async function org(kind) {
    const r = await ctx.admin.post('/api/v1/organizations', { name: `机构${kind}${uniq()}`, kind })
    eq(r.status, 201, 'organization ' + r.body.toString())
    return r.json
  }

  async function auditOf(id, action) {
    const r = await ctx.admin.get(`/api/v1/audit?object_type=contract&object_id=${id}&page_size=100` + (action ? `&action=${action}` : ''))
    eq(r.status, 200, 'audit ' + r.body.toString())
    return r.json.items
  }

  const q = (caseNo, reason) => `?case_no=${encodeURIComponent(caseNo)}&reason=${encodeURIComponent(reason)}`
  const CASE = '（2026）浙1125民初123号'
  const REASON = '审理劳动争议案件需调取劳动合同'

  T.push(['access: a reviewer (registry.read only) gets 403 on the contract list, detail, export, PDF, package and verify', async () => {
    const { k, serial } = await signedContract()
    const rev = (await user({ role: 'reviewer' })).c
    for (const p of ['/api/v1/contracts', `/api/v1/contracts/${k.id}`, '/api/v1/contracts/export.xlsx',
      `/api/v1/contracts/${k.id}/document.pdf`, `/api/v1/contracts/${k.id}/evidence.zip`]) {
      const r = await rev.get(p)
      eq(r.status, 403, `reviewer ${p}`)
      eq(r.json.error.code, 'forbidden', `forbidden ${p}`)
    }
    const pdf = (await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf`)).body
    const v = await rev.req('POST', '/api/v1/contracts/verify', undefined, { raw: pdf, headers: { 'content-type': 'application/pdf' } })
    eq(v.status, 403, 'reviewer verify upload')
    eq((await rev.post(`/api/v1/contracts/certificates/${serial}/revoke`, { reason: '试试' })).status, 403, 'reviewer revoke')
  }])

  T.push(['access: an area officer reads contracts in scope with masked ID numbers, gets 403 on the PDF and package, 404 outside', async () => {
    const { k, w } = await signedContract()
    const { mine, other } = await areas()
    const off = (await user({ role: 'area_officer', area_id: mine.id })).c
    let r = await off.get(`/api/v1/contracts/${k.id}`)
    eq(r.status, 200, 'detail in scope ' + r.body.toString())
    const shown = r.json.terms.worker.id_number
    assert(shown && shown !== w.id_number && shown.includes('*'), `masked ID number: ${shown}`)
    eq(shown.slice(0, 4), w.id_number.slice(0, 4), 'masked, not replaced')
    r = await off.get('/api/v1/contracts?per_page=200')
    eq(r.status, 200, 'list in scope')
    assert(r.json.items.some((x) => x.id === k.id), 'listed')
    eq((await off.get('/api/v1/contracts/export.xlsx')).status, 200, 'export (no ID numbers) in scope')
    r = await off.get(`/api/v1/contracts/${k.id}/document.pdf`)
    eq(r.status, 403, 'PDF: no pii.read')
    assert(/身份号码/.test(r.json.error.message), 'says why: ' + r.json.error.message)
    eq((await off.get(`/api/v1/contracts/${k.id}/evidence.zip`)).status, 403, 'package: no pii.read')
    // the administrator oversees the county but is not a party and lacks pii.read
    const ad = await ctx.admin.get(`/api/v1/contracts/${k.id}`)
    eq(ad.status, 200, 'admin detail')
    assert(ad.json.terms.worker.id_number.includes('*'), 'masked for the administrator')
    eq((await ctx.admin.get(`/api/v1/contracts/${k.id}/document.pdf`)).status, 403, 'admin PDF')
    eq((await ctx.admin.get(`/api/v1/contracts/${k.id}/evidence.zip`)).status, 403, 'admin package')
    // another area's officer: the contract does not exist for them
    const far = (await user({ role: 'area_officer', area_id: other.id })).c
    for (const p of [`/api/v1/contracts/${k.id}`, `/api/v1/contracts/${k.id}/document.pdf`, `/api/v1/contracts/${k.id}/evidence.zip`])
      eq((await far.get(p)).status, 404, `out of scope ${p}`)
    r = await far.get('/api/v1/contracts?per_page=200')
    assert(!r.json.items.some((x) => x.id === k.id), 'not listed out of scope')
  }])

  T.push(['access: HR downloads of the PDF and the evidence package are in the operation log; the package also in the evidence', async () => {
    const { k } = await signedContract()
    const before = await auditOf(k.id)
    let r = await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf?download=1`)
    eq(r.status, 200, 'pdf')
    r = await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf?version=1`)
    eq(r.status, 200, 'pdf version 1')
    r = await ctx.hr.get(`/api/v1/contracts/${k.id}/evidence.zip`)
    eq(r.status, 200, 'package')
    const after = await auditOf(k.id)
    const fresh = after.filter((e) => !before.some((b) => b.id === e.id))
    const docs = fresh.filter((e) => e.action === 'contract.document')
    eq(docs.length, 2, 'two PDF downloads logged')
    assert(docs.every((e) => e.actor_id === ctx.hrUser.id), 'by HR')
    assert(docs.some((e) => JSON.stringify(e.changes.version) === '[null,1]'), 'the version asked for: ' + JSON.stringify(docs.map((e) => e.changes)))
    const pk = fresh.filter((e) => e.action === 'contract.package')
    eq(pk.length, 1, 'package download logged')
    const c = (await ctx.hr.get(`/api/v1/contracts/${k.id}`)).json
    const ev = c.evidence.filter((e) => e.kind === 'downloaded' && e.detail.what === 'package')
    eq(ev.length, 1, 'package download in the evidence')
    assert(ev[0].actor.startsWith(`user:${ctx.hrUser.id}:`), 'by HR: ' + ev[0].actor)
    // a refused download writes nothing
    const n = (await auditOf(k.id)).length
    eq((await ctx.admin.get(`/api/v1/contracts/${k.id}/document.pdf`)).status, 403, 'refused')
    eq((await auditOf(k.id)).length, n, 'nothing logged for a refused download')
  }])

  T.push(['access: the verify upload names the contract only to those who may read it', async () => {
    const { k } = await signedContract()
    const pdf = (await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf`)).body
    const up = (c) => c.req('POST', '/api/v1/contracts/verify', undefined, { raw: pdf, headers: { 'content-type': 'application/pdf' } })
    let r = await up(ctx.hr)
    eq(r.status, 200, 'hr verify')
    eq(r.json.contract_id, k.id, 'in scope: named')
    const { other } = await areas()
    const far = (await user({ role: 'area_officer', area_id: other.id })).c
    r = await up(far)
    eq(r.status, 200, 'verify out of scope')
    eq(r.json.known, true, 'known to the platform')
    eq(r.json.contract_id, undefined, 'but not which contract')
  }])

  T.push(['authority: organization kinds, the role, and who may hold it', async () => {
    const meta = (await ctx.admin.get('/api/v1/meta')).json
    for (const kd of ['labor_inspection', 'arbitration', 'court'])
      assert(meta.org_kinds.some((o) => o.key === kd), 'org kind ' + kd)
    const role = (await ctx.admin.get('/api/v1/roles')).json.items.find((x) => x.key === 'authority')
    assert(role, 'the authority role')
    eq(role.name, '执法司法机关人员', 'its name')
    eq(role.permissions.sort(), ['contract.inquire', 'pii.read'], 'read-only permissions')
    eq(role.area_optional, true, 'county or an area')
    let r = await ctx.admin.post('/api/v1/users', { username: `a${uniq()}`, display_name: '法官', password: `Init-${uniq()}-pw`, role: 'authority' })
    eq(r.status, 422, 'without an organization')
    eq(r.json.error.field, 'org_id', 'names org_id')
    const dept = await org('department')
    r = await ctx.admin.post('/api/v1/users', { username: `a${uniq()}`, display_name: '法官', password: `Init-${uniq()}-pw`, role: 'authority', org_id: dept.id })
    eq(r.status, 422, 'a department is not an authority')
    eq(r.json.error.code, 'invalid_org', 'invalid_org')
    const court = await org('court')
    const { mine } = await areas()
    const u = await user({ role: 'authority', org_id: court.id, area_id: mine.id })
    const s = (await u.c.get('/api/v1/session')).json.user
    eq(s.scope.kind, 'area', 'limited to an area')
    eq(s.scope.area_id, mine.id, 'that area')
    const county = await user({ role: 'authority', org_id: (await org('arbitration')).id })
    eq((await county.c.get('/api/v1/session')).json.user.scope.kind, 'county', 'the whole county')
  }])

  T.push(['authority: each read asks for a case number and reason (422 naming the field), logged and in the evidence', async () => {
    const { k, w } = await signedContract()
    const court = await org('court')
    const a = await user({ role: 'authority', org_id: court.id })
    // the list: contracts can be found
    let r = await a.c.get('/api/v1/contracts?per_page=200')
    eq(r.status, 200, 'list ' + r.body.toString())
    assert(r.json.items.some((x) => x.id === k.id), 'listed')
    for (const p of [`/api/v1/contracts/${k.id}`, `/api/v1/contracts/${k.id}/document.pdf`, `/api/v1/contracts/${k.id}/evidence.zip`]) {
      r = await a.c.get(p)
      eq(r.status, 422, 'no case number ' + p)
      eq(r.json.error.field, 'case_no', 'names case_no')
      assert(/案号/.test(r.json.error.message), 'in Chinese: ' + r.json.error.message)
      r = await a.c.get(p + `?case_no=${encodeURIComponent(CASE)}`)
      eq(r.status, 422, 'no reason ' + p)
      eq(r.json.error.field, 'reason', 'names reason')
      r = await a.c.get(p + q('无号', REASON))
      eq(r.status, 422, 'a case number without digits')
      eq(r.json.error.field, 'case_no', 'names case_no again')
      r = await a.c.get(p + q(CASE, '查'))
      eq(r.status, 422, 'a one-character reason')
      r = await a.c.get(p + q('x'.repeat(65) + '1', REASON))
      eq(r.status, 422, 'a case number too long')
    }
    const before = await auditOf(k.id, 'contract.inquire')
    eq(before.length, 0, 'nothing logged for refused reads')
    r = await a.c.get(`/api/v1/contracts/${k.id}` + q(CASE, REASON))
    eq(r.status, 200, 'detail ' + r.body.toString())
    eq(r.json.terms.worker.id_number, w.id_number, 'the full ID number (pii.read)')
    eq(r.json.link, undefined, 'no signing link')
    r = await a.c.get(`/api/v1/contracts/${k.id}/document.pdf` + q(CASE, REASON))
    eq(r.status, 200, 'PDF')
    eq(r.body.subarray(0, 5).toString(), '%PDF-', 'a PDF')
    r = await a.c.get(`/api/v1/contracts/${k.id}/evidence.zip` + q(CASE, REASON))
    eq(r.status, 200, 'package')
    eq(r.body.subarray(0, 2).toString(), 'PK', 'a zip')
    // the package holds the reads recorded so far, and still verifies
    const v = hexie(ctx.BIN, ['verify', ctx.tmpFile('p.zip', r.body), '--ca', path.join(ctx.store.varDir, 'keys', 'ca.crt')])
    eq(v.code, 0, 'hexie verify ' + v.out + v.err)
    const logged = await auditOf(k.id, 'contract.inquire')
    eq(logged.length, 3, 'three reads logged')
    eq(logged.map((e) => e.changes.what[1]).sort(), ['detail', 'package', 'pdf'], 'each read')
    assert(logged.every((e) => e.changes.case_no[1] === CASE && e.changes.reason[1] === REASON && e.actor_id === a.id), 'case and reason logged')
    const ev = (await ctx.hr.get(`/api/v1/contracts/${k.id}`)).json.evidence.filter((e) => e.kind === 'inquired')
    eq(ev.length, 3, 'three reads in the evidence')
    assert(ev.every((e) => e.detail.case_no === CASE && e.detail.reason === REASON && e.detail.org === court.name), 'case, reason, organization: ' + JSON.stringify(ev[0]))
    eq(ev.map((e) => e.detail.what).sort(), ['detail', 'package', 'pdf'], 'what was read')
  }])

  T.push(['authority: read-only — no drafting, sending, signing, sealing, revoking, changing or bulk export (403)', async () => {
    const { k, serial } = await signedContract()
    const a = await user({ role: 'authority', org_id: (await org('labor_inspection')).id })
    const w = await newWorker()
    const draft = (await ctx.hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: ctx.TERMS })).json
    const calls = [
      ['POST', '/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: ctx.TERMS }],
      ['PUT', `/api/v1/contracts/${draft.id}`, { terms: ctx.TERMS }],
      ['DELETE', `/api/v1/contracts/${draft.id}`],
      ['POST', `/api/v1/contracts/${draft.id}/send`],
      ['POST', '/api/v1/contracts/batches', { worker_ids: [w.id], kind: 'full_time', terms: ctx.TERMS }],
      ['POST', `/api/v1/contracts/${k.id}/sign/prepare`, { cert_serial: '01' }],
      ['POST', `/api/v1/contracts/${k.id}/sign`, { signature_id: 1, signature: 'AA' }],
      ['POST', `/api/v1/contracts/${k.id}/seal`],
      ['POST', '/api/v1/contracts/seal', { ids: [k.id] }],
      ['POST', `/api/v1/contracts/${k.id}/withdraw`, { reason: '撤回' }],
      ['POST', `/api/v1/contracts/${k.id}/amend`, {}],
      ['POST', `/api/v1/contracts/${k.id}/renew`, {}],
      ['POST', `/api/v1/contracts/${k.id}/terminate`, {}],
      ['POST', '/api/v1/contracts/certificates', { spki: 'AA', proof: 'AA' }],
      ['POST', `/api/v1/contracts/certificates/${serial}/revoke`, { reason: '吊销' }],
      ['POST', `/api/v1/contracts/${k.id}/intent`, {}],
      ['POST', '/api/v1/contracts/seal/intent', { ids: [k.id] }],
      ['POST', `/api/v1/enterprises/${ctx.ent.id}/seal/intent`],
      ['POST', `/api/v1/enterprises/${ctx.ent.id}/seal`],
      ['GET', '/api/v1/contracts/export.xlsx'],
      ['GET', '/api/v1/contracts/filing?month=2026-12'],
      ['GET', '/api/v1/contracts/rates'],
      ['GET', `/api/v1/contracts/${draft.id}/qr.svg`],
      ['GET', '/api/v1/enterprises'],
      ['GET', '/api/v1/workers'],
    ]
    for (const [m, p, b] of calls) {
      const r = await a.c.req(m, p, b)
      eq(r.status, 403, `${m} ${p}: ${r.body.toString().slice(0, 200)}`)
    }
    eq((await ctx.hr.get(`/api/v1/contracts/${draft.id}`)).json.status, 'draft', 'the draft unchanged')
  }])

  T.push(['authority: limited to an area, a contract elsewhere is 404 even with a case number', async () => {
    const { k } = await signedContract()
    const { mine, other } = await areas()
    const insp = await org('labor_inspection')
    const near = await user({ role: 'authority', org_id: insp.id, area_id: mine.id })
    eq((await near.c.get(`/api/v1/contracts/${k.id}` + q(CASE, REASON))).status, 200, 'in its area')
    const far = await user({ role: 'authority', org_id: insp.id, area_id: other.id })
    for (const p of [`/api/v1/contracts/${k.id}`, `/api/v1/contracts/${k.id}/document.pdf`, `/api/v1/contracts/${k.id}/evidence.zip`])
      eq((await far.c.get(p + q(CASE, REASON))).status, 404, 'outside its area ' + p)
    const r = await far.c.get('/api/v1/contracts?per_page=200')
    assert(!r.json.items.some((x) => x.id === k.id), 'not listed outside its area')
  }])

  T.push(['a one-time password opens nothing but the password change, the session and logout', async () => {
    const { k } = await signedContract()
    const username = `otp${uniq()}`
    // no password given: the server makes a one-time one
    let r = await ctx.admin.post('/api/v1/users', { username, display_name: '新人事', role: 'enterprise_hr', enterprise_id: ctx.ent.id })
    eq(r.status, 201, 'user')
    const password = r.json.initial_password
    assert(password, 'an initial password')
    const c = new Client(ctx.srv.base)
    r = await c.login(username, password)
    eq(r.status, 200, 'login')
    eq(r.json.user.must_change_password, true, 'a one-time password')
    const blocked = [
      ['GET', '/api/v1/contracts'],
      ['GET', `/api/v1/contracts/${k.id}`],
      ['GET', `/api/v1/contracts/${k.id}/document.pdf`],
      ['GET', `/api/v1/contracts/${k.id}/evidence.zip`],
      ['GET', '/api/v1/contracts/templates'],
      ['GET', '/api/v1/checkup/checks'],
      ['GET', '/api/v1/checkup/checklist'],
      ['GET', '/api/v1/checkup/training-priority'],
      ['GET', '/api/v1/checkup/files/1'],
      ['GET', '/api/v1/enterprises'],
      ['GET', `/api/v1/enterprises/${ctx.ent.id}`],
      ['GET', '/api/v1/areas'],
      ['GET', '/api/v1/roles'],
      ['POST', '/api/v1/contracts', {}],
      ['POST', '/api/v1/contracts/lint', {}],
    ]
    for (const [m, p, b] of blocked) {
      const x = await c.req(m, p, b)
      eq(x.status, 403, `${m} ${p}`)
      eq(x.json.error.code, 'password_change_required', `password_change_required ${p}`)
    }
    r = await c.get('/api/v1/session')
    eq(r.status, 200, 'the session is readable')
    eq(r.json.user.must_change_password, true, 'and says the password must change')
    eq((await c.get('/api/v1/meta')).status, 200, 'public routes stay public')
    eq((await c.get('/api/v1/trust/ca.crt')).status, 200, 'the CA certificate too')
    r = await c.post('/api/v1/session/password', { old_password: password, new_password: `Next-${uniq()}-pw` })
    eq(r.status, 204, 'the change ' + r.body.toString())
    eq((await c.get('/api/v1/contracts')).status, 200, 'contracts after the change')
    eq((await c.get(`/api/v1/contracts/${k.id}/document.pdf`)).status, 200, 'the PDF after the change')
    eq((await c.get('/api/v1/enterprises')).status, 200, 'the registry after the change')
    // a password reset by the administrator is one-time again; logout works
    const id = (await c.get('/api/v1/session')).json.user.id
    r = await ctx.admin.post(`/api/v1/users/${id}/reset-password`)
    eq(r.status, 200, 'reset')
    const d = new Client(ctx.srv.base)
    eq((await d.login(username, r.json.password)).status, 200, 'login with the reset password')
    const x = await d.get(`/api/v1/contracts/${k.id}/document.pdf`)
    eq(x.status, 403, 'the PDF with a reset password')
    eq(x.json.error.code, 'password_change_required', 'password_change_required')
    eq((await d.del('/api/v1/session')).status, 204, 'logout')
    eq((await d.get('/api/v1/session')).status, 401, 'logged out')
  }])

  T.push(["access: the worker's signing link and its QR code go only to the enterprise party", async () => {
    const w = await newWorker()
    const k = await sent(w)
    let r = await ctx.hr.get(`/api/v1/contracts/${k.id}`)
    assert(r.json.link && r.json.link_path, 'HR has the link')
    eq((await ctx.hr.get(`/api/v1/contracts/${k.id}/qr.svg`)).status, 200, 'HR has the QR code')
    r = await ctx.admin.get(`/api/v1/contracts/${k.id}`)
    eq(r.status, 200, 'admin reads the contract')
    eq(r.json.link, undefined, 'but not the link')
    eq(r.json.link_path, undefined, 'nor its path')
    eq((await ctx.admin.get(`/api/v1/contracts/${k.id}/qr.svg`)).status, 403, 'nor the QR code')
  }])
}
