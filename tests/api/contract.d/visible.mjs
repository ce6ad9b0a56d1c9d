// Issue 9 points 13 and 14: the contract number (合同编号) on every page,
// the signature block never alone on the last page, and signatures a
// reader can see — the round red seal at 甲方（盖章）, the worker's
// handwritten name at 乙方（签字）, each with its date — drawn as the
// signature widgets' appearances, still verified by pdfsig and hexie verify.
// The PNGs (the handwriting sent, the pages rendered by pdftoppm) are
// written and read here with node's zlib: no packages.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import crypto from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { assert, eq, hexie } from '../lib.mjs'

// ---- a tiny PNG writer and reader ----

const CRC = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC[(c ^ b) & 255] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

// An RGBA PNG of w × h; ink(x, y) says where the pen went.
export function makePng(w, h, ink = () => false) {
  const raw = Buffer.alloc((w * 4 + 1) * h)
  for (let y = 0; y < h; y++) {
    raw[y * (w * 4 + 1)] = 0
    for (let x = 0; x < w; x++) {
      const o = y * (w * 4 + 1) + 1 + x * 4
      if (ink(x, y)) { raw[o] = 20; raw[o + 1] = 20; raw[o + 2] = 30; raw[o + 3] = 255 }
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4)
  ihdr[8] = 8; ihdr[9] = 6 // 8-bit RGBA
  return Buffer.concat([PNG_SIG, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

// A name written by hand: a few thick strokes across the canvas.
export function handwriting(w = 600, h = 200) {
  const strokes = [[0.1, 0.3, 0.3, 0.8], [0.3, 0.2, 0.45, 0.75], [0.5, 0.7, 0.7, 0.25], [0.72, 0.3, 0.9, 0.7]]
  return makePng(w, h, (x, y) => strokes.some(([x0, y0, x1, y1]) => {
    const ax = x0 * w, ay = y0 * h, bx = x1 * w, by = y1 * h
    const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
    return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay))) < 6
  }))
}

// Decodes an 8-bit RGB or RGBA PNG (as pdftoppm writes): {w, h, px(x, y) → [r, g, b]}.
export function readPng(buf) {
  assert(buf.subarray(0, 8).equals(PNG_SIG), 'a PNG')
  let pos = 8, w = 0, h = 0, ch = 0
  const idat = []
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('latin1', pos + 4, pos + 8), data = buf.subarray(pos + 8, pos + 8 + len)
    if (type === 'IHDR') {
      w = data.readUInt32BE(0); h = data.readUInt32BE(4)
      assert(data[8] === 8 && (data[9] === 2 || data[9] === 6), 'an 8-bit RGB(A) PNG')
      ch = data[9] === 2 ? 3 : 4
    } else if (type === 'IDAT') idat.push(data)
    pos += 12 + len
  }
  const raw = zlib.inflateSync(Buffer.concat(idat)), stride = w * ch, out = Buffer.alloc(stride * h)
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? out[y * stride + i - ch] : 0, b = y ? out[(y - 1) * stride + i] : 0
      const c = i >= ch && y ? out[(y - 1) * stride + i - ch] : 0
      let v = line[i]
      if (f === 1) v += a
      else if (f === 2) v += b
      else if (f === 3) v += (a + b) >> 1
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c }
      out[y * stride + i] = v & 255
    }
  }
  return { w, h, px: (x, y) => { const o = y * stride + x * ch; return [out[o], out[o + 1], out[o + 2]] } }
}

// Pixels of a page (rendered at 72 dpi: 1 px = 1 pt) inside a PDF rect.
function countIn(img, rect, pred) {
  const [x0, y0, x1, y1] = rect
  let n = 0
  for (let y = Math.ceil(img.h - y1); y < Math.floor(img.h - y0); y++)
    for (let x = Math.ceil(x0); x < Math.floor(x1); x++) if (pred(...img.px(x, y))) n++
  return n
}
const isRed = (r, g, b) => r > 180 && g < 90 && b < 100
const isDark = (r, g, b) => r < 90 && g < 90 && b < 90

