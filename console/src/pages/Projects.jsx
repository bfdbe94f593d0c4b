import React, { useCallback, useEffect, useRef, useState } from 'react'
import { Alert, Badge, Button, Card, DatePicker, Descriptions, Empty, Form, Input, InputNumber, List,
  Rate, Select, Space, Steps, Table, Tabs, Tag, Timeline, Typography, message } from 'antd'
import { ApiError, download, get, post } from '../api.js'
import { useT } from '../i18n.js'
import { duration, time } from '../format.js'
import { showErrors } from '../errors.js'
import { go } from '../App.jsx'
import { ManageBar, NodeUpload, canSeeNotes, isCustomerOf } from './ProjectActions.jsx'

const STATUSES = ['in_progress', 'queued', 'paused', 'completed', 'cancelled']
export const STATUS_COLOURS = { queued: 'default', in_progress: 'processing', paused: 'warning', completed: 'success',
  cancelled: 'error' }

export function useServerList(path, initial = {}, deps = []) {
  // every list pages, filters and sorts on the server: this holds the query, the page and the answer
  const [params, setParams] = useState({ limit: 20, offset: 0, ...initial })
  const [data, setData] = useState({ items: [], total: 0 })
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState(null)
  const reload = useCallback(async () => {
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

// id -> name of every provider, customer and operator seen in the list's answers (and the lists
// preloaded for the filters), so the filters offer names and send ids
function useNameOptions(me, items) {
  const [known, setKnown] = useState({ provider: {}, customer: {}, operator: {} })
  const merge = (kind, pairs) => setKnown((k) => {
    const fresh = pairs.filter(([id, name]) => id && name && k[kind][id] !== name)
    return fresh.length ? { ...k, [kind]: { ...k[kind], ...Object.fromEntries(fresh) } } : k
  })
  useEffect(() => {
    merge('provider', items.map((r) => [r.provider_id, r.provider_name]))
    merge('customer', items.map((r) => [r.customer_id, r.customer_name]))
    merge('operator', items.map((r) => [r.current_operator_id, r.current_operator_name]))
  }, [items])
  const roles = me.user.roles
  useEffect(() => {
    if (roles.includes('provider_admin')) {
      get('/dispatch/employees', { limit: 200, sort: 'display_name' })
        .then((d) => merge('operator', d.items.map((e) => [e.user_id, e.display_name]))).catch(() => {})
    }
    if (roles.includes('vendor_admin') || roles.includes('vendor_project_manager')) {
      get('/products', { limit: 50 }).then((d) => Promise.all(d.items.filter((p) => p.provider_count > 0)
        .map((p) => get('/product-providers', { product_id: p.product_id })
          .then((pp) => merge('provider', pp.items.map((x) => [x.provider_id, x.provider_name])))))).catch(() => {})
    }
  }, []) // eslint-disable-line
  const options = (kind) => Object.entries(known[kind]).map(([value, label]) => ({ value, label }))
    .sort((a, b) => a.label.localeCompare(b.label))
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
      <Select allowClear showSearch optionFilterProp="label" style={{ width }} options={options(kind)}
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
        <Form.Item name="range" label={t('created')}><DatePicker.RangePicker /></Form.Item>
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

function RequirementsForm({ project, onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const spec = (project.current_node.settings || {}).form || { fields: [] }
  const submit = async (values) => {
    setError(null)
    try {
      onDone(await post(`/projects/${project.id}/requirements`, { node_key: project.current_node.key, data: values }))
    } catch (err) {
      // the API names the form's fields by their keys (site_address, users, ...)
      setError(showErrors(form, err, spec.fields.map((f) => f.key)))
    }
  }
  return (
    <Form form={form} layout="vertical" onFinish={submit} data-testid="requirements-form" style={{ maxWidth: 480 }}>
      <Typography.Title level={5}>{spec.name || t('requirementsForm')}</Typography.Title>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {spec.fields.map((f) => (
        <Form.Item key={f.key} name={f.key} label={f.label} required={f.required}>
          {f.type === 'number' ? <InputNumber style={{ width: '100%' }} /> : f.type === 'select'
            ? <Select options={(f.options || []).map((o) => ({ value: o.value ?? o, label: o.label ?? o }))} />
            : <Input data-field={f.key} />}
        </Form.Item>
      ))}
      <Button type="primary" htmlType="submit">{t('submitRequirements')}</Button>
    </Form>
  )
}

function NodeActions({ me, project, onDone }) {
  const { t } = useT()
  const [reason, setReason] = useState('')
  const [rating, setRating] = useState({ score: 5, comment: '' })
  const [error, setError] = useState(null)
  const node = project.current_node
  const customer = isCustomerOf(me, project)
  const act = async (path, body) => {
    setError(null)
    try { onDone(await post(`/projects/${project.id}/${path}`, body)); message.success(t('done')) } catch (err) {
      setError(err instanceof ApiError ? [err.message, ...Object.entries(err.fields).map(([k, v]) => `${k}: ${v}`)].join(' — ') : String(err))
    }
  }
  if (project.status === 'completed') {
    if (!customer || project.rating) return project.rating ? <Space data-testid="rated"><Rate disabled value={project.rating} />{project.rating_comment}</Space> : null
    return (
      <Space direction="vertical" data-testid="rating">
        {error && <Alert type="error" message={error} />}
        <Rate value={rating.score} onChange={(score) => setRating({ ...rating, score })} />
        <Input.TextArea placeholder={t('comment')} value={rating.comment}
          onChange={(e) => setRating({ ...rating, comment: e.target.value })} />
        <Button type="primary" onClick={() => act('rating', rating)}>{t('rate')}</Button>
      </Space>
    )
  }
  if (project.status === 'paused') return <Alert type="warning" showIcon message={t('pausedNote')} data-testid="paused" />
  if (!node || project.status !== 'in_progress') return null
  const mySide = customer ? 'customer' : 'provider'
  const mine = node.kind === 'submit_requirements' ? customer
    : node.kind === 'complete_project' ? customer : (project.current_side || (node.settings || {}).side) === mySide
  // on the provider side an assigned employee operates; others (and the admin) see who it waits for
  const operatorElse = !customer && project.current_operator_id && project.current_operator_id !== me.user.id &&
    !me.user.roles.includes('provider_admin')
  if (!mine || operatorElse || ['assign_provider', 'assign_order', 'claim_order'].includes(node.kind)) {
    return <Alert type="info" showIcon message={`${t('waiting')}: ${node.name}${project.current_operator_name
      ? ` · ${project.current_operator_name}` : ''}`} />
  }
  if (node.kind === 'submit_requirements') return <RequirementsForm project={project} onDone={onDone} />
  const allowReject = (node.settings || {}).allow_reject
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="node-actions">
      <Alert type="success" showIcon message={`${t('yourTurn')}: ${node.name}`} />
      {(node.settings || {}).upload_enabled && <NodeUpload project={project} onDone={onDone} />}
      {error && <Alert type="error" message={error} data-testid="action-error" />}
      <Space wrap>
        <Button type="primary" data-action="confirm" onClick={() => act('confirm', { node_key: node.key })}>
          {node.kind === 'complete_project' ? t('complete') : t('confirm')}</Button>
        {allowReject && <>
          <Input placeholder={t('reason')} value={reason} onChange={(e) => setReason(e.target.value)} style={{ width: 240 }}
            data-testid="reject-reason" />
          <Button danger data-action="reject" onClick={() => act('reject', { node_key: node.key, reason })}>{t('reject')}</Button>
        </>}
      </Space>
    </Space>
  )
}

function Posts({ project, kind, onDone }) {
  const { t } = useT()
  const [body, setBody] = useState('')
  const [error, setError] = useState(null)
  const items = project[kind] || []
  const people = project.people || {}
  const send = async () => {
    setError(null)
    try { await post(`/projects/${project.id}/${kind}`, { body }); setBody(''); onDone() } catch (err) {
      setError(err.message)
    }
  }
  return (
    <div data-testid={`posts-${kind}`}>
      <List size="small" dataSource={items} locale={{ emptyText: <Empty /> }} renderItem={(m) => (
        <List.Item><List.Item.Meta title={<Typography.Text type="secondary">{time(m.at)} · {people[m.author_id] || m.author_id}
          {m.node_key ? ` · ${m.node_key}` : ''}</Typography.Text>} description={m.body} /></List.Item>)} />
      {error && <Alert type="error" message={error} />}
      {project.status !== 'completed' && project.status !== 'cancelled' && (
        <Space.Compact style={{ width: '100%' }}>
          <Input value={body} onChange={(e) => setBody(e.target.value)} data-testid={`${kind}-input`} />
          <Button type="primary" onClick={send} disabled={!body} data-testid={`${kind}-send`}>{t('send')}</Button>
        </Space.Compact>)}
    </div>
  )
}

// the flow as steps, containers as the title above their children, the current node marked
function FlowDiagram({ project }) {
  const { t } = useT()
  const flat = project.nodes.filter((n) => n.kind !== 'container')
  const currentIndex = flat.findIndex((n) => project.current_node && n.key === project.current_node.key)
  const done = project.status === 'completed'
  const status = project.status === 'cancelled' || project.late_side ? 'error'
    : project.status === 'paused' ? 'wait' : 'process'
  return (
    <Steps size="small" data-testid="flow" current={done ? flat.length : currentIndex} status={status}
      items={flat.map((n, i) => ({ title: <span data-node={n.key} data-current={i === currentIndex && !done ? 'true' : undefined}>{n.name}</span>,
        subTitle: i === currentIndex && !done ? t(project.status) : undefined,
        description: n.parent ? project.nodes.find((p) => p.key === n.parent)?.name : t(`kind_${n.kind}`) }))} />
  )
}

function Files({ project }) {
  const { t } = useT()
  const [error, setError] = useState(null)
  const people = project.people || {}
  const save = async (f) => {
    setError(null)
    try { await download(`/projects/${project.id}/files/${f.id}`, {}, f.name) } catch (err) { setError(err.message) }
  }
  return (
    <>
      {error && <Alert type="error" message={error} />}
      <List size="small" dataSource={project.files} data-testid="files" locale={{ emptyText: <Empty /> }}
        renderItem={(f) => <List.Item actions={[<a key="d" data-download={f.name} onClick={() => save(f)}>{t('download')}</a>]}>
          {f.name} · {f.node_key} · {Math.max(1, Math.ceil(f.size / 1024))} KB · {people[f.uploaded_by] || f.uploaded_by} · {time(f.at)}
        </List.Item>} />
    </>
  )
}

function ProjectDetail({ me, id }) {
  const { t } = useT()
  const [project, setProject] = useState(null)
  const [error, setError] = useState(null)
  const load = useCallback(() => get(`/projects/${id}`).then(setProject).catch((e) => setError(e.message)), [id])
  useEffect(() => { load() }, [load])
  if (error) return <Alert type="error" message={error} />
  if (!project) return <Card loading />
  const people = project.people || {}
  const refreshWith = (p) => (p && p.id ? setProject(p) : load())
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Space><Button onClick={() => window.history.back()}>{t('back')}</Button>
        <Button onClick={load} data-testid="reload">{t('refresh')}</Button></Space>
      <Card title={<Space>{project.product_name}<Tag>{project.order_id}</Tag>
        <Tag color={STATUS_COLOURS[project.status]} data-testid="project-status" data-status={project.status}>{t(project.status)}</Tag>
        <LateMark row={project} /></Space>} extra={<ManageBar me={me} project={project} onDone={refreshWith} />}>
        <Descriptions size="small" column={3} data-testid="project-facts" items={[
          { label: t('customer'), children: project.customer_name || project.customer_id },
          { label: t('provider'), children: <span data-testid="provider-name">{project.provider_name || project.provider_id || '—'}</span> },
          { label: t('vendor'), children: project.vendor_name || project.vendor_id },
          { label: t('currentNode'), children: project.current_node ? project.current_node.name : '—' },
          { label: t('operator'), children: <span data-testid="operator-name">{project.current_operator_name || '—'}</span> },
          { label: t('due'), children: `${time(project.due_at)}${project.remaining_seconds != null ? ` (${duration(project.remaining_seconds)})` : ''}` },
          { label: t('created'), children: time(project.created_at) },
          ...(project.claimed_by ? [{ label: t('claimedBy'), children: people[project.claimed_by] || project.claimed_by }] : []),
          ...(project.closed_reason ? [{ label: t('reason'), children: project.closed_reason }] : []),
        ]} />
        <Typography.Title level={5} style={{ marginTop: 16 }}>{t('flow')}</Typography.Title>
        <FlowDiagram project={project} />
      </Card>
      <Card><NodeActions me={me} project={project} onDone={refreshWith} /></Card>
      <Card>
        <Tabs items={[
          { key: 'messages', label: <span data-tab="messages">{t('messages')} ({project.messages.length})</span>,
            children: <Posts project={project} kind="messages" onDone={load} /> },
          ...(canSeeNotes(me, project) ? [{ key: 'notes', label: <span data-tab="notes">{t('notes')} ({project.notes.length})</span>,
            children: <Posts project={project} kind="notes" onDone={load} /> }] : []),
          { key: 'files', label: <span data-tab="files">{t('files')} ({project.files.length})</span>, children: <Files project={project} /> },
          { key: 'log', label: <span data-tab="log">{t('log')}</span>, children: <Timeline data-testid="flow-log" items={project.log.map((e) => ({
            color: e.action.includes('reject') || e.action.includes('cancel') ? 'red' : e.action.includes('pause') ? 'orange' : 'blue',
            children: <span>{time(e.at)} · <b>{t(`log_${e.action}`) === `log_${e.action}` ? e.action : t(`log_${e.action}`)}</b> {e.node_key || ''}
              {' · '}{people[e.actor] || e.actor}{e.note ? ` — ${e.note}` : ''}{e.round > 1 ? ` (#${e.round})` : ''}</span> })) } /> },
        ]} />
      </Card>
    </Space>
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
  if (path && path[0]) return <ProjectDetail me={me} id={path[0]} />
  if (scope === 'claim') {
    return (
      <Space direction="vertical" style={{ width: '100%' }}>
        <Claim onClaimed={(r) => { if (r.project_id) go(`/projects.claim/${r.project_id}`); else { listKey.current += 1; setTick(listKey.current) } }} />
        <ProjectList key={listKey.current} me={me} scope="mine" />
      </Space>)
  }
  return <ProjectList me={me} scope={scope} />
}
