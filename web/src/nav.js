// Menu entries and their gates. `perms`: the user needs any one of them
// (empty: any logged-in user). `modules`: any of these keys in /api/v1/meta
// `modules` (the server names coarse modules: registry, rating, accounts,
// audit). A group (`children`) is shown when any of its entries is.
// `orPerms`: the entry is shown whatever the modules list says when the user
// has one of these (the health checks: a checkup permission means the
// server has the module).
import { can, hasModule } from './store.js'

const CHECKUP_ANY = ['checkup.manage', 'checkup.inspect', 'checkup.respond']
const CONTRACT_ANY = ['contract.draft', 'contract.oversee', 'contract.inquire']
const contract = (path, title, icon, test, perms) => ({ path, title, icon, test, perms, modules: ['contract', 'contracts'], orPerms: CONTRACT_ANY })
const checkup = (path, title, icon, test, perms) => ({ path, title, icon, test, perms, modules: ['checkup'], orPerms: CHECKUP_ANY })

export const NAV = [
  { path: '/', title: '首页', icon: 'HomeFilled', perms: [], modules: null },
  { path: '/areas', title: '区域', icon: 'MapLocation', perms: ['registry.read', 'areas.manage'], modules: ['areas', 'registry'] },
  { path: '/enterprises', title: '企业', icon: 'OfficeBuilding', perms: ['registry.read'], modules: ['enterprises', 'registry'] },
  { path: '/workers', title: '职工', icon: 'User', perms: ['registry.read'], modules: ['workers', 'registry'] },
  { path: '/import', title: '数据导入', icon: 'Upload', perms: ['import'], modules: ['imports', 'import', 'registry', 'enterprises', 'workers'] },
  {
    group: 'rating',
    title: '和谐创建',
    icon: 'Trophy',
    test: 'rating',
    children: [
      { path: '/rating/rubrics', title: '评价标准', icon: 'Notebook', test: 'rating-rubrics', perms: ['rating.manage', 'rating.apply', 'rating.review', 'registry.read'], modules: ['rating'] },
      { path: '/rating/campaigns', title: '创建活动', icon: 'Flag', test: 'rating-campaigns', perms: ['rating.manage', 'rating.apply', 'rating.review'], modules: ['rating'] },
      { path: '/rating/reviews', title: '部门评审', icon: 'Stamp', test: 'rating-reviews', perms: ['rating.review'], modules: ['rating'] },
    ],
  },
  {
    group: 'checkup',
    title: '劳动用工体检',
    icon: 'FirstAidKit',
    test: 'checkup',
    children: [
      checkup('/checkup/targets', '体检名单', 'List', 'checkup-targets', ['checkup.manage']),
      checkup('/checkup/contracts', '服务合同', 'Tickets', 'checkup-contracts', ['checkup.manage']),
      checkup('/checkup/checks', '体检任务', 'Checked', 'checkup-checks', CHECKUP_ANY),
      checkup('/checkup/warnings', '预警处置', 'Warning', 'checkup-warnings', ['checkup.manage']),
      checkup('/checkup/training-priority', '培训重点名单', 'Reading', 'checkup-training', ['checkup.manage', 'checkup.inspect']),
      checkup('/checkup/batches', '分阶段验收', 'Finished', 'checkup-batches', ['checkup.manage', 'checkup.inspect']),
      checkup('/checkup/agencies', '机构监管', 'Management', 'checkup-agencies', ['checkup.manage']),
      checkup('/checkup/analysis', '区域分析', 'DataAnalysis', 'checkup-analysis', ['checkup.manage']),
    ],
  },
  {
    group: 'contract',
    title: '电子劳动合同',
    icon: 'EditPen',
    test: 'contract',
    children: [
      contract('/contracts', '电子合同', 'DocumentChecked', 'contracts', CONTRACT_ANY),
      contract('/contracts/rates', '签约率', 'PieChart', 'contract-rates', ['contract.oversee']),
      contract('/contracts/filing', '备案导出', 'FolderOpened', 'contract-filing', ['contract.oversee']),
      contract('/contracts/verify', '合同验真', 'CircleCheck', 'contract-verify', CONTRACT_ANY),
      contract('/contracts/wage-tiers', '最低工资档次', 'Coin', 'wage-tiers', ['areas.manage']),
    ],
  },
  { path: '/organizations', title: '机构', icon: 'Connection', perms: ['orgs.manage', 'users.manage', 'registry.read'], modules: ['organizations', 'orgs', 'accounts'] },
  { path: '/users', title: '用户与角色', icon: 'Avatar', perms: ['users.manage'], modules: ['users', 'accounts'] },
  { path: '/audit', title: '操作日志', icon: 'Document', perms: ['audit.read'], modules: ['audit'] },
  { path: '/outbox', title: '消息发件箱', icon: 'Message', perms: ['users.manage'], modules: null },
]

// An entry by its path, inside groups too.
export function findNav(path) {
  for (const n of NAV) {
    if (n.path === path) return n
    for (const c of n.children || []) if (c.path === path) return c
  }
  return undefined
}

export function allowed(gate) {
  if (!gate) return true
  if (gate.children) return gate.children.some(allowed)
  if (gate.modules && !hasModule(gate.modules, gate.path) && !(gate.orPerms && gate.orPerms.some((p) => can(p)))) return false
  if (gate.perms && gate.perms.length && !gate.perms.some((p) => can(p))) return false
  return true
}

export function visibleNav() {
  return NAV.filter(allowed).map((n) => (n.children ? { ...n, children: n.children.filter(allowed) } : n))
}
