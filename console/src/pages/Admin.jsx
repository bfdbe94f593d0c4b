import React, { useCallback, useEffect, useMemo, useState } from 'react'
import { Alert, Button, Card, Checkbox, Col, Descriptions, Form, Input, InputNumber, Modal, Popconfirm, Row, Select, Space,
  Table, Tag, Tree, TreeSelect, Typography, message } from 'antd'
import { get, getTokens, patch, post, put, saveTokens, api } from '../api.js'
import { useT } from '../i18n.js'
import { time, userZone } from '../format.js'
import { showErrors } from '../errors.js'
import Projects, { useServerList } from './Projects.jsx'
import { go } from '../App.jsx'
import MessageTemplates from './MessageTemplates.jsx'

const ZONES = Intl.supportedValuesOf('timeZone').map((z) => ({ value: z, label: z }))
const CHANNELS = ['inbox', 'sms', 'email', 'dingtalk', 'wechat_work']

// the one-time password (ORG-4): shown in this dialog once, never stored, never fetched again
export function showOneTimePassword(t, login, password) {
  Modal.success({
    title: t('oneTimePassword'), width: 460, okText: t('notedIt'),
    content: <Space direction="vertical">
      <Typography.Text>{t('oneTimePasswordHint', { login })}</Typography.Text>
      <Typography.Text copyable code style={{ fontSize: 18 }} data-testid="one-time-password">{password}</Typography.Text>
    </Space>,
  })
}

function Profile({ me }) {
  const { t, lang, setLang } = useT()
  const [contact] = Form.useForm()
  const [prefs] = Form.useForm()
  const [pwd] = Form.useForm()
  const [errors, setErrors] = useState({})
  useEffect(() => {
    // unset on the server: what the console shows now
    const shown = { timezone: userZone(), language: lang === 'en' ? 'en' : 'zh-CN', channels: ['inbox'] }
    get('/notification-preferences').then((p) => prefs.setFieldsValue({
      timezone: p.timezone || shown.timezone, language: p.language || shown.language, channels: p.channels || shown.channels }))
      .catch(() => prefs.setFieldsValue(shown))
  }, [prefs]) // eslint-disable-line
  const fail = (key, form, names) => (err) => setErrors((e) => ({ ...e, [key]: showErrors(form, err, names) }))
  const saveContact = (v) => { setErrors((e) => ({ ...e, contact: null }))
    patch(`/users/${me.user.id}`, v).then(() => message.success(t('saved')))
      .catch(fail('contact', contact, ['display_name', 'email', 'phone'])) }
  const savePrefs = (v) => { setErrors((e) => ({ ...e, prefs: null }))
    put('/notification-preferences', v).then((p) => {
      // the console follows the saved choice: times in this zone, this language
      localStorage.setItem('console.tz', p.timezone || v.timezone)
      setLang((p.language || v.language) === 'en' ? 'en' : 'zh')
      message.success(t('saved'))
    }).catch(fail('prefs', prefs, ['timezone', 'language', 'channels'])) }
  const changePassword = async (v) => {
    setErrors((e) => ({ ...e, pwd: null }))
    try {
      await post('/auth/password', v)
      // ORG-4: the change ends every token held; sign in again with the new password
      const { login_name: login } = getTokens() || {}
      saveTokens({ ...(await post('/auth/login', { login_name: login || me.user.login_name, password: v.new_password })),
        login_name: login || me.user.login_name })
      pwd.resetFields(); message.success(t('saved'))
    } catch (err) { fail('pwd', pwd, ['current_password', 'new_password'])(err) }
  }
  const box = (key) => errors[key] && <Alert type="error" message={errors[key]} style={{ marginBottom: 12 }} />
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Card title={t('profile')}>
        <Descriptions column={2} bordered size="small" items={[
          { label: t('loginName'), children: me.user.login_name },
          { label: t('organisation'), children: `${me.organisation.name} (${me.organisation.kind})` },
          { label: t('department'), children: me.department ? (me.department.path || [me.department.name]).join(' / ') : '—' },
          { label: t('roles'), children: me.roles.map((r) => <Tag key={r.key}>{r.title_zh} / {r.title}</Tag>) }]} />
      </Card>
      <Row gutter={16}>
        <Col span={8}><Card title={t('contact')} size="small">
          <Form form={contact} layout="vertical" onFinish={saveContact} data-testid="profile-contact"
            initialValues={{ display_name: me.user.display_name, email: me.user.email, phone: me.user.phone }}>
            {box('contact')}
            <Form.Item name="display_name" label={t('name')}><Input /></Form.Item>
            <Form.Item name="email" label={t('email')}><Input /></Form.Item>
            <Form.Item name="phone" label={t('phone')}><Input /></Form.Item>
            <Button type="primary" htmlType="submit">{t('save')}</Button>
          </Form></Card></Col>
        <Col span={8}><Card title={t('preferences')} size="small">
          <Form form={prefs} layout="vertical" onFinish={savePrefs} data-testid="profile-preferences">
            {box('prefs')}
            <Form.Item name="timezone" label={t('timeZone')}><Select showSearch options={ZONES} data-testid="profile-tz" /></Form.Item>
            <Form.Item name="language" label={t('language')}><Select options={[{ value: 'zh-CN', label: '中文' }, { value: 'en', label: 'English' }]} /></Form.Item>
            <Form.Item name="channels" label={t('channels')}><Checkbox.Group options={CHANNELS.map((c) => ({ value: c, label: c }))} /></Form.Item>
            <Button type="primary" htmlType="submit" data-testid="profile-save-preferences">{t('save')}</Button>
          </Form></Card></Col>
        <Col span={8}><Card title={t('changePassword')} size="small">
          <Form form={pwd} layout="vertical" onFinish={changePassword} data-testid="profile-password">
            {box('pwd')}
            <Form.Item name="current_password" label={t('currentPassword')} rules={[{ required: true }]}><Input.Password autoComplete="current-password" /></Form.Item>
            <Form.Item name="new_password" label={t('newPassword')} rules={[{ required: true }]}><Input.Password autoComplete="new-password" /></Form.Item>
            <Button type="primary" htmlType="submit">{t('changePassword')}</Button>
          </Form></Card></Col>
      </Row>
    </Space>
  )
}

