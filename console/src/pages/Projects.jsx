import React, { useCallback, useEffect, useState } from 'react'
import { Alert, Badge, Button, Card, Col, DatePicker, Descriptions, Empty, Form, Input, InputNumber, List,
  Rate, Row, Select, Space, Steps, Table, Tabs, Tag, Timeline, Typography, message } from 'antd'
import { ApiError, get, post } from '../api.js'
import { useT } from '../i18n.js'
import { duration, time } from '../format.js'
import { showErrors } from '../errors.js'
import { go } from '../App.jsx'

const STATUSES = ['in_progress', 'queued', 'paused', 'completed', 'cancelled']
const STATUS_COLOURS = { queued: 'default', in_progress: 'processing', paused: 'warning', completed: 'success',
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

function LateMark({ row }) {
  const { t } = useT()
  if (!row.late_side) return null
  return <Tag color="red" data-testid="late-mark">{t('late')} · {t(row.late_side)} · {time(row.late_since)}</Tag>
}

function ProjectList({ me, scope }) {
  const { t } = useT()
  const employee = scope === 'mine' && me.organisation.kind !== 'customer'
  const initial = { sort: '-created_at', ...(employee ? { mine: 'waiting' } : {}) }
  const list = useServerList('/projects', initial)
  const [form] = Form.useForm()
  const counts = list.data.counts || {}
  const tabs = employee
    ? [{ key: 'waiting', label: '待办' }, { key: 'handled', label: '已办' }]
    : [{ key: '', label: t('all') }, ...STATUSES.map((s) => ({ key: s,
      label: <span data-tab={s}>{t(s)} <Badge count={counts[s] || 0} showZero color="#bfbfbf" /></span> }))]
  const columns = [
    { title: t('orderId'), dataIndex: 'order_id', sorter: true,
      render: (v, r) => <a onClick={() => go(`/${window.location.hash.slice(2).split('/')[0]}/${r.id}`)}>{v}</a> },
    { title: t('product'), dataIndex: 'product_name' },
    { title: t('status'), dataIndex: 'status', render: (v, r) => <Space size={4} wrap>
      <Tag color={STATUS_COLOURS[v]}>{t(v)}</Tag><LateMark row={r} /></Space> },
    { title: t('currentNode'), dataIndex: 'current_node_name', render: (v, r) => v ? `${v}${r.current_side ? ` (${t(r.current_side)})` : ''}` : '—' },
    { title: t('due'), dataIndex: 'due_at', render: time },
    { title: t('created'), dataIndex: 'created_at', sorter: true, render: time },
    { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time },
  ]
  const search = (v) => list.setParams({ order_id: v.order_id || undefined, product_code: v.product_code || undefined,
    late: v.late === undefined ? undefined : v.late,
    created_from: v.range ? v.range[0].startOf('day').toISOString() : undefined,
    created_to: v.range ? v.range[1].endOf('day').toISOString() : undefined })
  return (
    <Card>
      <Form form={form} layout="inline" onFinish={search} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="order_id" label={t('orderId')}><Input allowClear style={{ width: 160 }} /></Form.Item>
        <Form.Item name="product_code" label={t('product')}><Input allowClear style={{ width: 140 }} /></Form.Item>
        <Form.Item name="late" label={t('late')}>
          <Select allowClear style={{ width: 100 }} options={[{ value: true, label: '✓' }, { value: false, label: '✗' }]} />
        </Form.Item>
        <Form.Item name="range" label={t('created')}><DatePicker.RangePicker /></Form.Item>
        <Space><Button type="primary" htmlType="submit">{t('search')}</Button>
          <Button onClick={() => { form.resetFields(); search({}) }}>{t('reset')}</Button>
          <Button onClick={() => { window.location.href = exportUrl(list.params) }}>CSV</Button></Space>
      </Form>
      <Tabs activeKey={employee ? list.params.mine : (list.params.status || '')} items={tabs}
        onChange={(k) => list.setParams(employee ? { mine: k } : { status: k || undefined })} />
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="middle" data-testid="project-table" columns={columns} dataSource={list.data.items}
        loading={list.loading} pagination={{ ...list.pagination, showTotal: (n) => t('total', { n }) }}
        onChange={list.onTableChange} />
    </Card>
  )
}

function exportUrl(params) {
  // the export needs the token; a signed download link is not offered, so fetch and save
  const q = new URLSearchParams({ format: 'csv' })
  Object.entries(params).forEach(([k, v]) => { if (v !== undefined && k !== 'limit' && k !== 'offset') q.append(k, v) })
  fetch(`/api/v1/projects/export?${q}`, { headers: { Authorization: `Bearer ${JSON.parse(localStorage.getItem('console.tokens')).access_token}` } })
    .then((r) => r.blob()).then((b) => {
      const a = document.createElement('a'); a.href = URL.createObjectURL(b); a.download = 'projects.csv'; a.click()
    })
  return '#' + window.location.hash.slice(1)
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
  const customer = me.organisation.kind === 'customer' || me.organisation.id === project.customer_id &&
    me.organisation.id !== project.provider_id
  const act = async (path, body) => {
    setError(null)
    try { onDone(await post(`/projects/${project.id}/${path}`, body)); message.success(t('done')) } catch (err) {
      setError(err instanceof ApiError ? [err.message, ...Object.entries(err.fields).map(([k, v]) => `${k}: ${v}`)].join(' — ') : String(err))
    }
  }
  if (project.status === 'completed') {
    if (!customer || project.rating) return project.rating ? <Space><Rate disabled value={project.rating} />{project.rating_comment}</Space> : null
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
  if (!node || project.status !== 'in_progress') return null
  const mySide = customer ? 'customer' : 'provider'
  const mine = node.kind === 'submit_requirements' ? customer
    : node.kind === 'complete_project' ? customer : (project.current_side || (node.settings || {}).side) === mySide
  if (!mine) return <Alert type="info" showIcon message={t('waiting')} />
  if (node.kind === 'submit_requirements') return <RequirementsForm project={project} onDone={onDone} />
  const allowReject = (node.settings || {}).allow_reject
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="node-actions">
      <Alert type="success" showIcon message={`${t('yourTurn')}: ${node.name}`} />
      {error && <Alert type="error" message={error} />}
      <Space wrap>
        <Button type="primary" data-action="confirm" onClick={() => act('confirm', { node_key: node.key })}>
          {node.kind === 'complete_project' ? t('complete') : t('confirm')}</Button>
        {allowReject && <>
          <Input placeholder={t('reason')} value={reason} onChange={(e) => setReason(e.target.value)} style={{ width: 240 }} />
          <Button danger data-action="reject" onClick={() => act('reject', { node_key: node.key, reason })}>{t('reject')}</Button>
        </>}
      </Space>
    </Space>
  )
}

function Posts({ project, kind, onDone }) {
  const { t } = useT()
  const [body, setBody] = useState('')
  const items = project[kind] || []
  const send = async () => {
    await post(`/projects/${project.id}/${kind}`, { body })
    setBody(''); onDone()
  }
  return (
    <>
      <List size="small" dataSource={items} locale={{ emptyText: <Empty /> }} renderItem={(m) => (
        <List.Item><List.Item.Meta title={<Typography.Text type="secondary">{time(m.at)} · {m.node_key}</Typography.Text>}
          description={m.body} /></List.Item>)} />
      {project.status !== 'completed' && project.status !== 'cancelled' && (
        <Space.Compact style={{ width: '100%' }}>
          <Input value={body} onChange={(e) => setBody(e.target.value)} />
          <Button type="primary" onClick={send} disabled={!body}>{t('send')}</Button>
        </Space.Compact>)}
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
  const top = project.nodes.filter((n) => !n.parent && n.kind !== 'container' || !n.parent)
  const flat = project.nodes.filter((n) => n.kind !== 'container')
  const currentIndex = flat.findIndex((n) => project.current_node && n.key === project.current_node.key)
  const done = project.status === 'completed'
  const showNotes = me.organisation.id !== project.customer_id || me.organisation.id === project.provider_id
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Button onClick={() => window.history.back()}>{t('back')}</Button>
      <Card title={<Space>{project.product_name}<Tag>{project.order_id}</Tag>
        <Tag color={STATUS_COLOURS[project.status]} data-testid="project-status">{t(project.status)}</Tag>
        <LateMark row={project} /></Space>}>
        <Descriptions size="small" column={3} items={[
          { label: t('currentNode'), children: project.current_node ? project.current_node.name : '—' },
          { label: t('due'), children: `${time(project.due_at)}${project.remaining_seconds != null ? ` (${duration(project.remaining_seconds)})` : ''}` },
          { label: t('created'), children: time(project.created_at) }]} />
        <Typography.Title level={5} style={{ marginTop: 16 }}>{t('flow')}</Typography.Title>
        <Steps size="small" data-testid="flow" current={done ? flat.length : currentIndex}
          status={project.late_side ? 'error' : 'process'}
          items={flat.map((n) => ({ title: n.name, description: n.parent
            ? project.nodes.find((p) => p.key === n.parent)?.name : undefined }))} />
      </Card>
      <Card><NodeActions me={me} project={project} onDone={(p) => (p && p.id ? setProject(p) : load())} /></Card>
      <Card>
        <Tabs items={[
          { key: 'messages', label: `${t('messages')} (${project.messages.length})`, children: <Posts project={project} kind="messages" onDone={load} /> },
          ...(showNotes ? [{ key: 'notes', label: `${t('notes')} (${project.notes.length})`, children: <Posts project={project} kind="notes" onDone={load} /> }] : []),
          { key: 'files', label: `${t('files')} (${project.files.length})`, children: <List size="small" dataSource={project.files}
            renderItem={(f) => <List.Item>{f.name} · {f.node_key} · {Math.ceil(f.size / 1024)} KB · {time(f.at)}</List.Item>} /> },
          { key: 'log', label: t('log'), children: <Timeline data-testid="flow-log" items={project.log.map((e) => ({
            children: <span>{time(e.at)} · <b>{e.action}</b> {e.node_key || ''} {e.note ? `— ${e.note}` : ''}</span> }))} /> },
        ]} />
      </Card>
    </Space>
  )
}

function Claim() {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    try { const r = await post('/claims', v); message.success(t('done')); if (r.project) go(`/projects.claim/${r.project.id}`) } catch (err) {
      setError(showErrors(form, err, ['order_id']))
    }
  }
  return (
    <Card title="订单认领 / Claim an order">
      <Form form={form} layout="inline" onFinish={submit}>
        {error && <Alert type="error" message={error} />}
        <Form.Item name="order_id" label={t('orderId')} rules={[{ required: true }]}><Input /></Form.Item>
        <Button type="primary" htmlType="submit">OK</Button>
      </Form>
    </Card>
  )
}

export default function Projects({ me, scope, path }) {
  if (path && path[0]) return <ProjectDetail me={me} id={path[0]} />
  if (scope === 'claim') return <Space direction="vertical" style={{ width: '100%' }}><Claim /><ProjectList me={me} scope="manage" /></Space>
  return <ProjectList me={me} scope={scope} />
}
