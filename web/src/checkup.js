// 劳动用工体检 (health checks): labels and helpers shared by the checkup
// pages (docs/api.md "Health checks", docs/checklist-format.md), and the
// inspector's local store of answers not yet sent (kept per check in
// localStorage so that a dropped connection loses nothing).
import { api } from './api.js'
import { state } from './store.js'
import { todayBeijing } from './util.js'

export const CHECKUP_PERMS = ['checkup.manage', 'checkup.inspect', 'checkup.respond']

export const CHECK_STEPS = [
  { key: 'assigned', name: '已委托' },
  { key: 'in_progress', name: '体检中' },
  { key: 'reported', name: '已出报告' },
  { key: 'rectifying', name: '整改中' },
  { key: 'closed', name: '已归档' },
]
export const CHECK_STATUS = {
  assigned: { name: '已委托', type: 'info' },
  in_progress: { name: '体检中', type: 'warning' },
  reported: { name: '已出报告', type: 'success' },
  rectifying: { name: '整改中', type: 'warning' },
  closed: { name: '已归档', type: 'info' },
}
export const checkStatus = (k) => CHECK_STATUS[k] || { name: k || '—', type: 'info' }

export const GRADES = {
  A: { name: 'A级', hint: '劳动用工管理科学规范，基本不存在用工风险', color: '#67c23a' },
  B: { name: 'B级', hint: '劳动用工管理较规范，存在较少或程度轻微的风险', color: '#409eff' },
  C: { name: 'C级', hint: '劳动用工管理一般，存在较多风险', color: '#e6a23c' },
  D: { name: 'D级', hint: '劳动用工管理不规范，存在极大风险，急需规范和整改', color: '#f56c6c' },
}
export const gradeOf = (g) => GRADES[g] || null

export const RESULTS = [
  { key: 'pass', name: '合格' },
  { key: 'risk', name: '风险' },
  { key: 'na', name: '不适用' },
]
export const resultName = (k) => (RESULTS.find((r) => r.key === k) || {}).name || ''

export const SEVERITY_ORDER = { 重大: 0, 较大: 1, 一般: 2 }
export const SEVERITY_TYPE = { 重大: 'danger', 较大: 'warning', 一般: 'info' }

export const RECT_STATUS = {
  open: { name: '待整改', type: 'danger' },
  answered: { name: '已填报整改', type: 'warning' },
  reopened: { name: '回访未到位', type: 'danger' },
  confirmed: { name: '回访确认到位', type: 'success' },
}
export const rectStatus = (k) => RECT_STATUS[k] || { name: k || '—', type: 'info' }

export const WARNING_KINDS = [
  { key: 'inspection', name: '劳动监察' },
  { key: 'arbitration', name: '劳动仲裁' },
]
export const WARNING_STATUS = {
  received: { name: '已接收', type: 'info' },
  in_hand: { name: '办理中', type: 'warning' },
  closed: { name: '已办结', type: 'success' },
}
export const WARNING_COLORS = {
  green: { name: '正常', color: '#67c23a' },
  yellow: { name: '临近期限', color: '#e6a23c' },
  red: { name: '已超期', color: '#f56c6c' },
}

export const SATISFACTION_QUESTIONS = [
  { key: 'professional', name: '专业水平' },
  { key: 'on_time', name: '按时到场' },
  { key: 'advice_useful', name: '建议实用' },
  { key: 'attitude', name: '服务态度' },
  { key: 'overall', name: '总体满意' },
]

export const FILE_MAX = 10 * 1024 * 1024
export const FILE_ACCEPT = 'image/*,application/pdf'

export const thisYear = () => Number(todayBeijing().slice(0, 4))
// Years offered in the pickers: a few back and the next one.
export function yearOptions(extra = []) {
  const y = thisYear()
  const set = new Set([y + 1, y, y - 1, y - 2, y - 3, ...extra.filter(Boolean).map(Number)])
  return [...set].sort((a, b) => b - a)
}

