// Evidence that cannot be trimmed (issue 9 point 6; 附件3 第二、四、十七条;
// 电子签名法 第八条): `hexie verify` refuses a package with an event dropped
// (with or without its proof), every event removed, events reordered or
// duplicated, an event grafted from another contract's package, the contract
// id changed, or any file changed, added or removed — and names what failed,
// in Chinese, in its JSON report. The package is unzipped, changed and zipped
// again with the system's unzip/zip; an untouched re-zip still verifies.
// A second set re-signs the manifest with the platform's own log key (what
// only the platform could do) to show that the per-contract chain in the
// leaves catches a trimmed, reordered or borrowed event even then.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { assert, eq, hexie } from '../lib.mjs'

export default function (T, ctx) {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-ev-'))
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex')
  const readJ = (d, n) => JSON.parse(fs.readFileSync(path.join(d, n), 'utf8'))
  const writeJ = (d, n, j) => fs.writeFileSync(path.join(d, n), JSON.stringify(j, null, 2))
  const leaf = (e) => JSON.parse(e.leaf)

  function unzip(f) {
    const d = tmp()
    const r = spawnSync('unzip', ['-q', f, '-d', d], { encoding: 'utf8' })
    eq(r.status, 0, 'unzip ' + r.stderr)
    return d
  }
  // A copy of an unzipped package, changed by fn(dir), zipped again.
  function variant(src, fn) {
    const d = tmp()
    fs.cpSync(src, d, { recursive: true })
    fn(d)
    const out = path.join(tmp(), 'v.zip')
    const r = spawnSync('zip', ['-q', '-r', '-X', out, '.'], { cwd: d, encoding: 'utf8' })
    eq(r.status, 0, 'zip ' + r.stderr)
    return out
  }
  function verify(f) {
    const r = hexie(ctx.BIN, ['verify', f])
    let rep = null
    try { rep = JSON.parse(r.out) } catch { /* asserted below */ }
    return { ...r, rep }
  }
  // exit 1, a report with ok false, a Chinese reason, and one of the checks named failing
  function refused(what, f, checks, mention) {
    const r = verify(f)
    eq(r.code, 1, what + ': exit 1 ' + r.out.slice(0, 400) + r.err)
    assert(r.rep && r.rep.ok === false, what + ': a report with ok false')
    assert(typeof r.rep.reason === 'string' && /[\u4e00-\u9fff]/.test(r.rep.reason), what + ': a Chinese reason: ' + r.rep.reason)
    const failing = r.rep.checks.filter((c) => !c.ok).map((c) => c.check)
    assert(checks.some((c) => failing.includes(c)), `${what}: one of ${checks} fails (failing: ${failing}; ${r.rep.reason})`)
    if (mention) assert(r.rep.reason.includes(mention), `${what}: the reason names ${mention}: ${r.rep.reason}`)
    return r.rep
  }
  // Edits evidence.json's events and proofs.json's proofs together.
  function editEvents(d, fn, { proofs = true } = {}) {
    const ev = readJ(d, 'evidence.json')
    const pr = readJ(d, 'proofs.json')
    const out = fn(ev.events, pr.proofs)
    ev.events = out[0]
    if (proofs) pr.proofs = out[1]
    writeJ(d, 'evidence.json', ev)
    writeJ(d, 'proofs.json', pr)
  }
  // What only the platform can do: a manifest made to match the changed
  // package, signed with the log key (var/keys/log.key).
  function resign(d) {
    const m = readJ(d, 'manifest.json')
    const ev = readJ(d, 'evidence.json')
    m.contract_id = ev.contract_id
    m.events = { count: ev.events.length, last_hash: ev.events.length ? ev.events[ev.events.length - 1].hash : null, hashes: ev.events.map((e) => e.hash) }
    for (const name of Object.keys(m.files)) {
      const b = fs.readFileSync(path.join(d, name))
      m.files[name] = { sha256: sha(b), size: b.length }
    }
    const text = JSON.stringify(m, null, 2)
    fs.writeFileSync(path.join(d, 'manifest.json'), text)
    const key = fs.readFileSync(path.join(ctx.store.varDir, 'keys', 'log.key'))
    fs.writeFileSync(path.join(d, 'manifest.sig'), crypto.sign('sha256', Buffer.from(text), key).toString('base64') + '\n')
  }

  let A, B // two fully signed contracts' packages: {id, zip, dir}
  async function signedPackage() {
    const w = await ctx.newWorker()
    const k = await ctx.sent(w)
    const { s } = await ctx.workerSigns(k, w)
    eq(s.status, 200, 'worker signed ' + s.body.toString())
    const e = await ctx.enterpriseSigns(k.id)
    eq(e.status, 200, 'enterprise signed ' + e.body.toString())
    const z = await ctx.hr.get(`/api/v1/contracts/${k.id}/evidence.zip`)
    eq(z.status, 200, 'package ' + z.body.toString().slice(0, 200))
    const zip = ctx.tmpFile('pkg.zip', z.body)
    return { id: k.id, zip, dir: unzip(zip) }
  }

  T.push(['evidence: each leaf of a contract carries cseq 1…n and the previous event\'s hash; the package has a signed manifest of every file', async () => {
    A = await signedPackage()
    B = await signedPackage()
    const ev = readJ(A.dir, 'evidence.json').events
    assert(ev.length >= 8, 'the contract\'s events are in the package: ' + ev.length)
    ev.forEach((e, i) => {
      const l = leaf(e)
      eq(l.contract_id, A.id, 'the leaf names the contract')
      eq(l.cseq, i + 1, 'cseq of event ' + i)
      eq(l.cprev, i ? ev[i - 1].hash : '0'.repeat(64), 'cprev of event ' + i)
    })
    const m = readJ(A.dir, 'manifest.json')
    eq(m.contract_id, A.id, 'manifest contract id')
    eq(m.events.count, ev.length, 'manifest event count')
    eq(m.events.last_hash, ev[ev.length - 1].hash, 'manifest last hash')
    const pr = readJ(A.dir, 'proofs.json')
    eq(m.checkpoint.size, pr.tree_size, 'manifest checkpoint size')
    eq(m.checkpoint.root, pr.root, 'manifest checkpoint root')
    const files = fs.readdirSync(A.dir, { recursive: true }).filter((f) => fs.statSync(path.join(A.dir, f)).isFile() && !/^manifest\.(json|sig)$/.test(f)).sort()
    eq(Object.keys(m.files).sort(), files, 'the manifest lists every file')
    for (const f of files) eq(m.files[f].sha256, sha(fs.readFileSync(path.join(A.dir, f))), 'hash of ' + f)
    // the manifest's signature checks with openssl and the package's log key
    const der = path.join(tmp(), 'm.der')
    fs.writeFileSync(der, Buffer.from(fs.readFileSync(path.join(A.dir, 'manifest.sig'), 'utf8'), 'base64'))
    const o = spawnSync('openssl', ['dgst', '-sha256', '-verify', path.join(A.dir, 'log-key.pem'), '-signature', der, path.join(A.dir, 'manifest.json')], { encoding: 'utf8' })
    assert(o.status === 0 && /Verified OK/.test(o.stdout), 'openssl verifies the manifest: ' + o.stdout + o.stderr)
    // the package as downloaded and as zipped again verifies
    for (const f of [A.zip, B.zip, variant(A.dir, () => {})]) {
      const r = verify(f)
      eq(r.code, 0, 'verifies: ' + r.out.slice(0, 600) + r.err)
      eq(r.rep.ok, true, 'ok')
      assert(/^[0-9a-f]{64}$/.test(r.rep.log_key_sha256), 'the log key\'s fingerprint in the report')
    }
    assert(readJ(A.dir, 'manifest.json').files['README.txt'], 'README listed')
    assert(fs.readFileSync(path.join(A.dir, 'README.txt'), 'utf8').includes('manifest.sig'), 'the README explains the manifest')
  }])

  T.push(['evidence: hexie verify refuses a package with events dropped, removed, reordered, duplicated or grafted', async () => {
    assert(A && B, 'needs the packages')
    const mid = 3
    refused('an event dropped without its proof', variant(A.dir, (d) => editEvents(d, (e, p) => [e.filter((_, i) => i !== mid), p], { proofs: false })),
      ['event_chain', 'event_count', 'manifest_files', 'inclusion_proofs'])
    refused('an event dropped with its proof', variant(A.dir, (d) => editEvents(d, (e, p) => [e.filter((_, i) => i !== mid), p.filter((_, i) => i !== mid)])),
      ['event_chain', 'event_count', 'manifest_files'])
    refused('the last event dropped with its proof', variant(A.dir, (d) => editEvents(d, (e, p) => [e.slice(0, -1), p.slice(0, -1)])),
      ['event_count', 'manifest_files'])
    const none = refused('every event removed', variant(A.dir, (d) => editEvents(d, () => [[], []])), ['event_chain', 'event_count', 'manifest_files'])
    assert(none.checks.some((c) => c.check === 'event_chain' && !c.ok && /没有任何事件/.test(c.detail)), 'the chain says there are no events')
    const swap = (a) => { const b = a.slice(); [b[2], b[3]] = [b[3], b[2]]; return b }
    refused('two events swapped', variant(A.dir, (d) => editEvents(d, (e, p) => [swap(e), swap(p)])), ['event_chain', 'event_count', 'manifest_files'])
    const dup = (a) => { const b = a.slice(); b.splice(mid, 0, a[mid]); return b }
    refused('an event duplicated', variant(A.dir, (d) => editEvents(d, (e, p) => [dup(e), dup(p)])), ['event_chain', 'event_count', 'manifest_files'])
    const be = readJ(B.dir, 'evidence.json').events
    const bp = readJ(B.dir, 'proofs.json').proofs
    // B's proofs are against B's checkpoint; the graft takes B's event as it is
    refused('an event grafted from another contract\'s package', variant(A.dir, (d) => editEvents(d, (e, p) => [[...e, be[be.length - 1]], [...p, bp[bp.length - 1]]])),
      ['event_chain', 'event_count', 'manifest_files'])
    refused('the contract id changed', variant(A.dir, (d) => { const ev = readJ(d, 'evidence.json'); ev.contract_id = B.id; writeJ(d, 'evidence.json', ev) }),
      ['contract_id', 'manifest_files'])
  }])

  T.push(['evidence: hexie verify refuses a package with any file changed, added or removed, naming the file', async () => {
    assert(A, 'needs the package')
    const ts = fs.readdirSync(path.join(A.dir, 'timestamps')).sort()
    assert(ts.some((f) => f.endsWith('.tst')) && ts.some((f) => f.endsWith('.sha256')), 'timestamps in the package: ' + ts)
    const flip = (d, f) => { const p = path.join(d, f); const b = fs.readFileSync(p); b[Math.floor(b.length / 2)] ^= 1; fs.writeFileSync(p, b) }
    const rm = (d, f) => fs.rmSync(path.join(d, f))
    const cases = [
      ['issuing.crt changed', (d) => flip(d, 'issuing.crt'), 'issuing.crt'],
      ['issuing.crt removed', (d) => rm(d, 'issuing.crt'), 'issuing.crt'],
      ['ca.crt changed', (d) => flip(d, 'ca.crt'), 'ca.crt'],
      ['README.txt changed', (d) => fs.appendFileSync(path.join(d, 'README.txt'), '此证据包完整。\n'), 'README.txt'],
      ['README.txt removed', (d) => rm(d, 'README.txt'), 'README.txt'],
      ['a timestamp token changed', (d) => flip(d, 'timestamps/' + ts.find((f) => f.endsWith('.tst'))), 'timestamps/'],
      ['a timestamp token removed', (d) => rm(d, 'timestamps/' + ts.find((f) => f.endsWith('.tst'))), 'timestamps/'],
      ['a stamped digest changed', (d) => fs.writeFileSync(path.join(d, 'timestamps', ts.find((f) => f.endsWith('.sha256'))), '0'.repeat(64)), 'timestamps/'],
      ['a timestamp file added', (d) => fs.writeFileSync(path.join(d, 'timestamps', '9-worker.tst'), 'x'), 'timestamps/9-worker.tst'],
      ['a file added at the top', (d) => fs.writeFileSync(path.join(d, 'note.txt'), '补充说明'), 'note.txt'],
      ['versions/1.pdf changed', (d) => flip(d, 'versions/1.pdf'), 'versions/1.pdf'],
      ['the last version removed', (d) => rm(d, `versions/${fs.readdirSync(path.join(d, 'versions')).length}.pdf`), 'versions/'],
      ['checkpoint.txt removed', (d) => rm(d, 'checkpoint.txt'), 'checkpoint.txt'],
      ['log-key.pem removed', (d) => rm(d, 'log-key.pem'), 'log-key.pem'],
      ['the root in proofs.json changed', (d) => { const p = readJ(d, 'proofs.json'); p.root = '0'.repeat(64); writeJ(d, 'proofs.json', p) }, 'proofs.json'],
      ['the size in proofs.json changed', (d) => { const p = readJ(d, 'proofs.json'); p.tree_size += 1; writeJ(d, 'proofs.json', p) }, 'proofs.json'],
      ['proofs.json re-indented, same values', (d) => fs.writeFileSync(path.join(d, 'proofs.json'), JSON.stringify(readJ(d, 'proofs.json'))), 'proofs.json'],
      ['manifest.json removed', (d) => rm(d, 'manifest.json'), 'manifest'],
      ['manifest.sig removed', (d) => rm(d, 'manifest.sig'), 'manifest'],
      ['a file dropped from the manifest', (d) => { const m = readJ(d, 'manifest.json'); delete m.files['issuing.crt']; writeJ(d, 'manifest.json', m) }, '清单'],
    ]
    for (const [what, fn, mention] of cases)
      refused(what, variant(A.dir, fn), ['manifest_files', 'manifest_signature', 'files_present'], mention)
    // the size and root of proofs.json are checked against the checkpoint too
    const r = refused('proofs.json root changed, manifest re-signed', variant(A.dir, (d) => { const p = readJ(d, 'proofs.json'); p.root = '0'.repeat(64); writeJ(d, 'proofs.json', p); resign(d) }),
      ['checkpoint_consistent'], 'proofs.json')
    assert(!r.checks.some((c) => c.check === 'manifest_files' && !c.ok), 'the re-signed manifest itself holds')
  }])

  T.push(['evidence: with the manifest re-signed by the log key, the per-contract chain still catches dropped, reordered, duplicated and grafted events', async () => {
    assert(A && B, 'needs the packages')
    const ok = verify(variant(A.dir, resign))
    eq(ok.code, 0, 're-signed untouched package verifies: ' + ok.out.slice(0, 600))
    const mid = 3
    const swap = (a) => { const b = a.slice(); [b[2], b[3]] = [b[3], b[2]]; return b }
    const dup = (a) => { const b = a.slice(); b.splice(mid, 0, a[mid]); return b }
    const be = readJ(B.dir, 'evidence.json').events
    const bp = readJ(B.dir, 'proofs.json').proofs
    const cases = [
      ['a middle event dropped', (e, p) => [e.filter((_, i) => i !== mid), p.filter((_, i) => i !== mid)], '删减'],
      ['the first event dropped', (e, p) => [e.slice(1), p.slice(1)], '删减'],
      ['two events swapped', (e, p) => [swap(e), swap(p)], '调换'],
      ['an event duplicated', (e, p) => [dup(e), dup(p)], '重复'],
      ['an event grafted from another contract', (e, p) => [[...e, be[be.length - 1]], [...p, bp[bp.length - 1]]], '其他合同'],
    ]
    for (const [what, fn, word] of cases)
      refused(what + ' (manifest re-signed)', variant(A.dir, (d) => { editEvents(d, fn); resign(d) }), ['event_chain'], word)
    // another contract's id on the package: every leaf still names A
    refused('contract id changed (manifest re-signed)', variant(A.dir, (d) => { const ev = readJ(d, 'evidence.json'); ev.contract_id = B.id; writeJ(d, 'evidence.json', ev); resign(d) }),
      ['event_chain'], '其他合同')
  }])
  // Events logged before the per-contract chain (migration 004) have leaves
  // without cseq/cprev. Written here as the old code wrote them, into the
  // live log, for a contract that then goes on: its first chained event
  // counts them, so they are chained in too.
  const sqlRun = (q) => ctx.DB ? spawnSync('psql', [ctx.DB, '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' })
    : spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', path.join(ctx.store.varDir, 'hexie.db'), q], { encoding: 'utf8' })
  function legacyEvent(contractId, kind) {
    for (let tries = 0; tries < 20; tries++) {
      const h = sqlRun('SELECT n, last_hash FROM evidence_head WHERE id = 1')
      eq(h.status, 0, 'head ' + h.stderr)
      const m = /(\d+)\s*\|\s*([0-9a-f]{64})/.exec(h.stdout)
      assert(m, 'head row: ' + h.stdout)
      const idx = Number(m[1]), prev = m[2]
      const at = new Date().toISOString().slice(0, 19) + 'Z'
      // the old leaf: jansson's compact form with sorted keys
      const leafText = JSON.stringify({ actor: 'system', at, contract_id: contractId, detail: { note: 'before the chain' }, idx, kind, prev })
      const hash = sha(Buffer.concat([Buffer.from(prev, 'hex'), Buffer.from(leafText)]))
      const lh = sha(Buffer.concat([Buffer.from([0]), Buffer.from(leafText)]))
      const q = `BEGIN; INSERT INTO evidence (idx, contract_id, kind, actor, at, leaf, prev_hash, hash, leaf_hash) VALUES (${idx}, ${contractId}, '${kind}', 'system', '${at}', '${leafText}', '${prev}', '${hash}', '${lh}');` +
        ` UPDATE evidence_head SET n = ${idx + 1}, last_hash = '${hash}' WHERE id = 1 AND n = ${idx}; COMMIT;`
      if (sqlRun(q).status === 0) return hash
      // the server appended meanwhile: the index was taken, nothing written
    }
    throw new Error('could not append a legacy event')
  }

  T.push(['evidence: events from before the per-contract chain are chained in by the first new event; dropping one is caught', async () => {
    const w = await ctx.newWorker()
    const k = await ctx.draft(w)
    const h1 = legacyEvent(k.id, 'legacy_one')
    const h2 = legacyEvent(k.id, 'legacy_two')
    const s = await ctx.hr.post(`/api/v1/contracts/${k.id}/send`)
    eq(s.status, 200, 'send ' + s.body.toString())
    const ks = { ...s.json, token: s.json.link_path.slice(3) }
    eq((await ctx.workerSigns(ks, w)).s.status, 200, 'worker signs')
    eq((await ctx.enterpriseSigns(k.id)).status, 200, 'enterprise signs')
    const z = await ctx.hr.get(`/api/v1/contracts/${k.id}/evidence.zip`)
    eq(z.status, 200, 'package')
    const zip = ctx.tmpFile('legacy.zip', z.body)
    const dir = unzip(zip)
    const ev = readJ(dir, 'evidence.json').events
    eq(ev.slice(0, 2).map((e) => e.hash), [h1, h2], 'the old events come first')
    eq(ev.slice(0, 2).map((e) => leaf(e).cseq), [undefined, undefined], 'without cseq')
    eq(leaf(ev[2]).cseq, 3, 'the first chained event counts the old ones')
    eq(leaf(ev[2]).cprev, h2, 'and names the last old one')
    const r = verify(zip)
    eq(r.code, 0, 'verifies: ' + r.out.slice(0, 800) + r.err)
    for (const drop of [0, 1]) {
      const f = (e, p) => [e.filter((_, i) => i !== drop), p.filter((_, i) => i !== drop)]
      refused('old event ' + drop + ' dropped', variant(dir, (d) => editEvents(d, f)), ['event_count', 'manifest_files'])
      refused('old event ' + drop + ' dropped (manifest re-signed)', variant(dir, (d) => { editEvents(d, f); resign(d) }), ['event_chain'], '删减')
    }
    // an old event may not come after a chained one
    const late = (a) => [a[1], ...a.slice(2), a[0]]
    refused('old event moved to the end (manifest re-signed)', variant(dir, (d) => { editEvents(d, (e, p) => [late(e), late(p)]); resign(d) }), ['event_chain'])
  }])
}
