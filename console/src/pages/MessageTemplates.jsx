import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Descriptions, Drawer, Form, Input, Popconfirm, Select, Space, Table, Tag, Typography,
  message } from 'antd'
import { api, get, post, put } from '../api.js'
import { useT } from '../i18n.js'
import { time } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'

const CHANNELS = ['inbox', 'sms', 'email', 'dingtalk', 'wechat_work']
const TRIGGERS = ['node_reached', 'timeout', 'completed', 'rejected']
const NODE_KINDS = ['assign_provider', 'container', 'submit_requirements', 'confirm', 'claim_order', 'assign_order',
  'generic', 'complete_project']

// NTF-1: templates are the platform's. Everyone browses and previews them (vendors pick them in
// reminder rules); only the operator creates, changes and deletes them.
function Editor({ template, onClose, onSaved }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (v) => {
    setError(null)
    const variables = (v.variables || '').split(/[,\s]+/).filter(Boolean).map((name) => {
      const known = template && (template.variables || []).find((x) => x.name === name)
      return known || { name, type: 'string', sample: name }
    })
    const contents = [
      { language: 'zh-CN', channel: '*', subject: v.subject_zh || undefined, body: v.body_zh },
      ...(v.body_en ? [{ language: 'en', channel: '*', subject: v.subject_en || undefined, body: v.body_en }] : [])]
    const body = { channels: v.channels, contents, variables, description: v.description || undefined,
      trigger: v.trigger || null, node_kind: v.node_kind || null, recipient: v.recipient || undefined }
    try {
      onSaved(template ? await put(`/message-templates/${template.id}`, body) : await post('/message-templates', { name: v.name, ...body }))
    } catch (err) {
      setError(showErrors(form, err, ['name', 'channels', 'trigger', 'node_kind', 'recipient', 'description']))
    }
  }
  const content = (lang) => (template && (template.contents || []).find((c) => c.language === lang)) || {}
  const initial = template ? {
    channels: template.channels, trigger: template.trigger, node_kind: template.node_kind, recipient: template.recipient,
    description: template.description, variables: (template.variables || []).map((x) => x.name).join(', '),
    subject_zh: content('zh-CN').subject, body_zh: content('zh-CN').body, subject_en: content('en').subject, body_en: content('en').body,
  } : { channels: ['inbox'] }
  return (
    <Drawer open width={560} title={template ? template.name : t('newTemplate')} onClose={onClose}
      extra={<Button type="primary" onClick={() => form.submit()} data-testid="template-save">{t('save')}</Button>}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={initial} data-testid="message-template-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {!template && <Form.Item name="name" label={t('name')}><Input /></Form.Item>}
        <Form.Item name="channels" label={t('channels')}><Select mode="multiple" options={CHANNELS.map((c) => ({ value: c, label: c }))} /></Form.Item>
        <Space>
          <Form.Item name="trigger" label={t('trigger')}><Select allowClear style={{ width: 160 }} options={TRIGGERS.map((c) => ({ value: c, label: c }))} /></Form.Item>
          <Form.Item name="node_kind" label={t('nodeKind')}><Select allowClear style={{ width: 180 }} options={NODE_KINDS.map((c) => ({ value: c, label: c }))} /></Form.Item>
          <Form.Item name="recipient" label={t('recipient')}><Input style={{ width: 140 }} /></Form.Item>
        </Space>
        <Form.Item name="description" label={t('description')}><Input /></Form.Item>
        <Form.Item name="variables" label={t('variables')} extra="{{name}}"><Input /></Form.Item>
        <Form.Item name="subject_zh" label={`${t('msgSubject')} (中文)`}><Input /></Form.Item>
        <Form.Item name="body_zh" label={`${t('body')} (中文)`}><Input.TextArea rows={3} /></Form.Item>
        <Form.Item name="subject_en" label={`${t('msgSubject')} (English)`}><Input /></Form.Item>
        <Form.Item name="body_en" label={`${t('body')} (English)`}><Input.TextArea rows={3} /></Form.Item>
      </Form>
    </Drawer>
  )
}

