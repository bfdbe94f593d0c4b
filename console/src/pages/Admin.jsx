import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Descriptions, Form, Input, Modal, Select, Space, Table, Tabs, Tag, Typography, message } from 'antd'
import { get, post } from '../api.js'
import { useT } from '../i18n.js'
import { money, time, userZone } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'

function Profile({ me }) {
  const { t } = useT()
  const [zone, setZone] = useState(userZone())
  return (
    <Card title={t('profile')}>
      <Descriptions column={1} bordered size="small" items={[
        { label: t('name'), children: me.user.display_name }, { label: t('loginName'), children: me.user.login_name },
        { label: t('organisation'), children: `${me.organisation.name} (${me.organisation.kind})` },
        { label: t('roles'), children: me.roles.map((r) => <Tag key={r.key}>{r.title_zh} / {r.title}</Tag>) },
        { label: t('timeZone'), children: <Select showSearch style={{ width: 240 }} value={zone} onChange={(z) => {
          localStorage.setItem('console.tz', z); setZone(z); message.success(t('saved'))
        }} options={Intl.supportedValuesOf('timeZone').map((z) => ({ value: z, label: z }))} /> }]} />
    </Card>
  )
}

function Users() {
  const { t } = useT()
  const list = useServerList('/users', {})
  const [open, setOpen] = useState(false)
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const [roles, setRoles] = useState([])
  useEffect(() => { get('/roles').then((d) => setRoles(d.items || d)).catch(() => {}) }, [])
  const create = async (v) => {
    setError(null)
    try {
      const created = await post('/users', v)
      setOpen(false); form.resetFields(); list.reload()
      // the one-time password is shown once, here, and never again
      Modal.info({ title: t('password'), content: <Typography.Text copyable code data-testid="one-time-password">{created.password}</Typography.Text> })
    } catch (err) { setError(showErrors(form, err, ['login_name', 'display_name', 'roles', 'email', 'phone', 'department_id'])) }
  }
  return (
    <Card title={t('users')} extra={<Space><Input.Search allowClear onSearch={(q) => list.setParams({ q })} />
      <Button type="primary" onClick={() => setOpen(true)} data-testid="new-user">+</Button></Space>}>
      <Table rowKey="id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} columns={[
          { title: t('loginName'), dataIndex: 'login_name' }, { title: t('name'), dataIndex: 'display_name' },
          { title: t('roles'), dataIndex: 'roles', render: (v) => v.map((r) => <Tag key={r}>{r}</Tag>) },
          { title: t('status'), dataIndex: 'active', render: (v) => (v ? <Tag color="green">active</Tag> : <Tag>inactive</Tag>) },
          { title: t('created'), dataIndex: 'created_at', render: time }]} />
      <Modal open={open} title={t('users')} onCancel={() => setOpen(false)} onOk={() => form.submit()}>
        <Form form={form} layout="vertical" onFinish={create} data-testid="user-form">
          {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
          <Form.Item name="login_name" label={t('loginName')}><Input /></Form.Item>
          <Form.Item name="display_name" label={t('name')}><Input /></Form.Item>
          <Form.Item name="email" label="E-mail"><Input /></Form.Item>
          <Form.Item name="roles" label={t('roles')} initialValue={[]}>
            <Select mode="multiple" options={roles.map((r) => ({ value: r.key, label: `${r.title_zh} / ${r.title}` }))} /></Form.Item>
        </Form>
      </Modal>
    </Card>
  )
}

function Simple({ title, path, columns, initial = {}, rowKey = 'id', pick = (d) => d }) {
  const list = useServerList(path, initial)
  return (
    <Card title={title}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey={rowKey} dataSource={pick(list.data).items || pick(list.data)} loading={list.loading}
        pagination={list.pagination} onChange={list.onTableChange} columns={columns} />
    </Card>
  )
}

