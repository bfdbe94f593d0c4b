// A project's page (pages/Projects.jsx opens it): its own chunk, loaded when a project is opened,
// so the project list's first load does not carry the detail's components
import React, { useCallback, useEffect, useState } from 'react'
import { Alert, Button, Card, Descriptions, Empty, Form, Input, InputNumber, List, Rate, Select, Space, Steps,
  Tabs, Tag, Timeline, Typography, message } from 'antd'
import { ApiError, download, get, post } from '../api.js'
import { useT } from '../i18n.js'
import { duration, time } from '../format.js'
import { showErrors } from '../errors.js'
import { LateMark, STATUS_COLOURS } from './Projects.jsx'
import { ManageBar, NodeUpload, canSeeNotes, isCustomerOf } from './ProjectActions.jsx'

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

export default function ProjectDetail({ me, id }) {
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
