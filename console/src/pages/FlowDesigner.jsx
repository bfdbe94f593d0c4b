import React, { useEffect, useMemo, useState } from 'react'
import { Alert, Button, Card, Col, Dropdown, Empty, Form, Input, InputNumber, Modal, Row, Select, Space, Switch,
  Table, Tag, Tooltip, Typography, message } from 'antd'
import { ApiError, get, post, put } from '../api.js'
import { useT } from '../i18n.js'
import { time } from '../format.js'
import { showErrors } from '../errors.js'
import { go } from '../App.jsx'

// platform_contracts.nodes, as the console needs it: the kinds, their default settings, the limits
export const KINDS = ['assign_provider', 'container', 'submit_requirements', 'confirm', 'claim_order', 'assign_order',
  'generic', 'complete_project']
const WORK_KINDS = ['submit_requirements', 'confirm', 'claim_order', 'assign_order', 'generic']
const DEFAULTS = {
  assign_provider: {},
  container: {},
  submit_requirements: { form_template_id: null, submit_label: '提交需求', view_label: '查看需求' },
  confirm: { side: 'customer', role: null, button_label: '确认', allow_reject: false, timeout_days: null,
    advance_on_timeout: false },
  claim_order: { timeout_days: null },
  assign_order: { role: null, rule: 'provider_first' },
  generic: { side: 'provider', role: null, upload_enabled: false, button_label: '完成', view_label: '查看' },
  complete_project: { allow_reject: false, timeout_days: null, auto_confirm_on_timeout: false, button_label: '确认完成' },
}
const MAX_DEPTH = 3
const TRIGGERS = ['node_reached', 'timeout', 'completed', 'rejected']
const RECEIVERS = ['customer', 'provider_admin', 'node_operator', 'vendor']
export const KIND_COLOURS = { assign_provider: '#722ed1', container: '#8c8c8c', submit_requirements: '#1677ff',
  confirm: '#13c2c2', claim_order: '#fa8c16', assign_order: '#eb2f96', generic: '#52c41a', complete_project: '#2f54eb' }
export const STATUS_COLOURS = { draft: 'default', pending_approval: 'orange', approved: 'green', rejected: 'red' }

// --- the flow as a tree of nodes, each with a client-only _uid (keys are editable, so not keys) --------
let uidSeq = 0
const withUids = (nodes) => (nodes || []).map((n) => ({ ...n, settings: { ...(n.settings || {}) },
  reminders: n.reminders || [], _uid: `n${++uidSeq}`, ...(n.kind === 'container' ? { children: withUids(n.children) } : {}) }))
const forServer = (nodes) => nodes.map(({ _uid, children, settings, ...n }) => {
  const { form, ...rest } = settings || {} // the approved form snapshot is the server's to add
  return { ...n, settings: rest, ...(n.kind === 'container' ? { children: forServer(children || []) } : {}) }
})
const mapNodes = (nodes, fn) => nodes.map((n) => fn(n.children ? { ...n, children: mapNodes(n.children, fn) } : n))
const dropNode = (nodes, uid) => nodes.filter((n) => n._uid !== uid)
  .map((n) => (n.children ? { ...n, children: dropNode(n.children, uid) } : n))
function walk(nodes, fn, path = 'nodes', depth = 1) {
  nodes.forEach((n, i) => {
    const at = `${path}[${i}]`
    fn(n, at, depth)
    if (n.children) walk(n.children, fn, `${at}.children`, depth + 1)
  })
}
function findNode(nodes, uid) {
  let found = null
  walk(nodes, (n, at, depth) => { if (n._uid === uid) found = { node: n, at, depth } })
  return found
}
// insert into the siblings list of `parentUid` (null: the top level) at `index`
function insertNode(nodes, parentUid, index, node) {
  if (parentUid === null) return [...nodes.slice(0, index), node, ...nodes.slice(index)]
  return mapNodes(nodes, (n) => (n._uid === parentUid
    ? { ...n, children: [...n.children.slice(0, index), node, ...n.children.slice(index)] } : n))
}
function moveNode(nodes, uid, delta) {
  const shift = (list) => {
    const i = list.findIndex((n) => n._uid === uid)
    if (i < 0) return list.map((n) => (n.children ? { ...n, children: shift(n.children) } : n))
    const j = i + delta
    if (j < 0 || j >= list.length) return list
    const copy = [...list];
    [copy[i], copy[j]] = [copy[j], copy[i]]
    return copy
  }
  return shift(nodes)
}
// where a node sits: the container holding it (null: the top level), its index, its siblings
function locate(nodes, uid, parentUid = null) {
  const index = nodes.findIndex((n) => n._uid === uid)
  if (index >= 0) return { parentUid, index, list: nodes }
  for (const n of nodes) {
    const found = n.children ? locate(n.children, uid, n._uid) : null
    if (found) return found
  }
  return null
}
// into the container just above it (as its last child), or out of its container (just after it)
function moveInto(nodes, uid) {
  const at = locate(nodes, uid)
  const above = at && at.list[at.index - 1]
  if (!above || above.kind !== 'container') return nodes
  return insertNode(dropNode(nodes, uid), above._uid, above.children.length, at.list[at.index])
}
function moveOut(nodes, uid) {
  const at = locate(nodes, uid)
  if (!at || at.parentUid === null) return nodes
  const parent = locate(nodes, at.parentUid)
  return insertNode(dropNode(nodes, uid), parent.parentUid, parent.index + 1, at.list[at.index])
}
function newKey(nodes, kind) {
  const used = new Set()
  walk(nodes, (n) => used.add(n.key))
  let i = 1
  while (used.has(`${kind}_${i}`)) i += 1
  return `${kind}_${i}`
}

