import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Col, Drawer, Input, Row, Select, Space, Table, Tag, Typography, message } from 'antd'
import { get, post } from '../api.js'
import { useT } from '../i18n.js'
import { time } from '../format.js'
import { go } from '../App.jsx'
import { useServerList } from './Projects.jsx'
import FlowDesigner, { FlowDiagram, STATUS_COLOURS } from './FlowDesigner.jsx'
import FormEditor from './FormEditor.jsx'

// The operator decides a version that waits: its flow, what changed against the version before, a note
function ApprovalDrawer({ template, onClose, onDecided }) {
  const { t } = useT()
  const number = template.latest_version
  const [version, setVersion] = useState(null)
  const [note, setNote] = useState('')
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    get(`/service-templates/${template.id}/versions/${number}`).then(setVersion).catch((e) => setError(e.message))
  }, [template.id, number])
  const decide = async (what) => {
    setBusy(true); setError(null)
    try {
      await post(`/service-templates/${template.id}/versions/${number}/${what}`,
        what === 'reject' ? { reason: note } : note.trim() ? { note } : {})
      message.success(t('done')); onDecided()
    } catch (err) {
      setError([err.message, ...Object.entries(err.fields || {}).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`)].join(' — '))
    } finally { setBusy(false) }
  }
  return (
    <Drawer open width={760} title={`${template.name} · v${number}`} onClose={onClose} data-testid="approval-drawer"
      extra={<Button onClick={() => go(`/templates.approvals/${template.id}/v/${number}`)}>{t('designer')}</Button>}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="approval-error" />}
      {!version ? <Card loading /> : <Row gutter={16}>
        <Col span={13}><FlowDiagram nodes={version.nodes} /></Col>
        <Col span={11}>
          <Typography.Title level={5}>{t('changes')}</Typography.Title>
          {(version.changes || []).map((c) => <div key={`${c.change}-${c.key}`}><Tag>{c.change}</Tag>{c.name}
            <Typography.Text type="secondary"> {(c.fields || []).join(', ')}</Typography.Text></div>)}
          {(version.changes || []).length === 0 && <Typography.Text type="secondary">—</Typography.Text>}
          {/* one note for either decision, read by the vendor in the versions: required to reject, optional to approve */}
          <Typography.Title level={5} style={{ marginTop: 16 }}>{t('decisionNote')}</Typography.Title>
          <Input.TextArea rows={3} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)}
            data-testid="approval-note" placeholder={t('reason')} />
          <Space style={{ marginTop: 12 }}>
            <Button type="primary" loading={busy} onClick={() => decide('approve')} data-testid="approve">{t('approve')}</Button>
            <Button danger loading={busy} disabled={!note.trim()} onClick={() => decide('reject')} data-testid="reject">{t('reject')}</Button>
          </Space>
        </Col>
      </Row>}
    </Drawer>
  )
}

// TPL-6: the requirement forms; the operator creates and changes them in the editor (FormEditor.jsx)
function Forms({ me, path }) {
  const { t } = useT()
  const menu = 'templates.requirement_forms'
  const operator = me.user.roles.includes('platform_operator')
  const list = useServerList('/requirement-forms', { sort: 'name' })
  if (path && path[0]) return <FormEditor key={path[0]} me={me} formId={path[0]} menu={menu} />
  return <Card title={t('requirementsForm')} data-testid="requirement-forms" extra={<Space wrap>
    <Input.Search allowClear placeholder={t('name')} onSearch={(name) => list.setParams({ name })} data-testid="form-search" />
    {operator && <Button type="primary" onClick={() => go(`/${menu}/new`)} data-testid="new-form">+ {t('newForm')}</Button>}</Space>}>
    {list.error && <Alert type="error" message={list.error} />}
    <Table rowKey="id" dataSource={list.data.items} loading={list.loading} data-testid="form-table"
      pagination={list.pagination} onChange={list.onTableChange} columns={[{ title: 'ID', dataIndex: 'id' },
        { title: t('name'), dataIndex: 'name', sorter: true, render: (v, r) => <a onClick={() => go(`/${menu}/${r.id}`)} data-form={r.id}>{v}</a> },
        { title: t('fields'), dataIndex: 'fields', render: (v) => (v || []).map((f) => <Tag key={f.key}>{f.label || f.key}{f.required ? ' *' : ''}</Tag>) },
        { title: t('updated'), dataIndex: 'updated_at', sorter: true, render: time }]} /></Card>
}

export default function Templates({ me, view, path = [] }) {
  const { t } = useT()
  const menu = `templates.${view === 'forms' ? 'requirement_forms' : view}`
  if (view === 'forms') return <Forms me={me} path={path} />
  const [templateId, v, number] = path
  if (templateId) {
    return <FlowDesigner key={templateId} me={me} menu={menu} templateId={templateId}
      version={v === 'v' && number ? Number(number) : null} />
  }
  // keyed by view: the flows, public and approvals lists keep no filters of one another (the shell
  // renders every menu's page in one place, so without a key a list opened next reuses the last one's)
  return <TemplateList key={view} me={me} view={view} menu={menu} />
}

function TemplateList({ me, view, menu }) {
  const { t } = useT()
  const operator = me.user.roles.includes('platform_operator')
  const initial = view === 'approvals' ? { status: 'pending_approval' } : view === 'public' ? { owner: 'public' } : {}
  const list = useServerList('/service-templates', { sort: 'name', ...initial })
  const [deciding, setDeciding] = useState(null)
  const open = (r) => (view === 'approvals' ? setDeciding(r) : go(`/${menu}/${r.id}`))
  const title = t(view === 'approvals' ? 'approvals' : view === 'public' ? 'publicTemplates' : 'templates')
  return (
    <Card title={title} data-testid={`templates-${view}`}
      extra={<Space wrap>
        {view === 'flows' && <Select style={{ width: 120 }} value={list.params.owner || ''} onChange={(owner) => list.setParams({ owner: owner || undefined })}
          options={[{ value: '', label: t('all') }, { value: 'own', label: t('own') }, { value: 'public', label: t('public') }]} />}
        {view !== 'approvals' && <Select style={{ width: 140 }} allowClear placeholder={t('status')} value={list.params.status}
          onChange={(status) => list.setParams({ status })} options={['draft', 'pending_approval', 'approved', 'rejected'].map((s) => ({ value: s, label: t(s) }))} />}
        <Input.Search allowClear placeholder={t('name')} onSearch={(name) => list.setParams({ name })} style={{ width: 200 }} />
        {(view === 'flows' || (view === 'public' && operator)) &&
          <Button type="primary" onClick={() => go(`/${menu}/new`)} data-testid="new-template">+ {t('newTemplate')}</Button>}
      </Space>}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="template-table" columns={[
          { title: t('name'), dataIndex: 'name', sorter: true, render: (val, r) => <a onClick={() => open(r)} data-template={r.id}>{val}</a> },
          { title: t('status'), dataIndex: 'status', render: (val) => <Tag color={STATUS_COLOURS[val]}>{t(val)}</Tag> },
          { title: t('versions'), render: (_, r) => `v${r.latest_version ?? '—'} / ✓ v${r.approved_version ?? '—'}` },
          { title: t('owner'), dataIndex: 'public', render: (val) => (val ? <Tag color="purple">{t('public')}</Tag> : <Tag>{t('own')}</Tag>) },
          { title: t('created'), dataIndex: 'created_at', sorter: true, render: time }]} />
      {deciding && <ApprovalDrawer template={deciding} onClose={() => setDeciding(null)}
        onDecided={() => { setDeciding(null); list.reload() }} />}
    </Card>
  )
}
