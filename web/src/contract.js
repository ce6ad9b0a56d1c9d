// 电子劳动合同: status and event names, the terms form's blank state and its
// conversion to the API's body, and lint findings by field
// (docs/api.md "Contracts").
import { reactive } from 'vue'
import { can, state } from './store.js'

export const CONTRACT_STATUS = {
  draft: { name: '草稿', type: 'info' },
  sent: { name: '待签署', type: 'warning' },
  signing: { name: '签署中', type: 'primary' },
  signed: { name: '已签署', type: 'success' },
  rejected: { name: '已拒签', type: 'danger' },
  withdrawn: { name: '已撤回', type: 'info' },
  expired: { name: '已过期', type: 'info' },
  ended: { name: '已终止', type: 'info' },
}
// `open` is the list filter for both waiting states (sent, signing)
export const STATUS_OPTIONS = [{ key: 'open', name: '未完成签署（待签署与签署中）' },
  ...Object.entries(CONTRACT_STATUS).map(([key, v]) => ({ key, name: v.name }))]
export const contractStatus = (s) => CONTRACT_STATUS[s] || { name: s || '—', type: 'info' }

export const EVENTS = { new: '新签', renew: '续签', change: '变更', rescind: '解除', terminate: '终止' }
export const EVENT_OPTIONS = Object.entries(EVENTS).map(([key, name]) => ({ key, name }))
export const KINDS = { full_time: '全日制', part_time: '非全日制', amendment: '变更协议', termination: '解除/终止证明' }
export const TERM_TYPES = { fixed: '固定期限', open_ended: '无固定期限', task: '以完成一定工作任务为期限' }
export const HOURS_SYSTEMS = { standard: '标准工时制', comprehensive: '综合计算工时制', flexible: '不定时工作制' }
export const SIGN_ORDERS = { worker_first: '职工先签', enterprise_first: '企业先签' }
export const PARTIES = { worker: '职工', enterprise: '企业', employer: '企业' }

export const EVIDENCE_KINDS = {
  identity_checked: '身份核验',
  code_sent: '发送验证码',
  code_confirmed: '验证码确认',
  viewed: '查看合同',
  read: '阅读完成',
  intent_confirmed: '意愿确认',
  cert_issued: '颁发证书',
  signed: '签署',
  timestamped: '时间戳',
  notified: '通知',
  downloaded: '下载',
  sent: '发送',
  rejected: '拒签',
  withdrawn: '撤回',
  changed: '变更',
  expired: '过期',
  ended: '终止',
  code_refused: '验证码错误',
  renewed: '续签',
  reminded: '催签提醒',
  timestamp_pending: '等待时间戳',
  demo_note: '示例说明',
  cert_revoked: '吊销证书',
  inquired: '执法司法机关调取',
  purged: '保存期满清除',
}
export const evidenceKind = (k) => EVIDENCE_KINDS[k] || k

export const SIGNATURE_STATUS = {
  done: { name: '已签署', type: 'success' },
  signed: { name: '已签署', type: 'success' },
  pending: { name: '等待时间戳', type: 'warning' },
  prepared: { name: '待签名', type: 'info' },
  failed: { name: '失败', type: 'danger' },
}
export const signatureStatus = (s) => SIGNATURE_STATUS[s] || { name: s || '—', type: 'info' }

// Legal bases offered in the termination dialog (free text is allowed too).
export const LEGAL_BASES = [
  '《劳动合同法》第三十六条（协商一致解除）',
  '《劳动合同法》第三十七条（劳动者提前通知解除）',
  '《劳动合同法》第三十八条（劳动者因用人单位过错解除）',
  '《劳动合同法》第三十九条（用人单位因劳动者过错解除）',
  '《劳动合同法》第四十条（无过失性辞退）',
  '《劳动合同法》第四十一条（经济性裁员）',
  '《劳动合同法》第四十四条第（一）项（劳动合同期满）',
  '《劳动合同法》第四十四条第（二）项（依法享受基本养老保险待遇）',
  '《劳动合同法》第四十四条第（四）项（用人单位被依法宣告破产）',
]

const num = (v) => (v === '' || v === null || v === undefined || Number.isNaN(Number(v)) ? null : Number(v))

// The form's state for a terms object (blank when none).
export function termsForm(t = {}, kind = 'full_time') {
  const term = t.term || {}
  const job = t.job || {}
  const hours = t.hours || {}
  const pay = t.pay || {}
  const prior = t.prior || {}
  return {
    kind,
    worker_address: (t.worker && t.worker.address) || t.worker_address || '',
    term: { type: term.type || 'fixed', start: term.start || null, end: term.end || null },
    probation_months: num(t.probation_months),
    job: { title: job.title || '', location: job.location || '' },
    hours: {
      system: hours.system || 'standard',
      approval_no: hours.approval_no || '',
      hours_per_week: num(hours.hours_per_week) ?? (kind === 'part_time' ? 20 : 40),
    },
    pay: {
      monthly: num(pay.monthly),
      probation_monthly: num(pay.probation_monthly),
      hourly: num(pay.hourly),
      pay_day: num(pay.pay_day) ?? 15,
    },
    social_insurance: t.social_insurance === undefined ? true : !!t.social_insurance,
    protection: t.protection ?? '提供符合国家标准的劳动防护用品，定期组织职业健康检查',
    prior: { fixed_term_contracts: num(prior.fixed_term_contracts) ?? 0, years_of_service: num(prior.years_of_service) ?? 0 },
  }
}

