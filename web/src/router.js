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
  // 电子劳动合同: the worker's signing link and the worker portal, no login.
  { path: '/s/:token', name: 'sign', component: () => import('./views/SignView.vue'), meta: { public: true, standalone: true, title: '电子劳动合同签署' } },
  { path: '/my', name: 'my', component: () => import('./views/MyContractsView.vue'), meta: { public: true, standalone: true, title: '我的劳动合同' } },
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
      { path: 'checkup', name: 'checkup', redirect: () => (allowed(gate('/checkup/targets')) ? '/checkup/targets' : '/checkup/checks') },
      { path: 'checkup/targets', name: 'checkup-targets', component: () => import('./views/CheckupTargetsView.vue'), meta: { title: '体检名单', gate: gate('/checkup/targets'), menu: '/checkup/targets' } },
      { path: 'checkup/contracts', name: 'checkup-contracts', component: () => import('./views/CheckupContractsView.vue'), meta: { title: '服务合同', gate: gate('/checkup/contracts'), menu: '/checkup/contracts' } },
      { path: 'checkup/checks', name: 'checkup-checks', component: () => import('./views/CheckupChecksView.vue'), meta: { title: '体检任务', gate: gate('/checkup/checks'), menu: '/checkup/checks' } },
      { path: 'checkup/checks/:id(\\d+)', name: 'checkup-check', component: () => import('./views/CheckupCheckView.vue'), meta: { title: '体检详情', gate: gate('/checkup/checks'), menu: '/checkup/checks' } },
      { path: 'checkup/checks/:id(\\d+)/inspect', name: 'checkup-inspect', component: () => import('./views/CheckupInspectView.vue'), meta: { title: '现场体检', gate: gate('/checkup/checks'), menu: '/checkup/checks' } },
      { path: 'checkup/checks/:id(\\d+)/report', name: 'checkup-report', component: () => import('./views/CheckupReportView.vue'), meta: { title: '体检报告', gate: gate('/checkup/checks'), menu: '/checkup/checks' } },
      { path: 'checkup/warnings', name: 'checkup-warnings', component: () => import('./views/CheckupWarningsView.vue'), meta: { title: '预警处置', gate: gate('/checkup/warnings'), menu: '/checkup/warnings' } },
      { path: 'checkup/training-priority', name: 'checkup-training', component: () => import('./views/CheckupTrainingView.vue'), meta: { title: '培训重点名单', gate: gate('/checkup/training-priority'), menu: '/checkup/training-priority' } },
      { path: 'checkup/batches', name: 'checkup-batches', component: () => import('./views/CheckupBatchesView.vue'), meta: { title: '分阶段验收', gate: gate('/checkup/batches'), menu: '/checkup/batches' } },
      { path: 'checkup/batches/:id(\\d+)', name: 'checkup-batch', component: () => import('./views/CheckupBatchView.vue'), meta: { title: '验收批次', gate: gate('/checkup/batches'), menu: '/checkup/batches' } },
      { path: 'checkup/agencies', name: 'checkup-agencies', component: () => import('./views/CheckupAgenciesView.vue'), meta: { title: '机构监管', gate: gate('/checkup/agencies'), menu: '/checkup/agencies' } },
      { path: 'checkup/analysis', name: 'checkup-analysis', component: () => import('./views/CheckupAnalysisView.vue'), meta: { title: '区域分析', gate: gate('/checkup/analysis'), menu: '/checkup/analysis' } },
      { path: 'contracts', name: 'contracts', component: () => import('./views/ContractsView.vue'), meta: { title: '电子合同', gate: gate('/contracts'), menu: '/contracts' } },
      { path: 'contracts/:id(\\d+)', name: 'contract', component: () => import('./views/ContractDetailView.vue'), meta: { title: '合同详情', gate: gate('/contracts'), menu: '/contracts' } },
      { path: 'contracts/rates', name: 'contract-rates', component: () => import('./views/ContractRatesView.vue'), meta: { title: '签约率', gate: gate('/contracts/rates'), menu: '/contracts/rates' } },
      { path: 'contracts/filing', name: 'contract-filing', component: () => import('./views/ContractFilingView.vue'), meta: { title: '备案导出', gate: gate('/contracts/filing'), menu: '/contracts/filing' } },
      { path: 'contracts/verify', name: 'contract-verify', component: () => import('./views/ContractVerifyView.vue'), meta: { title: '合同验真', gate: gate('/contracts/verify'), menu: '/contracts/verify' } },
      { path: 'contracts/wage-tiers', name: 'wage-tiers', component: () => import('./views/WageTiersView.vue'), meta: { title: '最低工资档次', gate: gate('/contracts/wage-tiers'), menu: '/contracts/wage-tiers' } },
      { path: 'outbox', name: 'outbox', component: () => import('./views/OutboxView.vue'), meta: { title: '消息发件箱', gate: gate('/outbox') } },
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
  // The login page answers a 401 itself; a public page (the poll, the
  // signing link) has none.
  if (cur.name === 'login' || (cur.meta && cur.meta.public)) return
  if (!expiredShown) {
    expiredShown = true
    ElMessage.warning('登录已过期，请重新登录')
    setTimeout(() => { expiredShown = false }, 3000)
  }
  router.replace({ name: 'login', query: cur.fullPath && cur.fullPath !== '/' ? { redirect: cur.fullPath } : {} })
})

export default router
