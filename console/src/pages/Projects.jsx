import React, { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Alert, Badge, Button, Card, Form, Input, Select, Space, Table, Tabs, Tag, Typography, message } from 'antd'
import { ApiError, download, earlyData, get, post } from '../api.js'
import { useT } from '../i18n.js'
import { time } from '../format.js'
import { showErrors } from '../errors.js'
import LazyRangePicker from '../widgets/LazyRangePicker.jsx'
import { go } from '../App.jsx'

// a project's page is a chunk of its own, loaded when a project is opened: the list's first load
// does not parse it (the list's cold start)
const ProjectDetail = lazy(() => import('./ProjectDetail.jsx'))

const STATUSES = ['in_progress', 'queued', 'paused', 'completed', 'cancelled']
export const STATUS_COLOURS = { queued: 'default', in_progress: 'processing', paused: 'warning', completed: 'success',
  cancelled: 'error' }

export function useServerList(path, initial = {}, deps = []) {
  // every list pages, filters and sorts on the server: this holds the query, the page and the answer
  const [params, setParams] = useState({ limit: 20, offset: 0, ...initial })
  // the first page may be read already (index.html asks for the project list's): shown at once,
  // without an empty table first or asking again
  const seeded = useRef(null)
  if (seeded.current === null) seeded.current = earlyData(path, params) || false
  const [data, setData] = useState(seeded.current || { items: [], total: 0 })
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState(null)
  const reload = useCallback(async () => {
    if (seeded.current) { seeded.current = false; return }
    setLoading(true)
    try { setData(await get(path, params)); setError(null) } catch (err) { setError(err.message) } finally {
      setLoading(false)
    }
  }, [path, JSON.stringify(params), ...deps]) // eslint-disable-line
  useEffect(() => { reload() }, [reload])
  const pagination = { current: Math.floor(params.offset / params.limit) + 1, pageSize: params.limit,
    total: data.total, showSizeChanger: true }
  const onTableChange = (p, _filters, sorter) => {
    const sort = sorter && sorter.order ? `${sorter.order === 'descend' ? '-' : ''}${sorter.field}` : initial.sort
    setParams({ ...params, limit: p.pageSize, offset: (p.current - 1) * p.pageSize, sort })
  }
  return { params, setParams: (p) => setParams({ ...params, offset: 0, ...p }), data, loading, error, reload,
    pagination, onTableChange }
}

export function LateMark({ row }) {
  const { t } = useT()
  if (!row.late_side) return null
  return <Tag color="red" data-testid="late-mark">{t('late')} · {t(row.late_side)} · {time(row.late_since)}</Tag>
}

// id -> name of every provider, customer and operator seen in the list's answers (and, once a
// filter is first focused, the lists that fill the filters), so the filters offer names and send
// ids. The names of the rows are gathered while rendering, not in an effect that renders the
// list again, and the filters' lists are not asked for with the list: a cold list renders once.
function useNameOptions(me, items) {
  const [fetched, setFetched] = useState({ provider: {}, customer: {}, operator: {} })
  const seen = useRef({ provider: {}, customer: {}, operator: {} })
  const asked = useRef(false)
  const known = useMemo(() => {
    items.forEach((r) => {
      if (r.provider_id && r.provider_name) seen.current.provider[r.provider_id] = r.provider_name
      if (r.customer_id && r.customer_name) seen.current.customer[r.customer_id] = r.customer_name
      if (r.current_operator_id && r.current_operator_name) seen.current.operator[r.current_operator_id] = r.current_operator_name
    })
    const all = {}
    Object.keys(seen.current).forEach((kind) => { all[kind] = { ...seen.current[kind], ...fetched[kind] } })
    return all
  }, [items, fetched])
  const roles = me.user.roles
  const merge = (kind, pairs) => setFetched((k) => ({ ...k, [kind]: { ...k[kind], ...Object.fromEntries(pairs.filter(([id, name]) => id && name)) } }))
  const load = () => {
    if (asked.current) return
    asked.current = true
    if (roles.includes('provider_admin')) {
      get('/dispatch/employees', { limit: 200, sort: 'display_name' })
        .then((d) => merge('operator', d.items.map((e) => [e.user_id, e.display_name]))).catch(() => {})
    }
    if (roles.includes('vendor_admin') || roles.includes('vendor_project_manager')) {
      get('/products', { limit: 50 }).then((d) => Promise.all(d.items.filter((p) => p.provider_count > 0)
        .map((p) => get('/product-providers', { product_id: p.product_id })
          .then((pp) => merge('provider', pp.items.map((x) => [x.provider_id, x.provider_name])))))).catch(() => {})
    }
  }
  const options = (kind) => Object.entries(known[kind]).map(([value, label]) => ({ value, label }))
    .sort((a, b) => a.label.localeCompare(b.label))
  options.load = load
  return options
}

