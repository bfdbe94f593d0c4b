import React, { useEffect, useRef, useState } from 'react'
import { Alert, Button, Form, Input, Modal, Progress, Select, Space, Typography, message } from 'antd'
import { get, post, upload } from '../api.js'
import { useT } from '../i18n.js'
import { showErrors } from '../errors.js'

const MAX_UPLOAD = 20 * 1024 * 1024 // the gateway's limit for a project file
const VENDOR_ROLES = ['vendor_admin', 'vendor_project_manager']
const OPEN = ['queued', 'in_progress', 'paused']

export const isCustomerOf = (me, project) => me.organisation.kind === 'customer' ||
  (me.organisation.id === project.customer_id && me.organisation.id !== project.provider_id &&
    me.organisation.id !== project.vendor_id)
// notes are never for the customer (the API leaves them out too)
export const canSeeNotes = (me, project) => !isCustomerOf(me, project)
const has = (me, roles) => me.user.roles.some((r) => roles.includes(r))

// One note or reason, asked in a dialog; the API's field errors are shown under the field.
function AskDialog({ title, field, required, onSubmit, onClose, testId }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (values) => {
    setBusy(true); setError(null)
    try { await onSubmit(values); onClose() } catch (err) { setError(showErrors(form, err, [field])) } finally {
      setBusy(false)
    }
  }
  return (
    <Modal open title={title} onCancel={onClose} okText={t('save')} cancelText={t('cancel')} confirmLoading={busy}
      onOk={() => form.submit()} data-testid={testId} destroyOnClose>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="dialog-error" />}
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name={field} label={t(field === 'note' ? 'note_' : field)} rules={required ? [{ required: true, message: t('required') }] : []}>
          <Input.TextArea rows={3} id={`${testId}-${field}`} />
        </Form.Item>
      </Form>
    </Modal>
  )
}

// PRJ-6: the provider admin hands an assign-order node to another user with the same role who is
// switched open and below capacity
function OperatorDialog({ project, onDone, onClose }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [candidates, setCandidates] = useState(null)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const index = project.nodes.findIndex((n) => project.current_node && n.key === project.current_node.key)
  const assign = project.nodes.slice(0, index + 1).reverse().find((n) => n.kind === 'assign_order')
  const role = assign && (assign.settings || {}).role
  const current = role && project.operators[role]
  useEffect(() => {
    if (!role) { setCandidates([]); return }
    get('/dispatch/employees', { role, open: true, limit: 200, sort: 'display_name' })
      .then((d) => setCandidates(d.items.filter((e) => e.user_id !== current && e.held < e.capacity)))
      .catch((e) => setError(e.message))
  }, [role, current])
  const submit = async (values) => {
    setBusy(true); setError(null)
    try {
      await post(`/projects/${project.id}/operator`, { user_id: values.user_id, node_key: assign.key })
      message.success(t('done'))
      onDone(); onClose()
    } catch (err) { setError(showErrors(form, err, ['user_id'])) } finally { setBusy(false) }
  }
  return (
    <Modal open title={t('changeOperator')} onCancel={onClose} okText={t('save')} cancelText={t('cancel')}
      confirmLoading={busy} onOk={() => form.submit()} data-testid="operator-dialog" destroyOnClose>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {!role ? <Alert type="info" message={t('noOperatorNode')} /> : (
        <Form form={form} layout="vertical" onFinish={submit}>
          <Typography.Paragraph type="secondary">{assign.name} · {role} · {t('operator')}: {
            (project.people || {})[current] || current || '—'}</Typography.Paragraph>
          <Form.Item name="user_id" label={t('operator')} rules={[{ required: true, message: t('required') }]}>
            <Select loading={!candidates} id="operator-candidate" notFoundContent={t('noCandidates')}
              options={(candidates || []).map((e) => ({ value: e.user_id,
                label: `${e.display_name} (${e.held}/${e.capacity})` }))} />
          </Form.Item>
        </Form>)}
    </Modal>
  )
}

