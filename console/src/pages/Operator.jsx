import React, { useEffect, useMemo, useState } from 'react'
import { Alert, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Segmented, Select, Space, Table, Tag,
  Tooltip, Typography, message } from 'antd'
import dayjs from 'dayjs'
import { ApiError, api, get, post, put } from '../api.js'
import { useT } from '../i18n.js'
import { time, userZone } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'

// --- organisations (ORG-1): list, create with the admin's one-time password shown once --------------
function Organisations() {
  const { t } = useT()
  const list = useServerList('/organisations', {})
  const [open, setOpen] = useState(false)
  const [created, setCreated] = useState(null)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const [form] = Form.useForm()
  const create = async (v) => {
    setError(null); setBusy(true)
    try {
      const admin = { login_name: v.admin.login_name, display_name: v.admin.display_name,
        ...(v.admin.phone ? { phone: v.admin.phone } : {}), ...(v.admin.email ? { email: v.admin.email } : {}) }
      const answer = await post('/organisations', { name: v.name, kind: v.kind, admin })
      setOpen(false); form.resetFields(); list.reload()
      setCreated(answer) // the password lives in this state only, and is dropped when the dialog closes
    } catch (err) { setError(showErrors(form, err, ['name', 'kind', 'admin'])) } finally { setBusy(false) }
  }
  return (
    <Card title={t('organisations')} data-testid="organisations" extra={<Space wrap>
      <Select style={{ width: 150 }} allowClear placeholder={t('kind')} value={list.params.kind}
        onChange={(kind) => list.setParams({ kind })} options={['isv', 'customer', 'operator'].map((k) => ({ value: k, label: t(k) }))} />
      <Input.Search allowClear placeholder={t('name')} onSearch={(q) => list.setParams({ q })} style={{ width: 200 }} id="org-search" />
      <Button type="primary" onClick={() => { setError(null); setOpen(true) }} data-testid="new-organisation">+ {t('newOrganisation')}</Button>
    </Space>}>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} columns={[
          { title: t('name'), dataIndex: 'name' },
          { title: t('kind'), dataIndex: 'kind', render: (v) => <Tag color={v === 'isv' ? 'blue' : v === 'customer' ? 'green' : 'purple'}>{t(v)}</Tag> },
          { title: 'ID', dataIndex: 'id', render: (v) => <Typography.Text copyable code style={{ fontSize: 12 }}>{v}</Typography.Text> },
          { title: t('created'), dataIndex: 'created_at', render: time }]} />
      <Modal open={open} title={t('newOrganisation')} onCancel={() => setOpen(false)} onOk={() => form.submit()}
        confirmLoading={busy} okButtonProps={{ 'data-testid': 'organisation-ok' }} destroyOnClose>
        <Form form={form} layout="vertical" onFinish={create} data-testid="organisation-form" initialValues={{ kind: 'isv' }}>
          {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
          <Form.Item name="name" label={t('name')} rules={[{ required: true }]}><Input id="org-name" maxLength={200} /></Form.Item>
          <Form.Item name="kind" label={t('kind')}>
            <Segmented options={[{ value: 'isv', label: t('isv') }, { value: 'customer', label: t('customer') }]} /></Form.Item>
          <Form.Item name={['admin', 'login_name']} label={t('adminLogin')} rules={[{ required: true }]}><Input id="org-admin-login" /></Form.Item>
          <Form.Item name={['admin', 'display_name']} label={t('adminName')} rules={[{ required: true }]}><Input id="org-admin-name" /></Form.Item>
          <Form.Item name={['admin', 'phone']} label={t('phone')}><Input id="org-admin-phone" /></Form.Item>
          <Form.Item name={['admin', 'email']} label={t('email')}><Input id="org-admin-email" /></Form.Item>
        </Form>
      </Modal>
      {created && <Modal open title={`${created.organisation.name} · ${created.admin.login_name}`}
        onCancel={() => setCreated(null)} onOk={() => setCreated(null)} cancelButtonProps={{ style: { display: 'none' } }}
        okButtonProps={{ 'data-testid': 'password-seen' }}>
        <Space direction="vertical">
          <Typography.Text>{t('oneTimePassword')}</Typography.Text>
          <Typography.Text copyable code style={{ fontSize: 18 }} data-testid="one-time-password">{created.password}</Typography.Text>
          <Typography.Text type="secondary">{t('oneTimeHint')}</Typography.Text>
        </Space>
      </Modal>}
    </Card>
  )
}