// The server names each problem by its path in the flow it was sent (nodes[2].children[0].settings.role);
// resolve each against that flow at once, so the message stays on its node when nodes move afterwards.
const PATH = /^nodes\[(\d+)\]((?:\.children\[\d+\])*)(?:\.(.*))?$/
export function problemsByNode(nodes, fields) {
  const byNode = {}
  const general = []
  Object.entries(fields || {}).forEach(([path, msgs]) => {
    const messages = Array.isArray(msgs) ? msgs.map(String) : [String(msgs)]
    const m = PATH.exec(path)
    let node = m ? nodes[Number(m[1])] : null
    if (node && m[2]) {
      for (const step of m[2].match(/\d+/g)) node = node && node.children ? node.children[Number(step)] : null
    }
    if (!node) { general.push(`${path}: ${messages.join(' ')}`); return }
    const field = m[3] || ''
    byNode[node._uid] = { ...(byNode[node._uid] || {}), [field]: [...((byNode[node._uid] || {})[field] || []), ...messages] }
  })
  return { byNode, general }
}
const warningsAsFields = (warnings) => (warnings || []).reduce((out, w) => ({ ...out, [w.path]: [...(out[w.path] || []), w.message] }), {})

// --- the diagram: vertical cards, containers holding their children --------------------------------
function AddMenu({ depth, onAdd, children }) {
  const { t } = useT()
  const kinds = [...WORK_KINDS, ...(depth < MAX_DEPTH ? ['container'] : []), ...(depth === 1 ? ['assign_provider', 'complete_project'] : [])]
  return (
    <Dropdown trigger={['click']} menu={{ items: kinds.map((k) => ({ key: k, label: <span data-add-kind={k}>{t(`kind_${k}`)}</span> })),
      onClick: ({ key }) => onAdd(key) }}>
      {children}
    </Dropdown>
  )
}

function Connector({ depth, readOnly, onAdd, testid }) {
  return (
    // the kinds' menu is a portal, yet React bubbles its clicks to the card holding it: stop them here
    <div onClick={(e) => e.stopPropagation()} style={{ display: 'flex', alignItems: 'center', gap: 8, paddingLeft: 18, height: readOnly ? 18 : 26 }}>
      <div style={{ width: 2, alignSelf: 'stretch', background: '#d9d9d9' }} />
      {!readOnly && <AddMenu depth={depth} onAdd={onAdd}>
        <Button size="small" type="dashed" shape="circle" data-testid={testid} style={{ width: 20, minWidth: 20, height: 20, fontSize: 12, padding: 0 }}>+</Button>
      </AddMenu>}
    </div>
  )
}

function summary(node, t, roleTitle) {
  const s = node.settings || {}
  const parts = []
  if (s.side) parts.push(t(s.side))
  if (s.role) parts.push(roleTitle(s.role))
  if (s.rule) parts.push(t(s.rule))
  if (s.form_template_id) parts.push(`${t('form')}: ${s.form_template_id}`)
  if (s.timeout_days) parts.push(`${t('timeoutDays')}: ${s.timeout_days}`)
  if (s.advance_on_timeout) parts.push(t('advanceOnTimeout'))
  if (s.auto_confirm_on_timeout) parts.push(t('autoConfirm'))
  if (s.upload_enabled) parts.push(t('uploadEnabled'))
  if (s.allow_reject) parts.push(t('allowReject'))
  if ((node.reminders || []).length) parts.push(`${t('reminders')}: ${node.reminders.length}`)
  return parts.join(' · ')
}

// a problem's field as the vendor reads it on the card (the settings panel shows it beside the field)
const FIELD_LABELS = { key: 'nodeKey', name: 'nodeName', kind: 'kind', 'settings.form_template_id': 'form',
  'settings.role': 'role', 'settings.timeout_days': 'timeoutDays', 'settings.rule': 'assignRule',
  'settings.allow_reject': 'allowReject', 'settings.side': 'side' }
