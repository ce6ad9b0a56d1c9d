// 和谐创建: labels and helpers shared by the rating pages (rubrics,
// campaigns, applications, reviews). A rubric is the file the server loaded
// (GET /api/v1/rubrics/:id): items → criteria (and elements → criteria),
// each criterion with an optional `rule` telling how it is scored.

export const SUBJECTS = [
  { key: 'enterprise', name: '企业' },
  { key: 'park', name: '园区' },
]
export const subjectName = (k) => (SUBJECTS.find((s) => s.key === k) || {}).name || k || ''

export const CAMPAIGN_STEPS = [
  { key: 'open', name: '申报中', hint: '企业申报与自评' },
  { key: 'reviewing', name: '评审中', hint: '申报已截止，部门评审' },
  { key: 'confirmed', name: '已确认', hint: '结果已确认' },
  { key: 'published', name: '已发布', hint: '命名公布' },
]
export const CAMPAIGN_STATUS = {
  open: { name: '申报中', type: 'success' },
  reviewing: { name: '评审中', type: 'warning' },
  confirmed: { name: '已确认', type: 'primary' },
  published: { name: '已发布', type: 'info' },
}
export const APPLICATION_STATUS = {
  draft: { name: '自评中', type: 'info' },
  submitted: { name: '已提交', type: 'warning' },
  confirmed: { name: '已确认', type: 'success' },
}
export const statusOf = (map, k) => map[k] || { name: k || '—', type: 'info' }

export const METRIC_SOURCES = {
  platform: { name: '平台数据', type: 'primary' },
  contract: { name: '合同模块', type: 'primary' },
  poll: { name: '测评', type: 'success' },
  override: { name: '调整', type: 'warning' },
  self: { name: '自填', type: 'info' },
}

// ---------------------------------------------------------------- rubric

// Every criterion of an item in order, with the element it belongs to.
export function itemCriteria(item) {
  const out = []
  for (const c of item.criteria || []) out.push({ ...c, element: null })
  for (const e of item.elements || []) for (const c of e.criteria || []) out.push({ ...c, element: e })
  return out
}

// Rows for display: criteria without element first, then each element's
// title row followed by its criteria. A note shared by several criteria in
// a row (a sentence the standard split into fragments) becomes one `note`
// row before them; such criteria carry `sharedNote`.
export function itemRows(item) {
  const rows = []
  const push = (list, element) => {
    for (let i = 0; i < list.length; ) {
      let j = i + 1
      const note = list[i].note
      while (note && j < list.length && list[j].note === note) j++
      if (j - i > 1) rows.push({ type: 'note', text: note, key: 'n' + list[i].id })
      for (let k = i; k < j; k++) rows.push({ type: 'criterion', c: { ...list[k], element, sharedNote: j - i > 1 } })
      i = j
    }
  }
  push(item.criteria || [], null)
  for (const e of item.elements || []) {
    rows.push({ type: 'element', e })
    push(e.criteria || [], e)
  }
  return rows
}

export function allCriteria(rubric) {
  return (rubric && rubric.items ? rubric.items : []).flatMap(itemCriteria)
}

const ruleOf = (c) => c.rule || { kind: 'answer' }
const condsOf = (rule) => rule.when || rule.when_any || []
const readsAnswer = (rule) => condsOf(rule).some((k) => 'answer' in k)

// How a criterion is answered by a person:
//   points   — yes/no, with optional partial points (0…max, step 0.5)
//   bool     — yes/no only
//   band     — the evaluator's points (0…max, step 0.5), needed when the
//              metric falls between the band's ends
//   fallback — scored from a metric; the answer only stands in without it
//   none     — scored from metrics alone
export function answerMode(c) {
  const rule = ruleOf(c)
  switch (rule.kind) {
    case 'answer':
    case 'metric_and_answer':
      return c.max >= 1 ? 'points' : 'bool'
    case 'band':
      return 'band'
    case 'metric':
      return 'fallback'
    case 'veto':
    case 'zero_item':
    case 'deduct':
      return readsAnswer(rule) ? 'bool' : 'none'
    default:
      return 'none'
  }
}

// The answer that counts as "meets the standard" (试评 一键达标).
export function bestAnswer(c) {
  const rule = ruleOf(c)
  const mode = answerMode(c)
  if (mode === 'none') return undefined
  if (mode === 'band') return c.max
  if (['veto', 'zero_item', 'deduct'].includes(rule.kind)) {
    const k = condsOf(rule).find((x) => 'answer' in x)
    return k ? !k.answer : undefined
  }
  return true
}

