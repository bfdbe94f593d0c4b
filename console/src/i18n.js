import { createContext, useContext } from 'react'
import * as flow from './i18n_flow.js'
import * as org from './i18n_org.js'

// zh-CN first (the market's language), English second; a missing key shows the English text.
const zh = {
  signIn: '登录', signOut: '退出登录', loginName: '登录名', password: '密码', console: '交付平台控制台',
  changePassword: '修改密码', firstLogin: '首次登录请修改初始密码', currentPassword: '当前密码',
  newPassword: '新密码', save: '保存', cancel: '取消', search: '查询', reset: '重置', all: '全部',
  queued: '待分配', in_progress: '进行中', paused: '已暂停', completed: '已完成', cancelled: '已取消',
  late: '超时', orderId: '订单号', product: '产品', status: '状态', currentNode: '当前节点',
  created: '创建时间', startDate: '开始日期', endDate: '结束日期', updated: '更新时间', due: '截止时间', actions: '操作', view: '查看',
  flow: '服务流程', messages: '留言', notes: '备注', files: '文件', log: '流程日志', send: '发送',
  submitRequirements: '提交需求', confirm: '确认', reject: '驳回', complete: '确认完成', rate: '评价',
  reason: '原因', comment: '评语', score: '评分', customer: '客户', provider: '服务商', vendor: '厂商',
  waiting: '等待对方处理', yourTurn: '轮到您处理', project: '项目', back: '返回', refresh: '刷新',
  dashboard: '数据看板', newPerDay: '近7日新增', newPerMonth: '近6个月新增', saturation: '饱和度',
  status30: '近30天状态', avgDays: '平均完成天数', queue: '排队情况', level: '层级', waited: '已等待',
  capacity: '持单量', open: '接单开关', held: '持有', weight: '权重', maxHeld: '最大持单量',
  providers: '服务商配置', tickets: '工单', newTicket: '提交工单', title: '标题', description: '描述',
  category: '类别', tier: '级别', reply: '回复', note: '内部备注', onDuty: '上班', offDuty: '下班',
  breached: '已超SLA', complaint: '投诉', sla: 'SLA 剩余', templates: '模板', versions: '版本',
  approve: '通过', name: '名称', orders: '订单', subscriptions: '订阅', amount: '金额', profile: '个人信息',
  organisation: '组织', roles: '角色', language: '语言', timeZone: '时区', notBuilt: '此页面尚未提供',
  total: '共 {n} 条', saved: '已保存', done: '操作成功', users: '用户', kind: '类型', time: '时间',
  action: '动作', actor: '操作人', loading: '加载中', noAction: '当前节点无需您操作',
  requirementsForm: '需求表单', products: '产品中心', escalate: '升级', publicTemplates: '公共模板',
  approvals: '模板审核', auditLog: '审计日志', organisations: '组织管理', credit: '信用账户',
  // projects, dispatch and dashboards
  toDo: '待办', handled: '已办', completedAt: '完成时间', productCode: '产品编码', operator: '操作人',
  pausedNote: '项目已暂停，恢复后继续计时', download: '下载', claimedBy: '认领人', claimOrder: '订单认领', claim: '认领',
  required: '必填', changeOperator: '更换操作人', noOperatorNode: '当前没有可更换操作人的分配节点',
  noCandidates: '没有同角色且有空余持单量的人员', changeProvider: '更换服务商', pause: '暂停', resume: '恢复',
  cancelProject: '取消项目', fileEmpty: '文件为空', fileTooLarge: '文件超过 {mb} MB', uploaded: '已上传',
  uploadFile: '上传文件', uploadHint: 'PDF、图片、Office、文本、CSV、ZIP，最大 20 MB', bindTemplate: '绑定模板',
  newProduct: '新增产品', code: '编码', template: '服务模板', productId: '产品ID', spare: '空余',
  kind_assign_provider: '分配服务商', kind_submit_requirements: '提交需求', kind_confirm: '确认',
  kind_claim_order: '认领订单', kind_assign_order: '分配订单', kind_generic: '通用节点', kind_complete_project: '项目完成',
  log_created: '创建', log_provider_assigned: '分配服务商', log_queued: '排队', log_operator_assigned: '分配操作人',
  log_operator_changed: '更换操作人', log_order_claimed: '认领订单', log_node_reached: '到达节点',
  log_node_completed: '完成节点', log_rejected: '驳回', log_paused: '暂停', log_resumed: '恢复', log_cancelled: '取消',
  log_provider_changed: '更换服务商', log_completed: '项目完成', log_rated: '评价', log_timed_out: '超时',
  new: '新增', delivered: '已交付', dispatchNow: '立即分配', openedCount: '开放接单', closedCount: '关闭接单',
  note_: '备注', bandGreen: '< 40%', bandBlue: '40%–80%', bandRed: '> 80%',
}
const en = {
  signIn: 'Sign in', signOut: 'Sign out', loginName: 'Login name', password: 'Password',
  console: 'Delivery Platform Console', changePassword: 'Change password',
  firstLogin: 'First sign-in: please replace the one-time password', currentPassword: 'Current password',
  newPassword: 'New password', save: 'Save', cancel: 'Cancel', search: 'Search', reset: 'Reset', all: 'All',
  queued: 'Queued', in_progress: 'In progress', paused: 'Paused', completed: 'Completed', cancelled: 'Cancelled',
  late: 'Late', orderId: 'Order', product: 'Product', status: 'Status', currentNode: 'Current node',
  created: 'Created', startDate: 'Start date', endDate: 'End date', updated: 'Updated', due: 'Due', actions: 'Actions', view: 'View', flow: 'Flow',
  messages: 'Messages', notes: 'Notes', files: 'Files', log: 'Flow log', send: 'Send',
  submitRequirements: 'Submit requirements', confirm: 'Confirm', reject: 'Reject', complete: 'Complete',
  rate: 'Rate', reason: 'Reason', comment: 'Comment', score: 'Score', customer: 'Customer',
  provider: 'Provider', vendor: 'Vendor', waiting: 'Waiting for the other side', yourTurn: 'Your turn',
  project: 'Project', back: 'Back', refresh: 'Refresh', dashboard: 'Dashboard', newPerDay: 'New per day',
  newPerMonth: 'New per month', saturation: 'Saturation', status30: 'Last 30 days',
  avgDays: 'Average completion (days)', queue: 'Queue', level: 'Level', waited: 'Waited',
  capacity: 'Capacity', open: 'Open for orders', held: 'Held', weight: 'Weight', maxHeld: 'Maximum held',
  providers: 'Providers', tickets: 'Tickets', newTicket: 'Open a ticket', title: 'Title',
  description: 'Description', category: 'Category', tier: 'Tier', reply: 'Reply', note: 'Internal note',
  onDuty: 'On duty', offDuty: 'Off duty', breached: 'SLA breached', complaint: 'Complaint',
  sla: 'SLA left', templates: 'Templates', versions: 'Versions', approve: 'Approve', name: 'Name',
  orders: 'Orders', subscriptions: 'Subscriptions', amount: 'Amount', profile: 'Profile',
  organisation: 'Organisation', roles: 'Roles', language: 'Language', timeZone: 'Time zone',
  notBuilt: 'This page is not available yet', total: '{n} in all', saved: 'Saved', done: 'Done',
  users: 'Users', kind: 'Kind', time: 'Time', action: 'Action', actor: 'Actor', loading: 'Loading',
  noAction: 'Nothing for you to do at the current node', requirementsForm: 'Requirements form',
  products: 'Products', escalate: 'Escalate', publicTemplates: 'Public templates',
  approvals: 'Template approvals', auditLog: 'Audit log', organisations: 'Organisations', credit: 'Credit accounts',
  // projects, dispatch and dashboards
  toDo: 'To do', handled: 'Done', completedAt: 'Completed', productCode: 'Product code', operator: 'Operator',
  pausedNote: 'The project is paused; its clock runs again when resumed', download: 'Download',
  claimedBy: 'Claimed by', claimOrder: 'Claim an order', claim: 'Claim', required: 'Required',
  changeOperator: 'Change operator', noOperatorNode: 'No assign-order node whose operator could change',
  noCandidates: 'Nobody with this role has spare capacity', changeProvider: 'Change provider', pause: 'Pause',
  resume: 'Resume', cancelProject: 'Cancel project', fileEmpty: 'the file is empty',
  fileTooLarge: 'larger than {mb} MB', uploaded: 'Uploaded', uploadFile: 'Upload a file',
  uploadHint: 'PDF, images, Office, text, CSV, ZIP; at most 20 MB', bindTemplate: 'Bind template',
  newProduct: 'New product', code: 'Code', template: 'Service template', productId: 'Product id', spare: 'Spare',
  kind_assign_provider: 'Assign provider', kind_submit_requirements: 'Submit requirements', kind_confirm: 'Confirm',
  kind_claim_order: 'Claim order', kind_assign_order: 'Assign order', kind_generic: 'Work',
  kind_complete_project: 'Complete project',
  log_created: 'created', log_provider_assigned: 'provider assigned', log_queued: 'queued',
  log_operator_assigned: 'operator assigned', log_operator_changed: 'operator changed',
  log_order_claimed: 'order claimed', log_node_reached: 'node reached', log_node_completed: 'node completed',
  log_rejected: 'rejected', log_paused: 'paused', log_resumed: 'resumed', log_cancelled: 'cancelled',
  log_provider_changed: 'provider changed', log_completed: 'completed', log_rated: 'rated', log_timed_out: 'timed out',
  new: 'New', delivered: 'Delivered', dispatchNow: 'Dispatch now', openedCount: 'open', closedCount: 'closed',
  note_: 'Note', bandGreen: '< 40%', bandBlue: '40%–80%', bandRed: '> 80%',
}
export const dictionaries = { zh: { ...zh, ...flow.zh, ...org.zh }, en: { ...en, ...flow.en, ...org.en } }
export const LangContext = createContext({ lang: 'zh', t: (k) => k, setLang: () => {} })
export const useT = () => useContext(LangContext)
export function translator(lang) {
  const d = dictionaries[lang] || zh
  return (key, vars) => {
    let s = d[key] ?? en[key] ?? key
    if (vars) Object.entries(vars).forEach(([k, v]) => { s = s.replace(`{${k}}`, v) })
    return s
  }
}