const fieldLabel = (field, t) => (FIELD_LABELS[field] ? t(FIELD_LABELS[field])
  : field.startsWith('reminders') ? `${t('reminders')} ${field.slice(9)}` : field)

function NodeCard({ node, depth, index, siblings, above, parentUid, ctx }) {
  const { t } = useT()
  const { selected, setSelected, problems, readOnly, edit, current } = ctx
  const mine = problems[node._uid]
  const messages = mine ? Object.entries(mine).flatMap(([f, m]) => m.map((x) => (f && f !== 'children' ? `${fieldLabel(f, t)}: ${x}` : x))) : []
  const isSelected = selected === node._uid
  const builtIn = node.kind === 'assign_provider' || node.kind === 'complete_project'
  const colour = KIND_COLOURS[node.kind] || '#8c8c8c'
  const add = (kind, at) => edit.add(node._uid, at, kind)
  return (
    <div data-node={node.key} data-kind={node.kind} data-has-error={messages.length ? 'true' : 'false'}
      onClick={(e) => { e.stopPropagation(); setSelected(node._uid) }}
      style={{ border: `1px solid ${messages.length ? '#ff4d4f' : isSelected ? '#1677ff' : '#e8e8e8'}`,
        borderLeft: `4px solid ${colour}`, borderRadius: 8, background: node.kind === 'container' ? '#fafafa' : '#fff',
        padding: '8px 12px', cursor: 'pointer', boxShadow: isSelected ? '0 0 0 2px rgba(22,119,255,.15)' : 'none' }}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: 8 }}>
        <Space size={6} wrap>
          <Tag color={colour} style={{ marginRight: 0 }}>{t(`kind_${node.kind}`)}</Tag>
          <Typography.Text strong>{node.name}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{node.key}</Typography.Text>
          {current === node.key && <Tag color="processing">{t('currentNode')}</Tag>}
        </Space>
        {!readOnly && <Space size={2} onClick={(e) => e.stopPropagation()}>
          <Tooltip title={t('moveUp')}><Button size="small" type="text" disabled={index === 0} data-action="up" onClick={() => edit.move(node._uid, -1)}>↑</Button></Tooltip>
          <Tooltip title={t('moveDown')}><Button size="small" type="text" disabled={index === siblings - 1} data-action="down" onClick={() => edit.move(node._uid, 1)}>↓</Button></Tooltip>
          {depth > 1 && <Tooltip title={t('moveOut')}><Button size="small" type="text" data-action="out" onClick={() => edit.out(node._uid)}>⇤</Button></Tooltip>}
          {!builtIn && above && above.kind === 'container' && <Tooltip title={t('moveInto')}>
            <Button size="small" type="text" data-action="into" onClick={() => edit.into(node._uid)}>⇥</Button></Tooltip>}
          {!builtIn && <Tooltip title={t('remove')}><Button size="small" type="text" danger data-action="remove" onClick={() => edit.remove(node._uid)}>✕</Button></Tooltip>}
        </Space>}
      </div>
      <div style={{ fontSize: 12, color: '#595959', marginTop: 2 }}>{summary(node, t, ctx.roleTitle)}</div>
      {messages.length > 0 && <div data-testid="node-error" style={{ marginTop: 6 }}>
        {messages.map((m) => <div key={m} style={{ color: '#ff4d4f', fontSize: 12 }}>⚠ {m}</div>)}</div>}
      {node.kind === 'container' && <div style={{ marginTop: 8, paddingLeft: 8 }} data-children={node.key}>
        {(node.children || []).length === 0 && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('noChildren')}</Typography.Text>}
        <FlowList nodes={node.children || []} depth={depth + 1} parentUid={node._uid} ctx={ctx} onAdd={add} />
      </div>}
    </div>
  )
}

function FlowList({ nodes, depth, parentUid, ctx, onAdd }) {
  const add = (at) => (kind) => (parentUid === null ? ctx.edit.add(null, at, kind) : onAdd(kind, at))
  return (
    <div>
      {depth > 1 && <Connector depth={depth} readOnly={ctx.readOnly} onAdd={add(0)} testid={`add-in-${parentUid}`} />}
      {nodes.map((n, i) => (
        <div key={n._uid}>
          <NodeCard node={n} depth={depth} index={i} siblings={nodes.length} above={nodes[i - 1]} parentUid={parentUid} ctx={ctx} />
          {(i < nodes.length - 1 || depth > 1) && <Connector depth={depth} readOnly={ctx.readOnly} onAdd={add(i + 1)}
            testid={`add-after-${n.key}`} />}
        </div>
      ))}
    </div>
  )
}

export function FlowDiagram({ nodes, readOnly = true, current, roleTitle = (r) => r }) {
  const ctx = { selected: null, setSelected: () => {}, problems: {}, readOnly, edit: {}, current, roleTitle }
  return <FlowList nodes={withUids(nodes)} depth={1} parentUid={null} ctx={ctx} />
}

