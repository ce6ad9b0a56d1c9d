// Issue 9 point 19: a signed revision is stored as the bytes its
// incremental update appended, and every revision still reads back byte
// for byte: through the evidence package (versions/N.pdf), through
// document.pdf?version=N, each a prefix of the next, each SHA-256 the one
// in the evidence. A revision whose stored bytes were swapped is refused.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { assert, eq } from '../lib.mjs'

const sha256 = (b) => createHash('sha256').update(b).digest('hex')

export default function (T, ctx) {
  const sql = (q) => {
    const r = ctx.DB ? spawnSync('psql', [ctx.DB, '-v', 'ON_ERROR_STOP=1', '-At', '-c', q], { encoding: 'utf8' })
      : spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(ctx.store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
    eq(r.status, 0, q + ': ' + r.stderr)
    return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l).map((l) => l.split('|'))
  }
  let signed // { k, versions: [Buffer…] }

  T.push(['each signature stores only the bytes it appended; every revision reads back whole (versions/N.pdf a prefix of the next, SHA-256 as in the evidence)', async () => {
    const { hr, newWorker, sent, workerSigns, enterpriseSigns, contract, tmpFile } = ctx
    const w = await newWorker()
    const k = await sent(w)
    const { s } = await workerSigns(k, w)
    eq(s.status, 200, 'worker signed ' + s.body.toString())
    const e = await enterpriseSigns(k.id)
    eq(e.status, 200, 'enterprise signed ' + e.body.toString())
    const c = await contract(k.id)
    eq(c.status, 'signed', 'signed')
    // what is stored: version 1 whole, each signature a delta under 16 KB
    const rows = sql(`SELECT version, delta, LENGTH(pdf_enc), size FROM contract_documents WHERE contract_id = ${k.id} ORDER BY version`)
    eq(rows.map((r) => r[0] + ':' + r[1]).join(','), '1:0,2:1,3:1', 'version 1 whole, 2 and 3 deltas')
    for (const r of rows.slice(1)) assert(Number(r[2]) < 16384, `version ${r[0]} stores ${r[2]} bytes (whole: ${r[3]})`)
    // the package's revisions
    const z = await hr.get(`/api/v1/contracts/${k.id}/evidence.zip`)
    eq(z.status, 200, 'package')
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-speed-'))
    eq(spawnSync('unzip', ['-q', tmpFile('p.zip', z.body), '-d', d]).status, 0, 'unzip')
    const ev = JSON.parse(fs.readFileSync(path.join(d, 'evidence.json'), 'utf8'))
    const leaves = ev.events.map((x) => (typeof x.leaf === 'string' ? JSON.parse(x.leaf) : x.leaf || x))
    const shaOf = {} // version → the SHA-256 the evidence gives it
    for (const l of leaves) if ((l.kind === 'sent' || l.kind === 'signed') && l.detail) shaOf[l.detail.version] = l.detail.sha256
    const versions = []
    for (let v = 1; v <= 3; v++) {
      const pdf = fs.readFileSync(path.join(d, 'versions', `${v}.pdf`))
      eq(sha256(pdf), shaOf[v], `versions/${v}.pdf has the SHA-256 of its evidence event`)
      const got = await hr.get(`/api/v1/contracts/${k.id}/document.pdf?version=${v}`)
      eq(got.status, 200, 'document.pdf?version=' + v)
      assert(Buffer.compare(Buffer.from(got.body), pdf) === 0, `document.pdf?version=${v} is versions/${v}.pdf`)
      if (v > 1) {
        const prev = versions[v - 2]
        assert(pdf.length > prev.length && Buffer.compare(pdf.subarray(0, prev.length), prev) === 0, `version ${v - 1} is a byte prefix of ${v}`)
        eq(rows[v - 1][3], String(pdf.length), `size of version ${v}`)
      }
      versions.push(pdf)
    }
    eq(sha256(versions[2]), c.doc_sha256, 'the last revision is the contract\'s')
    assert(Buffer.compare(fs.readFileSync(path.join(d, 'contract.pdf')), versions[2]) === 0, 'contract.pdf is the last revision')
    // both signatures hold in the joined revision
    const report = ctx.pdfsig(versions[2])
    eq((report.match(/Signature Validation: Signature is Valid/g) || []).length, 2, 'pdfsig: two valid signatures\n' + report)
    signed = { k, versions }
  }])

  T.push(['a signed revision whose stored bytes were swapped is refused, not served', async () => {
    assert(signed, 'needs the signed contract of the test before')
    const id = signed.k.id
    const [[v2], [v3]] = [sql(`SELECT pdf_enc FROM contract_documents WHERE contract_id = ${id} AND version = 2`)[0], sql(`SELECT pdf_enc FROM contract_documents WHERE contract_id = ${id} AND version = 3`)[0]]
    const put = (v, enc) => sql(`UPDATE contract_documents SET pdf_enc = '${enc}' WHERE contract_id = ${id} AND version = ${v}`)
    put(2, v3)
    try {
      for (const v of [2, 3]) {
        const r = await ctx.hr.get(`/api/v1/contracts/${id}/document.pdf?version=${v}`)
        eq(r.status, 500, `version ${v} refused`)
        eq(r.json.error.code, 'document_tampered', 'document_tampered')
      }
      const one = await ctx.hr.get(`/api/v1/contracts/${id}/document.pdf?version=1`)
      eq(one.status, 200, 'version 1 still reads')
      assert(Buffer.compare(Buffer.from(one.body), signed.versions[0]) === 0, 'version 1 unchanged')
    } finally {
      put(2, v2)
    }
    const back = await ctx.hr.get(`/api/v1/contracts/${id}/document.pdf?version=3`)
    eq(back.status, 200, 'restored')
    assert(Buffer.compare(Buffer.from(back.body), signed.versions[2]) === 0, 'version 3 whole again')
  }])
}