// the department tree as antd Tree / TreeSelect nodes, and id -> name
function treeNodes(node, counts = true) {
  if (!node) return []
  return [{ key: node.id, value: node.id, title: counts ? `${node.name} (${node.user_count ?? 0})` : node.name,
    name: node.name, parent_id: node.parent_id, children: (node.children || []).flatMap((c) => treeNodes(c, counts)) }]
}
function flatten(nodes, out = {}) {
  nodes.forEach((n) => { out[n.key] = n; flatten(n.children, out) })
  return out
}

function DepartmentDialog({ mode, node, tree, onClose, onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    try {
      if (mode === 'create') await post('/departments', { name: v.name, parent_id: node.key })
      else if (mode === 'rename') await patch(`/departments/${node.key}`, { name: v.name })
      else await patch(`/departments/${node.key}`, { parent_id: v.parent_id })
      onDone()
    } catch (err) { setError(showErrors(form, err, ['name', 'parent_id'])) }
  }
  return (
    <Modal open title={t(`department_${mode}`)} onCancel={onClose} onOk={() => form.submit()} data-testid="department-dialog">
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ name: mode === 'rename' ? node.name : '' }}
        data-testid="department-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {mode !== 'move' ? <Form.Item name="name" label={t('name')}><Input data-testid="department-name" /></Form.Item>
          : <Form.Item name="parent_id" label={t('parentDepartment')}>
            <TreeSelect treeData={treeNodes(tree, false)} treeDefaultExpandAll /></Form.Item>}
        {mode === 'create' && <Typography.Text type="secondary">{t('parentDepartment')}: {node.name}</Typography.Text>}
      </Form>
    </Modal>
  )
}

function UserDialog({ user, tree, roles, department, onClose, onDone, hasDepartments = true }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    try {
      if (!user) {
        const created = await post('/users', v)
        onDone()
        showOneTimePassword(t, created.user.login_name, created.password)
        return
      }
      const { roles: chosen, ...rest } = v
      await patch(`/users/${user.id}`, rest)
      if (JSON.stringify([...chosen].sort()) !== JSON.stringify([...user.roles].sort())) await put(`/users/${user.id}/roles`, { roles: chosen })
      onDone()
    } catch (err) { setError(showErrors(form, err, ['login_name', 'display_name', 'roles', 'email', 'phone', 'department_id'])) }
  }
  const initial = user ? { display_name: user.display_name, email: user.email, phone: user.phone,
    department_id: user.department_id, roles: user.roles } : { roles: [], department_id: department }
  return (
    <Modal open title={user ? user.login_name : t('newUser')} onCancel={onClose} onOk={() => form.submit()} width={520}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="user-form" initialValues={initial}>
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {!user && <Form.Item name="login_name" label={t('loginName')}><Input /></Form.Item>}
        <Form.Item name="display_name" label={t('name')}><Input /></Form.Item>
        <Form.Item name="email" label={t('email')}><Input /></Form.Item>
        <Form.Item name="phone" label={t('phone')}><Input /></Form.Item>
        {hasDepartments && <Form.Item name="department_id" label={t('department')}>
          <TreeSelect treeData={treeNodes(tree, false)} treeDefaultExpandAll allowClear data-testid="user-department" /></Form.Item>}
        <Form.Item name="roles" label={t('roles')}>
          <Select mode="multiple" data-testid="user-roles"
            options={roles.map((r) => ({ value: r.key, label: `${r.title_zh} / ${r.title}` }))} /></Form.Item>
      </Form>
    </Modal>
  )
}

