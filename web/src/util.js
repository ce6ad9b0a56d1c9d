import { ref } from 'vue'

const MOBILE_QUERY = '(max-width: 768px)'
const mq = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(MOBILE_QUERY) : null
const mobile = ref(mq ? mq.matches : false)
if (mq) {
  const onChange = (e) => { mobile.value = e.matches }
  if (mq.addEventListener) mq.addEventListener('change', onChange)
  else mq.addListener(onChange)
}

// True on phones (≤ 768 px wide); shared and reactive.
export function useIsMobile() {
  return mobile
}

// Turns a reference list from /api/v1/meta into [{key, name}], whatever shape
// the server chose ([{code,name}], [{key,name}], [{value,label}] or a map).
export function normList(list, fallback = []) {
  if (!list) return fallback
  if (Array.isArray(list)) {
    return list.map((x) => {
      if (typeof x === 'string') return { key: x, name: x }
      const key = x.key ?? x.code ?? x.value ?? x.id
      const name = x.name ?? x.label ?? x.title ?? String(key)
      return { ...x, key, name }
    })
  }
  if (typeof list === 'object') {
    return Object.entries(list).map(([key, name]) => ({ key, name: typeof name === 'string' ? name : (name?.name ?? key) }))
  }
  return fallback
}

export function labelOf(list, key) {
  if (key === null || key === undefined || key === '') return ''
  const hit = list.find((x) => x.key === key)
  return hit ? hit.name : String(key)
}

const pad = (n) => String(n).padStart(2, '0')

// Instants from the API are UTC; show them in 北京时间 (UTC+8, no DST).
export function formatInstant(s) {
  if (!s) return ''
  const d = new Date(s)
  if (Number.isNaN(d.getTime())) return String(s)
  const b = new Date(d.getTime() + 8 * 3600 * 1000)
  return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}:${pad(b.getUTCSeconds())}`
}

export function todayBeijing() {
  return formatInstant(new Date().toISOString()).slice(0, 10)
}

export function sexLabel(s) {
  return s === 'M' ? '男' : s === 'F' ? '女' : ''
}

export function boolLabel(b) {
  return b ? '是' : '否'
}

// Builds a query string from an object, leaving out empty values.
export function toQuery(obj) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(obj || {})) {
    if (v === undefined || v === null || v === '' || v === false) continue
    if (v === true) p.set(k, '1')
    else p.set(k, String(v))
  }
  const s = p.toString()
  return s ? '?' + s : ''
}

// Flat list (parents first) → tree with `children`.
export function buildTree(items, idKey = 'id', parentKey = 'parent_id') {
  const byId = new Map()
  const roots = []
  for (const it of items) byId.set(it[idKey], { ...it, children: [] })
  for (const it of items) {
    const node = byId.get(it[idKey])
    const parent = it[parentKey] != null ? byId.get(it[parentKey]) : null
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  const prune = (n) => {
    if (n.children.length === 0) delete n.children
    else n.children.forEach(prune)
  }
  roots.forEach(prune)
  return roots
}

// Renders an audit/history value for display (never as HTML).
export function showValue(v) {
  if (v === null || v === undefined || v === '') return '（空）'
  if (v === true) return '是'
  if (v === false) return '否'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