function Holidays() {
  const { t } = useT()
  const [year, setYear] = useState(new Date().getFullYear())
  const [data, setData] = useState(null)
  useEffect(() => { get(`/calendar/${year}`).then(setData).catch(() => setData({ days: [] })) }, [year])
  const days = (data && (data.days || data.items)) || []
  return (
    <Card title="节假日 / Holidays" extra={<Select value={year} onChange={setYear} options={[year - 1, year, year + 1].map((y) => ({ value: y, label: y }))} />}>
      <Table rowKey={(r) => r.day || r.date} size="small" dataSource={days} loading={!data} columns={[
        { title: t('time'), dataIndex: 'day', render: (v, r) => v || r.date }, { title: t('kind'), dataIndex: 'kind' },
        { title: t('name'), dataIndex: 'name' }]} />
    </Card>
  )
}

function Billing({ me }) {
  const { t, lang } = useT()
  const orders = [
    { title: t('orderId'), dataIndex: 'id', ellipsis: true }, { title: 'Code', dataIndex: 'product_code' },
    { title: t('amount'), dataIndex: 'amount', render: (v, r) => money(v, r.currency, lang) },
    { title: t('status'), dataIndex: 'status', render: (v) => <Tag>{v}</Tag> },
    { title: t('created'), dataIndex: 'created_at', sorter: true, render: time }]
  return (
    <Tabs items={[
      { key: 'orders', label: t('orders'), children: <Simple title={t('orders')} path="/billing/orders" columns={orders} /> },
      { key: 'subs', label: t('subscriptions'), children: <Simple title={t('subscriptions')} path="/billing/subscriptions" columns={[
        { title: 'Code', dataIndex: 'product_code' }, { title: t('status'), dataIndex: 'status', render: (v) => <Tag>{v}</Tag> },
        { title: t('created'), dataIndex: 'requested_at', render: time }, { title: 'Decided', dataIndex: 'decided_at', render: time }]} /> },
      ...(me.organisation.kind !== 'customer' ? [] : []),
      { key: 'credit', label: t('credit'), children: <Simple title={t('credit')} path="/billing/credit-accounts" rowKey={(r) => `${r.customer_id}-${r.supplier_id}`} columns={[
        { title: t('customer'), dataIndex: 'customer_id', ellipsis: true }, { title: 'Supplier', dataIndex: 'supplier_id', ellipsis: true },
        { title: 'Limit', dataIndex: 'limit', render: (v, r) => money(v, r.currency, lang) },
        { title: 'Used', dataIndex: 'used', render: (v, r) => money(v, r.currency, lang) },
        { title: 'Available', dataIndex: 'available', render: (v, r) => money(v, r.currency, lang) }]} /> },
    ]} />
  )
}

export default function Admin({ me, view }) {
  const { t } = useT()
  if (view === 'profile') return <Profile me={me} />
  if (view === 'users') return <Users />
  if (view === 'holidays') return <Holidays />
  if (view === 'billing') return <Billing me={me} />
  if (view === 'roles') return <Simple title={t('roles')} path="/roles" rowKey="key" columns={[
    { title: 'Key', dataIndex: 'key' }, { title: t('name'), render: (_, r) => `${r.title_zh} / ${r.title}` },
    { title: t('kind'), dataIndex: 'org_kind' }, { title: t('description'), dataIndex: 'description' }]} />
  if (view === 'message_templates') return <Simple title="消息模板 / Message templates" path="/message-templates" columns={[
    { title: t('name'), dataIndex: 'name', sorter: true }, { title: 'Channel', dataIndex: 'channel' },
    { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time }]} />
  if (view === 'audit_log') return <Simple title={t('auditLog')} path="/audit-log" columns={[
    { title: t('time'), dataIndex: 'at', render: time }, { title: t('action'), dataIndex: 'action' },
    { title: t('actor'), dataIndex: 'actor_user_id', ellipsis: true }, { title: 'Subject', dataIndex: 'subject_type' }]} />
  if (view === 'organisations') return <Simple title={t('organisations')} path="/organisations" columns={[
    { title: t('name'), dataIndex: 'name' }, { title: t('kind'), dataIndex: 'kind', render: (v) => <Tag>{v}</Tag> },
    { title: t('created'), dataIndex: 'created_at', render: time }]} />
  return null
}