// ORG-2/3/4: the department tree beside the users of the chosen department
function Users({ me }) {
  const { t } = useT()
  const [tree, setTree] = useState(null)
  const [treeError, setTreeError] = useState(null)
  const [selected, setSelected] = useState(null)
  const [dialog, setDialog] = useState(null)
  const [editing, setEditing] = useState(null)
  const [roles, setRoles] = useState([])
  const list = useServerList('/users', {})
  // ORG-3: only an ISV has departments; a customer's admin manages a flat list of users
  const hasDepartments = me.organisation.kind === 'isv'
  const loadTree = useCallback(() => (hasDepartments ? get('/departments').then((d) => { setTree(d.root); setTreeError(null) })
    .catch((e) => setTreeError(e.message)) : Promise.resolve()), [hasDepartments])
  useEffect(() => { loadTree() }, [loadTree])
  useEffect(() => { get('/roles', { org_kind: me.organisation.kind }).then((d) => setRoles(d.items || d)).catch(() => {}) }, [me])
  const nodes = useMemo(() => treeNodes(tree), [tree])
  const byId = useMemo(() => flatten(nodes), [nodes])
  const roleTitle = (k) => { const r = roles.find((x) => x.key === k); return r ? `${r.title_zh} / ${r.title}` : k }
  const current = selected && byId[selected]
  const refresh = () => { loadTree(); list.reload() }
  const setActive = async (u, active) => {
    try { await patch(`/users/${u.id}`, { active }); message.success(t('done')); list.reload() } catch (err) { message.error(err.message) }
  }
  const resetPassword = async (u) => {
    try { const r = await post(`/users/${u.id}/reset-password`); showOneTimePassword(t, u.login_name, r.password) } catch (err) { message.error(err.message) }
  }
  const removeDepartment = async () => {
    try { await api('DELETE', `/departments/${current.key}`); setSelected(null); list.setParams({ department_id: undefined }); loadTree() } catch (err) { message.error(err.message) }
  }
  return (
    <Row gutter={16}>
      {hasDepartments && <Col span={7}>
        <Card title={t('departments')} size="small" data-testid="department-tree"
          extra={current && <Space size={4} wrap>
            <Button size="small" onClick={() => setDialog('create')} data-testid="department-add">{t('addChild')}</Button>
            <Button size="small" onClick={() => setDialog('rename')} data-testid="department-rename">{t('rename')}</Button>
            {current.parent_id && <Button size="small" onClick={() => setDialog('move')} data-testid="department-move">{t('move')}</Button>}
            {current.parent_id && <Popconfirm title={t('deleteEmptyDepartment')} onConfirm={removeDepartment}>
              <Button size="small" danger>{t('delete')}</Button></Popconfirm>}
          </Space>}>
          {treeError && <Alert type="error" message={treeError} />}
          {/* keyed by the departments: a new or moved one remounts the tree, so it shows expanded */}
          {tree && <Tree key={Object.keys(byId).join()} treeData={nodes} defaultExpandAll selectedKeys={selected ? [selected] : []}
            onSelect={(_keys, { node }) => { setSelected(node.key); list.setParams({ department_id: node.key }) }} />}
          {tree && !selected && <Typography.Text type="secondary">{t('pickDepartment')}</Typography.Text>}
          {selected && <a onClick={() => { setSelected(null); list.setParams({ department_id: undefined }) }}>{t('allUsers')}</a>}
        </Card>
      </Col>}
      <Col span={hasDepartments ? 17 : 24}>
        <Card title={t('users')} size="small" extra={<Button type="primary" onClick={() => setEditing('new')} data-testid="new-user">{t('newUser')}</Button>}>
          <Space style={{ marginBottom: 12 }} wrap>
            <Input.Search allowClear placeholder={t('search')} onSearch={(q) => list.setParams({ q })} style={{ width: 200 }} />
            <Select allowClear placeholder={t('roles')} style={{ width: 200 }} onChange={(role) => list.setParams({ role })}
              options={roles.map((r) => ({ value: r.key, label: roleTitle(r.key) }))} />
            <Select allowClear placeholder={t('status')} style={{ width: 120 }} onChange={(active) => list.setParams({ active })}
              options={[{ value: true, label: t('active') }, { value: false, label: t('disabled') }]} />
          </Space>
          {list.error && <Alert type="error" message={list.error} />}
          <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
            onChange={list.onTableChange} data-testid="user-table" columns={[
              { title: t('loginName'), dataIndex: 'login_name' }, { title: t('name'), dataIndex: 'display_name' },
              ...(hasDepartments ? [{ title: t('department'), dataIndex: 'department_id', render: (v) => (byId[v] ? byId[v].name : '—') }] : []),
              { title: t('roles'), dataIndex: 'roles', render: (v) => v.map((r) => <Tag key={r}>{roleTitle(r)}</Tag>) },
              { title: t('status'), dataIndex: 'active', render: (v) => (v ? <Tag color="green">{t('active')}</Tag> : <Tag>{t('disabled')}</Tag>) },
              { title: t('lastLogin'), dataIndex: 'last_login_at', render: time },
              { title: t('actions'), render: (_, u) => <Space size={4}>
                <a onClick={() => setEditing(u)}>{t('edit')}</a>
                {u.id !== me.user.id && (u.active
                  ? <Popconfirm title={t('disableUser')} onConfirm={() => setActive(u, false)}><a data-testid="user-disable">{t('disable')}</a></Popconfirm>
                  : <a onClick={() => setActive(u, true)}>{t('enable')}</a>)}
                {u.id !== me.user.id && <Popconfirm title={t('resetPassword')} onConfirm={() => resetPassword(u)}><a>{t('resetPassword')}</a></Popconfirm>}
              </Space> }]} />
        </Card>
      </Col>
      {dialog && current && <DepartmentDialog mode={dialog} node={current} tree={tree} onClose={() => setDialog(null)}
        onDone={() => { setDialog(null); message.success(t('saved')); refresh() }} />}
      {editing && <UserDialog user={editing === 'new' ? null : editing} tree={tree} roles={roles} department={selected || undefined}
        hasDepartments={hasDepartments}
        onClose={() => setEditing(null)} onDone={() => { setEditing(null); refresh() }} />}
    </Row>
  )
}

