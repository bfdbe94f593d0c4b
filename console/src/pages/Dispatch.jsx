import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Drawer, Form, Input, InputNumber, Modal, Progress, Select, Space, Switch, Table, Tag,
  message } from 'antd'
import { get, patch, post, put } from '../api.js'
import { useT } from '../i18n.js'
import { band, duration, time } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'

function Queue({ me }) {
  const { t } = useT()
  const list = useServerList('/dispatch/queue', { sort: 'enqueued_at' })
  const [busy, setBusy] = useState(false)
  const mayDispatch = me.user.roles.some((r) => ['vendor_admin', 'provider_admin', 'platform_operator'].includes(r))
  const dispatchNow = async () => {
    setBusy(true)
    try { const r = await post('/dispatch/queue/dispatch-now'); message.success(`${t('done')}: ${r.assigned}`); list.reload() } catch (err) {
      message.error(err.message)
    } finally { setBusy(false) }
  }
  return (
    <Card title={t('queue')} extra={<Space>
      <Select allowClear placeholder={t('level')} style={{ width: 140 }}
        onChange={(level) => list.setParams({ level })} options={['provider', 'employee'].map((v) => ({ value: v, label: v }))} />
      {mayDispatch && <Button loading={busy} onClick={dispatchNow} data-testid="dispatch-now">{t('dispatchNow')}</Button>}
    </Space>}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey={(r) => `${r.project_id}-${r.node_key}-${r.round}`} size="middle" dataSource={list.data.items}
        loading={list.loading} pagination={list.pagination} onChange={list.onTableChange} data-testid="queue-table"
        columns={[
          { title: t('orderId'), dataIndex: 'order_id', render: (v, r) => <a href={`#/projects.manage/${r.project_id}`}>{v}</a> },
          { title: t('level'), dataIndex: 'level', render: (v) => <Tag>{v}</Tag> },
          { title: t('product'), dataIndex: 'product_id', sorter: true },
          { title: t('roles'), dataIndex: 'role', render: (v) => v || '—' },
          { title: t('reason'), dataIndex: 'reason', sorter: true },
          { title: t('created'), dataIndex: 'enqueued_at', sorter: true, render: time },
          { title: t('waited'), dataIndex: 'waited_seconds', render: duration }]} />
    </Card>
  )
}

function Capacity() {
  const { t } = useT()
  const list = useServerList('/dispatch/employees', { sort: 'display_name' })
  const [roles, setRoles] = useState([])
  useEffect(() => { get('/roles', { org_kind: 'isv' }).then((r) => setRoles(r.items || r)).catch(() => {}) }, [])
  const change = async (row, body) => {
    try { await patch(`/dispatch/employees/${row.user_id}`, body); message.success(t('saved')); list.reload() } catch (err) {
      message.error(`${err.message} ${Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`).join('; ')}`)
    }
  }
  return (
    <Card title={t('capacity')} extra={<Space>
      <Select allowClear placeholder={t('roles')} style={{ width: 180 }} data-testid="capacity-role"
        onChange={(role) => list.setParams({ role })} options={roles.map((r) => ({ value: r.key, label: r.key }))} />
      <Select allowClear placeholder={t('open')} style={{ width: 120 }} onChange={(open) => list.setParams({ open })}
        options={[{ value: true, label: t('openedCount') }, { value: false, label: t('closedCount') }]} />
    </Space>}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="user_id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="capacity-table" columns={[
          { title: t('name'), dataIndex: 'display_name', sorter: true },
          { title: t('roles'), dataIndex: 'roles', render: (v) => (v || []).map((r) => <Tag key={r}>{r}</Tag>) },
          { title: t('held'), dataIndex: 'held', sorter: true, render: (v, r) => {
            const ratio = r.capacity ? v / r.capacity : (v ? 1 : 0)
            return <Space style={{ width: 200 }}><span>{v}</span><Progress percent={Math.round(ratio * 100)} size="small"
              strokeColor={band(ratio).color} style={{ width: 140 }} /></Space>
          } },
          { title: t('capacity'), dataIndex: 'capacity', sorter: true, render: (v, r) => (
            <InputNumber min={0} max={50} defaultValue={v} data-capacity={r.user_id}
              onBlur={(e) => Number(e.target.value) !== v && change(r, { capacity: Number(e.target.value) })} />) },
          { title: t('open'), dataIndex: 'open', render: (v, r) => <Switch checked={v} data-open={r.user_id}
            checkedChildren={t('openedCount')} unCheckedChildren={t('closedCount')} onChange={(open) => change(r, { open })} /> }]} />
    </Card>
  )
}

function Providers({ product, onClose }) {
  const { t } = useT()
  const [rows, setRows] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => { get('/product-providers', { product_id: product.product_id }).then((d) => setRows(d.items)) }, [product])
  const save = async () => {
    setError(null)
    try {
      await put('/product-providers', { product_id: product.product_id, vendor_id: product.vendor_id,
        providers: rows.map((r) => ({ provider_id: r.provider_id, weight: r.weight, max_held: r.max_held })) })
      message.success(t('saved'))
    } catch (err) { setError([err.message, ...Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`)].join(' — ')) }
  }
  const edit = (i, key, value) => setRows(rows.map((r, j) => (i === j ? { ...r, [key]: value } : r)))
  return (
    <Drawer open width={640} title={`${product.name} · ${t('providers')}`} onClose={onClose}
      extra={<Button type="primary" onClick={save}>{t('save')}</Button>}>
      {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
      <Table rowKey="provider_id" size="small" loading={!rows} dataSource={rows || []} pagination={false} columns={[
        { title: t('provider'), dataIndex: 'provider_name', ellipsis: true, render: (v, r) => v || r.provider_id },
        { title: t('weight'), dataIndex: 'weight', render: (v, r, i) => <InputNumber min={0} value={v} onChange={(x) => edit(i, 'weight', x)} /> },
        { title: t('maxHeld'), dataIndex: 'max_held', render: (v, r, i) => <InputNumber min={0} value={v} onChange={(x) => edit(i, 'max_held', x)} /> },
        { title: t('held'), dataIndex: 'held', render: (v, r) => {
          const ratio = r.max_held ? v / r.max_held : 0
          return <Space><span>{v}</span><Progress percent={Math.round(ratio * 100)} size="small" style={{ width: 120 }}
            strokeColor={band(ratio).color} /></Space>
        } }]} />
    </Drawer>
  )
}