export function money(v) {
  if (v === null || v === undefined || v === '') return '—'
  const n = Number(v)
  if (!Number.isFinite(n)) return String(v)
  return '¥' + n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

export function sizeText(n) {
  if (!n && n !== 0) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export const basisText = (b) => `《${b.law}》${(b.articles || []).join('、')}`

// A file's error in Chinese (the server says most of it; the statuses the
// HTTP layer may answer alone are spelt out here).
export function uploadError(e) {
  if (e.status === 415) return '文件类型不支持：只能上传照片（JPEG、PNG、WebP）或PDF文件'
  if (e.status === 413) return '文件过大：单个文件不能超过10 MB'
  if (e.status === 0) return '网络已断开，文件未上传，请联网后重新上传'
  return e.message || '上传失败'
}

// ---------------------------------------------------------------- checklist

let checklistPromise = null
// The checklist in use (cached for the session).
export function loadChecklist() {
  if (!checklistPromise) {
    checklistPromise = api.get('/checkup/checklist', undefined, { silent: true }).catch((e) => {
      checklistPromise = null
      throw e
    })
  }
  return checklistPromise
}

export function itemIndex(checklist) {
  const m = {}
  for (const it of (checklist && checklist.items) || []) m[it.id] = it
  return m
}

// Papers to prepare grouped by area: [{area, name, papers: [...]}], each
// paper once (in the first area that asks for it). `papers` (the check's
// list) decides what is shown; anything the checklist does not place goes
// to a last group.
export function papersByArea(checklist, papers) {
  const wanted = new Set(papers || [])
  const seen = new Set()
  const groups = []
  for (const a of (checklist && checklist.areas) || []) {
    const list = []
    for (const it of checklist.items.filter((i) => i.area === a.id)) {
      for (const p of it.papers || []) {
        if (!wanted.has(p) || seen.has(p)) continue
        seen.add(p)
        list.push(p)
      }
    }
    if (list.length) groups.push({ area: a.id, name: a.name, papers: list })
  }
  const rest = [...wanted].filter((p) => !seen.has(p))
  if (rest.length) groups.push({ area: '_', name: '其他资料', papers: rest })
  return groups
}

// ---------------------------------------------------------------- unsent answers

// The inspector's answers not yet acknowledged by the server, per user and
// check: {item_id: {result, note}}.
const key = (checkId) => `hexie.checkup.unsent.${(state.user && state.user.id) || 0}.${checkId}`

export function readUnsent(checkId) {
  try {
    const raw = window.localStorage.getItem(key(checkId))
    const v = raw ? JSON.parse(raw) : null
    return v && typeof v === 'object' ? v : {}
  } catch {
    return {}
  }
}

export function writeUnsent(checkId, map) {
  try {
    if (!map || !Object.keys(map).length) window.localStorage.removeItem(key(checkId))
    else window.localStorage.setItem(key(checkId), JSON.stringify(map))
  } catch {
    /* storage full or off: the page still holds them */
  }
}

// ---------------------------------------------------------------- supervision

// 分阶段验收: a batch of an agency's reported checks.
export const BATCH_STATUS = {
  submitted: { name: '待验收', type: 'warning' },
  accepted: { name: '已验收', type: 'success' },
  returned: { name: '已退回', type: 'danger' },
}
export const batchStatus = (k) => BATCH_STATUS[k] || { name: k || '—', type: 'info' }

// 抽查 records.
export const SPOT_METHODS = [
  { key: 'phone', name: '电话核查' },
  { key: 'visit', name: '实地核查' },
]
export const spotMethodName = (k) => (SPOT_METHODS.find((m) => m.key === k) || {}).name || k || ''

// Enterprise size by staff (the area analysis filter).
export const SIZES = [
  { key: 'small', name: '小型', hint: '100人以下' },
  { key: 'medium', name: '中型', hint: '100–999人' },
  { key: 'large', name: '大型', hint: '1000人及以上' },
]

export const GRADE_KEYS = ['A', 'B', 'C', 'D']

// A satisfaction average (1–5) as text.
export function scoreText(v) {
  if (v === null || v === undefined || v === '') return '—'
  const n = Number(v)
  return Number.isFinite(n) ? `${n.toFixed(2)}分` : String(v)
}
