import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Drawer, Input, Modal, Space, Steps, Table, Tag, Timeline, message } from 'antd'
import { get, post } from '../api.js'
import { useT } from '../i18n.js'
import { time } from '../format.js'
import { useServerList } from './Projects.jsx'

const STATUS_COLOURS = { draft: 'default', pending_approval: 'orange', approved: 'green', rejected: 'red', published: 'blue' }

function flat(nodes) {
  return (nodes || []).flatMap((n) => (n.kind === 'container' ? flat(n.children) : [n]))
}

function TemplateDrawer({ template, operator, onClose, onChanged }) {
  const { t } = useT()
  const [detail, setDetail] = useState(null)
  const [reason, setReason] = useState('')
  useEffect(() => { get(`/service-templates/${template.id}`).then(setDetail) }, [template])
  const act = async (version, what) => {
    try {
      await post(`/service-templates/${template.id}/versions/${version}/${what}`, what === 'reject' ? { reason } : {})
      message.success(t('done')); onChanged()
    } catch (err) { message.error(err.message) }
  }
  const versions = (detail && detail.versions) || template.versions || []
  return (
    <Drawer open width={720} title={template.name} onClose={onClose}>
      {!detail ? <Card loading /> : <>
        <Steps direction="vertical" size="small" items={flat(detail.nodes).map((n) => ({ title: n.name, description: n.kind, status: 'process' }))} />
        <h4>{t('versions')}</h4>
        <Timeline items={versions.map((v) => ({ color: v.status === 'approved' ? 'green' : v.status === 'rejected' ? 'red' : 'blue',
          children: <Space wrap>v{v.version}<Tag color={STATUS_COLOURS[v.status]}>{v.status}</Tag>{time(v.published_at || v.created_at)}
            {operator && (v.status === 'pending_approval' || v.status === 'pending') && <><Button size="small" type="primary" onClick={() => act(v.version, 'approve')}>{t('approve')}</Button>
              <Input size="small" placeholder={t('reason')} style={{ width: 160 }} value={reason} onChange={(e) => setReason(e.target.value)} />
              <Button size="small" danger onClick={() => act(v.version, 'reject')}>{t('reject')}</Button></>}</Space> }))} />
      </>}
    </Drawer>
  )
}

function Forms() {
  const { t } = useT()
  const list = useServerList('/requirement-forms', {})
  return <Card title="需求表单 / Requirement forms"><Table rowKey="id" dataSource={list.data.items} loading={list.loading}
    pagination={list.pagination} onChange={list.onTableChange} columns={[{ title: t('name'), dataIndex: 'name' },
      { title: t('updated'), dataIndex: 'updated_at', render: time }]} /></Card>
}

export default function Templates({ me, view }) {
  const { t } = useT()
  const operator = me.user.roles.includes('platform_operator')
  const initial = view === 'approvals' ? { status: 'pending_approval' } : view === 'public' ? { owner: 'public' } : {}
  const list = useServerList('/service-templates', { sort: '-created_at', ...initial })
  const [open, setOpen] = useState(null)
  if (view === 'forms') return <Forms />
  return (
    <Card title={t(view === 'approvals' ? 'approvals' : view === 'public' ? 'publicTemplates' : 'templates')}
      extra={<Input.Search allowClear placeholder={t('name')} onSearch={(name) => list.setParams({ name })} />}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="template-table" columns={[
          { title: t('name'), dataIndex: 'name', sorter: true, render: (v, r) => <a onClick={() => setOpen(r)}>{v}</a> },
          { title: t('status'), dataIndex: 'status', render: (v) => <Tag color={STATUS_COLOURS[v]}>{v}</Tag> },
          { title: t('versions'), render: (_, r) => `v${r.latest_version ?? '—'} / ✓ v${r.approved_version ?? '—'}` },
          { title: 'Public', dataIndex: 'public', render: (v) => (v ? <Tag color="purple">public</Tag> : null) },
          { title: t('created'), dataIndex: 'created_at', sorter: true, render: time }]} />
      {open && <TemplateDrawer template={open} operator={operator} onClose={() => setOpen(null)} onChanged={list.reload} />}
    </Card>
  )
}
