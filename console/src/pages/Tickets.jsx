import React, { useCallback, useEffect, useState } from 'react'
import { Alert, Badge, Button, Card, Descriptions, Form, Input, List, Modal, Radio, Select, Space, Switch, Table,
  Tag, Typography, message } from 'antd'
import { get, post } from '../api.js'
import { useT } from '../i18n.js'
import { duration, time } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'
import { go } from '../App.jsx'

// `breached` is the list of timers that breached (or a flag): an empty list is not a breach
const isBreached = (b) => (Array.isArray(b) ? b.length > 0 : !!b)
const CATEGORIES = ['site_down', 'server_down', 'software_unusable', 'resources_expiring', 'question', 'fault', 'billing', 'other']

function Countdown({ timers }) {
  // the SLA timers still running, as a live countdown to the nearest due time
  const [now, setNow] = useState(Date.now())
  useEffect(() => { const i = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(i) }, [])
  const open = (timers || []).filter((x) => !x.met_at && x.due_at)
  if (!open.length) return null
  const next = open.reduce((a, b) => (a.due_at < b.due_at ? a : b))
  const left = (new Date(next.due_at).getTime() - now) / 1000
  return <Tag color={left < 0 ? 'red' : left < 3600 ? 'orange' : 'blue'} data-testid="sla">{next.name} · {duration(left)}</Tag>
}

function NewTicket({ onCreated, onClose }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    try { onCreated(await post('/tickets', v)) } catch (err) {
      setError(showErrors(form, err, ['title', 'description', 'category', 'order_id', 'tier', 'product_id']))
    }
  }
  return (
    <Modal open title={t('newTicket')} onCancel={onClose} onOk={() => form.submit()}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="ticket-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="title" label={t('title')}><Input /></Form.Item>
        <Form.Item name="category" label={t('category')} initialValue="question">
          <Select options={CATEGORIES.map((c) => ({ value: c, label: c }))} /></Form.Item>
        <Form.Item name="order_id" label={t('orderId')}><Input /></Form.Item>
        <Form.Item name="description" label={t('description')}><Input.TextArea rows={4} /></Form.Item>
      </Form>
    </Modal>
  )
}

function TicketDetail({ id, me }) {
  const { t } = useT()
  const [ticket, setTicket] = useState(null)
  const [body, setBody] = useState('')
  const [kind, setKind] = useState('reply')
  const [canned, setCanned] = useState([])
  const [error, setError] = useState(null)
  const agent = me.user.roles.includes('support_agent') || me.user.roles.includes('provider_admin')
  const load = useCallback(() => get(`/tickets/${id}`).then(setTicket).catch((e) => setError(e.message)), [id])
  useEffect(() => { load(); if (agent) get('/canned-replies').then((d) => setCanned(d.items || d || [])).catch(() => {}) }, [load, agent])
  const send = async () => {
    setError(null)
    try { setTicket(await post(`/tickets/${id}/messages`, { body, kind })); setBody(''); message.success(t('done')) } catch (err) {
      setError(showErrors(null, err))
    }
  }
  if (!ticket) return error ? <Alert type="error" message={error} /> : <Card loading />
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Button onClick={() => window.history.back()}>{t('back')}</Button>
      <Card title={<Space>{ticket.title}{ticket.tier && <Tag>{ticket.tier}</Tag>}<Tag color="blue" data-testid="ticket-status">{ticket.status}</Tag>
        {ticket.complaint && <Tag color="red">{t('complaint')}</Tag>}{isBreached(ticket.breached) && <Tag color="red">{t('breached')}</Tag>}
        <Countdown timers={ticket.timers} /></Space>}>
        <Descriptions size="small" column={3} items={[
          { label: t('category'), children: ticket.category }, { label: t('orderId'), children: ticket.order_id || '—' },
          { label: t('created'), children: time(ticket.opened_at) }]} />
        <List data-testid="conversation" dataSource={ticket.messages} renderItem={(m) => (
          <List.Item style={m.kind === 'note' ? { background: '#fffbe6' } : {}}>
            <List.Item.Meta title={<Typography.Text type="secondary">{m.side} · {m.kind} · {time(m.at)}</Typography.Text>} description={m.body} />
          </List.Item>)} />
        {error && <Alert type="error" message={error} />}
        <Space direction="vertical" style={{ width: '100%' }}>
          {agent && <Space><Radio.Group value={kind} onChange={(e) => setKind(e.target.value)}
            options={[{ value: 'reply', label: t('reply') }, { value: 'note', label: t('note') }]} />
            {canned.length > 0 && <Select placeholder="canned" style={{ width: 200 }} onChange={(v) => setBody(v)}
              options={canned.map((c) => ({ value: c.body, label: c.title || c.body.slice(0, 20) }))} />}</Space>}
          <Input.TextArea rows={3} value={body} onChange={(e) => setBody(e.target.value)} data-testid="ticket-reply" />
          <Button type="primary" onClick={send} disabled={!body} data-testid="ticket-send">{t('send')}</Button>
        </Space>
      </Card>
    </Space>
  )
}

