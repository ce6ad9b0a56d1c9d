// Session, reference data and small caches shared by all pages.
import { reactive, computed } from 'vue'
import { api, setCsrfToken } from './api.js'
import { normList } from './util.js'
import { DEFAULT_AREA_KINDS, DEFAULT_EMPLOYMENT_TYPES, DEFAULT_ORG_KINDS } from './labels.js'

export const state = reactive({
  user: null,
  sessionChecked: false,
  meta: null,
  areas: null,
  roles: null,
})

export function setSession(data) {
  state.user = data ? data.user : null
  setCsrfToken(data ? data.csrf_token : '')
  state.sessionChecked = true
  if (!data) {
    state.areas = null
    state.roles = null
  }
}

export function clearSession() {
  setSession(null)
}

let sessionPromise = null
export async function loadSession(force = false) {
  if (state.sessionChecked && !force) return state.user
  if (!sessionPromise) {
    sessionPromise = api
      .get('/session', undefined, { auth401: false, silent: true })
      .then((d) => { setSession(d); return state.user })
      .catch(() => { setSession(null); return null })
      .finally(() => { sessionPromise = null })
  }
  return sessionPromise
}

let metaPromise = null
export async function loadMeta() {
  if (state.meta) return state.meta
  if (!metaPromise) {
    metaPromise = api
      .get('/meta', undefined, { auth401: false })
      .then((m) => { state.meta = m || {}; return state.meta })
      .catch(() => { state.meta = {}; return state.meta })
      .finally(() => { metaPromise = null })
  }
  return metaPromise
}

export async function loadAreas(force = false) {
  if (state.areas && !force) return state.areas
  const d = await api.get('/areas')
  state.areas = (d && d.items) || []
  return state.areas
}

export async function loadRoles(force = false) {
  if (state.roles && !force) return state.roles
  const d = await api.get('/roles')
  state.roles = (d && d.items) || []
  return state.roles
}

export function can(perm) {
  return !!(state.user && Array.isArray(state.user.permissions) && state.user.permissions.includes(perm))
}

// Whether a module exists on this server: /api/v1/meta lists the menu
// entries that exist. Without a list (old server) everything is assumed.
export function hasModule(keys, path) {
  const mods = state.meta && state.meta.modules
  if (!Array.isArray(mods)) return true
  const want = Array.isArray(keys) ? keys : [keys]
  return mods.some((m) => want.includes(m.key) || (path && m.path === path))
}

// 演示模式: the server runs with `hexie serve --demo` (codes shown in the outbox)
export const demoMode = computed(() => !!(state.meta && state.meta.demo))
export const industries = computed(() => normList(state.meta && state.meta.industries, []))
export const employmentTypes = computed(() => normList(state.meta && state.meta.employment_types, DEFAULT_EMPLOYMENT_TYPES))
export const areaKinds = computed(() => normList(state.meta && state.meta.area_kinds, DEFAULT_AREA_KINDS))
export const orgKinds = computed(() => normList(state.meta && state.meta.org_kinds, DEFAULT_ORG_KINDS))
