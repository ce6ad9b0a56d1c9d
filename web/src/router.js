import { createRouter, createWebHistory } from 'vue-router'
import { ElMessage } from 'element-plus'
import AppLayout from './layout/AppLayout.vue'
import { allowed, findNav } from './nav.js'
import { loadMeta, loadSession, clearSession } from './store.js'
import { onUnauthorized } from './api.js'

const gate = (path) => findNav(path)

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  // A worker's one-time poll link: no login, no layout, no session lookup.
  { path: '/poll/:applicationId/:token', name: 'poll', component: () => import('./views/PollView.vue'), meta: { public: true, standalone: true, title: '民主测评' } },
  {
    path: '/',
    component: AppLayout,
    children: [
      { path: '', name: 'home', component: () => import('./views/HomeView.vue'), meta: { title: '首页' } },
      { path: 'areas', name: 'areas', component: () => import('./views/AreasView.vue'), meta: { title: '区域', gate: gate('/areas') } },
      { path: 'enterprises', name: 'enterprises', component: () => import('./views/EnterprisesView.vue'), meta: { title: '企业', gate: gate('/enterprises') } },
      { path: 'enterprises/:id(\\d+)', name: 'enterprise', component: () => import('./views/EnterpriseDetailView.vue'), meta: { title: '企业详情', gate: gate('/enterprises'), menu: '/enterprises' } },
      { path: 'workers', name: 'workers', component: () => import('./views/WorkersView.vue'), meta: { title: '职工', gate: gate('/workers') } },
      { path: 'import', name: 'import', component: () => import('./views/ImportView.vue'), meta: { title: '数据导入', gate: gate('/import') } },
      { path: 'organizations', name: 'organizations', component: () => import('./views/OrganizationsView.vue'), meta: { title: '机构', gate: gate('/organizations') } },
      { path: 'users', name: 'users', component: () => import('./views/UsersView.vue'), meta: { title: '用户与角色', gate: gate('/users') } },
      { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { title: '操作日志', gate: gate('/audit') } },
      { path: 'rating', name: 'rating', redirect: () => (allowed(gate('/rating/campaigns')) ? '/rating/campaigns' : '/rating/rubrics') },
      { path: 'rating/rubrics', name: 'rubrics', component: () => import('./views/RubricsView.vue'), meta: { title: '评价标准', gate: gate('/rating/rubrics'), menu: '/rating/rubrics' } },
      { path: 'rating/rubrics/:id', name: 'rubric', component: () => import('./views/RubricDetailView.vue'), meta: { title: '评价标准', gate: gate('/rating/rubrics'), menu: '/rating/rubrics' } },
      { path: 'rating/campaigns', name: 'campaigns', component: () => import('./views/CampaignsView.vue'), meta: { title: '创建活动', gate: gate('/rating/campaigns'), menu: '/rating/campaigns' } },
      { path: 'rating/campaigns/:id(\\d+)', name: 'campaign', component: () => import('./views/CampaignDetailView.vue'), meta: { title: '创建活动', gate: gate('/rating/campaigns'), menu: '/rating/campaigns' } },
      { path: 'rating/applications/:id(\\d+)', name: 'application', component: () => import('./views/ApplicationView.vue'), meta: { title: '申报与评审', gate: gate('/rating/campaigns'), menu: '/rating/campaigns' } },
      { path: 'rating/reviews', name: 'reviews', component: () => import('./views/ReviewsView.vue'), meta: { title: '部门评审', gate: gate('/rating/reviews'), menu: '/rating/reviews' } },
      { path: ':pathMatch(.*)*', name: 'notfound', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
    ],
  },
]

const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach(async (to) => {
  if (to.meta.standalone) return true
  await loadMeta()
  const user = await loadSession()
  if (to.meta.public) {
    if (to.name === 'login' && user) {
      const r = typeof to.query.redirect === 'string' && to.query.redirect.startsWith('/') ? to.query.redirect : '/'
      return r
    }
    return true
  }
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  if (to.meta.gate && !allowed(to.meta.gate)) {
    ElMessage.warning('您没有权限访问该页面')
    return to.name === 'home' ? true : { name: 'home' }
  }
  return true
})

router.afterEach((to) => {
  const t = to.meta && to.meta.title
  document.title = t ? `${t} - 和谐同行 · 劳动关系治理平台` : '和谐同行 · 劳动关系治理平台'
})

let expiredShown = false
onUnauthorized(() => {
  const cur = router.currentRoute.value
  clearSession()
  // The login page answers a 401 itself; a public page (the poll) has none.
  if (cur.name === 'login' || (cur.meta && cur.meta.public)) return
  if (!expiredShown) {
    expiredShown = true
    ElMessage.warning('登录已过期，请重新登录')
    setTimeout(() => { expiredShown = false }, 3000)
  }
  router.replace({ name: 'login', query: cur.fullPath && cur.fullPath !== '/' ? { redirect: cur.fullPath } : {} })
})

export default router
