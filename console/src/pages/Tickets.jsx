import React, { useCallback, useEffect, useState } from 'react'
import { Alert, Badge, Button, Card, Checkbox, Col, DatePicker, Descriptions, Form, Input, List, Modal, Popconfirm,
  Radio, Rate, Row, Select, Space, Switch, Table, Tag, Timeline, Typography, Upload, message } from 'antd'
import { get, post } from '../api.js'
import { useT } from '../i18n.js'
import { duration, time } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'
import { go } from '../App.jsx'

// `breached` is the list of timers that breached (or a flag): an empty list is not a breach
const isBreached = (b) => (Array.isArray(b) ? b.length > 0 : !!b)
const CATEGORIES = ['site_down', 'server_down', 'software_unusable', 'resources_expiring', 'question', 'fault', 'billing', 'other']
const STATUSES = ['processing', 'awaiting_feedback', 'awaiting_confirmation', 'resolved', 'closed']
const STATUS_COLOURS = { processing: 'blue', awaiting_feedback: 'gold', awaiting_confirmation: 'purple', resolved: 'green', closed: 'default' }
const isAgent = (me) => me.user.roles.includes('support_agent') || me.user.roles.includes('provider_admin')
const isCustomer = (me) => me.organisation.kind === 'customer'

// names come with the answers (the gateway adds them beside the ids); an unknown one shows the id's start
const nameOf = (name, id) => name || (id ? id.slice(0, 8) : '—')

function useNow() {
  const [now, setNow] = useState(Date.now())
  useEffect(() => { const i = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(i) }, [])
  return now
}

// TKT-5: the SLA timers still running, each a live countdown to its due time (red once breached)
function Countdown({ timers, all = false }) {
  const { t } = useT()
  const now = useNow()
  const running = (timers || []).filter((x) => !x.met_at && x.due_at)
  if (!running.length) return null
  const shown = all ? running : [running.reduce((a, b) => (a.due_at < b.due_at ? a : b))]
  return <Space size={4} wrap>{shown.map((x) => {
    const left = (new Date(x.due_at).getTime() - now) / 1000
    return <Tag key={x.name} color={x.breached_at || left < 0 ? 'red' : left < 600 ? 'orange' : 'blue'} data-testid="sla">
      {t(`timer_${x.name}`)} · {left < 0 ? `${t('overdue')} ${duration(-left)}` : duration(left)}</Tag>
  })}</Space>
}

// a queue row carries its timers (due instant, paused, met, breached): no request per row
function RowCountdown({ row }) {
  const { t } = useT()
  const timers = row.timers || []
  if (timers.some((x) => x.due_at)) return <Countdown timers={timers} />
  return timers.some((x) => x.paused) ? <Tag data-testid="sla-paused">{t('slaPaused')}</Tag> : null
}

function NewTicket({ onCreated, onClose }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [about, setAbout] = useState('order_id')
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (v) => {
    setError(null); setBusy(true)
    const { about_id: ref, ...rest } = v
    try { onCreated(await post('/tickets', { ...rest, [about]: ref || undefined })) } catch (err) {
      const e = err.fields && err.fields[about] ? Object.assign(err, { fields: { ...err.fields, about_id: err.fields[about] } }) : err
      setError(showErrors(form, e, ['title', 'description', 'category', 'about_id', 'tier', 'order_id', 'project_id', 'product_id']))
    } finally { setBusy(false) }
  }
  return (
    <Modal open title={t('newTicket')} onCancel={onClose} onOk={() => form.submit()} width={560} confirmLoading={busy}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="ticket-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="title" label={t('title')}><Input /></Form.Item>
        <Form.Item name="category" label={t('category')} initialValue="question">
          <Select options={CATEGORIES.map((c) => ({ value: c, label: t(`cat_${c}`) }))} /></Form.Item>
        <Form.Item label={t('about')} required>
          <Radio.Group value={about} onChange={(e) => setAbout(e.target.value)} data-testid="ticket-about"
            options={[{ value: 'order_id', label: t('orderId') }, { value: 'project_id', label: t('project') }, { value: 'product_id', label: t('product') }]} />
        </Form.Item>
        {/* the field keeps the id `order_id` for an order (what the API names) */}
        <Form.Item name="about_id" label={t(about === 'order_id' ? 'orderId' : about === 'project_id' ? 'project' : 'product')}>
          <Input id={about} /></Form.Item>
        <Form.Item name="description" label={t('description')}><Input.TextArea rows={4} /></Form.Item>
      </Form>
    </Modal>
  )
}