// the actions on the whole project, by role: change provider and cancel (vendor), change operator,
// pause and resume (provider admin), cancel (platform operator)
export function ManageBar({ me, project, onDone }) {
  const { t } = useT()
  const [dialog, setDialog] = useState(null)
  const open = OPEN.includes(project.status)
  const vendor = has(me, VENDOR_ROLES) && me.organisation.id === project.vendor_id
  const providerAdmin = has(me, ['provider_admin']) && me.organisation.id === project.provider_id
  const operator = has(me, ['platform_operator'])
  // PRJ-5: changing the provider needs another one: offered only when the product has several
  const [providerCount, setProviderCount] = useState(0)
  useEffect(() => {
    if (!vendor || !open) return
    get('/product-providers', { product_id: project.product_id }).then((d) => setProviderCount(d.items.length))
      .catch(() => setProviderCount(0))
  }, [vendor, open, project.product_id])
  const act = (path) => async (body) => {
    onDone(await post(`/projects/${project.id}/${path}`, body))
    message.success(t('done'))
  }
  if (!open) return null
  const buttons = []
  if (vendor && project.provider_id && providerCount > 1) {
    buttons.push(<Button key="cp" data-action="change-provider" onClick={() => setDialog('provider')}>{t('changeProvider')}</Button>)
  }
  if (providerAdmin && project.status === 'in_progress' && Object.keys(project.operators || {}).length) {
    buttons.push(<Button key="co" data-action="change-operator" onClick={() => setDialog('operator')}>{t('changeOperator')}</Button>)
  }
  if (providerAdmin && project.status === 'in_progress') {
    buttons.push(<Button key="pa" data-action="pause" onClick={() => setDialog('pause')}>{t('pause')}</Button>)
  }
  if (providerAdmin && project.status === 'paused') {
    buttons.push(<Button key="re" type="primary" data-action="resume" onClick={() => setDialog('resume')}>{t('resume')}</Button>)
  }
  if (vendor || operator) {
    buttons.push(<Button key="ca" danger data-action="cancel" onClick={() => setDialog('cancel')}>{t('cancelProject')}</Button>)
  }
  return (
    <Space wrap data-testid="manage-bar">
      {buttons}
      {dialog === 'provider' && <AskDialog title={t('changeProvider')} field="note" testId="change-provider"
        onSubmit={act('change-provider')} onClose={() => setDialog(null)} />}
      {dialog === 'pause' && <AskDialog title={t('pause')} field="note" testId="pause"
        onSubmit={act('pause')} onClose={() => setDialog(null)} />}
      {dialog === 'resume' && <AskDialog title={t('resume')} field="note" testId="resume"
        onSubmit={act('resume')} onClose={() => setDialog(null)} />}
      {dialog === 'cancel' && <AskDialog title={t('cancelProject')} field="reason" required testId="cancel"
        onSubmit={act('cancel')} onClose={() => setDialog(null)} />}
      {dialog === 'operator' && <OperatorDialog project={project} onDone={() => onDone(null)}
        onClose={() => setDialog(null)} />}
    </Space>
  )
}

// a file from the browser to the current node: the raw file is the body, its type the Content-Type
export function NodeUpload({ project, onDone }) {
  const { t } = useT()
  const input = useRef(null)
  const [state, setState] = useState(null)
  const [error, setError] = useState(null)
  const send = async (file) => {
    setError(null)
    if (!file) return
    if (file.size === 0) { setError(`${file.name}: ${t('fileEmpty')}`); return }
    if (file.size > MAX_UPLOAD) { setError(`${file.name}: ${t('fileTooLarge', { mb: MAX_UPLOAD / 1024 / 1024 })}`); return }
    setState({ name: file.name, percent: 30 })
    try {
      await upload(`/projects/${project.id}/files`, { node_key: project.current_node.key, name: file.name }, file)
      setState({ name: file.name, percent: 100 })
      message.success(`${t('uploaded')}: ${file.name}`)
      onDone(null)
    } catch (err) {
      setState(null)
      const fields = Object.values(err.fields || {}).flat()
      setError(`${file.name}: ${[err.message, ...fields].join(' — ')}`)
    } finally {
      if (input.current) input.current.value = ''
    }
  }
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="upload">
      <Space>
        <Button onClick={() => input.current && input.current.click()}>{t('uploadFile')}</Button>
        <Typography.Text type="secondary">{t('uploadHint')}</Typography.Text>
        <input ref={input} type="file" style={{ display: 'none' }} data-testid="upload-input"
          onChange={(e) => send(e.target.files[0])} />
      </Space>
      {state && <Progress percent={state.percent} size="small" format={() => state.name} />}
      {error && <Alert type="error" showIcon message={error} data-testid="upload-error" />}
    </Space>
  )
}