function Duty({ me }) {
  const { t } = useT()
  const [on, setOn] = useState(null)
  useEffect(() => { get('/support-duty').then((rows) => setOn(!!rows.find((r) => r.user_id === me.user.id && r.on_duty))).catch(() => {}) }, [me])
  if (on === null) return null
  return <Space>{t('onDuty')}<Switch checked={on} data-testid="duty" onChange={async (v) => {
    await post(`/support-duty/${v ? 'on' : 'off'}`); setOn(v)
  }} /></Space>
}

export default function Tickets({ me, path, scope }) {
  const { t } = useT()
  const agent = me.user.roles.includes('support_agent') || me.user.roles.includes('provider_admin')
  const list = useServerList('/tickets', {})
  const [creating, setCreating] = useState(false)
  if (path && path[0]) return <TicketDetail id={path[0]} me={me} />
  const here = window.location.hash.slice(2).split('/')[0]
  return (
    <Card title={t('tickets')} extra={<Space>{agent && <Duty me={me} />}
      {me.organisation.kind === 'customer' && <Button type="primary" onClick={() => setCreating(true)}>{t('newTicket')}</Button>}</Space>}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search placeholder={t('search')} allowClear onSearch={(q) => list.setParams({ q })} style={{ width: 220 }} />
        <Select allowClear placeholder={t('status')} style={{ width: 140 }} onChange={(status) => list.setParams({ status })}
          options={['open', 'in_progress', 'waiting_customer', 'resolved', 'closed'].map((s) => ({ value: s, label: s }))} />
        <Select allowClear placeholder={t('tier')} style={{ width: 100 }} onChange={(tier) => list.setParams({ tier })}
          options={['P0', 'P1', 'P2', 'P3'].map((s) => ({ value: s, label: s }))} />
        <Switch checkedChildren={t('complaint')} unCheckedChildren={t('complaint')} onChange={(v) => list.setParams({ complaint: v || undefined })} />
        <Switch checkedChildren={t('breached')} unCheckedChildren={t('breached')} onChange={(v) => list.setParams({ breached: v || undefined })} />
      </Space>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="ticket-table" columns={[
          { title: t('title'), dataIndex: 'title', render: (v, r) => <a onClick={() => go(`/${here}/${r.id}`)}>{v}</a> },
          { title: t('tier'), dataIndex: 'tier', render: (v) => (v ? <Tag color={v === 'P0' ? 'red' : 'default'}>{v}</Tag> : '—') },
          { title: t('status'), dataIndex: 'status', render: (v, r) => <Space size={4}><Tag>{v}</Tag>
            {r.complaint && <Tag color="red">{t('complaint')}</Tag>}{isBreached(r.breached) && <Badge status="error" text={t('breached')} />}</Space> },
          { title: t('category'), dataIndex: 'category' },
          { title: t('created'), dataIndex: 'opened_at', sorter: true, render: time },
          { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time }]} />
      {creating && <NewTicket onClose={() => setCreating(false)} onCreated={(tk) => { setCreating(false); go(`/${here}/${tk.id}`) }} />}
    </Card>
  )
}