function Transfer({ ticket, me, onClose, onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [roster, setRoster] = useState([])
  const [error, setError] = useState(null)
  const [offDuty, setOffDuty] = useState(false)
  useEffect(() => { get('/support-duty').then((r) => setRoster(r.filter((x) => x.user_id !== me.user.id && x.user_id !== ticket.assignee_id))).catch(() => {}) }, [me, ticket])
  const submit = async (v) => {
    setError(null)
    try { onDone(await post(`/tickets/${ticket.id}/transfer`, { ...v, confirm_off_duty: !!v.confirm_off_duty })) } catch (err) {
      // TKT-3: the API checks the note first, then answers 409 when the colleague is off duty and
      // that was not confirmed: the warning and its checkbox appear
      if (err.status === 409) { setOffDuty(true); return }
      setError(showErrors(form, err, ['to_agent_id', 'note', 'confirm_off_duty']))
    }
  }
  return (
    <Modal open title={t('transfer')} onCancel={onClose} onOk={() => form.submit()} okButtonProps={{ 'data-testid': 'transfer-ok' }}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="transfer-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="to_agent_id" label={t('toAgent')}>
          <Select data-testid="transfer-to" onChange={() => setOffDuty(false)} options={roster.map((r) => ({ value: r.user_id,
            label: <Space>{nameOf(r.user_name, r.user_id)}{r.on_duty ? <Tag color="green">{t('onDuty')}</Tag> : <Tag>{t('offDuty')}</Tag>}</Space> }))} /></Form.Item>
        <Form.Item name="note" label={t('transferNote')} extra={t('transferNoteHint')}><Input.TextArea rows={3} /></Form.Item>
        {offDuty && <Alert type="warning" showIcon message={t('offDutyWarning')} style={{ marginBottom: 12 }} />}
        {offDuty && <Form.Item name="confirm_off_duty" valuePropName="checked">
          <Checkbox data-testid="transfer-confirm-off-duty">{t('confirmOffDuty')}</Checkbox></Form.Item>}
      </Form>
    </Modal>
  )
}

function NoteDialog({ title, path, field = 'note', label, required = true, extra, onClose, onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (v) => {
    setError(null)
    setBusy(true)
    try { onDone(await post(path, v)) } catch (err) { setError(showErrors(form, err, [field, 'score', 'comment'])) } finally { setBusy(false) }
  }
  return (
    <Modal open title={title} onCancel={onClose} onOk={() => form.submit()} confirmLoading={busy} okButtonProps={{ 'data-testid': 'note-ok' }}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="note-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {extra}
        <Form.Item name={field} label={label || t(field === 'comment' ? 'comment' : 'note')} rules={required ? [{ required: true }] : []}>
          <Input.TextArea rows={3} data-testid="note-text" /></Form.Item>
      </Form>
    </Modal>
  )
}

const readBase64 = (file) => new Promise((resolve, reject) => {
  const reader = new FileReader()
  reader.onload = () => resolve(String(reader.result).split(',')[1] || '')
  reader.onerror = () => reject(reader.error)
  reader.readAsDataURL(file)
})

function TicketDetail({ id, me }) {
  const { t } = useT()
  const [ticket, setTicket] = useState(null)
  const [body, setBody] = useState('')
  const [kind, setKind] = useState('reply')
  const [plan, setPlan] = useState(false)
  const [files, setFiles] = useState([])
  const [uploading, setUploading] = useState(false)
  const [canned, setCanned] = useState([])
  const [error, setError] = useState(null)
  const [dialog, setDialog] = useState(null)
  const agent = isAgent(me)
  const customer = isCustomer(me)
  const load = useCallback(() => get(`/tickets/${id}`).then(setTicket).catch((e) => setError(e.message)), [id])
  useEffect(() => { load(); if (agent) get('/canned-replies').then((d) => setCanned(d.items || d || [])).catch(() => {}) }, [load, agent])
  const act = async (fn) => {
    setError(null)
    try { setTicket(await fn()); message.success(t('done')) } catch (err) { setError(showErrors(null, err)) }
  }
  const send = () => act(async () => {
    const tk = await post(`/tickets/${id}/messages`, { body, kind, plan: kind === 'reply' && plan ? true : undefined,
      attachments: files.length ? files : undefined })
    setBody(''); setFiles([]); setPlan(false)
    return tk
  })
  const attach = async (file) => {
    setUploading(true); setError(null)
    try {
      const saved = await post(`/tickets/${id}/attachments`, { name: file.name, content_type: file.type || 'application/octet-stream',
        content_base64: await readBase64(file) })
      setFiles((f) => [...f, saved])
    } catch (err) { setError(showErrors(null, err)) } finally { setUploading(false) }
    return false
  }
  // handing the ticket to the customer needs a public reply since their last message: the text in
  // the reply box goes with the change; "solved" with an empty box sends the ticket guide's sample
  const status = (s) => act(async () => {
    const typed = agent && kind === 'reply' && body.trim() ? body : undefined
    const reply = typed || (agent && s === 'awaiting_confirmation' ? t('solvedSample') : undefined)
    const tk = await post(`/tickets/${id}/status`, { status: s, reply })
    if (typed) setBody('')
    return tk
  })
  if (!ticket) return error ? <Alert type="error" message={error} /> : <Card loading />
  const open = !['resolved', 'closed'].includes(ticket.status)
  const done = (tk) => { setDialog(null); setTicket(tk); message.success(t('done')) }
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Button onClick={() => window.history.back()}>{t('back')}</Button>
      <Card title={<Space wrap>{ticket.title}{ticket.tier && <Tag color={ticket.tier === 'P0' ? 'red' : 'default'}>{ticket.tier}</Tag>}
        <Tag color={STATUS_COLOURS[ticket.status]} data-testid="ticket-status">{t(`st_${ticket.status}`)}</Tag>
        {ticket.business_stopping && <Tag color="volcano">{t('businessStopping')}</Tag>}
        {ticket.complaint && <Tag color="red" data-testid="complaint-flag">{t('complaint')}</Tag>}
        {!ticket.complaint && (ticket.suspected || []).length > 0 && <Tag color="orange">{t('suspectedComplaint')}</Tag>}
        {ticket.escalated && <Tag color="magenta" data-testid="escalated-flag">{t('escalated')}</Tag>}
        {isBreached(ticket.breached) && <Tag color="red">{t('breached')}</Tag>}
        {agent && <Countdown timers={ticket.timers} all />}</Space>}
        extra={<Space wrap>
          {agent && open && <Button onClick={() => setDialog('transfer')} data-testid="ticket-transfer">{t('transfer')}</Button>}
          {agent && open && !ticket.escalated && <Button onClick={() => setDialog('escalate')} data-testid="ticket-escalate">{t('escalate')}</Button>}
          {agent && ticket.status === 'processing' && <>
            <Button onClick={() => status('awaiting_feedback')}>{t('askFeedback')}</Button>
            <Button onClick={() => status('awaiting_confirmation')} data-testid="ticket-solved">{t('markSolved')}</Button></>}
          {customer && ticket.status === 'awaiting_confirmation' && <Button type="primary" onClick={() => status('resolved')} data-testid="ticket-confirm">{t('confirmSolved')}</Button>}
          {customer && ['awaiting_confirmation', 'awaiting_feedback', 'resolved'].includes(ticket.status) &&
            <Button onClick={() => status('processing')}>{t('reopen')}</Button>}
          {customer && ticket.status !== 'closed' && <Popconfirm title={t('closeTicket')} onConfirm={() => status('closed')}><Button>{t('closeTicket')}</Button></Popconfirm>}
          {customer && !ticket.complaint && open && <Button danger onClick={() => setDialog('complain')} data-testid="ticket-complain">{t('complain')}</Button>}
          {customer && !open && !ticket.rating && <Button type="primary" onClick={() => setDialog('rate')} data-testid="ticket-rate">{t('rate')}</Button>}
        </Space>}>
        <Descriptions size="small" column={3} items={[
          { label: t('category'), children: t(`cat_${ticket.category}`) },
          { label: t('about'), children: ticket.order_id ? `${t('orderId')} ${ticket.order_id}` : ticket.project_id ? <a onClick={() => go(`/projects.mine/${ticket.project_id}`)}>{t('project')} {ticket.project_id.slice(0, 8)}</a> : ticket.product_id || '—' },
          { label: t('created'), children: time(ticket.opened_at) },
          ...(agent ? [{ label: t('customer'), children: nameOf(ticket.customer_org_name, ticket.customer_org_id) }] : []),
          // the staff's fields: a customer's ticket does not carry them (its own shape, docs/access.md)
          ...(agent ? [{ label: t('assignee'), children: ticket.assignee_id ? nameOf(ticket.assignee_name, ticket.assignee_id) : t('unassigned') },
            { label: t('firstResponse'), children: ticket.first_response_seconds == null ? '—' : duration(ticket.first_response_seconds) }] : []),
          { label: t('rating'), children: ticket.rating ? <Rate disabled value={ticket.rating} /> : '—' },
          ...(ticket.complaint_note ? [{ label: t('complaint'), children: ticket.complaint_note }] : [])]} />
        <Row gutter={16}>
          <Col span={agent ? 16 : 24}>
            <List data-testid="conversation" dataSource={ticket.messages} renderItem={(m) => (
              <List.Item style={m.kind === 'note' ? { background: '#fffbe6', paddingLeft: 8 } : {}}>
                <List.Item.Meta title={<Typography.Text type="secondary">
                  {t(m.side === 'customer' ? 'customer' : 'support')}{ticket.people && ticket.people[m.author_id] ? ` ${ticket.people[m.author_id]}` : ''} · {m.kind === 'note' ? <Tag color="gold">{t('note')}</Tag> : t('reply')} · {time(m.at)}</Typography.Text>}
                description={<><div style={{ whiteSpace: 'pre-wrap', color: '#262626' }}>{m.body}</div>
                  {(m.attachments || []).map((a) => <Tag key={a.key || a.name}>📎 {a.name} ({Math.ceil((a.size || 0) / 1024)} KB)</Tag>)}</>} />
              </List.Item>)} />
          </Col>
          {agent && <Col span={8}><Card size="small" title={t('ticketLog')}>
            <Timeline items={(ticket.log || []).slice(-12).map((l) => ({ children: <><b>{l.action}</b> · {(ticket.people || {})[l.actor] || l.actor} · {time(l.at)}<br /><Typography.Text type="secondary">{(ticket.people || {})[l.detail] || l.detail}</Typography.Text></> }))} />
          </Card></Col>}
        </Row>
        {error && <Alert type="error" message={error} style={{ margin: '8px 0' }} data-testid="ticket-error" />}
        {ticket.status !== 'closed' && <Space direction="vertical" style={{ width: '100%' }}>
          {agent && <Space wrap><Radio.Group value={kind} onChange={(e) => setKind(e.target.value)} data-testid="ticket-kind"
            options={[{ value: 'reply', label: t('reply') }, { value: 'note', label: t('note') }]} optionType="button" />
            {kind === 'reply' && <Checkbox checked={plan} onChange={(e) => setPlan(e.target.checked)}>{t('withPlan')}</Checkbox>}
            {canned.length > 0 && <Select placeholder={t('cannedReplies')} style={{ width: 240 }} data-testid="canned" value={null}
              onChange={(v) => setBody((b) => (b ? `${b}\n${v}` : v))}
              options={canned.map((c) => ({ value: c.body, label: `${c.key} · ${c.body.slice(0, 24)}` }))} />}</Space>}
          <Input.TextArea rows={3} value={body} onChange={(e) => setBody(e.target.value)} data-testid="ticket-reply"
            placeholder={kind === 'note' ? t('noteHint') : customer ? t('followUpHint') : ''} />
          <Space>
            <Upload beforeUpload={attach} showUploadList={false} multiple><Button loading={uploading} data-testid="ticket-attach">{t('attach')}</Button></Upload>
            {files.map((f) => <Tag key={f.key} closable onClose={() => setFiles((x) => x.filter((y) => y.key !== f.key))}>📎 {f.name}</Tag>)}
            <Button type="primary" onClick={send} disabled={!body} data-testid="ticket-send">{kind === 'note' ? t('addNote') : t('send')}</Button>
          </Space>
        </Space>}
      </Card>
      {dialog === 'transfer' && <Transfer ticket={ticket} me={me} onClose={() => setDialog(null)} onDone={done} />}
      {dialog === 'escalate' && <NoteDialog title={t('escalate')} path={`/tickets/${id}/escalate`} onClose={() => setDialog(null)} onDone={done}
        extra={<Alert type="info" message={t('escalateHint')} style={{ marginBottom: 12 }} />} />}
      {dialog === 'complain' && <NoteDialog title={t('complain')} label={t('reason')} path={`/tickets/${id}/complaint`} required={false} onClose={() => setDialog(null)} onDone={done} />}
      {dialog === 'rate' && <RateDialog id={id} onClose={() => setDialog(null)} onDone={done} />}
    </Space>
  )
}

function RateDialog({ id, onClose, onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    try { onDone(await post(`/tickets/${id}/rating`, v)) } catch (err) { setError(showErrors(form, err, ['score', 'comment'])) }
  }
  return (
    <Modal open title={t('rate')} onCancel={onClose} onOk={() => form.submit()}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ score: 5 }} data-testid="rate-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="score" label={t('score')}><Rate /></Form.Item>
        <Form.Item name="comment" label={t('comment')}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  )
}

