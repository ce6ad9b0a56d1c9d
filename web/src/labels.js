// Chinese labels for keys the API uses, and fallbacks for reference lists
// the server's /api/v1/meta normally supplies.

export const PRODUCT_NAME = '和谐同行 · 劳动关系治理平台'
export const PRODUCT_SHORT = '和谐'

export const PERMISSION_LABELS = {
  'registry.read': '查看企业与职工名册',
  'registry.write': '新增、编辑企业与职工',
  'registry.delete': '删除与恢复企业、职工',
  import: '批量导入',
  'pii.read': '查看完整身份证号码',
  'areas.manage': '管理区域',
  'orgs.manage': '管理机构',
  'users.manage': '管理用户与角色',
  'audit.read': '查看操作日志',
  'rating.manage': '组织和谐创建活动',
  'rating.apply': '申报与自评',
  'rating.review': '部门评审',
  'checkup.manage': '组织劳动用工体检',
  'checkup.inspect': '现场体检',
  'checkup.respond': '查看体检报告与整改',
  'contract.draft': '起草、发送、签署劳动合同',
  'contract.oversee': '查看合同、备案导出与签约率',
  'contract.inquire': '凭案号调取合同与证据包',
}

export const SCOPE_KIND_LABELS = {
  county: '全县',
  area: '所辖区域',
  enterprise: '本企业',
  org: '本机构服务的企业',
  self: '本人',
}

export const ACTION_LABELS = {
  create: '新增',
  update: '修改',
  delete: '删除',
  restore: '恢复',
  import: '导入',
  login: '登录',
  login_failed: '登录失败',
  logout: '退出登录',
  password_change: '修改密码',
  password_reset: '重置密码',
  export: '导出',
  submit: '提交申报',
  review: '评审',
  override: '调整指标',
  upload: '上传佐证',
  poll_issue: '发放测评链接',
  remind: '催办',
  close: '截止申报',
  confirm: '确认结果',
  publish: '发布',
  fix: '确定名单',
  assign: '委托体检',
  inspect: '现场体检',
  report: '生成体检报告',
  acknowledge: '确认已阅',
  rectify: '填报整改',
  followup: '整改回访',
  regrade: '重新评级',
  archive: '归档',
  rate: '服务评价',
  'contract.document': '下载合同文件',
  'contract.package': '下载证据包',
  'contract.inquire': '凭案号调取合同',
}

export const OBJECT_TYPE_LABELS = {
  enterprise: '企业',
  worker: '职工',
  area: '区域',
  organization: '机构',
  user: '用户',
  session: '会话',
  import: '导入',
  role: '角色',
  rating_campaign: '创建活动',
  rating_application: '创建申报',
  checkup_targets: '体检名单',
  checkup_target: '体检名单',
  checkup_contract: '服务合同',
  checkup_check: '劳动用工体检',
  checkup_warning: '体检预警',
}

// Field names in audit "changes" and enterprise history.
export const FIELD_LABELS = {
  uscc: '统一社会信用代码',
  name: '名称',
  legal_representative: '法定代表人',
  address: '地址',
  area_id: '所属区域',
  industry: '行业门类',
  registered_on: '成立日期',
  employee_count: '职工人数',
  above_scale: '规模以上',
  is_company: '公司制',
  special_difficulty: '特殊困难',
  is_sme: '中小微',
  enterprise_id: '所属企业',
  id_number: '身份证号码',
  phone: '手机号码',
  hire_date: '入职日期',
  job: '岗位',
  employment_type: '用工形式',
  leave_date: '离职日期',
  code: '代码',
  kind: '类型',
  parent_id: '上级区域',
  former_name: '曾用名',
  contact: '联系人',
  username: '用户名',
  display_name: '姓名',
  role: '角色',
  org_id: '所属机构',
  worker_id: '职工编号',
  disabled: '已停用',
  deleted_at: '删除时间',
  enterprise_ids: '服务企业',
  password: '密码',
  must_change_password: '须修改密码',
  filename: '文件名',
  rows: '行数',
  imported_rows: '导入条数',
  included: '列入名单',
  targets_added: '新列入企业数',
  check_count: '体检家数',
  fee: '服务费用',
  org: '承担机构',
  scheduled_on: '体检日期',
  inspector_id: '体检人员',
  grade: '评级',
  score: '风险分',
  status: '状态',
}

export const IMPORT_STATUS_LABELS = {
  queued: '排队中',
  validating: '正在校验',
  importing: '正在导入',
  done: '已完成',
  failed: '未导入',
}

export const DEFAULT_EMPLOYMENT_TYPES = [
  { key: 'full_time', name: '全日制' },
  { key: 'part_time', name: '非全日制' },
  { key: 'dispatched', name: '劳务派遣' },
]

export const DEFAULT_AREA_KINDS = [
  { key: 'county', name: '县' },
  { key: 'street', name: '街道' },
  { key: 'town', name: '镇' },
  { key: 'township', name: '乡' },
  { key: 'park', name: '园区' },
]

export const DEFAULT_ORG_KINDS = [
  { key: 'department', name: '县级部门/考评单位' },
  { key: 'agency', name: '第三方服务机构' },
  { key: 'union', name: '工会' },
  { key: 'mediation', name: '调解组织' },
  { key: 'task_force', name: '专班' },
  { key: 'enterprise_org', name: '企业' },
  { key: 'labor_inspection', name: '劳动保障监察机构' },
  { key: 'arbitration', name: '劳动人事争议仲裁委员会' },
  { key: 'court', name: '人民法院' },
]

export const ENTERPRISE_FLAGS = [
  { key: 'above_scale', name: '规模以上' },
  { key: 'is_company', name: '公司制' },
  { key: 'newly_registered', name: '新注册' },
  { key: 'special_difficulty', name: '特殊困难' },
  { key: 'is_sme', name: '中小微' },
]