// TPL-12: a product follows an approved template (own or public); binding another one is a PUT
function ProductDialog({ product, onClose, onSaved }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [templates, setTemplates] = useState([])
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    // only a template with an approved version can be bound
    get('/service-templates', { limit: 100 }).then((d) => setTemplates(d.items.filter((x) => x.approved_version)))
      .catch(() => {})
  }, [])
  const submit = async (v) => {
    setBusy(true); setError(null)
    try {
      if (product) await put(`/products/${product.product_id}`, { code: v.code, name: v.name, template_id: v.template_id })
      else await post('/products', v)
      message.success(t('saved')); onSaved(); onClose()
    } catch (err) { setError(showErrors(form, err, ['product_id', 'code', 'name', 'template_id'])) } finally { setBusy(false) }
  }
  return (
    <Modal open title={product ? `${t('bindTemplate')} · ${product.name}` : t('newProduct')} onCancel={onClose}
      okText={t('save')} cancelText={t('cancel')} confirmLoading={busy} onOk={() => form.submit()} data-testid="product-dialog">
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" onFinish={submit}
        initialValues={product ? { code: product.code, name: product.name, template_id: product.template_id } : {}}>
        {!product && <Form.Item name="product_id" label={t('productId')} rules={[{ required: true }]}><Input id="product_id" /></Form.Item>}
        <Form.Item name="code" label={t('code')} rules={[{ required: true }]}><Input id="product_code" /></Form.Item>
        <Form.Item name="name" label={t('name')} rules={[{ required: true }]}><Input id="product_name" /></Form.Item>
        <Form.Item name="template_id" label={t('template')} rules={[{ required: true }]}>
          <Select id="template_id" showSearch optionFilterProp="label"
            options={templates.map((x) => ({ value: x.id, label: `${x.name} v${x.approved_version}${x.public ? ` (${t('publicTemplates')})` : ''}` }))} />
        </Form.Item>
      </Form>
    </Modal>
  )
}

function ProductsPage({ me }) {
  const { t } = useT()
  const list = useServerList('/products', { sort: 'name' })
  const [open, setOpen] = useState(null)
  const [editing, setEditing] = useState(undefined)
  const editor = me.user.roles.some((r) => ['vendor_admin', 'vendor_project_manager', 'platform_operator'].includes(r))
  return (
    <Card title={t('products')} extra={editor && <Button type="primary" data-testid="new-product"
      onClick={() => setEditing(null)}>{t('newProduct')}</Button>}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="product_id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="product-table" columns={[
          { title: t('name'), dataIndex: 'name', sorter: true },
          { title: 'Code', dataIndex: 'code', sorter: true },
          { title: t('templates'), dataIndex: 'template_name', render: (v, r) => `${v || '—'} v${r.template_version ?? ''}` },
          { title: t('providers'), dataIndex: 'provider_count', render: (v, r) => <Tag color={r.providers_configured ? 'green' : 'orange'}>{v}</Tag> },
          { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time },
          { title: t('actions'), render: (_, r) => <Space>
            <a onClick={() => setOpen(r)} data-providers={r.code}>{t('providers')}</a>
            {editor && <a onClick={() => setEditing(r)} data-bind={r.code}>{t('bindTemplate')}</a>}</Space> }]} />
      {open && <Providers product={open} onClose={() => setOpen(null)} />}
      {editing !== undefined && <ProductDialog product={editing} onClose={() => setEditing(undefined)} onSaved={list.reload} />}
    </Card>
  )
}

export default function Dispatch({ view, me }) {
  if (view === 'queue') return <Queue me={me} />
  if (view === 'capacity') return <Capacity />
  return <ProductsPage me={me} />
}