function ProjectList({ me, scope }) {
  const { t } = useT()
  const employee = scope === 'mine' && me.organisation.kind !== 'customer'
  const initial = { sort: '-created_at', ...(employee ? { mine: 'waiting' } : {}) }
  const list = useServerList('/projects', initial)
  const [form] = Form.useForm()
  const [exporting, setExporting] = useState(null)
  const [exportError, setExportError] = useState(null)
  const options = useNameOptions(me, list.data.items)
  const counts = list.data.counts || {}
  // a filtered list counts each tab up to 10,000 (counts_capped): show "10,000+" rather than a false total
  const shown = (n) => (list.data.counts_capped && n >= 10000 ? `${(10000).toLocaleString()}+` : n)
  const tabs = employee
    ? [{ key: 'waiting', label: <span data-tab="waiting">{t('toDo')}</span> },
      { key: 'handled', label: <span data-tab="handled">{t('handled')}</span> }]
    : [{ key: '', label: <span data-tab="all">{t('all')} <Badge count={shown(Object.values(counts).reduce((a, b) => a + b, 0))}
      showZero overflowCount={9999999} color="#bfbfbf" /></span> },
    ...STATUSES.map((s) => ({ key: s,
      label: <span data-tab={s}>{t(s)} <Badge count={shown(counts[s] || 0)} showZero overflowCount={9999999}
        color={s === 'in_progress' ? '#1677ff' : '#bfbfbf'} /></span> }))]
  const sorted = (field) => {
    const s = list.params.sort || ''
    return s === field ? 'ascend' : s === `-${field}` ? 'descend' : null
  }
  const base = window.location.hash.slice(2).split('/')[0]
  const columns = [
    { title: t('orderId'), dataIndex: 'order_id', sorter: true, sortOrder: sorted('order_id'),
      render: (v, r) => <a data-order={v} onClick={() => go(`/${base}/${r.id}`)}>{v}</a> },
    { title: t('product'), dataIndex: 'product_name', render: (v, r) => <span>{v} <Typography.Text type="secondary">
      {r.product_code}</Typography.Text></span> },
    { title: t('customer'), dataIndex: 'customer_name', render: (v, r) => v || r.customer_id },
    { title: t('provider'), dataIndex: 'provider_name', render: (v, r) => v || r.provider_id || '—' },
    { title: t('status'), dataIndex: 'status', render: (v, r) => <Space size={4} wrap>
      <Tag color={STATUS_COLOURS[v]}>{t(v)}</Tag><LateMark row={r} /></Space> },
    { title: t('currentNode'), dataIndex: 'current_node_name', render: (v, r) => (v
      ? <span>{v}{r.current_side ? ` (${t(r.current_side)})` : ''}{r.current_operator_name
        ? <Typography.Text type="secondary"> · {r.current_operator_name}</Typography.Text> : ''}</span> : '—') },
    { title: t('due'), dataIndex: 'due_at', render: time },
    { title: t('created'), dataIndex: 'created_at', sorter: true, sortOrder: sorted('created_at'), render: time },
    { title: t('updated'), dataIndex: 'updated_at', sorter: true, sortOrder: sorted('updated_at'), render: time },
    { title: t('completedAt'), dataIndex: 'completed_at', sorter: true, sortOrder: sorted('completed_at'), render: time },
  ]
  const search = (v) => list.setParams({ order_id: v.order_id || undefined, product_code: v.product_code || undefined,
    customer_id: v.customer_id || undefined, provider_id: v.provider_id || undefined,
    operator_id: v.operator_id || undefined, late: v.late === undefined ? undefined : v.late,
    created_from: v.range ? v.range[0].startOf('day').toISOString() : undefined,
    created_to: v.range ? v.range[1].endOf('day').toISOString() : undefined })
  const exportAs = async (format) => {
    // the current tab with the same filters, every row (the API streams it)
    setExporting(format); setExportError(null)
    const { limit, offset, cursor, ...filters } = list.params // eslint-disable-line no-unused-vars
    try { await download('/projects/export', { ...filters, format }, `projects.${format}`) } catch (err) {
      setExportError(err.message)
    } finally { setExporting(null) }
  }
  const pick = (name, kind, width = 180) => (
    <Form.Item name={name} label={t(kind)}>
      <Select allowClear showSearch optionFilterProp="label" style={{ width }} options={options(kind)} onFocus={options.load}
        data-filter={name} />
    </Form.Item>)
  return (
    <Card>
      <Form form={form} layout="inline" onFinish={search} style={{ marginBottom: 16, rowGap: 8 }} data-testid="project-filters">
        <Form.Item name="order_id" label={t('orderId')}><Input allowClear style={{ width: 160 }} id="f_order_id" /></Form.Item>
        {pick('customer_id', 'customer')}
        <Form.Item name="product_code" label={t('productCode')}><Input allowClear style={{ width: 120 }} id="f_product_code" /></Form.Item>
        {pick('provider_id', 'provider')}
        {pick('operator_id', 'operator', 150)}
        <Form.Item name="late" label={t('late')}>
          <Select allowClear style={{ width: 90 }} options={[{ value: true, label: '✓' }, { value: false, label: '✗' }]} />
        </Form.Item>
        <Form.Item name="range" label={t('created')}><LazyRangePicker data-testid="created-range" /></Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" data-testid="project-search">{t('search')}</Button>
          <Button onClick={() => { form.resetFields(); search({}) }}>{t('reset')}</Button>
          <Button loading={exporting === 'csv'} onClick={() => exportAs('csv')} data-testid="export-csv">CSV</Button>
          <Button loading={exporting === 'xlsx'} onClick={() => exportAs('xlsx')} data-testid="export-xlsx">XLSX</Button>
        </Space>
      </Form>
      {exportError && <Alert type="error" showIcon message={exportError} style={{ marginBottom: 12 }} />}
      <Tabs activeKey={employee ? list.params.mine : (list.params.status || '')} items={tabs}
        onChange={(k) => list.setParams(employee ? { mine: k } : { status: k || undefined })} />
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="middle" data-testid="project-table" columns={columns} dataSource={list.data.items}
        loading={list.loading} scroll={{ x: 1200 }}
        pagination={{ ...list.pagination, showTotal: (n) => t('total', { n: shown(n) }) }}
        onChange={list.onTableChange} />
    </Card>
  )
}