// GW-6: the organisation's integrator keys; the clear key is shown in this dialog once, never again
function showNewKey(t, key) {
  Modal.success({
    title: t('apiKeyCreated'), width: 560, okText: t('notedIt'),
    content: <Space direction="vertical">
      <Typography.Text>{t('apiKeyOnce')}</Typography.Text>
      <Typography.Text copyable code style={{ wordBreak: 'break-all' }} data-testid="new-api-key">{key}</Typography.Text>
    </Space>,
  })
}

function KeyDialog({ roles, onClose, onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    try {
      const created = await post('/api-keys', v)
      onDone()
      showNewKey(t, created.key)
    } catch (err) { setError(showErrors(form, err, ['name', 'roles', 'expires_in_days', 'rate_limit_per_minute'])) }
  }
  return (
    <Modal open title={t('newApiKey')} onCancel={onClose} onOk={() => form.submit()} width={520}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="api-key-form"
        initialValues={{ roles: roles.length === 1 ? [roles[0].key] : [], expires_in_days: 365 }}>
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="name" label={t('apiKeyName')} extra={t('apiKeyNameHint')}><Input /></Form.Item>
        <Form.Item name="roles" label={t('roles')} extra={t('apiKeyRolesHint')}>
          <Select mode="multiple" data-testid="api-key-roles"
            options={roles.map((r) => ({ value: r.key, label: `${r.title_zh} / ${r.title}` }))} /></Form.Item>
        <Form.Item name="expires_in_days" label={t('apiKeyDays')}><InputNumber min={1} max={730} /></Form.Item>
        <Form.Item name="rate_limit_per_minute" label={t('apiKeyRate')}><InputNumber min={1} max={100000} /></Form.Item>
      </Form>
    </Modal>
  )
}