// TKT-2: on/off duty; going off with open tickets asks where they go (a colleague, with a note, or the queue)
function Duty({ me }) {
  const { t } = useT()
  const [roster, setRoster] = useState(null)
  const [handover, setHandover] = useState(false)
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const load = useCallback(() => get('/support-duty').then(setRoster).catch(() => setRoster([])), [])
  useEffect(() => { load() }, [load])
  if (roster === null) return null
  const on = !!roster.find((r) => r.user_id === me.user.id && r.on_duty)
  const goOff = async (body) => {
    setError(null)
    try {
      const r = await post('/support-duty/off', body)
      setHandover(false); form.resetFields(); load()
      message.success(r.handed_over && r.handed_over.length ? t('handedOver', { n: r.handed_over.length }) : t('offDuty'))
    } catch (err) {
      if (err.status === 409 && !handover) { setHandover(true); return }
      setError(showErrors(form, err, ['handover_to', 'note']))
    }
  }
  const toggle = async (v) => {
    if (v) {
      try { const r = await post('/support-duty/on'); load(); message.success(r.assigned && r.assigned.length ? t('assignedOnDuty', { n: r.assigned.length }) : t('onDuty')) } catch (err) { message.error(err.message) }
    } else goOff({})
  }
  const colleagues = roster.filter((r) => r.user_id !== me.user.id && r.on_duty)
  return (
    <Space>
      <Badge status={on ? 'success' : 'default'} text={on ? t('onDuty') : t('offDuty')} />
      <Switch checked={on} data-testid="duty" onChange={toggle} />
      <Modal open={handover} title={t('handover')} onCancel={() => setHandover(false)} footer={[
        <Button key="q" onClick={() => goOff({ return_to_queue: true })} data-testid="handover-queue">{t('returnToQueue')}</Button>,
        <Button key="h" type="primary" onClick={() => form.submit()} data-testid="handover-ok">{t('handOver')}</Button>]}>
        <Alert type="warning" showIcon message={t('handoverHint')} style={{ marginBottom: 12 }} />
        <Form form={form} layout="vertical" onFinish={(v) => goOff(v)} data-testid="handover-form">
          {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
          <Form.Item name="handover_to" label={t('toAgent')}>
            <Select data-testid="handover-to" options={colleagues.map((r) => ({ value: r.user_id, label: nameOf(r.user_name, r.user_id) }))} /></Form.Item>
          <Form.Item name="note" label={t('transferNote')}><Input.TextArea rows={3} /></Form.Item>
        </Form>
      </Modal>
    </Space>
  )
}

export default function Tickets({ me, path }) {
  const { t } = useT()
  const agent = isAgent(me)
  const customer = isCustomer(me)
  const list = useServerList('/tickets', { sort: agent ? 'priority' : '-opened_at' })
  const [creating, setCreating] = useState(false)
  if (path && path[0]) return <TicketDetail id={path[0]} me={me} />
  const here = window.location.hash.slice(2).split('/')[0]
  const flag = (key) => (v) => list.setParams({ [key]: v || undefined })
  return (
    <Card title={t('tickets')} extra={<Space>{agent && <Duty me={me} />}
      {customer && <Button type="primary" onClick={() => setCreating(true)} data-testid="new-ticket">{t('newTicket')}</Button>}</Space>}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search placeholder={t('search')} allowClear onSearch={(q) => list.setParams({ q })} style={{ width: 220 }} data-testid="ticket-search" />
        <Select allowClear placeholder={t('status')} style={{ width: 160 }} onChange={(status) => list.setParams({ status })}
          options={STATUSES.map((s) => ({ value: s, label: t(`st_${s}`) }))} />
        <Select allowClear placeholder={t('tier')} style={{ width: 90 }} onChange={(tier) => list.setParams({ tier })}
          options={['P0', 'P1', 'P2', 'P3'].map((s) => ({ value: s, label: s }))} />
        <DatePicker.RangePicker onChange={(r) => list.setParams({ opened_from: r && r[0] ? r[0].startOf('day').toISOString() : undefined,
          opened_to: r && r[1] ? r[1].endOf('day').toISOString() : undefined })} />
        <Checkbox onChange={(e) => flag('complaint')(e.target.checked)} data-testid="filter-complaint">{t('complaint')}</Checkbox>
        {agent && <Checkbox onChange={(e) => flag('suspected')(e.target.checked)}>{t('suspectedComplaint')}</Checkbox>}
        {agent && <Checkbox onChange={(e) => flag('breached')(e.target.checked)}>{t('breached')}</Checkbox>}
        {agent && <Checkbox onChange={(e) => flag('escalated')(e.target.checked)}>{t('escalated')}</Checkbox>}
        {agent && <Checkbox onChange={(e) => flag('unassigned')(e.target.checked)}>{t('unassigned')}</Checkbox>}
        {agent && <Checkbox onChange={(e) => list.setParams({ assignee_id: e.target.checked ? me.user.id : undefined })} data-testid="filter-mine">{t('assignedToMe')}</Checkbox>}
      </Space>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="ticket-table" columns={[
          { title: t('title'), dataIndex: 'title', render: (v, r) => <a onClick={() => go(`/${here}/${r.id}`)}>{v}</a> },
          { title: t('tier'), dataIndex: 'tier', render: (v) => (v ? <Tag color={v === 'P0' ? 'red' : 'default'}>{v}</Tag> : '—') },
          { title: t('status'), dataIndex: 'status', sorter: true, render: (v, r) => <Space size={4} wrap><Tag color={STATUS_COLOURS[v]}>{t(`st_${v}`)}</Tag>
            {r.business_stopping && <Tag color="volcano">{t('businessStopping')}</Tag>}
            {r.complaint && <Tag color="red">{t('complaint')}</Tag>}
            {!r.complaint && (r.suspected || []).length > 0 && <Tag color="orange">{t('suspectedComplaint')}</Tag>}
            {r.escalated && <Tag color="magenta">{t('escalated')}</Tag>}
            {isBreached(r.breached) && <Badge status="error" text={t('breached')} />}</Space> },
          ...(agent ? [{ title: t('sla'), key: 'sla', render: (_, r) => <RowCountdown row={r} /> },
            { title: t('assignee'), dataIndex: 'assignee_id', render: (v, r) => (v ? nameOf(r.assignee_name, v) : <Tag>{t('unassigned')}</Tag>) },
            { title: t('priority'), dataIndex: 'priority', key: 'priority', sorter: true, render: (_, r) => r.priority_rank }] : []),
          { title: t('category'), dataIndex: 'category', render: (v) => t(`cat_${v}`) },
          { title: t('created'), dataIndex: 'opened_at', sorter: true, render: time },
          { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time }]} />
      {creating && <NewTicket onClose={() => setCreating(false)} onCreated={(tk) => { setCreating(false); go(`/${here}/${tk.id}`) }} />}
    </Card>
  )
}