const clean = (o) => {
  const r = {}
  for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined) r[k] = v
  return r
}

// The API's `terms` from the form's state (empty values left out).
export function termsBody(f) {
  const partTime = f.kind === 'part_time'
  const term = clean({ type: f.term.type, start: f.term.start, end: f.term.type === 'open_ended' ? null : f.term.end })
  const hours = clean({
    system: f.hours.system,
    approval_no: f.hours.system !== 'standard' ? (f.hours.approval_no || '').trim() : '',
    hours_per_week: num(f.hours.hours_per_week),
  })
  const pay = clean({
    monthly: partTime ? null : num(f.pay.monthly),
    probation_monthly: partTime ? null : num(f.pay.probation_monthly),
    hourly: partTime ? num(f.pay.hourly) : null,
    pay_day: num(f.pay.pay_day),
  })
  return clean({
    worker_address: (f.worker_address || '').trim(),
    term,
    probation_months: num(f.probation_months),
    job: clean({ title: (f.job.title || '').trim(), location: (f.job.location || '').trim() }),
    hours,
    pay,
    social_insurance: !!f.social_insurance,
    protection: (f.protection || '').trim(),
    prior: clean({ fixed_term_contracts: num(f.prior.fixed_term_contracts), years_of_service: num(f.prior.years_of_service) }),
  })
}

// Fields the terms form shows; findings on any other field are listed above it.
export const FORM_FIELDS = [
  'kind', 'worker.address', 'worker_address', 'term', 'term.type', 'term.start', 'term.end', 'probation_months', 'job', 'job.title', 'job.location',
  'hours', 'hours.system', 'hours.approval_no', 'hours.hours_per_week', 'pay', 'pay.monthly', 'pay.probation_monthly',
  'pay.hourly', 'pay.pay_day', 'social_insurance', 'protection', 'prior', 'prior.fixed_term_contracts',
  'prior.years_of_service', 'extra_clauses',
]

// Lint findings as [{level: 'error'|'warning', code, field, message}].
export function findings(lint) {
  if (!lint) return []
  const out = []
  for (const e of lint.errors || []) out.push({ level: 'error', ...e })
  for (const w of lint.warnings || []) out.push({ level: 'warning', ...w })
  return out
}

// Where a finding is shown: its field if the form has it (a leaf, or the
// group's first leaf), else '' (the list above the form).
export function findingSlot(field) {
  const f = String(field || '').replace(/^terms\./, '')
  if (!FORM_FIELDS.includes(f)) return ''
  if (f === 'worker_address') return 'worker.address'
  if (f === 'term') return 'term.start'
  if (f === 'job') return 'job.title'
  if (f === 'hours') return 'hours.system'
  if (f === 'pay') return 'pay.monthly'
  if (f === 'prior') return 'prior.fixed_term_contracts'
  return f
}

export const money = (v) => (v === null || v === undefined || v === '' ? '—' : `${Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}元`)

export function termText(t) {
  if (!t) return '—'
  if (t.type === 'open_ended') return `无固定期限，自${t.start || '—'}起`
  if (t.type === 'task') return `以完成一定工作任务为期限，${t.start || '—'}起${t.end ? '，预计至' + t.end : ''}`
  return `${t.start || '—'} 至 ${t.end || '—'}`
}

// Whether the enterprise may sign now, from the signatures so far.
export function partySigned(c, party) {
  const alias = party === 'enterprise' ? ['enterprise', 'employer'] : [party]
  return (c.signatures || []).some((s) => alias.includes(s.party) && ['done', 'signed', 'pending', 'timestamped'].includes(s.status))
}