// antd's Select keeps data-* attributes to itself: a wrapper carries the test id
const Pick = ({ testid, ...props }) => <div data-testid={testid}><Select style={{ width: '100%' }} {...props} /></div>

// --- the settings of the selected node --------------------------------------------------------------
function Field({ label, errors, children, extra }) {
  return <Form.Item label={label} validateStatus={errors ? 'error' : undefined} help={errors ? errors.join(' ') : undefined}
    extra={extra} style={{ marginBottom: 12 }}>{children}</Form.Item>
}

function Reminders({ node, errors, onChange, readOnly, roles, templates }) {
  const { t } = useT()
  const list = node.reminders || []
  const set = (i, patch) => onChange(list.map((r, j) => (j === i ? { ...r, ...patch } : r)), i, Object.keys(patch)[0])
  const receivers = [...RECEIVERS.map((r) => ({ value: r, label: t(r) === r ? r : `${t(r)} (${r})` })),
    ...roles.map((r) => ({ value: `role:${r.key}`, label: `role:${r.key}` }))]
  return (
    <div data-testid="reminders">
      {list.map((r, i) => (
        <Card key={i} size="small" style={{ marginBottom: 8 }} extra={!readOnly &&
          <Button size="small" type="text" danger onClick={() => onChange(list.filter((_, j) => j !== i))}>✕</Button>}
          title={`${t('reminders')} ${i + 1}`}>
          <Field label={t('trigger')} errors={errors(`reminders[${i}].trigger`)}>
            <Pick disabled={readOnly} value={r.trigger} onChange={(v) => set(i, { trigger: v })} testid={`reminder-trigger-${i}`}
              options={TRIGGERS.map((x) => ({ value: x, label: t(`trigger_${x}`) }))} /></Field>
          <Field label={t('receivers')} errors={errors(`reminders[${i}].receivers`) ||
            (r.receivers || []).map((_, j) => errors(`reminders[${i}].receivers[${j}]`)).find(Boolean)}>
            <Pick disabled={readOnly} mode="tags" value={r.receivers} testid={`reminder-receivers-${i}`} onChange={(v) => set(i, { receivers: v })} options={receivers} /></Field>
          <Field label={t('messageTemplate')} errors={errors(`reminders[${i}].message_template`)}>
            <Pick disabled={readOnly} showSearch value={r.message_template} onChange={(v) => set(i, { message_template: v })} testid={`reminder-template-${i}`}
              options={templates.map((m) => ({ value: m.name, label: m.name }))} /></Field>
        </Card>
      ))}
      {!readOnly && <Button size="small" data-testid="add-reminder" onClick={() => {
        // start from the shipped template for this node, reached, to its operator (notify's naming)
        const start = templates.find((m) => m.trigger === 'node_reached' && m.recipient === 'node_operator') || templates[0]
        onChange([...list, { trigger: 'node_reached', receivers: ['node_operator'], message_template: start ? start.name : undefined }])
      }}>
        + {t('addReminder')}</Button>}
    </div>
  )
}