// --- the working calendar (ORG-6): a year at a glance, day changes, a whole year's import -----------
const KIND_STYLE = {
  holiday: { background: '#fff1f0', color: '#cf1322', fontWeight: 600 },
  makeup_workday: { background: '#fff7e6', color: '#d46b08', fontWeight: 600 },
  weekend: { color: '#bfbfbf' },
  workday: {},
}
const DAY_KINDS = ['holiday', 'makeup_workday', 'workday', 'weekend']

function Month({ year, month, entries, onPick, lang }) {
  const first = dayjs(new Date(year, month, 1))
  const lead = (first.day() + 6) % 7 // weeks start on Monday
  const cells = [...Array(lead).fill(null), ...Array.from({ length: first.daysInMonth() }, (_, i) => first.date(i + 1))]
  const heads = lang === 'zh' ? ['一', '二', '三', '四', '五', '六', '日'] : ['M', 'T', 'W', 'T', 'F', 'S', 'S']
  return (
    <div style={{ width: 224 }}>
      <div style={{ fontWeight: 600, marginBottom: 4 }}>{first.format(lang === 'zh' ? 'M月' : 'MMMM')}</div>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(7, 32px)', gap: 0 }}>
        {heads.map((h, i) => <div key={`h${i}`} style={{ fontSize: 11, color: '#8c8c8c', textAlign: 'center' }}>{h}</div>)}
        {cells.map((d, i) => {
          if (!d) return <div key={`e${i}`} />
          const iso = d.format('YYYY-MM-DD')
          const entry = entries[iso]
          const weekend = d.day() === 0 || d.day() === 6
          const kind = entry ? entry.kind : weekend ? 'weekend' : 'workday'
          const cell = (
            <div data-day={iso} data-kind={kind} data-source={entry ? entry.source : ''} onClick={() => onPick(iso, entry)}
              style={{ ...KIND_STYLE[kind], height: 28, lineHeight: '28px', textAlign: 'center', fontSize: 12, cursor: 'pointer',
                borderRadius: 4, outline: entry && entry.source === 'override' ? '1px solid #1677ff' : 'none', outlineOffset: -2 }}>
              {d.date()}{kind === 'makeup_workday' ? <sup>班</sup> : kind === 'holiday' ? <sup>休</sup> : null}
            </div>)
          return entry ? <Tooltip key={iso} title={`${iso} ${entry.name || ''}`}>{cell}</Tooltip> : <div key={iso}>{cell}</div>
        })}
      </div>
    </div>
  )
}

const SAMPLE_CSV = 'day,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,holiday,春节\n2027-02-14,makeup_workday,春节调休\n'
const SAMPLE_JSON = '[\n  {"day": "2027-01-01", "kind": "holiday", "name": "元旦"},\n  {"day": "2027-02-14", "kind": "makeup_workday", "name": "春节调休"}\n]'

