// Menu entries and their gates. `perms`: the user needs any one of them
// (empty: any logged-in user). `modules`: any of these keys in /api/v1/meta
// `modules` (the server names coarse modules: registry, accounts, audit).
import { can, hasModule } from './store.js'

export const NAV = [
  { path: '/', title: '首页', icon: 'HomeFilled', perms: [], modules: null },
  { path: '/areas', title: '区域', icon: 'MapLocation', perms: ['registry.read', 'areas.manage'], modules: ['areas', 'registry'] },
  { path: '/enterprises', title: '企业', icon: 'OfficeBuilding', perms: ['registry.read'], modules: ['enterprises', 'registry'] },
  { path: '/workers', title: '职工', icon: 'User', perms: ['registry.read'], modules: ['workers', 'registry'] },
  { path: '/import', title: '数据导入', icon: 'Upload', perms: ['import'], modules: ['imports', 'import', 'registry', 'enterprises', 'workers'] },
  { path: '/organizations', title: '机构', icon: 'Connection', perms: ['orgs.manage', 'users.manage', 'registry.read'], modules: ['organizations', 'orgs', 'accounts'] },
  { path: '/users', title: '用户与角色', icon: 'Avatar', perms: ['users.manage'], modules: ['users', 'accounts'] },
  { path: '/audit', title: '操作日志', icon: 'Document', perms: ['audit.read'], modules: ['audit'] },
]

export function allowed(gate) {
  if (!gate) return true
  if (gate.modules && !hasModule(gate.modules, gate.path)) return false
  if (gate.perms && gate.perms.length && !gate.perms.some((p) => can(p))) return false
  return true
}

export function visibleNav() {
  return NAV.filter(allowed)
}
