import { createContext, useContext } from 'react'

// zh-CN first (the market's language), English second; a missing key shows the English text.
const zh = {
  signIn: '登录', signOut: '退出登录', loginName: '登录名', password: '密码', console: '交付平台控制台',
  changePassword: '修改密码', firstLogin: '首次登录请修改初始密码', currentPassword: '当前密码',
  newPassword: '新密码', save: '保存', cancel: '取消', search: '查询', reset: '重置', all: '全部',
  queued: '待分配', in_progress: '进行中', paused: '已暂停', completed: '已完成', cancelled: '已取消',
  late: '超时', orderId: '订单号', product: '产品', status: '状态', currentNode: '当前节点',
  created: '创建时间', updated: '更新时间', due: '截止时间', actions: '操作', view: '查看',
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
}
const en = {
  signIn: 'Sign in', signOut: 'Sign out', loginName: 'Login name', password: 'Password',
  console: 'Delivery Platform Console', changePassword: 'Change password',
  firstLogin: 'First sign-in: please replace the one-time password', currentPassword: 'Current password',
  newPassword: 'New password', save: 'Save', cancel: 'Cancel', search: 'Search', reset: 'Reset', all: 'All',
  queued: 'Queued', in_progress: 'In progress', paused: 'Paused', completed: 'Completed', cancelled: 'Cancelled',
  late: 'Late', orderId: 'Order', product: 'Product', status: 'Status', currentNode: 'Current node',
  created: 'Created', updated: 'Updated', due: 'Due', actions: 'Actions', view: 'View', flow: 'Flow',
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
}
export const dictionaries = { zh, en }
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