function NodeSettings({ node, problems, readOnly, onChange, onReminders, catalogue }) {
  const { t } = useT()
  const [templates, setTemplates] = useState([])
  useEffect(() => {
    // the message templates made for this kind of node ("node – recipient"); all of them otherwise
    get('/message-templates', { node_kind: node.kind, limit: 200 }).then((d) => d.items.length ? d.items
      : get('/message-templates', { limit: 200 }).then((all) => all.items)).then(setTemplates).catch(() => setTemplates([]))
  }, [node.kind])
  const errors = (field) => (problems && problems[field]) || undefined
  const s = node.settings || {}
  const set = (key, value) => onChange({ settings: { ...s, [key]: value } }, `settings.${key}`)
  const roleSelect = <Pick allowClear disabled={readOnly} value={s.role || undefined} onChange={(v) => set('role', v || null)}
    testid="setting-role" options={catalogue.roles.map((r) => ({ value: r.key, label: `${r.title_zh} / ${r.title}` }))} />
  const timeout = (<Field label={t('timeoutDays')} errors={errors('settings.timeout_days')}>
    <InputNumber disabled={readOnly} min={0.1} step={0.5} precision={1} value={s.timeout_days} style={{ width: 140 }}
      onChange={(v) => set('timeout_days', v === null || v === undefined ? null : v)} id="setting-timeout" /></Field>)
  const flag = (key, label) => (<Field label={label} errors={errors(`settings.${key}`)}>
    <Switch disabled={readOnly} checked={!!s[key]} onChange={(v) => set(key, v)} data-setting={key} /></Field>)
  const text = (key, label) => (<Field label={label} errors={errors(`settings.${key}`)}>
    <Input disabled={readOnly} maxLength={20} value={s[key] || ''} onChange={(e) => set(key, e.target.value)} /></Field>)
  const side = (<Field label={t('side')} errors={errors('settings.side')}>
    <Pick disabled={readOnly} value={s.side} onChange={(v) => set('side', v)} testid="setting-side"
      options={['customer', 'provider'].map((x) => ({ value: x, label: t(x) }))} /></Field>)
  return (
    <Form layout="vertical" component="div" data-testid="node-settings">
      <Row gutter={12}>
        <Col span={14}><Field label={t('nodeName')} errors={errors('name')}>
          <Input disabled={readOnly} id="node-name" value={node.name} maxLength={100} onChange={(e) => onChange({ name: e.target.value }, 'name')} /></Field></Col>
        <Col span={10}><Field label={t('nodeKey')} errors={errors('key')}>
          <Input disabled={readOnly} id="node-key" value={node.key} maxLength={64} onChange={(e) => onChange({ key: e.target.value }, 'key')} /></Field></Col>
      </Row>
      {errors('kind') && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={errors('kind').join(' ')} />}
      {errors('children') && <Alert type="error" showIcon style={{ marginBottom: 12 }} message={errors('children').join(' ')} />}
      {node.kind === 'submit_requirements' && <>
        <Field label={t('form')} errors={errors('settings.form_template_id')}>
          <Pick allowClear showSearch disabled={readOnly} value={s.form_template_id || undefined} testid="setting-form"
            onChange={(v) => set('form_template_id', v || null)} optionFilterProp="label"
            options={catalogue.forms.map((f) => ({ value: f.id, label: `${f.name} (${f.id})` }))} /></Field>
        {(() => { // what the customer will fill in, as the form stands now (approval freezes it)
          const chosen = catalogue.forms.find((f) => f.id === s.form_template_id)
          return chosen ? <div style={{ marginTop: -4, marginBottom: 12 }} data-testid="form-fields">
            {(chosen.fields || []).map((f) => <Tag key={f.key}>{f.label || f.key}{f.required ? ' *' : ''}</Tag>)}</div> : null
        })()}
        <Row gutter={12}><Col span={12}>{text('submit_label', t('submitLabel'))}</Col><Col span={12}>{text('view_label', t('viewLabel'))}</Col></Row>
      </>}
      {node.kind === 'confirm' && <>
        <Row gutter={12}><Col span={10}>{side}</Col>
          <Col span={14}>{s.side === 'provider' && <Field label={t('role')} errors={errors('settings.role')}>{roleSelect}</Field>}</Col></Row>
        {timeout}
        <Row gutter={12}><Col span={12}>{flag('advance_on_timeout', t('advanceOnTimeout'))}</Col>
          <Col span={12}>{flag('allow_reject', t('allowReject'))}</Col></Row>
        {text('button_label', t('buttonLabel'))}
      </>}
      {node.kind === 'generic' && <>
        <Row gutter={12}><Col span={10}>{side}</Col>
          <Col span={14}>{s.side === 'provider' && <Field label={t('role')} errors={errors('settings.role')}>{roleSelect}</Field>}</Col></Row>
        {flag('upload_enabled', t('uploadEnabled'))}
        <Row gutter={12}><Col span={12}>{text('button_label', t('buttonLabel'))}</Col><Col span={12}>{text('view_label', t('viewLabel'))}</Col></Row>
      </>}
      {node.kind === 'claim_order' && timeout}
      {node.kind === 'assign_order' && <>
        <Field label={t('role')} errors={errors('settings.role')}>{roleSelect}</Field>
        <Field label={t('assignRule')} errors={errors('settings.rule')}>
          <Pick disabled={readOnly} value={s.rule} onChange={(v) => set('rule', v)} testid="setting-rule"
            options={['provider_first', 'department_first'].map((x) => ({ value: x, label: t(x) }))} /></Field>
      </>}
      {node.kind === 'complete_project' && <>
        {timeout}
        <Row gutter={12}><Col span={12}>{flag('auto_confirm_on_timeout', t('autoConfirm'))}</Col>
          <Col span={12}>{flag('allow_reject', t('allowReject'))}</Col></Row>
        {text('button_label', t('buttonLabel'))}
      </>}
      {node.kind !== 'container' && <>
        <Typography.Title level={5} style={{ marginTop: 8 }}>{t('reminders')}</Typography.Title>
        <Reminders node={node} errors={errors} readOnly={readOnly} roles={catalogue.roles} templates={templates}
          onChange={(reminders, i, field) => onReminders(reminders, i === undefined ? 'reminders' : `reminders[${i}].${field}`)} />
      </>}
    </Form>
  )
}