function Claim({ onClaimed }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (v) => {
    setError(null); setBusy(true)
    try {
      const r = await post('/claims', v)
      // dispatch records the claim and the project learns it from an event: wait (bounded) until
      // the project shows it to its claimer before opening it
      for (let i = 0; i < 40; i += 1) {
        try { await get(`/projects/${r.project_id}`); break } catch (e) {
          if (!(e instanceof ApiError) || e.status !== 404) break
          await new Promise((done) => setTimeout(done, 500))
        }
      }
      message.success(t('done'))
      form.resetFields()
      onClaimed(r)
    } catch (err) {
      setError(showErrors(form, err, ['order_id']))
    } finally { setBusy(false) }
  }
  return (
    <Card title={t('claimOrder')}>
      {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="inline" onFinish={submit} data-testid="claim-form">
        <Form.Item name="order_id" label={t('orderId')} rules={[{ required: true }]}><Input id="claim_order_id" /></Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>{t('claim')}</Button>
      </Form>
    </Card>
  )
}

export default function Projects({ me, scope, path }) {
  const listKey = useRef(0)
  const [, setTick] = useState(0)
  if (path && path[0]) return <Suspense fallback={<Card loading />}><ProjectDetail me={me} id={path[0]} /></Suspense>
  if (scope === 'claim') {
    return (
      <Space direction="vertical" style={{ width: '100%' }}>
        <Claim onClaimed={(r) => { if (r.project_id) go(`/projects.claim/${r.project_id}`); else { listKey.current += 1; setTick(listKey.current) } }} />
        <ProjectList key={listKey.current} me={me} scope="mine" />
      </Space>)
  }
  return <ProjectList me={me} scope={scope} />
}
