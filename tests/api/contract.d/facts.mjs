// Facts the platform states about contracts (issue 9, points 15–18):
// retention of ended contracts and `hexie retention list|purge`; contracts
// that stay visible when the roster row or the enterprise is deleted; the
// written-contract rate with paper contracts and without dispatched
// workers, in the rates, the checkup's C01 and the rubric metric; links and
// QR codes on the configured public address; the county administrator's
// preview of a draft with a masked ID number and no sign or seal button.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, assert, contractWorker, eq, freePort, hexie, idnum, makeStore, signedContract, startServer, uscc } from '../lib.mjs'

export default function (T, ctx) {
  const { BIN, DB } = ctx
  const sqlRun = (q) => DB ? spawnSync('psql', [DB, '-v', 'ON_ERROR_STOP=1', '-At', '-c', q], { encoding: 'utf8' })
    : spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(ctx.store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
  const sql = (q) => { const r = sqlRun(q); eq(r.status, 0, q + ': ' + r.stderr); return r.stdout.trim() }
  const cli = (args) => hexie(BIN, [...args, '--var', ctx.store.varDir, ...(DB ? ['--db', DB] : [])])
  const ymd = (d) => d.toISOString().slice(0, 10)
  const daysAgo = (years, days) => { const d = new Date(); d.setUTCFullYear(d.getUTCFullYear() - years); d.setUTCDate(d.getUTCDate() - days); return ymd(d) }
  const pdfText = (buf) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-facts-')), 'p.pdf')
    fs.writeFileSync(f, buf)
    return spawnSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, '')
  }
  // An enterprise of its own with its HR user, fit for contracts.
  const enterprise = async (label) => {
    const areas = (await ctx.admin.get('/api/v1/areas')).json.items
    const r = await ctx.admin.post('/api/v1/enterprises', { uscc: uscc(), name: `${label}${ctx.uniq()}`, area_id: areas.find((a) => a.kind !== 'county').id,
      legal_representative: '王五', address: '浙江省丽水市云和县浮云街道示例路8号', employee_count: 10 })
    eq(r.status, 201, 'enterprise ' + r.body.toString())
    const hr = await ctx.makeUser({ display_name: label + '人事', role: 'enterprise_hr', enterprise_id: r.json.id })
    return { e: r.json, hr: hr.c }
  }
  const myPortal = async (w) => {
    let r = await fetch(ctx.srv.base + '/api/v1/my/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: w.name, id_number: w.id_number }) })
    eq(r.status, 200, '/my login ' + await r.clone().text())
    const cookie = /hx_signer=([^;]*)/.exec(r.headers.get('set-cookie'))[0]
    r = await fetch(ctx.srv.base + '/api/v1/my/login/confirm', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ code: await ctx.lastCode(w.phone) }) })
    eq(r.status, 204, '/my confirm')
    // the worker's list, as often as asked, in the one session
    return async () => {
      const l = await fetch(ctx.srv.base + '/api/v1/my/contracts', { headers: { cookie } })
      eq(l.status, 200, '/my contracts')
      return (await l.json()).items
    }
  }

  // ---- 15. retention ----

  T.push(['retention: a contract ended under two years ago stays; an older one is listed, purged (documents, terms) and logged; its evidence leaves stay', async () => {
    const { e, hr } = await enterprise('保存期限企业')
    const w1 = await contractWorker(ctx.admin, e.id), w2 = await contractWorker(ctx.admin, e.id)
    const old = await signedContract(ctx.admin, hr, e.id, w1)
    const recent = await signedContract(ctx.admin, hr, e.id, w2)
    // a fixed-term contract whose term ran out more than two years ago: still 'signed'
    const w3 = await contractWorker(ctx.admin, e.id)
    const lapsed = await signedContract(ctx.admin, hr, e.id, w3)
    sql(`UPDATE contracts SET term_end = '${daysAgo(3, 0)}' WHERE id = ${lapsed.id}`)
    const oldEnd = daysAgo(2, 5), recentEnd = daysAgo(1, 0)
    sql(`UPDATE contracts SET status = 'ended', ended_at = '${oldEnd}T08:00:00Z' WHERE id = ${old.id}`)
    sql(`UPDATE contracts SET status = 'ended', ended_at = '${recentEnd}T08:00:00Z' WHERE id = ${recent.id}`)
    const leaves = sql(`SELECT count(*) FROM evidence WHERE contract_id = ${old.id}`)
    assert(Number(leaves) > 5, 'evidence leaves ' + leaves)

    let r = cli(['retention', 'list', '--json'])
    eq(r.code, 0, 'list: ' + r.err)
    let list = JSON.parse(r.out)
    eq(list.before, daysAgo(2, 0), 'the default rule: two years before today')
    const mine = list.items.find((x) => x.contract_id === old.id)
    assert(mine, 'the old contract is listed ' + r.out)
    eq(mine.ended_on, oldEnd, 'ended on'); eq(mine.retain_until, String(Number(oldEnd.slice(0, 4)) + 2) + oldEnd.slice(4), 'kept until')
    assert(!list.items.some((x) => x.contract_id === recent.id), 'ended a year ago: not listed')
    r = cli(['retention', 'list'])
    eq(r.code, 0, 'table'); assert(r.out.includes(String(old.id)) && r.out.includes(w1.name), 'the table names it: ' + r.out)
    // the period cannot be shortened; a bad date is refused
    r = cli(['retention', 'purge', '--before', ymd(new Date())])
    assert(r.code !== 0 && r.err.includes('第五十条'), 'a cut-off under two years is refused: ' + r.err)
    r = cli(['retention', 'list', '--before', '2020-02-30'])
    assert(r.code !== 0 && /YYYY-MM-DD/.test(r.err), 'bad date: ' + r.err)
    eq((await hr.get(`/api/v1/contracts/${old.id}/document.pdf`)).status, 200, 'nothing purged by a refused run')

    r = cli(['retention', 'purge', '--json'])
    eq(r.code, 0, 'purge: ' + r.err)
    assert(JSON.parse(r.out).items.some((x) => x.contract_id === old.id), 'purged')
    assert(JSON.parse(r.out).items.some((x) => x.contract_id === lapsed.id), 'the lapsed one purged too')
    // nothing is left to change, renew or end
    for (const act of ['renew', 'amend', 'terminate']) {
      const body = act === 'renew' ? { terms: { term: { type: 'open' } } } : act === 'amend' ? { changes: { job: { title: '质检员' } }, effective_date: '2027-01-01' }
        : { event: 'terminate', date: '2026-12-31', reason: '期满', legal_basis: '《劳动合同法》第四十四条' }
      const a = await hr.post(`/api/v1/contracts/${lapsed.id}/${act}`, body)
      eq(a.status, 409, act + ' of a purged contract ' + a.body.toString()); eq(a.json.error.code, 'purged', act + ' code')
    }
    const k = (await hr.get(`/api/v1/contracts/${old.id}`)).json
    assert(k.purged_at, 'marked purged'); eq(k.status, 'ended', 'the record stays')
    eq((await hr.get(`/api/v1/contracts/${old.id}/document.pdf`)).status, 404, 'the documents are gone')
    // the evidence (events, proofs, checkpoint) can still be packaged; the documents are not in it
    const z = await hr.get(`/api/v1/contracts/${old.id}/evidence.zip`)
    eq(z.status, 200, 'the evidence package')
    const zf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-facts-')), 'p.zip')
    fs.writeFileSync(zf, z.body)
    const names = spawnSync('unzip', ['-Z1', zf], { encoding: 'utf8' }).stdout
    assert(!/\.pdf$/m.test(names), 'no document in the package: ' + names)
    eq(sql(`SELECT count(*) FROM contract_documents WHERE contract_id = ${old.id}`), '0', 'no revision left')
    assert(!JSON.stringify(k.terms).includes(w1.id_number), 'the terms are gone')
    // every leaf stays; the package download above is one more (point 7: a
    // download of the package is evidenced)
    // and the purge itself is one more, in the contract's own chain
    eq(sql(`SELECT count(*) FROM evidence WHERE contract_id = ${old.id}`), String(Number(leaves) + 2), 'the evidence leaves stay (their hashes are in checkpoints)')
    eq(sql(`SELECT count(*) FROM evidence WHERE contract_id = ${old.id} AND kind = 'purged'`), '1', 'the purge is in the evidence')
    assert(Number(sql(`SELECT count(*) FROM evidence WHERE contract_id = ${old.id} AND kind = 'downloaded'`)) >= 1, 'the download recorded')
    eq((await hr.get(`/api/v1/contracts/${recent.id}/document.pdf`)).status, 200, 'the recent one keeps its document')
    const log = await ctx.admin.get(`/api/v1/audit?object_type=contract&object_id=${old.id}&action=contract.purge`)
    eq(log.status, 200, 'audit'); eq(log.json.total, 1, 'the purge is in the operation log')
    r = cli(['retention', 'list', '--json'])
    assert(!JSON.parse(r.out).items.some((x) => x.contract_id === old.id), 'not listed again')
  }])

  T.push(['deleting the worker or the enterprise keeps its contracts visible to HR, officers and the worker (/my)', async () => {
    const { e, hr } = await enterprise('删除测试企业')
    const w = await contractWorker(ctx.admin, e.id)
    const k = await signedContract(ctx.admin, hr, e.id, w)
    const officer = (await ctx.makeUser({ display_name: '县级业务', role: 'county_officer' })).c
    eq((await ctx.admin.del(`/api/v1/workers/${w.id}`)).status, 204, 'worker deleted')
    eq((await hr.get(`/api/v1/contracts/${k.id}`)).status, 200, 'HR still sees it')
    eq((await officer.get(`/api/v1/contracts/${k.id}`)).status, 200, 'the officer too')
    assert((await hr.get(`/api/v1/contracts?worker_id=${w.id}`)).json.items.some((x) => x.id === k.id), 'in HR\'s list')
    const my = await myPortal(w)
    assert((await my()).some((x) => x.id === k.id), 'the worker still reaches it in /my')
    eq((await ctx.admin.del(`/api/v1/enterprises/${e.id}`)).status, 204, 'enterprise deleted')
    const d = await officer.get(`/api/v1/contracts/${k.id}`)
    eq(d.status, 200, 'the officer sees a deleted enterprise\'s contract'); eq(d.json.enterprise_name, e.name, 'with its name')
    assert((await officer.get(`/api/v1/contracts?enterprise_id=${e.id}`)).json.items.some((x) => x.id === k.id), 'in the officer\'s list')
    assert((await my()).some((x) => x.id === k.id), 'and the worker in /my')
    eq((await hr.del(`/api/v1/contracts/${k.id}`)).status >= 400, true, 'a signed contract cannot be deleted')
  }])

  // ---- 16. the written-contract rate ----

  T.push(['rate: 10 workers, 2 e-signed, 5 paper, 1 dispatched, 2 unsigned → 7/9 with its parts; C01 and the rubric follow', async () => {
    const { e, hr } = await enterprise('签订率企业')
    const add = async (extra) => {
      const r = await ctx.admin.post('/api/v1/workers', { enterprise_id: e.id, name: '职工' + ctx.uniq().slice(-4), id_number: idnum('19900101'), hire_date: '2025-03-01', employment_type: 'full_time', ...extra })
      eq(r.status, 201, 'worker ' + r.body.toString())
      return r.json
    }
    for (let i = 0; i < 2; i++) await signedContract(ctx.admin, hr, e.id, await contractWorker(ctx.admin, e.id))
    const paper = []
    for (let i = 0; i < 5; i++) paper.push(await add({ paper_contract_start: '2025-03-01', paper_contract_end: i === 4 ? null : '2028-02-29' }))
    eq(paper[0].paper_contract_start, '2025-03-01', 'the roster keeps the start'); eq(paper[0].paper_contract_end, '2028-02-29', 'and the end')
    await add({ employment_type: 'dispatched' })
    await add({ paper_contract_start: '2018-01-01', paper_contract_end: '2020-12-31' }) // ended: unsigned
    await add({})
    // bad input on the paper-contract fields
    let r = await ctx.admin.post('/api/v1/workers', { enterprise_id: e.id, name: '错', id_number: idnum(), hire_date: '2025-01-01', paper_contract_end: '2026-01-01' })
    eq(r.status, 422, 'end without start'); eq(r.json.error.field, 'paper_contract_start', 'field')
    r = await ctx.admin.patch(`/api/v1/workers/${paper[0].id}`, { paper_contract_end: '2024-01-01' })
    eq(r.status, 422, 'end before start'); eq(r.json.error.field, 'paper_contract_end', 'field')
    r = await ctx.admin.patch(`/api/v1/workers/${paper[0].id}`, { paper_contract_start: '2025-02-30' })
    eq(r.status, 422, 'no such day'); eq(r.json.error.field, 'paper_contract_start', 'field')

    const rates = await ctx.admin.get('/api/v1/contracts/rates')
    eq(rates.status, 200, 'rates')
    const it = rates.json.items.find((x) => x.enterprise_id === e.id)
    eq([it.active_workers, it.dispatched, it.due, it.electronic, it.paper, it.unsigned, it.signed], [10, 1, 9, 2, 5, 2, 7], 'the parts')
    assert(Math.abs(it.rate - 7 / 9) < 1e-9, 'rate 7/9: ' + it.rate)
    for (const k of ['electronic', 'paper', 'unsigned', 'dispatched']) assert(k in rates.json.total, 'total has ' + k)

    // the checkup's written-contract item (C01)
    const items = (await ctx.admin.get('/api/v1/checkup/checklist')).json.items
    const c01 = items.find((i) => i.auto === 'written_contract_rate')
    const tf = (await ctx.admin.get('/api/v1/organizations')).json.items.find((o) => o.kind === 'task_force')
    r = await ctx.admin.post('/api/v1/checkup/checks', { enterprise_id: e.id, org_id: tf.id, year: 2026 })
    eq(r.status, 201, 'check ' + r.body.toString())
    const ans = (await ctx.admin.get('/api/v1/checkup/checks/' + r.json.id)).json.answers[c01.id]
    eq(ans.result, 'risk', 'two without a written contract'); eq(ans.auto, true, 'from the platform')
    eq(ans.note, '应签订书面劳动合同9人（劳务派遣1人由派遣单位签订，不计入）：电子2人、纸质5人、未签2人，签订率77.8%', 'C01 names the parts')

    // the rubric metric contract_signing_rate
    const camp = await ctx.admin.post('/api/v1/campaigns', { name: '签订率测评' + ctx.uniq(), year: 2026, subject: 'enterprise', rubric_id: 'lishui-2021-enterprise', pass_line: 80, grades: [{ name: 'AAA', min: 90 }] })
    eq(camp.status, 201, 'campaign ' + camp.body.toString())
    const app = await ctx.admin.post(`/api/v1/campaigns/${camp.json.id}/applications`, { enterprise_id: e.id })
    eq(app.status, 201, 'application ' + app.body.toString())
    const m = app.json.metrics.find((x) => x.name === 'contract_signing_rate')
    eq(m.source, 'contract', 'from the contract module'); assert(Math.abs(m.value - 7 / 9) < 1e-9, 'value 7/9: ' + m.value)
    assert(m.note.includes('电子2人、纸质5人、未签2人'), 'the note names the parts: ' + m.note)

    // with paper contracts for the last two, every due worker has one: 100%, C01 passes
    const unsigned = (await ctx.admin.get(`/api/v1/workers?enterprise_id=${e.id}&page_size=100`)).json.items
      .filter((w) => w.employment_type !== 'dispatched' && (!w.paper_contract_start || w.paper_contract_end === '2020-12-31'))
      .filter((w) => !w.name.startsWith('签约职工'))
    eq(unsigned.length, 2, 'two unsigned')
    for (const w of unsigned) eq((await ctx.admin.patch(`/api/v1/workers/${w.id}`, { paper_contract_start: '2025-03-01', paper_contract_end: null })).status, 200, 'paper recorded')
    const all = (await ctx.admin.get('/api/v1/contracts/rates')).json.items.find((x) => x.enterprise_id === e.id)
    eq([all.electronic, all.paper, all.unsigned, all.rate], [2, 7, 0, 1], 'all due workers have a written contract')
    const ans2 = (await ctx.admin.get('/api/v1/checkup/checks/' + r.json.id)).json.answers[c01.id]
    eq(ans2.result, 'pass', 'C01 passes')
    const d = (await ctx.admin.get('/api/v1/applications/' + app.json.id)).json
    eq(d.metrics.find((x) => x.name === 'contract_signing_rate').value, 1, 'the rubric metric 100%')
    eq(d.score.items.find((i) => i.id === '1').score > 0, true, 'rubric item (一) scores')
  }])

  T.push(['the roster import template carries the paper-contract dates, and an import sets them', async () => {
    const t = await ctx.admin.get('/api/v1/workers/template.xlsx')
    eq(t.status, 200, 'template')
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-facts-')), 't.xlsx')
    fs.writeFileSync(f, t.body)
    const x = spawnSync('unzip', ['-p', f, 'xl/*.xml'], { encoding: 'utf8' }).stdout
    assert(x.includes('纸质合同起始日期') && x.includes('纸质合同终止日期'), 'template columns')
    // a CSV with the columns imports the dates onto the roster
    const { e } = await enterprise('导入纸质合同企业')
    const idn = idnum('19880808')
    const csv = `姓名,身份证号码,入职日期,用工形式,纸质合同起始日期,纸质合同终止日期\n纸质导入,${idn},2024-03-01,全日制,2024/3/1,2027-02-28\n`
    const r = await ctx.admin.req('POST', `/api/v1/imports?kind=workers&filename=t.csv&enterprise_id=${e.id}`, undefined, { raw: Buffer.from(csv) })
    eq(r.status, 202, 'upload ' + r.body.toString())
    let j
    for (let i = 0; i < 100; i++) {
      j = (await ctx.admin.get('/api/v1/imports/' + r.json.id)).json
      if (j.status === 'done' || j.status === 'failed') break
      await new Promise((res) => setTimeout(res, 100))
    }
    eq(j.status, 'done', 'imported ' + JSON.stringify(j.errors))
    const w = (await ctx.admin.get(`/api/v1/workers?enterprise_id=${e.id}`)).json.items[0]
    eq([w.paper_contract_start, w.paper_contract_end], ['2024-03-01', '2027-02-28'], 'the dates on the roster')
    const rate = (await ctx.admin.get('/api/v1/contracts/rates')).json.items.find((x) => x.enterprise_id === e.id)
    eq([rate.paper, rate.unsigned, rate.rate], [1, 0, 1], 'and in the rate')
  }])

  // ---- 17. the public address ----

  T.push(['links and QR codes use HEXIE_PUBLIC_URL; the default server reports link_is_local', async () => {
    // the suite's server listens on 127.0.0.1 without a public address
    const w0 = await ctx.newWorker()
    const k0 = await ctx.sent(w0)
    const d0 = await ctx.contract(k0.id)
    eq(d0.link_is_local, true, 'link_is_local on the default server'); assert(d0.link.startsWith('http://127.0.0.1:'), d0.link)

    const PUBLIC = 'https://hexie.example.gov.cn'
    const store = makeStore(BIN, null, { demo: false })
    const srv = await startServer(BIN, store, [], { HEXIE_PUBLIC_URL: PUBLIC + '/' })
    try {
      const admin = new Client(srv.base)
      eq((await admin.login('admin', ADMIN_PASSWORD)).status, 200, 'admin')
      const areas = (await admin.get('/api/v1/areas')).json.items
      const e = (await admin.post('/api/v1/enterprises', { uscc: uscc(), name: '公网地址企业', area_id: areas.find((a) => a.kind !== 'county').id, legal_representative: '赵六', address: '浙江省丽水市云和县浮云街道示例路9号' })).json
      const username = 'pub' + ctx.uniq(), password = 'Init-' + ctx.uniq() + '-pw'
      eq((await admin.post('/api/v1/users', { username, password, display_name: '人事', role: 'enterprise_hr', enterprise_id: e.id })).status, 201, 'hr')
      const hr = new Client(srv.base)
      let l = await hr.login(username, password)
      if (l.json.user.must_change_password) {
        const p = await hr.post('/api/v1/session/password', { old_password: password, new_password: 'Next-' + ctx.uniq() + '-pw' })
        hr.csrf = (p.json && p.json.csrf_token) || hr.csrf
      }
      const w = await contractWorker(admin, e.id)
      let r = await hr.post('/api/v1/contracts', { worker_id: w.id, kind: 'full_time', terms: ctx.TERMS })
      eq(r.status, 201, 'draft ' + r.body.toString())
      r = await hr.post(`/api/v1/contracts/${r.json.id}/send`)
      eq(r.status, 200, 'send ' + r.body.toString())
      const id = r.json.id, token = r.json.link_path.slice(3)
      const link = `${PUBLIC}/s/${token}`
      const ob = await admin.get('/api/v1/outbox?limit=20')
      assert(ob.json.items.some((m) => m.recipient === w.phone && m.text.includes(link)), 'the message carries the public link')
      assert(!ob.json.items.some((m) => m.text.includes('127.0.0.1')), 'no message points at this machine')
      const d = (await hr.get(`/api/v1/contracts/${id}`)).json
      eq(d.link, link, 'the detail\'s link'); eq(d.link_is_local, false, 'not local')
      // the QR code encodes exactly the public link: the same encoder given that text draws the same SVG
      const qr = (await hr.get(`/api/v1/contracts/${id}/qr.svg`)).body.toString()
      const expect = (await hr.get('/api/v1/qr.svg?text=' + encodeURIComponent(link))).body.toString()
      const local = (await hr.get('/api/v1/qr.svg?text=' + encodeURIComponent(`http://127.0.0.1:${srv.port}/s/${token}`))).body.toString()
      assert(qr.startsWith('<svg') && qr === expect, 'the QR code encodes the public link')
      assert(qr !== local, 'and not the local one')
    } finally {
      await srv.stop()
    }
    // a public address that is not http(s) is refused at start
    const port = await freePort()
    const bad = hexie(BIN, ['serve', '--var', store.varDir, '--listen', `127.0.0.1:${port}`, '--public-url', 'ftp://hexie.example.gov.cn'])
    eq(bad.code, 2, 'refused'); assert(bad.err.includes('HEXIE_PUBLIC_URL'), bad.err)
  }])

  // ---- 18. the administrator's preview; sign and seal only for the enterprise's HR ----

  T.push(['a county admin (masked ID numbers) previews a draft; the detail says it cannot sign or seal', async () => {
    const w = await ctx.newWorker()
    const k = await ctx.draft(w)
    const masked = w.id_number.slice(0, 6) + '********' + w.id_number.slice(14)
    const a = await ctx.admin.get(`/api/v1/contracts/${k.id}`)
    eq(a.json.terms.worker.id_number, masked, 'the admin sees a masked number')
    // what the page did before: render the masked terms → 422
    const old = await ctx.admin.post('/api/v1/contracts/render?template=full_time', { ...a.json.terms, extra_clauses: [] })
    eq(old.status, 422, 'rendering the masked terms is refused by the legal check')
    const p = await ctx.admin.get(`/api/v1/contracts/${k.id}/preview.pdf`)
    eq(p.status, 200, 'preview ' + p.body.toString().slice(0, 200))
    eq(p.headers.get('content-type'), 'application/pdf', 'a PDF')
    const text = pdfText(p.body)
    assert(text.includes(masked) && !text.includes(w.id_number), 'the masked number, not the full one')
    assert(text.includes(w.name), 'the worker named')
    const h = await ctx.hr.get(`/api/v1/contracts/${k.id}/preview.pdf`)
    eq(h.status, 200, 'HR previews'); assert(pdfText(h.body).includes(w.id_number), 'HR (pii.read) sees the full number')
    eq([a.json.can_sign, a.json.can_seal], [false, false], 'the admin cannot sign or seal')
    const mineD = await ctx.contract(k.id)
    eq([mineD.can_sign, mineD.can_seal], [true, true], 'the enterprise\'s own HR can')
    const sentK = await ctx.sent(await ctx.newWorker())
    eq((await ctx.admin.get(`/api/v1/contracts/${sentK.id}/preview.pdf`)).status, 409, 'a sent contract has its frozen PDF instead')
    eq((await ctx.admin.get(`/api/v1/contracts/${sentK.id}`)).json.can_seal, false, 'no seal for the admin on a sent contract')
  }])
}