// --- versions, product binding ------------------------------------------------------------------
function Versions({ template, base, viewing }) {
  const { t } = useT()
  return (
    <Table size="small" rowKey="version" pagination={false} dataSource={[...(template.versions || [])].reverse()}
      data-testid="versions" columns={[
        { title: t('versions'), dataIndex: 'version', render: (v) => `v${v}` },
        { title: t('status'), dataIndex: 'status', render: (v) => <Tag color={STATUS_COLOURS[v]}>{t(v)}</Tag> },
        { title: t('created'), dataIndex: 'created_at', render: time },
        { title: t('submitted'), dataIndex: 'submitted_at', render: time },
        { title: t('decided'), dataIndex: 'decided_at', render: time },
        { title: t('reason'), dataIndex: 'reason', render: (v) => v || '' },
        { title: '', render: (_, v) => (viewing === v.version ? <Tag>{t('view')}</Tag>
          : <a data-version={v.version} onClick={() => go(`${base}/v/${v.version}`)}>{t('viewVersion')}</a>) }]} />
  )
}

function BindProduct({ template, onClose }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [products, setProducts] = useState([])
  const [error, setError] = useState(null)
  const search = (code) => get('/products', { code: code || undefined, limit: 20 }).then((d) => setProducts(d.items)).catch(() => {})
  useEffect(() => { search('') }, [])
  const submit = async (v) => {
    setError(null)
    try {
      const saved = await post('/products', { ...v, template_id: template.id })
      message.success(`${saved.product.code} → ${template.name}`)
      onClose()
    } catch (err) { setError(showErrors(form, err, ['product_id', 'code', 'name', 'template_id'])) }
  }
  return (
    <Modal open title={t('bindProduct')} onCancel={onClose} onOk={() => form.submit()} okButtonProps={{ 'data-testid': 'bind-ok' }}>
      <Form form={form} layout="vertical" onFinish={submit} data-testid="bind-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item label={t('chooseProduct')}>
          <Select showSearch allowClear filterOption={false} onSearch={search} placeholder={t('productCode')}
            onChange={(id) => { const p = products.find((x) => x.product_id === id); if (p) form.setFieldsValue({ product_id: p.product_id, code: p.code, name: p.name }) }}
            options={products.map((p) => ({ value: p.product_id, label: `${p.code} · ${p.name}${p.template_name ? ` (${p.template_name})` : ''}` }))} />
        </Form.Item>
        <Form.Item name="product_id" label={t('productId')} rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item name="code" label={t('productCode')} rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item name="name" label={t('productName')} rules={[{ required: true }]}><Input /></Form.Item>
      </Form>
    </Modal>
  )
}

// --- the designer ----------------------------------------------------------------------------------
// a template created by this page travels to its own address with what the page shows of it
let carry = null
const START = () => withUids([
  { key: 'assign_provider', kind: 'assign_provider', name: '分配服务商', settings: {}, reminders: [] },
  { key: 'complete_project', kind: 'complete_project', name: '完成项目', settings: { ...DEFAULTS.complete_project }, reminders: [] },
])