function tmpDir() { return fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-visible-')) }
function pageText(pdfFile, page) {
  const r = spawnSync('pdftotext', ['-enc', 'UTF-8', '-f', String(page), '-l', String(page), pdfFile, '-'], { encoding: 'utf8' })
  eq(r.status, 0, 'pdftotext ' + r.stderr)
  return r.stdout.replace(/\s+/g, '')
}
function pageCount(pdfFile) {
  const r = spawnSync('pdfinfo', [pdfFile], { encoding: 'utf8' })
  return Number(/Pages:\s+(\d+)/.exec(r.stdout)[1])
}
function renderPage(pdfFile, page) {
  const d = tmpDir()
  const r = spawnSync('pdftoppm', ['-r', '72', '-png', '-f', String(page + 1), '-l', String(page + 1), pdfFile, path.join(d, 'p')], { encoding: 'utf8' })
  eq(r.status, 0, 'pdftoppm ' + r.stderr)
  const f = fs.readdirSync(d).find((n) => n.endsWith('.png'))
  return readPng(fs.readFileSync(path.join(d, f)))
}

export default function (T, ctx) {
  // the worker's side up to prepare, with a handwriting field of our choosing
  async function workerPrepare(k, w, hand) {
    const phone = new ctx.Phone(k.token)
    await phone.identify(w)
    await phone.readAndIntent(w)
    const key = await ctx.newKey()
    let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
    eq(r.status, 201, 'certificate ' + r.body.toString())
    const body = { cert_serial: r.json.serial }
    if (hand !== undefined) body.handwriting = hand
    r = await phone.req('POST', '/prepare', body)
    return { r, phone, key }
  }

  T.push(['a sent contract has a number (county code, year, sequence), unique, in the detail and the list', async () => {
    const w1 = await ctx.newWorker(), w2 = await ctx.newWorker()
    const d = await ctx.draft(w1)
    eq(d.number, null, 'a draft has no number yet')
    let r = await ctx.hr.post(`/api/v1/contracts/${d.id}/send`)
    eq(r.status, 200, 'send ' + r.body.toString())
    const k1 = r.json, k2 = await ctx.sent(w2)
    const year = new Date(Date.now() + 8 * 3600e3).getUTCFullYear()
    const re = new RegExp(`^331125-${year}-\\d{6}$`)
    assert(re.test(k1.number), 'number format: ' + k1.number)
    assert(re.test(k2.number), 'number format: ' + k2.number)
    assert(k1.number !== k2.number, 'unique')
    eq(Number(k2.number.slice(-6)), Number(k1.number.slice(-6)) + 1, 'sequence')
    eq((await ctx.contract(k1.id)).number, k1.number, 'in the detail')
    r = await ctx.hr.get('/api/v1/contracts?per_page=100')
    eq(r.status, 200, 'list')
    eq(r.json.items.find((x) => x.id === k1.id).number, k1.number, 'in the list')
    const sentEv = (await ctx.contract(k1.id)).evidence.find((e) => e.kind === 'sent')
    assert(JSON.stringify(sentEv).includes(k1.number), 'the sent event records the number')
    // the number stays when the contract is withdrawn
    r = await ctx.hr.post(`/api/v1/contracts/${k1.id}/withdraw`, { reason: '信息有误' })
    eq(r.status, 200, 'withdraw ' + r.body.toString())
    eq(r.json.number, k1.number, 'kept')
  }])

  T.push(['contracts sent at the same time get distinct consecutive numbers', async () => {
    const drafts = []
    for (let i = 0; i < 8; i++) drafts.push(await ctx.draft(await ctx.newWorker()))
    const rs = await Promise.all(drafts.map((d) => ctx.hr.post(`/api/v1/contracts/${d.id}/send`)))
    for (const r of rs) eq(r.status, 200, 'send ' + r.body.toString())
    const seqs = rs.map((r) => Number(r.json.number.slice(-6))).sort((a, b) => a - b)
    eq(new Set(seqs).size, 8, 'unique: ' + seqs)
    eq(seqs[7] - seqs[0], 7, 'consecutive: ' + seqs)
  }])

  T.push(['the number and 第N页 共M页 are printed on every page of the frozen PDF', async () => {
    const w = await ctx.newWorker()
    const long = ['甲方为乙方提供职业技能培训，培训费用由甲方承担。'.repeat(40), '乙方应遵守甲方依法制定的规章制度。'.repeat(40)]
    const k = await ctx.sent(w, { extra_clauses: long })
    const r = await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf`)
    eq(r.status, 200, 'pdf')
    const f = ctx.tmpFile('n.pdf', r.body)
    const n = pageCount(f)
    assert(n >= 3, 'several pages: ' + n)
    for (let p = 1; p <= n; p++) {
      const t = pageText(f, p)
      assert(t.includes(`合同编号：${k.number}`), `page ${p} shows the number`)
      assert(t.includes(`第${p}页共${n}页`), `page ${p} shows 第${p}页 共${n}页`)
    }
  }])

  T.push(['the signature block never stands alone on the last page, whatever the length of the clauses', async () => {
    const w = await ctx.newWorker()
    const d = await ctx.draft(w)
    const terms = (await ctx.contract(d.id)).terms
    const dir = tmpDir()
    const seen = new Set()
    let moved = 0
    // one more line of 其他约定 at a time walks the end of the text down
    // the page and over its bottom
    for (let lines = 0; lines <= 52; lines++) {
      // a clause holds at most 4000 bytes: 20 lines each
      const clauses = ['双方约定的其他事项按照甲方依法制定并公示的规章制度执行']
      for (let left = lines; left > 0; left -= 20) clauses.push('合'.repeat(Math.min(left, 20) * 45 - 4))
      const r = await ctx.hr.post('/api/v1/contracts/render?template=full_time', { ...terms, extra_clauses: clauses })
      eq(r.status, 200, 'render ' + r.body.toString().slice(0, 200))
      const f = path.join(dir, `k${lines}.pdf`)
      fs.writeFileSync(f, r.body)
      const n = pageCount(f)
      const last = pageText(f, n)
      assert(last.includes('甲方（盖章）') && last.includes('乙方（签字）'), `${lines}: the block on the last page`)
      // the last clause ends on the signature block's page
      assert(last.includes('甲方应当将本合同文本交付乙方一份。'), `${lines}: the last paragraph is with the block (page ${n})`)
      // the block is whole there: no part of it on the page before
      if (n > 1) {
        const prev = pageText(f, n - 1)
        assert(!prev.includes('甲方（盖章）') && !prev.includes('乙方（签字）'), `${lines}: no part of the block on page ${n - 1}`)
        // the rule was needed: the last page starts inside the 附则, not with the block
        if (last.indexOf('交付乙方一份') < 120) moved++
      }
      seen.add(n)
    }
    assert(seen.size >= 2, 'the sweep crossed a page end: ' + [...seen])
    assert(moved > 0, 'some case moved the last lines over with the block')
  }])

  T.push(['handwriting must be a PNG of sane size with strokes on it', async () => {
    const cases = [
      ['不是base64!!', 'bad_handwriting'],
      [Buffer.from('GIF89a not a png at all, really not').toString('base64'), 'bad_handwriting'],
      [makePng(20, 10, () => true).toString('base64'), 'bad_handwriting'], // too small
      [makePng(300, 100).toString('base64'), 'handwriting_empty'], // an empty canvas
      [Buffer.concat([handwriting().subarray(0, 60)]).toString('base64'), 'bad_handwriting'], // truncated
      ['', 'bad_handwriting'],
    ]
    // a PNG claiming 30000 × 30000 pixels in a small file
    const huge = handwriting()
    huge.writeUInt32BE(30000, 16); huge.writeUInt32BE(30000, 20)
    cases.push([huge.toString('base64'), 'bad_handwriting'])
    cases.push([Buffer.alloc(300 << 10, 7).toString('base64'), null]) // over the size cap
    const w = await ctx.newWorker()
    const k = await ctx.sent(w)
    const phone = new ctx.Phone(k.token)
    await phone.identify(w)
    await phone.readAndIntent(w)
    const key = await ctx.newKey()
    let r = await phone.req('POST', '/certificate', { spki: key.spki, proof: key.proof })
    eq(r.status, 201, 'certificate')
    const serial = r.json.serial
    for (const [hand, code] of cases) {
      r = await phone.req('POST', '/prepare', { cert_serial: serial, handwriting: hand })
      assert(r.status === 400 || r.status === 422 || r.status === 413, `refused (${code}, ${hand.slice(0, 16)}): ${r.status} ${r.body.toString().slice(0, 200)}`)
      if (code) eq(r.json.error.code, code, 'error code for ' + code)
      assert(/[\u4e00-\u9fff]/.test(r.json?.error?.message || '中'), 'a Chinese message')
    }
  }])

  let signedVisible // { k, w, hand }
  T.push(['the signed PDF shows the red seal at 甲方（盖章） and the handwriting at 乙方（签字）; pdfsig and hexie verify accept it', async () => {
    // HR users of their own: each code goes to its user's phone, which
    // takes one code a minute
    const keeper = await ctx.makeUser({ display_name: '印章管理', role: 'enterprise_hr', enterprise_id: ctx.ent.id })
    const sealer = await ctx.makeUser({ display_name: '用印人事', role: 'enterprise_hr', enterprise_id: ctx.ent.id })
    let r = await ctx.makeSeal(keeper)
    eq(r.status, 201, 'seal key ' + r.body.toString())
    const w = await ctx.newWorker()
    const k = await ctx.sent(w)
    const hand = handwriting()
    const { r: p, phone, key } = await workerPrepare(k, w, hand.toString('base64'))
    eq(p.status, 200, 'prepare ' + p.body.toString())
    const sha = crypto.createHash('sha256').update(hand).digest('hex')
    eq(p.json.handwriting_sha256, sha, 'the handwriting\'s hash')
    r = await phone.req('POST', '/sign', { signature_id: p.json.signature_id, signature: await ctx.signB64(key, p.json.to_sign) })
    eq(r.status, 200, 'worker signed ' + r.body.toString())
    r = await ctx.sealAs(k.id, sealer)
    eq(r.status, 200, 'sealed ' + r.body.toString())
    const c = await ctx.contract(k.id)
    eq(c.status, 'signed', 'signed')
    const boxes = c.sign_boxes
    assert(boxes && boxes.enterprise && boxes.worker, 'boxes recorded: ' + JSON.stringify(boxes))
    const signedEv = c.evidence.filter((e) => e.kind === 'signed')
    const wev = JSON.stringify(signedEv.find((e) => JSON.stringify(e).includes('"worker"')))
    assert(wev.includes(sha), 'the worker\'s signed event has the handwriting SHA-256')
    const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)
    assert(JSON.stringify(signedEv).includes(`"sign_date":"${today}"`), 'each signed event has its Beijing date')
    r = await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf`)
    eq(r.status, 200, 'pdf')
    const f = ctx.tmpFile('v.pdf', r.body)
    const sig = ctx.pdfsig(r.body)
    eq((sig.match(/Signature is Valid/g) || []).length, 2, 'pdfsig: two valid signatures\n' + sig)
    // the widgets are where the boxes are, visible
    const text = r.body.toString('latin1')
    const rects = [...text.matchAll(/\/Rect \[([\d. -]+)\]/g)].map((m) => m[1].split(' ').map(Number))
    for (const party of ['enterprise', 'worker']) {
      const want = boxes[party].rect
      assert(rects.some((q) => q.every((v, i) => Math.abs(v - want[i]) < 0.02)), `${party}'s widget at its box`)
    }
    assert((text.match(/\/AP <<\s*\/N/g) || []).length >= 2, 'two appearances')
    // rendered: red in the seal's box, dark strokes in the worker's, no red there
    const img = renderPage(f, boxes.enterprise.page)
    const red = countIn(img, boxes.enterprise.rect, isRed)
    assert(red > 300, 'the seal\'s red in the seal\'s box: ' + red)
    const img2 = boxes.worker.page === boxes.enterprise.page ? img : renderPage(f, boxes.worker.page)
    const dark = countIn(img2, boxes.worker.rect, isDark)
    assert(dark > 100, 'handwritten strokes in the worker\'s box: ' + dark)
    eq(countIn(img2, boxes.worker.rect, isRed), 0, 'no seal in the worker\'s box')
    // the same page of the frozen PDF (version 1) has neither
    const z = await ctx.hr.get(`/api/v1/contracts/${k.id}/evidence.zip`)
    eq(z.status, 200, 'package')
    const zf = ctx.tmpFile('v.zip', z.body)
    const ok = hexie(ctx.BIN, ['verify', zf, '--ca', path.join(ctx.store.varDir, 'keys', 'ca.crt')])
    eq(ok.code, 0, 'hexie verify: ' + ok.out + ok.err)
    const x = tmpDir()
    spawnSync('unzip', ['-q', zf, '-d', x])
    const kept = fs.readFileSync(path.join(x, 'signatures', 'worker.png'))
    eq(crypto.createHash('sha256').update(kept).digest('hex'), sha, 'signatures/worker.png is the handwriting')
    const v1 = renderPage(path.join(x, 'versions', '1.pdf'), boxes.enterprise.page)
    eq(countIn(v1, boxes.enterprise.rect, isRed), 0, 'the frozen text has no seal')
    signedVisible = { k, w }
  }])

  T.push(['an HR browser-key signature for the enterprise shows the enterprise seal too', async () => {
    const w = await ctx.newWorker()
    const k = await ctx.sent(w)
    const { s } = await ctx.workerSigns(k, w)
    eq(s.status, 200, 'worker signed ' + s.body.toString())
    const r = await ctx.enterpriseSigns(k.id)
    eq(r.status, 200, 'hr signed ' + r.body.toString())
    const c = await ctx.contract(k.id)
    eq(c.status, 'signed', 'signed')
    const pdf = await ctx.hr.get(`/api/v1/contracts/${k.id}/document.pdf`)
    const sig = ctx.pdfsig(pdf.body)
    eq((sig.match(/Signature is Valid/g) || []).length, 2, 'pdfsig\n' + sig)
    const f = ctx.tmpFile('h.pdf', pdf.body)
    const img = renderPage(f, c.sign_boxes.enterprise.page)
    assert(countIn(img, c.sign_boxes.enterprise.rect, isRed) > 300, 'the seal at 甲方（盖章）')
    // no handwriting given (an API client): the worker's name in print, still visible
    const img2 = renderPage(f, c.sign_boxes.worker.page)
    assert(countIn(img2, c.sign_boxes.worker.rect, isDark) > 20, 'the worker\'s name in the box')
    const wev = c.evidence.find((e) => e.kind === 'signed' && JSON.stringify(e).includes('"worker"'))
    assert(JSON.stringify(wev).includes('"appearance":"name"'), 'the event says the look was the printed name')
  }])
}