function ImportYear({ initialYear, onClose, onImported }) {
  const { t } = useT()
  const [year, setYear] = useState(initialYear)
  const [format, setFormat] = useState('csv')
  const [text, setText] = useState('')
  const [errors, setErrors] = useState(null)
  const [busy, setBusy] = useState(false)
  const readFile = async (file) => {
    const content = await file.text()
    setFormat(file.name.toLowerCase().endsWith('.json') ? 'json' : 'csv')
    setText(content)
  }
  const submit = async () => {
    setErrors(null)
    let body
    if (format === 'json') {
      try {
        const parsed = JSON.parse(text)
        const days = Array.isArray(parsed) ? parsed : parsed.days
        body = { year: (!Array.isArray(parsed) && parsed.year) || year, days }
      } catch (e) { setErrors([`JSON: ${e.message}`]); return }
    } else body = { year, csv: text }
    setBusy(true)
    try {
      const result = await post('/calendar/imports', body)
      message.success(t('imported', { days: result.days, changed: result.changed }))
      onImported(result.year)
    } catch (err) {
      // days[6] is the seventh row sent: quote it, so the operator sees which line of the file is wrong
      const sent = format === 'csv' ? text.split(/\r?\n/).filter((l) => l.trim()).slice(1) : (body.days || []).map((d) => JSON.stringify(d))
      const rows = Object.entries(err.fields || {}).map(([k, v]) => {
        const m = /^days\[(\d+)\]/.exec(k)
        const row = m && sent[Number(m[1])] ? ` «${sent[Number(m[1])]}»` : ''
        return `${k}${row}: ${[].concat(v).join(' ')}`
      })
      setErrors([err.message, ...rows])
    } finally { setBusy(false) }
  }
  return (
    <Modal open width={640} title={t('importYear')} onCancel={onClose} onOk={submit} confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'import-ok' }}>
      <Space direction="vertical" style={{ width: '100%' }} data-testid="import-form">
        {errors && <Alert type="error" showIcon data-testid="import-errors" message={errors.map((e) => <div key={e}>{e}</div>)} />}
        <Space wrap>
          <span>{t('year')}</span>
          <InputNumber min={2000} max={2100} value={year} onChange={setYear} id="import-year" />
          <span>{t('importFormat')}</span>
          <Segmented value={format} onChange={setFormat} options={[{ value: 'csv', label: 'CSV' }, { value: 'json', label: 'JSON' }]} />
          <input type="file" accept=".csv,.json,text/csv,application/json" data-testid="import-file"
            onChange={(e) => e.target.files[0] && readFile(e.target.files[0])} />
        </Space>
        <Input.TextArea rows={12} value={text} onChange={(e) => setText(e.target.value)} id="import-text"
          placeholder={format === 'csv' ? SAMPLE_CSV : SAMPLE_JSON} style={{ fontFamily: 'monospace' }} />
        <Typography.Text type="secondary">kind: holiday, makeup_workday, workday, weekend</Typography.Text>
      </Space>
    </Modal>
  )
}

function DayEditor({ day, entry, onClose, onSaved }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const save = async (v) => {
    setError(null)
    try { await put(`/calendar/days/${day}`, { kind: v.kind, name: v.name || '' }); onSaved() } catch (err) { setError(showErrors(form, err, ['kind', 'name'])) }
  }
  const undo = async () => {
    try { await api('DELETE', `/calendar/days/${day}`); onSaved() } catch (err) { setError(err.message) }
  }
  const weekend = [0, 6].includes(dayjs(day).day())
  return (
    <Modal open title={`${t('setDay')} · ${day}`} onCancel={onClose} onOk={() => form.submit()} okButtonProps={{ 'data-testid': 'day-ok' }}
      footer={(orig) => <Space>{entry && entry.source === 'override' && <Button danger onClick={undo} data-testid="day-undo">{t('removeOverride')}</Button>}{orig}</Space>}>
      <Form form={form} layout="vertical" onFinish={save} data-testid="day-form"
        initialValues={{ kind: entry ? entry.kind : weekend ? 'weekend' : 'workday', name: entry ? entry.name : '' }}>
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {entry && <Typography.Paragraph type="secondary">{t(entry.source)}: {t(entry.kind)} {entry.name}</Typography.Paragraph>}
        <Form.Item name="kind" label={t('kind')}><Select id="day-kind" options={DAY_KINDS.map((k) => ({ value: k, label: t(k) }))} /></Form.Item>
        <Form.Item name="name" label={t('name')}><Input id="day-name" maxLength={100} /></Form.Item>
      </Form>
    </Modal>
  )
}

