// Issue 9, points 6 and 14 together: the handwritten signature in an
// evidence package is the one its signed event names. Even a package whose
// manifest the platform re-signed (it holds the log key) cannot swap the
// image shown at 乙方（签字） for another.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { assert, eq, hexie } from '../lib.mjs'
import { handwriting } from './visible.mjs'

export default function (T, ctx) {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-hw-'))
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex')
  const verify = (f) => {
    const r = hexie(ctx.BIN, ['verify', f])
    let rep = null
    try { rep = JSON.parse(r.out) } catch { /* asserted by the caller */ }
    return { ...r, rep }
  }

  T.push(['hexie verify checks the handwritten signature against its signed event, even under a re-signed manifest', async () => {
    const w = await ctx.newWorker()
    const k = await ctx.sent(w)
    const phone = new ctx.Phone(k.token)
    await phone.identify(w)
    await phone.readAndIntent(w)
    const key = await ctx.newKey()
    let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
    eq(r.status, 201, 'certificate ' + r.body.toString())
    const hand = handwriting()
    r = await phone.req('POST', '/prepare', { cert_serial: r.json.serial, handwriting: hand.toString('base64') })
    eq(r.status, 200, 'prepare ' + r.body.toString())
    r = await phone.req('POST', '/sign', { signature_id: r.json.signature_id, signature: await ctx.signB64(key, r.json.to_sign) })
    eq(r.status, 200, 'worker signs ' + r.body.toString())
    eq((await ctx.enterpriseSigns(k.id)).status, 200, 'enterprise signs')
    const z = await ctx.hr.get(`/api/v1/contracts/${k.id}/evidence.zip`)
    eq(z.status, 200, 'package')
    const zip = ctx.tmpFile('hw.zip', z.body)
    let v = verify(zip)
    eq(v.code, 0, 'the package holds ' + v.out.slice(0, 300))
    const hw = v.rep.checks.find((c) => c.check === 'handwriting')
    assert(hw && hw.ok, 'a handwriting check that holds: ' + JSON.stringify(v.rep.checks.map((c) => c.check)))
    // another drawing in its place, and a manifest re-signed to match
    const d = tmp()
    eq(spawnSync('unzip', ['-q', zip, '-d', d]).status, 0, 'unzip')
    const png = path.join(d, 'signatures', 'worker.png')
    eq(sha(fs.readFileSync(png)), sha(hand), 'the package carries the drawing sent')
    fs.writeFileSync(png, handwriting(500, 160))
    const m = JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8'))
    for (const name of Object.keys(m.files)) {
      const b = fs.readFileSync(path.join(d, name))
      m.files[name] = { sha256: sha(b), size: b.length }
    }
    const text = JSON.stringify(m, null, 2)
    fs.writeFileSync(path.join(d, 'manifest.json'), text)
    const logKey = fs.readFileSync(path.join(ctx.store.varDir, 'keys', 'log.key'))
    fs.writeFileSync(path.join(d, 'manifest.sig'), crypto.sign('sha256', Buffer.from(text), logKey).toString('base64') + '\n')
    const out = path.join(tmp(), 'swapped.zip')
    eq(spawnSync('zip', ['-q', '-r', '-X', out, '.'], { cwd: d }).status, 0, 'zip')
    v = verify(out)
    eq(v.code, 1, 'refused ' + v.out.slice(0, 300))
    const failing = v.rep.checks.filter((c) => !c.ok).map((c) => c.check)
    assert(failing.includes('handwriting'), 'the handwriting check fails: ' + failing)
    assert(v.rep.reason.includes('signatures/worker.png'), 'the reason names the file: ' + v.rep.reason)
  }])

  T.push(['a roster phone changed between saving the draft and sending: the document prints the phone the codes go to', async () => {
    const w = await ctx.newWorker({ phone: '13700007001' })
    const k = await ctx.draft(w)
    eq(k.terms.worker.phone, '13700007001', 'the draft has the roster phone')
    const u = await ctx.hr.patch(`/api/v1/workers/${w.id}`, { phone: '13700007002' })
    eq(u.status, 200, 'roster phone changed ' + u.body.toString())
    const s = await ctx.hr.post(`/api/v1/contracts/${k.id}/send`)
    eq(s.status, 200, 'send ' + s.body.toString())
    eq(s.json.terms.worker.phone, '13700007002', 'the terms follow the roster as of sending')
    const pdf = await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf`)
    eq(pdf.status, 200, 'pdf')
    const text = spawnSync('pdftotext', ['-q', '-enc', 'UTF-8', ctx.tmpFile('p.pdf', pdf.body), '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
    assert(text.includes('13700007002') && !text.includes('13700007001'), 'the document prints the phone of sending')
    const phone = new ctx.Phone(s.json.link_path.slice(3))
    await phone.identify({ ...w, phone: '13700007002' })
  }])
}