function ApiKeys({ me }) {
  const { t } = useT()
  const [creating, setCreating] = useState(false)
  const list = useServerList('/api-keys', {})
  const roles = me.roles // a key carries roles its creator holds
  const revoke = async (k) => {
    try { await post(`/api-keys/${k.id}/revoke`); message.success(t('done')); list.reload() } catch (err) { message.error(err.message) }
  }
  const colour = { active: 'green', revoked: 'red', expired: 'default' }
  return (
    <Card title={t('apiKeys')} size="small" data-testid="api-keys"
      extra={<Button type="primary" onClick={() => setCreating(true)} data-testid="new-api-key-button">{t('newApiKey')}</Button>}>
      <Typography.Paragraph type="secondary">{t('apiKeysHint')}</Typography.Paragraph>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="api-key-table" columns={[
          { title: t('apiKeyName'), dataIndex: 'name' },
          { title: t('apiKeyPrefix'), dataIndex: 'prefix', render: (v) => <Typography.Text code>{v}…</Typography.Text> },
          { title: t('roles'), dataIndex: 'roles', render: (v) => v.map((r) => {
            const role = roles.find((x) => x.key === r)
            return <Tag key={r}>{role ? `${role.title_zh} / ${role.title}` : r}</Tag>
          }) },
          { title: t('status'), dataIndex: 'state', render: (v) => <Tag color={colour[v]}>{t(`apiKey_${v}`)}</Tag> },
          { title: t('apiKeyExpires'), dataIndex: 'expires_at', render: time },
          { title: t('apiKeyLastUsed'), dataIndex: 'last_used_at', render: (v) => (v ? time(v) : '—') },
          { title: t('actions'), render: (_, k) => k.state === 'active' && (
            <Popconfirm title={t('apiKeyRevokeConfirm')} onConfirm={() => revoke(k)}>
              <a data-testid="api-key-revoke">{t('apiKeyRevoke')}</a></Popconfirm>) }]} />
      {creating && <KeyDialog roles={roles} onClose={() => setCreating(false)}
        onDone={() => { setCreating(false); list.reload() }} />}
    </Card>
  )
}

function Roles({ me }) {
  const { t } = useT()
  const [q, setQ] = useState('')
  const [kind, setKind] = useState(me.organisation.kind === 'operator' ? undefined : me.organisation.kind)
  const [rows, setRows] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => { get('/roles', { q, org_kind: kind }).then((d) => { setRows(d.items || d); setError(null) }).catch((e) => setError(e.message)) }, [q, kind])
  return (
    <Card title={t('roles')} extra={<Space>
      <Input.Search allowClear placeholder={t('search')} onSearch={setQ} style={{ width: 200 }} />
      <Select allowClear value={kind} onChange={setKind} placeholder={t('kind')} style={{ width: 140 }}
        options={['operator', 'isv', 'customer'].map((k) => ({ value: k, label: k }))} /></Space>}>
      {error && <Alert type="error" message={error} />}
      <Table rowKey="key" size="small" loading={!rows && !error} dataSource={rows || []} pagination={false} columns={[
        { title: t('name'), render: (_, r) => `${r.title_zh} / ${r.title}` }, { title: 'Key', dataIndex: 'key' },
        { title: t('kind'), dataIndex: 'org_kind', render: (v) => <Tag>{v}</Tag> },
        { title: t('mainAccountOnly'), dataIndex: 'main_account_only', render: (v) => (v ? '✓' : '') },
        { title: t('description'), dataIndex: 'description' }]} />
    </Card>
  )
}

// ORG-5: what an ISV's users bought themselves (已购服务), as its customer: the projects listed with
// as_customer=true, each opened in the project detail
function Purchased({ me, path }) {
  const { t } = useT()
  const list = useServerList('/projects', { as_customer: true, sort: '-created_at' })
  if (path && path[0]) return <Projects me={me} path={path} />
  return (
    <Card title={t('purchasedServices')}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} columns={[
          { title: t('orderId'), dataIndex: 'order_id', render: (v, r) => <a onClick={() => go(`/purchased.services/${r.id}`)}>{v}</a> },
          { title: t('product'), dataIndex: 'product_name', render: (v, r) => v || r.product_code },
          { title: t('provider'), dataIndex: 'provider_name', render: (v, r) => v || r.provider_id || '—' },
          { title: t('status'), dataIndex: 'status', render: (v) => <Tag>{t(v)}</Tag> },
          { title: t('currentNode'), dataIndex: 'current_node_name', render: (v) => v || '—' },
          { title: t('created'), dataIndex: 'created_at', sorter: true, render: time }]} />
    </Card>
  )
}

export default function Admin({ me, view, path }) {
  if (view === 'profile') return <Profile me={me} />
  if (view === 'users') return <Users me={me} />
  if (view === 'api_keys') return <ApiKeys me={me} />
  if (view === 'purchased') return <Purchased me={me} path={path} />
  if (view === 'roles') return <Roles me={me} />
  if (view === 'message_templates') return <MessageTemplates me={me} />
  return null
}