function CalendarPage({ me }) {
  const { t, lang } = useT()
  const operator = me.user.roles.includes('platform_operator')
  const [year, setYear] = useState(new Date().getFullYear())
  const [data, setData] = useState(null)
  const [error, setError] = useState(null)
  const [coverage, setCoverage] = useState(null)
  const [importing, setImporting] = useState(false)
  const [editing, setEditing] = useState(null)
  const load = () => {
    setData(null)
    get(`/calendar/${year}`).then((d) => { setData(d); setError(null) }).catch((e) => { setError(e.message); setData({ days: [] }) })
  }
  useEffect(load, [year])
  useEffect(() => { get('/calendar/coverage').then(setCoverage).catch(() => {}) }, [])
  const entries = useMemo(() => Object.fromEntries(((data && data.days) || []).map((d) => [d.day, d])), [data])
  const days = (data && data.days) || []
  const count = (kind) => days.filter((d) => d.kind === kind).length
  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      {coverage && coverage.alert && <Alert type="warning" showIcon message={coverage.alert} />}
      <Card title={t('calendar')} data-testid="calendar" extra={<Space wrap>
        <Button onClick={() => setYear(year - 1)}>‹</Button>
        <InputNumber min={1900} max={2199} value={year} onChange={(v) => v && setYear(v)} data-testid="calendar-year" style={{ width: 90 }} />
        <Button onClick={() => setYear(year + 1)}>›</Button>
        {operator && <Button type="primary" onClick={() => setImporting(true)} data-testid="import-year">{t('importYear')}</Button>}
      </Space>}>
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {data && <Space wrap style={{ marginBottom: 12 }} data-testid="calendar-summary">
          {data.covers ? <Tag color="green">{t('covers')}</Tag> : <Tag color="orange">{t('notCovered')}</Tag>}
          {data.note && <Typography.Text type="secondary">{data.note}</Typography.Text>}
          <Tag color="red">{t('holiday')} {count('holiday')}</Tag>
          <Tag color="orange">{t('makeup_workday')} {count('makeup_workday')}</Tag>
          <Tag color="blue">{t('override')} {days.filter((d) => d.source === 'override').length}</Tag>
        </Space>}
        {!data ? <Card loading bordered={false} /> : <div style={{ display: 'flex', flexWrap: 'wrap', gap: 24 }}>
          {Array.from({ length: 12 }, (_, m) => <Month key={m} year={year} month={m} entries={entries} lang={lang}
            onPick={(day, entry) => operator && setEditing({ day, entry })} />)}
        </div>}
      </Card>
      <Card title={`${t('holiday')} / ${t('makeup_workday')}`} size="small">
        <Table size="small" rowKey="day" dataSource={days} pagination={{ pageSize: 20 }} loading={!data} columns={[
          { title: t('day'), dataIndex: 'day' }, { title: t('kind'), dataIndex: 'kind', render: (v) => <Tag>{t(v)}</Tag> },
          { title: t('name'), dataIndex: 'name' }, { title: '', dataIndex: 'source', render: (v) => t(v) }]} />
      </Card>
      {importing && <ImportYear initialYear={year + (data && data.covers ? 1 : 0)} onClose={() => setImporting(false)}
        onImported={(y) => { setImporting(false); if (y === year) load(); else setYear(y) }} />}
      {editing && <DayEditor day={editing.day} entry={editing.entry} onClose={() => setEditing(null)}
        onSaved={() => { setEditing(null); message.success(t('saved')); load() }} />}
    </Space>
  )
}

