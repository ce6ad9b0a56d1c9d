// API tests of the registry: areas, enterprises (credit codes, lists,
// cached pages, edits, soft delete, history), workers (ID numbers, child
// labor, masking), the operation log, imports and .xlsx exports, and the
// store surviving a killed import and a backup under write load.
// Run by tests/api/run.mjs, which passes the shared server in ctx.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ADMIN_PASSWORD, Client, assert, eq, hexie, idnum, sleep, startServer, uscc } from './lib.mjs'

// Upload a file to /api/v1/imports and wait for the import to finish.
async function upload(c, kind, bytes, q = '') {
  const r = await c.req('POST', `/api/v1/imports?kind=${kind}&filename=t.csv${q}`, undefined, { raw: bytes })
  eq(r.status, 202, 'upload ' + JSON.stringify(r.json))
  for (let i = 0; i < 600; i++) {
    const g = await c.get('/api/v1/imports/' + r.json.id)
    if (g.json.status === 'done' || g.json.status === 'failed') return g.json
    await sleep(100)
  }
  throw new Error('import did not finish')
}

export default function (T, ctx) {
  const { BIN, DB, freshDb, store, admin, areas, areaByName, entBody, newEnt, newUser, count } = ctx
  const test = (name, fn) => T.push([name, fn])

  test('areas are the county tree with kinds', async () => {
    eq(areas.length, 12, 'area count')
    const county = areas.find((a) => a.code === '331125')
    eq(county.kind, 'county', 'county kind')
    eq(areaByName('崇头镇').code, '331125105', 'town code')
    eq(areaByName('崇头镇').kind, 'town', 'town kind')
    eq(areaByName('赤石乡').kind, 'township', 'township kind')
    eq(areaByName('元和街道').kind, 'street', 'street kind')
    const park = areaByName('浙江云和经济开发区')
    eq(park.kind, 'park', 'park kind'); eq(park.code, null, 'park code'); eq(park.former_name, '浙江云和工业园区', 'former name')
    assert(areas.filter((a) => a.kind !== 'county').every((a) => a.parent_id === county.id), 'parents')
  })

  test('invalid credit codes are 422 naming the field', async () => {
    for (const [code, part] of [['91350100M000100Y44', '校验位'], ['91350100m000100Y43', '小写'], ['91350100M000100Y4', '18位'], ['91350100M0001I0Y43', 'I']]) {
      const r = await admin.post('/api/v1/enterprises', entBody({ uscc: code }))
      eq(r.status, 422, 'status for ' + code); eq(r.json.error.code, 'invalid_uscc', 'code'); eq(r.json.error.field, 'uscc', 'field')
      assert(r.json.error.message.includes(part), `message for ${code}: ${r.json.error.message}`)
    }
    const ok = await admin.post('/api/v1/enterprises', entBody({ uscc: '91350100M000100Y43' }))
    eq(ok.status, 201, 'the valid sample code')
  })

  test('a duplicate credit code is 409', async () => {
    const e = await newEnt()
    const r = await admin.post('/api/v1/enterprises', entBody({ uscc: e.uscc }))
    eq(r.status, 409, 'status'); eq(r.json.error.code, 'duplicate_uscc', 'code')
  })

  test('SQL meta-characters and HTML are stored literally', async () => {
    const name = "O'Brien\"; DROP TABLE enterprises; -- <script>alert(1)</script> 100% _x_"
    const e = await newEnt({ name, address: "'); DELETE FROM workers; --" })
    const g = await admin.get('/api/v1/enterprises/' + e.id)
    eq(g.json.name, name, 'name'); eq(g.json.address, "'); DELETE FROM workers; --", 'address')
    const s = await admin.get('/api/v1/enterprises?q=' + encodeURIComponent('100% _x_'))
    eq(s.json.total, 1, 'search with % and _ literal')
    const none = await admin.get('/api/v1/enterprises?q=' + encodeURIComponent('%'))
    assert(none.json.total >= 1 && none.json.items.every((x) => x.name.includes('%')), '% matches only itself')
  })

  test('enterprise list filters, pages and sorts', async () => {
    const all = await admin.get('/api/v1/enterprises?page_size=100')
    assert(all.json.total >= 36, 'demo data present')
    const p2 = await admin.get('/api/v1/enterprises?page=2&page_size=5&sort=name')
    eq(p2.json.items.length, 5, 'page size'); eq(p2.json.page, 2, 'page')
    const names = p2.json.items.map((x) => x.name)
    eq([...names].sort(), names, 'sorted by name')
    const park = areaByName('浙江云和经济开发区')
    const inPark = await admin.get('/api/v1/enterprises?page_size=100&area_id=' + park.id)
    assert(inPark.json.items.every((x) => x.area_id === park.id), 'area filter')
    const scale = await admin.get('/api/v1/enterprises?page_size=100&above_scale=1')
    assert(scale.json.items.every((x) => x.above_scale), 'flag filter')
    const newly = await admin.get('/api/v1/enterprises?page_size=100&newly_registered=1')
    assert(newly.json.items.every((x) => x.newly_registered), 'derived flag filter')
    eq((await admin.get('/api/v1/enterprises?sort=password')).status, 422, 'bad sort')
    eq((await admin.get('/api/v1/enterprises?page_size=1000')).status, 422, 'page size cap')
    eq((await admin.get('/api/v1/enterprises?above_scale=maybe')).status, 400, 'bad flag')
  })

  test('cached list pages follow every change (create, edit, delete, area rename)', async () => {
    const q = '/api/v1/enterprises?page_size=5&sort=-updated_at'
    const t0 = (await admin.get(q)).json.total
    eq((await admin.get(q)).json.total, t0, 'same answer twice')
    const e = await newEnt({ area_id: areaByName('紧水滩镇').id })
    let l = (await admin.get(q)).json
    eq(l.total, t0 + 1, 'total after create'); eq(l.items[0].id, e.id, 'new one first')
    eq(l.items[0].worker_count, 0, 'no workers yet')
    eq((await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '新职工', id_number: idnum('19920202'), hire_date: '2024-01-01' })).status, 201, 'worker')
    eq((await admin.get(q)).json.items[0].worker_count, 1, 'worker count follows the roster')
    await admin.patch('/api/v1/enterprises/' + e.id, { name: '改名后的企业' + e.id })
    l = (await admin.get(q)).json
    eq(l.items[0].name, '改名后的企业' + e.id, 'edit shows')
    const area = areaByName('紧水滩镇')
    await admin.patch('/api/v1/areas/' + area.id, { name: '紧水滩镇（测试）' })
    l = (await admin.get(q)).json
    eq(l.items[0].area_name, '紧水滩镇（测试）', 'area rename shows')
    await admin.patch('/api/v1/areas/' + area.id, { name: '紧水滩镇' })
    await admin.del('/api/v1/enterprises/' + e.id)
    eq((await admin.get(q)).json.total, t0, 'total after delete')
  })

  test('edit, soft delete with history, and restore', async () => {
    const e = await newEnt()
    let r = await admin.patch('/api/v1/enterprises/' + e.id, { employee_count: 77, above_scale: true })
    eq(r.status, 200, 'patch'); eq(r.json.employee_count, 77, 'value')
    r = await admin.del('/api/v1/enterprises/' + e.id)
    eq(r.status, 204, 'delete')
    const list = await admin.get('/api/v1/enterprises?page_size=100&q=' + e.uscc)
    eq(list.json.total, 0, 'gone from the list')
    const del = await admin.get('/api/v1/enterprises?deleted=1&page_size=100&q=' + e.uscc)
    eq(del.json.total, 1, 'in the deleted list')
    const d = await admin.get('/api/v1/enterprises/' + e.id)
    assert(d.json.deleted_at, 'kept with deleted_at')
    const actions = d.json.history.map((h) => h.action)
    eq(actions, ['delete', 'update', 'create'], 'history')
    eq(d.json.history[1].changes.employee_count, [50, 77], 'changed fields')
    r = await admin.post('/api/v1/enterprises/' + e.id + '/restore')
    eq(r.status, 200, 'restore'); eq(r.json.deleted_at, null, 'restored')
  })

  test('workers: ID checks, derived fields, masking, child labor', async () => {
    const e = await newEnt()
    let r = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '张三', id_number: '11010519491231002X', hire_date: '2020-01-01', phone: '13800000000' })
    eq(r.status, 201, 'create ' + JSON.stringify(r.json))
    eq(r.json.sex, 'F', 'sex'); eq(r.json.birth_date, '1949-12-31', 'birth date')
    eq(r.json.id_number, '110105********002X', 'masked for admin')
    for (const [id, part] of [['11010519491231002Y', '末位'], ['110105194912310021', '校验码'], ['11010519490231002X', '出生日期'], ['11010519491231002x', '大写'], ['1101051949123100', '18位']]) {
      const b = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '李四', id_number: id, hire_date: '2020-01-01' })
      eq(b.status, 422, 'status for ' + id); eq(b.json.error.field, 'id_number', 'field for ' + id)
      assert(b.json.error.message.includes(part), `message for ${id}: ${b.json.error.message}`)
    }
    const child = idnum('20120301')
    r = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '小明', id_number: child, hire_date: '2027-01-01' })
    eq(r.status, 422, 'child labor'); eq(r.json.error.code, 'child_labor', 'code')
    assert(r.json.error.message.includes('童工'), 'message names child labor')
    r = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '小红', id_number: idnum('20080301'), hire_date: '2025-06-01' })
    eq(r.status, 201, '17-year-old'); eq(r.json.minor, true, 'minor flag')
    const dup = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '张三', id_number: '11010519491231002X', hire_date: '2021-01-01' })
    eq(dup.status, 409, 'duplicate on the active roster')
    const find = await admin.get('/api/v1/workers?q=11010519491231002X&enterprise_id=' + e.id)
    eq(find.json.total, 1, 'found by keyed hash')
  })

  test('the operation log records writes without plain ID numbers and cannot be changed', async () => {
    const e = await newEnt()
    const id = idnum('19850505')
    const w = await admin.post('/api/v1/workers', { enterprise_id: e.id, name: '赵六', id_number: id, hire_date: '2020-01-01' })
    eq(w.status, 201, 'worker')
    await admin.patch('/api/v1/workers/' + w.json.id, { id_number: idnum('19850506') })
    const log = await admin.get('/api/v1/audit?object_type=worker&object_id=' + w.json.id)
    eq(log.json.items.map((x) => x.action), ['update', 'create'], 'entries')
    assert(!JSON.stringify(log.json).includes(id), 'no plain ID number')
    eq(log.json.items[0].changes.id_number, ['***', '***'], 'ID change hidden')
    for (const m of ['PATCH', 'DELETE', 'PUT']) {
      const r = await admin.req(m, '/api/v1/audit/' + log.json.items[0].id, {})
      assert(r.status === 404 || r.status === 405, m + ' on a log entry: ' + r.status)
    }
    const x = await admin.get('/api/v1/audit/export.xlsx?object_type=worker')
    eq(x.status, 200, 'export'); eq(x.body.subarray(0, 2).toString(), 'PK', 'xlsx')
  })

  test('import: one bad row refuses the whole file and names the row', async () => {
    const e = await newEnt()
    const rows = ['姓名,身份证号码,手机号码,入职日期,岗位,用工形式', `甲,${idnum()},13800000001,2021-01-01,装配,全日制`, `乙,110105194912310021,13800000002,2021-01-01,装配,全日制`, `丙,${idnum()},13800000003,2021/3/5,质检,劳务派遣`]
    const before = await count(admin, '/api/v1/workers?enterprise_id=' + e.id)
    const j = await upload(admin, 'workers', Buffer.from(rows.join('\n')), '&enterprise_id=' + e.id)
    eq(j.status, 'failed', 'failed'); eq(j.error_count, 1, 'one error')
    eq(j.errors[0].row, 3, 'row named'); eq(j.errors[0].column, '身份证号码', 'column named')
    eq(await count(admin, '/api/v1/workers?enterprise_id=' + e.id), before, 'nothing imported')
    rows.splice(2, 1)
    const ok = await upload(admin, 'workers', Buffer.from('\ufeff' + rows.join('\r\n')), '&enterprise_id=' + e.id)
    eq(ok.status, 'done', 'good file'); eq(ok.imported_rows, 2, 'two rows')
  })

  test('import: GBK CSV of enterprises, with duplicates inside the file caught', async () => {
    const u = uscc()
    const text = ['统一社会信用代码,企业名称,所属区域,行业门类,成立日期,职工人数,规模以上', `${u},GBK测试企业一,浮云街道,C,2019-01-01,10,否`, `${uscc()},GBK测试企业二,石塘镇,制造业,2018-02-03,120,是`].join('\n')
    const iconv = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'], { input: text })
    const j = await upload(admin, 'enterprises', iconv.stdout)
    eq(j.status, 'done', 'done ' + JSON.stringify(j.errors)); eq(j.imported_rows, 2, 'rows')
    const s = await admin.get('/api/v1/enterprises?q=' + encodeURIComponent('GBK测试企业二'))
    eq(s.json.items[0].above_scale, true, 'flag read'); eq(s.json.items[0].area_name, '石塘镇', 'area by name')
    const dup = [text.split('\n')[0], `${u.slice(0, 17)}${u[17]},重复,浮云街道`, `${uscc()},x,浮云街道`].join('\n')
    const d = await upload(admin, 'enterprises', Buffer.from(dup))
    eq(d.status, 'failed', 'duplicate refused'); eq(d.errors[0].row, 2, 'row'); eq(d.errors[0].column, '统一社会信用代码', 'column')
  })

  test('import and export of .xlsx: the template round-trips', async () => {
    const t = await admin.get('/api/v1/workers/template.xlsx')
    eq(t.status, 200, 'template'); eq(t.body.subarray(0, 2).toString(), 'PK', 'xlsx')
    assert(/filename\*=UTF-8''/.test(t.headers.get('content-disposition')), 'download name')
    const e = await newEnt()
    const j = await upload(admin, 'workers', t.body, '&enterprise_id=' + e.id)
    eq(j.status, 'done', 'template example row imports: ' + JSON.stringify(j.errors))
    const x = await admin.get('/api/v1/workers/export.xlsx?enterprise_id=' + e.id)
    eq(x.status, 200, 'export')
    const back = await upload(admin, 'workers', x.body, '&enterprise_id=' + e.id)
    eq(back.status, 'failed', 'export re-imported is refused as duplicates (masked IDs or same people)')
  })

  test('every list exports to .xlsx', async () => {
    for (const p of ['/api/v1/areas/export.xlsx', '/api/v1/enterprises/export.xlsx?above_scale=1', '/api/v1/workers/export.xlsx',
      '/api/v1/organizations/export.xlsx', '/api/v1/users/export.xlsx', '/api/v1/audit/export.xlsx?action=create']) {
      const r = await admin.get(p)
      eq(r.status, 200, p); eq(r.body.subarray(0, 2).toString(), 'PK', p + ' is a zip')
      assert((r.headers.get('content-type') || '').includes('spreadsheetml'), p + ' type')
    }
    const hr = await newUser('reviewer')
    eq((await hr.get('/api/v1/users/export.xlsx')).status, 403, 'users export needs users.manage')
    eq((await hr.get('/api/v1/audit/export.xlsx')).status, 403, 'audit export needs audit.read')
  })

  test('import refuses garbage and old .xls with a clear message', async () => {
    const j = await upload(admin, 'enterprises', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]))
    eq(j.status, 'failed', 'xls'); assert(/xls/.test(j.message), j.message)
    const big = Buffer.alloc(21 * 1024 * 1024, 65)
    const r = await admin.req('POST', '/api/v1/imports?kind=workers', undefined, { raw: big })
    eq(r.status, 413, 'upload over 20 MiB')
  })

  test('a killed server during an import leaves it all there or not there', async () => {
    const e = await newEnt()
    const lines = ['姓名,身份证号码,入职日期']
    for (let i = 0; i < 20000; i++) lines.push(`职工${i},${idnum('19900101'.slice(0, 4) + String(1 + (i % 12)).padStart(2, '0') + String(1 + (i % 28)).padStart(2, '0'))},2020-01-01`)
    const s2 = await startServer(BIN, store)
    const c = new Client(s2.base)
    await c.login('admin', ADMIN_PASSWORD)
    const r = await c.req('POST', `/api/v1/imports?kind=workers&enterprise_id=${e.id}&filename=big.csv`, undefined, { raw: Buffer.from(lines.join('\n')) })
    eq(r.status, 202, 'queued')
    for (let i = 0; i < 100; i++) {
      const g = await c.get('/api/v1/imports/' + r.json.id)
      if (g.json.status !== 'queued') break
      await sleep(20)
    }
    await sleep(150)
    s2.proc.kill('SIGKILL')
    await new Promise((res) => s2.proc.on('exit', res))
    const s3 = await startServer(BIN, store)
    try {
      const c3 = new Client(s3.base)
      await c3.login('admin', ADMIN_PASSWORD)
      let j
      for (let i = 0; i < 300; i++) {
        j = (await c3.get('/api/v1/imports/' + r.json.id)).json
        if (j.status === 'done' || j.status === 'failed') break
        await sleep(100)
      }
      const n = await count(c3, '/api/v1/workers?enterprise_id=' + e.id)
      assert((j.status === 'failed' && n === 0) || (j.status === 'done' && n === j.imported_rows), `status ${j.status} with ${n} workers`)
    } finally { await s3.stop() }
  })

  test('backup under write load restores with equal row counts and checksums', async () => {
    const writer = (async () => { for (let i = 0; i < 40; i++) await admin.post('/api/v1/enterprises', entBody()) })()
    await sleep(100)
    const file = path.join(os.tmpdir(), `hexie-backup-${process.pid}-${Date.now()}.jsonl`)
    const args = ['backup', file, '--var', store.varDir]
    if (DB) args.push('--db', DB)
    const b = hexie(BIN, args)
    eq(b.code, 0, 'backup ' + b.err)
    await writer
    const target = freshDb()
    const tvar = fs.mkdtempSync(path.join(os.tmpdir(), 'hexie-restore-'))
    fs.cpSync(path.join(store.varDir, 'keys'), path.join(tvar, 'keys'), { recursive: true })
    const rargs = ['restore', file, '--var', tvar]
    if (target) rargs.push('--db', target)
    const rr = hexie(BIN, rargs)
    eq(rr.code, 0, 'restore ' + rr.err)
    const cargs = ['checksums', '--var', tvar]
    if (target) cargs.push('--db', target)
    const sums = hexie(BIN, cargs).out.trim().split('\n').sort()
    const want = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"end":')).map((l) => { const j = JSON.parse(l); return `${j.end} ${j.rows} ${j.sha256}` }).sort()
    eq(sums, want, 'checksums')
    const again = hexie(BIN, rargs)
    assert(again.code !== 0 && /--force/.test(again.err), 'refuses a non-empty store: ' + again.err)
    eq(hexie(BIN, [...rargs, '--force']).code, 0, 'force')
  })
}
