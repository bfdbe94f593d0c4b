import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Drawer, InputNumber, Select, Space, Switch, Table, Tag, message } from 'antd'
import { get, patch, put } from '../api.js'
import { useT } from '../i18n.js'
import { duration, time } from '../format.js'
import { useServerList } from './Projects.jsx'

function Queue() {
  const { t } = useT()
  const list = useServerList('/dispatch/queue', { sort: 'enqueued_at' })
  return (
    <Card title={t('queue')} extra={<Select allowClear placeholder={t('level')} style={{ width: 140 }}
      onChange={(level) => list.setParams({ level })} options={['provider', 'employee'].map((v) => ({ value: v, label: v }))} />}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey={(r) => `${r.project_id}-${r.node_key}-${r.round}`} size="middle" dataSource={list.data.items}
        loading={list.loading} pagination={list.pagination} onChange={list.onTableChange} data-testid="queue-table"
        columns={[
          { title: t('orderId'), dataIndex: 'order_id', render: (v, r) => <a href={`#/projects.manage/${r.project_id}`}>{v}</a> },
          { title: t('level'), dataIndex: 'level', render: (v) => <Tag>{v}</Tag> },
          { title: t('product'), dataIndex: 'product_id' },
          { title: t('reason'), dataIndex: 'reason' },
          { title: t('created'), dataIndex: 'enqueued_at', sorter: true, render: time },
          { title: t('waited'), dataIndex: 'waited_seconds', render: duration }]} />
    </Card>
  )
}

function Capacity() {
  const { t } = useT()
  const list = useServerList('/dispatch/employees', { sort: 'display_name' })
  const change = async (row, body) => {
    try { await patch(`/dispatch/employees/${row.user_id}`, body); message.success(t('saved')); list.reload() } catch (err) {
      message.error(`${err.message} ${Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${v}`).join('; ')}`)
    }
  }
  return (
    <Card title={t('capacity')}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="user_id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="capacity-table" columns={[
          { title: t('name'), dataIndex: 'display_name', sorter: true },
          { title: t('roles'), dataIndex: 'roles', render: (v) => (v || []).map((r) => <Tag key={r}>{r}</Tag>) },
          { title: t('held'), dataIndex: 'held', sorter: true },
          { title: t('capacity'), dataIndex: 'capacity', render: (v, r) => (
            <InputNumber min={0} defaultValue={v} onBlur={(e) => Number(e.target.value) !== v && change(r, { capacity: Number(e.target.value) })} />) },
          { title: t('open'), dataIndex: 'open', render: (v, r) => <Switch checked={v} onChange={(open) => change(r, { open })} /> }]} />
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
        { title: t('provider'), dataIndex: 'provider_id', ellipsis: true },
        { title: t('weight'), dataIndex: 'weight', render: (v, r, i) => <InputNumber min={0} value={v} onChange={(x) => edit(i, 'weight', x)} /> },
        { title: t('maxHeld'), dataIndex: 'max_held', render: (v, r, i) => <InputNumber min={0} value={v} onChange={(x) => edit(i, 'max_held', x)} /> },
        { title: t('held'), dataIndex: 'held' }]} />
    </Drawer>
  )
}

function ProductsPage() {
  const { t } = useT()
  const list = useServerList('/products', { sort: 'name' })
  const [open, setOpen] = useState(null)
  return (
    <Card title={t('products')}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="product_id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="product-table" columns={[
          { title: t('name'), dataIndex: 'name', sorter: true },
          { title: 'Code', dataIndex: 'code', sorter: true },
          { title: t('templates'), dataIndex: 'template_name', render: (v, r) => `${v || '—'} v${r.template_version ?? ''}` },
          { title: t('providers'), dataIndex: 'provider_count', render: (v, r) => <Tag color={r.providers_configured ? 'green' : 'orange'}>{v}</Tag> },
          { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time },
          { title: t('actions'), render: (_, r) => <a onClick={() => setOpen(r)}>{t('providers')}</a> }]} />
      {open && <Providers product={open} onClose={() => setOpen(null)} />}
    </Card>
  )
}

export default function Dispatch({ view }) {
  if (view === 'queue') return <Queue />
  if (view === 'capacity') return <Capacity />
  return <ProductsPage />
}