// --- the audit log: newest first, cursor paging, filters ----------------------------------------
function AuditLog() {
  const { t } = useT()
  const [form] = Form.useForm()
  const [filters, setFilters] = useState({})
  const [cursors, setCursors] = useState([null]) // cursors[i] fetches page i
  const [page, setPage] = useState(0)
  const [limit, setLimit] = useState(20)
  const [data, setData] = useState({ items: [], next_cursor: null })
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState(null)
  useEffect(() => {
    setLoading(true)
    get('/audit-log', { ...filters, limit, cursor: cursors[page] || undefined })
      .then((d) => { setData(d); setError(null) })
      .catch((err) => { setError(showErrors(form, err, ['action', 'actor_user_id', 'org_id', 'since', 'until'])); setData({ items: [], next_cursor: null }) })
      .finally(() => setLoading(false))
  }, [JSON.stringify(filters), page, limit]) // eslint-disable-line
  const search = (v) => {
    setFilters({ action: v.action || undefined, actor_user_id: v.actor_user_id || undefined, org_id: v.org_id || undefined,
      since: v.range ? v.range[0].toISOString() : undefined, until: v.range ? v.range[1].toISOString() : undefined })
    setCursors([null]); setPage(0)
  }
  const next = () => { setCursors([...cursors.slice(0, page + 1), data.next_cursor]); setPage(page + 1) }
  return (
    <Card title={t('auditLog')} data-testid="audit-log">
      <Form form={form} layout="inline" onFinish={search} style={{ marginBottom: 16, rowGap: 8 }} data-testid="audit-filters">
        <Form.Item name="action" label={t('action')}><Input allowClear style={{ width: 160 }} id="audit-action" placeholder="login_failed" /></Form.Item>
        <Form.Item name="actor_user_id" label={t('actor')}><Input allowClear style={{ width: 200 }} /></Form.Item>
        <Form.Item name="org_id" label={t('org')}><Input allowClear style={{ width: 200 }} /></Form.Item>
        <Form.Item name="range" label={t('time')}><DatePicker.RangePicker showTime /></Form.Item>
        <Button type="primary" htmlType="submit" data-testid="audit-search">{t('search')}</Button>
      </Form>
      {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
      <Table rowKey="id" size="small" dataSource={data.items} loading={loading} pagination={false}
        expandable={{ expandedRowRender: (r) => <pre style={{ margin: 0, fontSize: 12 }}>{JSON.stringify(r.details || {}, null, 2)}</pre> }}
        columns={[
          { title: t('time'), dataIndex: 'at', render: (v) => <span title={userZone()}>{time(v)}</span> },
          { title: t('action'), dataIndex: 'action', render: (v) => <Tag>{v}</Tag> },
          // a person or an integrator key (a service account, GW-6) by name; the id on hover
          { title: t('actor'), dataIndex: 'actor_user_id', ellipsis: true,
            render: (v, r) => (r.actor_name ? <span title={v}>{r.actor_name}</span> : v) },
          { title: t('org'), dataIndex: 'org_id', ellipsis: true },
          { title: t('subject'), render: (_, r) => (r.subject_type ? `${r.subject_type} ${r.subject_id || ''}` : '—'), ellipsis: true },
          { title: t('address'), dataIndex: 'client_address' }]} />
      <Space style={{ marginTop: 12, width: '100%', justifyContent: 'flex-end' }}>
        <Button disabled={page === 0} onClick={() => setPage(page - 1)} data-testid="audit-newer">‹ {t('newer')}</Button>
        <Typography.Text>{page + 1}</Typography.Text>
        <Button disabled={!data.next_cursor} onClick={next} data-testid="audit-older">{t('older')} ›</Button>
        <Select value={limit} onChange={(l) => { setLimit(l); setCursors([null]); setPage(0) }}
          options={[20, 50, 100, 200].map((n) => ({ value: n, label: `${n}` }))} />
      </Space>
    </Card>
  )
}

export default function Operator({ me, view }) {
  if (view === 'organisations') return <Organisations />
  if (view === 'calendar') return <CalendarPage me={me} />
  if (view === 'audit') return <AuditLog />
  return null
}