// Chinese names of the request fields an error can name.
const FIELD_NAMES = {
  worker_id: '职工', kind: '用工形式', sign_order: '签署顺序', expires_days: '签署期限', extra_clauses: '补充条款',
  term: '合同期限', 'term.type': '期限类型', 'term.start': '起始日期', 'term.end': '终止日期', probation_months: '试用期',
  job: '工作内容', 'job.title': '岗位', 'job.location': '工作地点', hours: '工作时间', 'hours.system': '工时制度',
  'hours.approval_no': '审批文号', 'hours.hours_per_week': '每周工时', pay: '劳动报酬', 'pay.monthly': '月工资',
  'pay.probation_monthly': '试用期月工资', 'pay.hourly': '小时工资', 'pay.pay_day': '发薪日', social_insurance: '社会保险',
  protection: '劳动保护', prior: '以往劳动合同', 'prior.fixed_term_contracts': '已订固定期限次数',
  'prior.years_of_service': '连续工作年限', effective_date: '变更生效日期', changes: '变更内容', date: '日期', reason: '原因',
  legal_basis: '法律依据', event: '类型', worker_ids: '职工', name: '姓名', id_number: '身份证号码', code: '验证码', ids: '合同', phone: '手机号码',
  'employer.uscc': '统一社会信用代码', 'employer.name': '用人单位名称', 'employer.address': '用人单位住所',
  'employer.legal_representative': '法定代表人', 'worker.name': '职工姓名', 'worker.id_number': '职工身份证号码',
  'worker.address': '职工住址', worker_address: '职工住址', 'worker.phone': '职工手机号码', hire_date: '入职日期', sign_date: '签订日期',
}
export function fieldLabel(f) {
  const k = String(f || '').replace(/^(terms|changes)\./, '')
  return FIELD_NAMES[k] || k
}
// An API error as one line naming its field.
export const errorLine = (e) => (e.field ? `${fieldLabel(e.field)}：${e.message}` : e.message)

// An evidence event's detail in words: known keys by their Chinese names,
// codes translated, long technical values (user agent) last.
const DETAIL_KEYS = {
  ip: 'IP', purpose: '用途', phone: '手机', to: '发给', why: '事由', reason: '原因', method: '方式', party: '签署方',
  seconds: '阅读时长(秒)', version: '版本', serial: '证书序列号', cert_serial: '证书序列号', not_after: '证书有效期至',
  signer: '签署人', signing_time: '签名时间', gen_time: '时间戳时间', tsa: '时间戳服务', what: '内容', match: '核验结果',
  sha256: '文件摘要', previous_sha256: '签署前摘要', expires_at: '签署截止', sign_order: '签署顺序', template: '模板',
  event: '类型', date: '日期', legal_basis: '法律依据', certificate_id: '证明书编号', contract_id: '合同编号',
  user_agent: '设备', note: '说明', phone_hint: '手机', status: '状态', token_sha256: '时间戳令牌摘要', turn: '待签方',
  worker_name: '劳动者', channel: '渠道', by: '确认人', batch: '批量签署', holder_kind: '证书类型', cn: '证书持有人',
  signed_with: '曾用于本合同签署', case_no: '案号', org: '机构',
}
const DETAIL_VALUES = {
  purpose: { identity: '身份核验', intent: '意愿确认', login: '登录', enterprise_intent: '企业意愿确认（人事本人手机验证码）' },
  holder_kind: { seal: '企业电子印章', user: '企业人员签名证书', worker: '劳动者签名证书' },
  signed_with: { true: '是', false: '否（记入持有人最近的合同）' },
  batch: { true: '是', false: '否' },
  to: { worker: '职工', enterprise: '企业' },
  party: { worker: '职工', enterprise: '企业' },
  turn: { worker: '职工', enterprise: '企业' },
  channel: { sms: '短信', email: '电子邮件', outbox: '平台发件箱（未接入短信通道）' },
  method: { browser: '浏览器密钥', seal: '电子印章', 'name+id_number': '姓名+身份证号码' },
  what: { text: '合同正文', pdf: 'PDF文件', detail: '合同详情', package: '证据包' },
  why: { sent: '合同待签署', completed: '合同已签署', rejected: '职工拒签', withdrawn: '合同已撤回', expired: '合同已过期', reminder: '催签' },
  match: { true: '一致', false: '不一致' },
  sign_order: SIGN_ORDERS,
  event: EVENTS,
  tsa: { 'built-in': '平台内置' },
}
export function evidenceDetail(d) {
  if (d === null || d === undefined || d === '') return ''
  if (typeof d !== 'object') return String(d)
  const keys = Object.keys(d).filter((k) => d[k] !== null && d[k] !== '' && typeof d[k] !== 'object')
  keys.sort((a, b) => (a === 'user_agent') - (b === 'user_agent'))
  return keys.map((k) => {
    const v = d[k]
    const vv = DETAIL_VALUES[k] && DETAIL_VALUES[k][String(v)] !== undefined ? DETAIL_VALUES[k][String(v)] : v
    return `${DETAIL_KEYS[k] || k}：${vv}`
  }).join('；')
}

// 执法司法机关 (labor inspection, arbitration, courts) read a contract only
// under a case: each read sends the case number (案号) and the reason, which
// the server writes to the operation log and the contract's evidence. The
// last ones entered are offered again in this tab.
export const inquiry = reactive({ case_no: '', reason: '' })
export const isInquirer = () => can('contract.inquire') && !can('contract.draft') && !can('contract.oversee')
export const inquiryQuery = () => ({ case_no: inquiry.case_no.trim(), reason: inquiry.reason.trim() })
// Whether the caller may take the PDF and the evidence package (they carry
// full ID numbers): the enterprise party's HR, or a role with pii.read.
export const mayTakeDocuments = () =>
  can('pii.read') || (can('contract.draft') && !!(state.user && state.user.scope && state.user.scope.kind === 'enterprise'))