export default function FlowDesigner({ me, menu, templateId, version }) {
  const { t } = useT()
  const operator = me.user.roles.includes('platform_operator')
  const base = `/${menu}/${templateId}`
  const [template, setTemplate] = useState(null)
  const [name, setName] = useState('')
  const [nodes, setNodes] = useState(templateId === 'new' ? START() : [])
  const [changes, setChanges] = useState(null)
  const [problems, setProblems] = useState({})
  const [general, setGeneral] = useState([])
  const [nameError, setNameError] = useState(null)
  const [checked, setChecked] = useState(null) // null: not checked since the last edit; else the count
  const [selected, setSelected] = useState(null)
  const [dirty, setDirty] = useState(templateId === 'new')
  const [busy, setBusy] = useState(false)
  const [loadError, setLoadError] = useState(null)
  const [binding, setBinding] = useState(false)
  const [catalogue, setCatalogue] = useState({ roles: [], forms: [] })

  useEffect(() => {
    Promise.all([get('/roles', { org_kind: 'isv' }).catch(() => []), get('/requirement-forms', { limit: 200 }).catch(() => ({ items: [] }))])
      .then(([roles, forms]) => setCatalogue({ roles: (roles.items || roles).filter((r) => !r.main_account_only), forms: forms.items }))
  }, [])
  const load = async () => {
    if (templateId === 'new') return
    if (carry && carry.id === templateId) {
      // just created here: keep the flow as drawn (its problems point at these very nodes)
      const c = carry
      carry = null
      setTemplate(c.template); setName(c.name); setNodes(c.nodes); setProblems(c.problems); setGeneral(c.general)
      setChecked(c.checked); setSelected(c.selected); setDirty(false); setChanges(null)
      return
    }
    try {
      const tpl = await get(`/service-templates/${templateId}`)
      setTemplate(tpl)
      if (version) {
        const v = await get(`/service-templates/${templateId}/versions/${version}`)
        setName(v.name || tpl.name); setNodes(withUids(v.nodes)); setChanges(v.changes || [])
      } else {
        setName(tpl.name); setNodes(withUids(tpl.nodes)); setChanges(null)
      }
      setProblems({}); setGeneral([]); setDirty(false); setChecked(null); setSelected(null)
    } catch (err) { setLoadError(err.message) }
  }
  useEffect(() => { load() }, [templateId, version]) // eslint-disable-line

  const mine = template ? (operator ? template.owner_id === null || template.owner_id === undefined : template.owner_id === me.organisation.id) : true
  const pending = template && template.status === 'pending_approval'
  const readOnly = !!version || pending || !mine
  const roleTitle = (key) => { const r = catalogue.roles.find((x) => x.key === key); return r ? r.title_zh + ' / ' + r.title : key }

  const clear = (uid, field) => setProblems((p) => {
    if (!p[uid] || !(field in p[uid])) return p
    const { [field]: _, ...rest } = p[uid]
    return { ...p, [uid]: rest }
  })
  const touch = () => { setDirty(true); setChecked(null) }
  const edit = {
    add: (parentUid, index, kind) => {
      const node = withUids([{ key: newKey(nodes, kind), kind, name: t(`kind_${kind}`), settings: { ...DEFAULTS[kind] },
        reminders: [], ...(kind === 'container' ? { children: [] } : {}) }])[0]
      setNodes((ns) => insertNode(ns, parentUid, index, node)); setSelected(node._uid); touch()
    },
    move: (uid, delta) => { setNodes((ns) => moveNode(ns, uid, delta)); touch() },
    into: (uid) => { setNodes((ns) => moveInto(ns, uid)); touch() },
    out: (uid) => { setNodes((ns) => moveOut(ns, uid)); touch() },
    remove: (uid) => { setNodes((ns) => dropNode(ns, uid)); if (selected === uid) setSelected(null); touch() },
  }
  const changeSelected = (patch, field) => {
    setNodes((ns) => mapNodes(ns, (n) => (n._uid === selected ? { ...n, ...patch } : n))); clear(selected, field); touch()
  }
  const selectedNode = selected ? (findNode(nodes, selected) || {}).node : null

  const show = (fields, sentNodes) => {
    const { byNode, general: rest } = problemsByNode(sentNodes, fields)
    setProblems(byNode)
    setNameError(fields && fields.name ? [].concat(fields.name).join(' ') : null)
    setGeneral(rest.filter((g) => !g.startsWith('name:')))
    const count = Object.keys(fields || {}).length
    setChecked(count)
    const first = Object.keys(byNode)[0]
    if (first) setSelected(first)
    return count
  }
  // saving sends the flow; its answer (or refusal) names problems by path in exactly what was sent
  const save = async () => {
    const sent = nodes
    const body = { name, nodes: forServer(sent) }
    try {
      const saved = templateId === 'new' ? await post('/service-templates', body) : await put(`/service-templates/${templateId}`, body)
      setTemplate(saved.template); setDirty(false)
      const fields = warningsAsFields(saved.warnings)
      const count = show(fields, sent)
      if (templateId === 'new') {
        const { byNode, general: rest } = problemsByNode(sent, fields)
        carry = { id: saved.template.id, template: saved.template, name, nodes: sent, problems: byNode, general: rest,
          checked: count, selected: Object.keys(byNode)[0] || selected }
      }
      return { ok: true, count, template: saved.template }
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) show(err.fields, sent)
      else message.error(err.message)
      return { ok: false }
    }
  }
  const run = (fn) => async () => { setBusy(true); try { await fn() } finally { setBusy(false) } }
  const onSave = run(async () => {
    const r = await save()
    if (r.ok) message.success(t('saved'))
    if (r.ok && templateId === 'new') go(`/${menu}/${r.template.id}`)
  })
  const onPublish = run(async () => {
    let id = templateId
    if (dirty || templateId === 'new') {
      const r = await save()
      if (r.ok && templateId === 'new') id = r.template.id
      if (!r.ok || r.count) { if (id !== 'new') go(`/${menu}/${id}`); return }
    }
    try {
      const published = await post(`/service-templates/${id}/publish`)
      setTemplate(published); setProblems({}); setGeneral([]); setChecked(0)
      if (carry && carry.id === id) carry = { ...carry, template: published, problems: {}, general: [], checked: 0 }
      message.success(`${t('done')}: ${t(published.status)}`)
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        const count = show(err.fields, nodes)
        const { byNode, general: rest } = problemsByNode(nodes, err.fields)
        if (carry && carry.id === id) carry = { ...carry, problems: byNode, general: rest, checked: count }
      } else message.error(err.message)
    }
    if (templateId === 'new') go(`/${menu}/${id}`)
  })
  const onCopy = run(async () => {
    try {
      const copy = await post(`/service-templates/${templateId}/copy`)
      message.success(t('done')); go(`/templates.flows/${copy.id}`)
    } catch (err) { message.error(err.message) }
  })

  if (loadError) return <Alert type="error" showIcon message={loadError} action={<Button onClick={() => go(`/${menu}`)}>{t('back')}</Button>} />
  if (templateId !== 'new' && !template) return <Card loading />
  const ctx = { selected, setSelected, problems, readOnly, edit, roleTitle }
  const nameField = (
    <Form.Item validateStatus={nameError ? 'error' : undefined} help={nameError} style={{ margin: 0 }}>
      <Input id="template-name" disabled={readOnly} value={name} placeholder={t('templateName')} style={{ width: 320 }}
        onChange={(e) => { setName(e.target.value); setNameError(null); touch() }} />
    </Form.Item>)
  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16} data-testid="flow-designer">
      <Card size="small">
        <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
          <Space wrap>
            <Button onClick={() => go(`/${menu}`)}>← {t('back')}</Button>
            {nameField}
            {template && <Tag color={STATUS_COLOURS[template.status]} data-testid="template-status">{t(template.status)}</Tag>}
            {template && <Typography.Text type="secondary">v{version || template.latest_version}{template.approved_version ? ` · ✓ v${template.approved_version}` : ''}</Typography.Text>}
            {dirty && !readOnly && <Tag color="gold">{t('unsaved')}</Tag>}
            {checked !== null && (checked ? <Tag color="red" data-testid="problem-count">{t('problems', { n: checked })}</Tag>
              : <Tag color="green" data-testid="problem-count">{t('noProblems')}</Tag>)}
          </Space>
          <Space wrap>
            {version && <Button onClick={() => go(base)}>{t('editLatest')}</Button>}
            {!readOnly && <Button loading={busy} onClick={onSave} data-testid="save-draft">{t('saveDraft')}</Button>}
            {!readOnly && <Button type="primary" loading={busy} onClick={onPublish} data-testid="publish">
              {operator ? t('publish') : t('submitForApproval')}</Button>}
            {template && !mine && !operator && <Button onClick={onCopy} data-testid="copy">{t('copy')}</Button>}
            {template && mine && template.approved_version && <Button onClick={() => setBinding(true)} data-testid="bind-product">{t('bindProduct')}</Button>}
          </Space>
        </Space>
      </Card>
      {pending && !version && <Alert type="warning" showIcon message={t('pendingApproval')} />}
      {version && <Alert type="info" showIcon message={`${t('readOnly')}: v${version}`} />}
      {general.length > 0 && <Alert type="error" showIcon data-testid="flow-errors" message={general.map((g) => <div key={g}>{g}</div>)} />}
      <Row gutter={16}>
        <Col xs={24} lg={13}>
          <Card title={t('designer')} size="small" data-testid="flow-diagram">
            <FlowList nodes={nodes} depth={1} parentUid={null} ctx={ctx} />
            {!readOnly && <div style={{ marginTop: 12 }}>
              <AddMenu depth={1} onAdd={(kind) => edit.add(null, Math.max(0, nodes.length - (nodes.length && nodes[nodes.length - 1].kind === 'complete_project' ? 1 : 0)), kind)}>
                <Button type="dashed" block data-testid="add-node">+ {t('addNode')}</Button>
              </AddMenu></div>}
          </Card>
        </Col>
        <Col xs={24} lg={11}>
          <Card title={selectedNode ? `${t('settings')} · ${t(`kind_${selectedNode.kind}`)}` : t('settings')} size="small">
            {selectedNode ? <NodeSettings key={selectedNode._uid} node={selectedNode} problems={problems[selectedNode._uid]}
              readOnly={readOnly} catalogue={catalogue} onChange={changeSelected}
              onReminders={(reminders, field) => changeSelected({ reminders }, field)} />
              : <Empty description={t('selectNode')} />}
          </Card>
          {changes && <Card title={t('changes')} size="small" style={{ marginTop: 16 }} data-testid="changes">
            {changes.length === 0 ? <Typography.Text type="secondary">—</Typography.Text>
              : changes.map((c) => <div key={`${c.change}-${c.key}`}><Tag>{c.change}</Tag>{c.name} <Typography.Text type="secondary">{c.path}{c.from_path ? ` ← ${c.from_path}` : ''}{(c.fields || []).length ? ` (${c.fields.join(', ')})` : ''}</Typography.Text></div>)}
          </Card>}
          {template && <Card title={t('versions')} size="small" style={{ marginTop: 16 }}>
            <Versions template={template} base={base} viewing={version} /></Card>}
        </Col>
      </Row>
      {binding && <BindProduct template={template} onClose={() => setBinding(false)} />}
    </Space>
  )
}