// The yes/no question of a switch: for a veto, "yes" is the bad case.
export function switchText(c) {
  const rule = ruleOf(c)
  if (['veto', 'zero_item'].includes(rule.kind)) return { on: '存在', off: '不存在' }
  return { on: '符合', off: '不符合' }
}

export function ruleTag(c, metrics) {
  const rule = ruleOf(c)
  const label = (m) => (metrics && metrics[m] && metrics[m].label) || m
  switch (rule.kind) {
    case 'veto':
      return { text: '否决项', type: 'danger' }
    case 'zero_item':
      return { text: '本项不得分情形', type: 'warning' }
    case 'deduct':
      return { text: `扣${rule.points}分情形`, type: 'warning' }
    case 'metric':
      return { text: `按指标：${label(rule.metric)}`, type: 'info' }
    case 'metric_and_answer':
      return { text: `须指标：${label(rule.metric)}`, type: 'info' }
    case 'ladder':
    case 'step_deduction':
      return { text: `按指标计分：${label(rule.metric)}`, type: 'info' }
    case 'band':
      return { text: `按指标分档：${label(rule.metric)}`, type: 'info' }
    default:
      return null
  }
}

// ---------------------------------------------------------------- values

export function fmtPoints(v) {
  if (v === null || v === undefined || v === '') return '—'
  const n = Number(v)
  if (!Number.isFinite(n)) return String(v)
  return Number.isInteger(n) ? String(n) : n.toFixed(n * 10 === Math.round(n * 10) ? 1 : 2)
}

// Rates are 0…1 in the API and percentages in the UI.
export function toPercent(v) {
  if (v === null || v === undefined || v === '') return null
  return Math.round(Number(v) * 1e6) / 1e4
}
export function fromPercent(p) {
  if (p === null || p === undefined || p === '') return null
  return Math.round(Number(p) * 1e4) / 1e6
}

export function fmtMetric(type, v) {
  if (v === null || v === undefined || v === '') return '—'
  if (type === 'rate') return `${toPercent(v)}%`
  if (type === 'bool') return v ? '是' : '否'
  return String(v)
}

export function fmtAnswer(v) {
  if (v === true) return '是'
  if (v === false) return '否'
  if (v === null || v === undefined || v === '') return '未填'
  return `${fmtPoints(v)}分`
}

// The score sheet's warnings are short English sentences; say them in
// Chinese, naming criteria and metrics the way the page shows them.
export function warningText(w, rubric) {
  const s = String(w)
  let m = /^missing metric (\S+)(?: \((.*)\))?$/.exec(s)
  if (m) return `缺少指标：${m[2] || (rubric && rubric.metrics && rubric.metrics[m[1]] && rubric.metrics[m[1]].label) || m[1]}`
  m = /^criterion (\S+) is unanswered$/.exec(s)
  if (m) return `第${m[1]}条未作答（按0分计）`
  m = /^criterion (\S+) needs the evaluator's points/.exec(s)
  if (m) return `第${m[1]}条需评审人员打分（按0分计）`
  m = /^metric "(.+)" is not used by rubric/.exec(s)
  if (m) return `指标“${m[1]}”不属于本评价标准，已忽略`
  return s
}

// Score sheet → {criterion_id: score} and {item_id: item}.
export function sheetIndex(sheet) {
  const crit = {}
  const items = {}
  for (const it of (sheet && sheet.items) || []) {
    items[it.id] = it
    for (const c of it.criteria || []) crit[c.id] = c
  }
  return { crit, items }
}

// A campaign's subject and rubric, spelled for a line of text.
export function rubricLabel(c) {
  if (!c) return ''
  const t = c.rubric_title || c.rubric_id || ''
  return c.rubric_version ? `${t}（第${c.rubric_version}版）` : t
}

// ---------------------------------------------------------------- applying

// What the logged-in user applies as in a campaign: an enterprise HR user
// for its enterprise, an area officer for its area (a park).
export function applicantBody(user, campaign) {
  const s = (user && user.scope) || {}
  if (!campaign) return null
  if (campaign.subject === 'enterprise' && s.enterprise_id) return { enterprise_id: s.enterprise_id }
  if (campaign.subject === 'park' && s.kind === 'area' && s.area_id) return { area_id: s.area_id }
  return null
}
export function applicantName(user, campaign) {
  const s = (user && user.scope) || {}
  if (!campaign) return ''
  return campaign.subject === 'enterprise' ? s.enterprise_name || '' : s.area_name || ''
}

// Whether the user applies for a unit of its own (an enterprise, or an
// area such as a park); county staff hold rating.apply too but apply for no
// unit of their own.
export function isApplicantUser(user) {
  const s = (user && user.scope) || {}
  return !!(user && (user.permissions || []).includes('rating.apply') && (s.kind === 'enterprise' || s.kind === 'area'))
}