function Detail({ id, operator, onClose, onEdit, onDeleted }) {
  const { t, lang } = useT()
  const [template, setTemplate] = useState(null)
  const [preview, setPreview] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => { get(`/message-templates/${id}`).then(setTemplate).catch((e) => setError(e.message)) }, [id])
  const render = async (channel) => {
    try { setPreview(await post(`/message-templates/${id}/preview`, { channel, language: lang === 'en' ? 'en' : 'zh-CN' })) } catch (e) { setError(e.message) }
  }
  const remove = async () => {
    try { await api('DELETE', `/message-templates/${id}`); onDeleted() } catch (e) { setError(e.message) }
  }
  return (
    <Drawer open width={560} title={template ? template.name : t('loading')} onClose={onClose}
      extra={operator && template && <Space>
        <Button onClick={() => onEdit(template)}>{t('edit')}</Button>
        {!template.builtin && <Popconfirm title={t('delete')} onConfirm={remove}><Button danger>{t('delete')}</Button></Popconfirm>}
      </Space>}>
      {error && <Alert type="error" message={error} />}
      {template && <Space direction="vertical" style={{ width: '100%' }}>
        <Descriptions size="small" column={1} bordered items={[
          { label: t('channels'), children: template.channels.map((c) => <Tag key={c}>{c}</Tag>) },
          { label: t('trigger'), children: template.trigger || '—' }, { label: t('nodeKind'), children: template.node_kind || '—' },
          { label: t('recipient'), children: template.recipient || '—' }, { label: t('description'), children: template.description || '—' },
          { label: t('variables'), children: (template.variables || []).map((v) => <Tag key={v.name}>{`{{${v.name}}}`} · {v.type}</Tag>) },
          { label: t('updated'), children: time(template.updated_at) }]} />
        {(template.contents || []).map((c, i) => <Card key={i} size="small" title={`${c.language} · ${c.channel}`}>
          {c.subject && <Typography.Text strong>{c.subject}</Typography.Text>}
          <div style={{ whiteSpace: 'pre-wrap' }}>{c.body}</div></Card>)}
        <Space wrap>{t('preview')}: {template.channels.map((c) => <Button key={c} size="small" onClick={() => render(c)}>{c}</Button>)}</Space>
        {preview && <Alert type="info" data-testid="template-preview" message={preview.subject || t('preview')}
          description={<div style={{ whiteSpace: 'pre-wrap' }}>{preview.body}</div>} />}
      </Space>}
    </Drawer>
  )
}

export default function MessageTemplates({ me }) {
  const { t } = useT()
  const operator = me.user.roles.includes('platform_operator')
  const list = useServerList('/message-templates', { sort: 'name' })
  const [open, setOpen] = useState(null)
  const [editing, setEditing] = useState(null)
  return (
    <Card title={t('messageTemplates')} extra={operator && <Button type="primary" onClick={() => setEditing('new')}>{t('newTemplate')}</Button>}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Input.Search allowClear placeholder={t('name')} onSearch={(name) => list.setParams({ name })} style={{ width: 220 }} data-testid="template-search" />
        <Select allowClear placeholder={t('trigger')} style={{ width: 160 }} onChange={(trigger) => list.setParams({ trigger })}
          options={TRIGGERS.map((c) => ({ value: c, label: c }))} />
        <Select allowClear placeholder={t('nodeKind')} style={{ width: 180 }} onChange={(node_kind) => list.setParams({ node_kind })}
          options={NODE_KINDS.map((c) => ({ value: c, label: c }))} />
      </Space>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="message-template-table" columns={[
          { title: t('name'), dataIndex: 'name', sorter: true, render: (v, r) => <a onClick={() => setOpen(r.id)}>{v}</a> },
          { title: t('channels'), dataIndex: 'channels', render: (v) => v.map((c) => <Tag key={c}>{c}</Tag>) },
          { title: t('trigger'), dataIndex: 'trigger' }, { title: t('nodeKind'), dataIndex: 'node_kind' },
          { title: t('recipient'), dataIndex: 'recipient' },
          { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time }]} />
      {open && <Detail id={open} operator={operator} onClose={() => setOpen(null)}
        onEdit={(tpl) => { setOpen(null); setEditing(tpl) }} onDeleted={() => { setOpen(null); list.reload() }} />}
      {editing && <Editor template={editing === 'new' ? null : editing} onClose={() => setEditing(null)}
        onSaved={() => { setEditing(null); message.success(t('saved')); list.reload() }} />}
    </Card>
  )
}
