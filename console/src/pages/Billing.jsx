import React, { useCallback, useEffect, useRef, useState } from 'react'
import { Alert, Button, Card, Checkbox, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Popconfirm, Select,
  Space, Statistic, Switch, Table, Tabs, Tag, Typography, message } from 'antd'
import dayjs from 'dayjs'
import { download, get, patch, post, put } from '../api.js'
import { useT } from '../i18n.js'
import { money, time } from '../format.js'
import { showErrors } from '../errors.js'
import { useServerList } from './Projects.jsx'

// BIL-1..11 in the console. Who is who: suppliers are ISV admins, customers are customer
// organisations, the operator sees everything and confirms onboarding; billing_svc checks every
// object's party again, so these views only choose what to ask.
const partyOf = (me) => (me.user.roles.includes('platform_operator') ? 'operator'
  : me.organisation.kind === 'customer' ? 'customer' : 'supplier')
const DIGITS = { JPY: 0, KRW: 0 }
const toMinor = (major, currency = 'CNY') => (major === null || major === undefined || major === ''
  ? undefined : Math.round(Number(major) * 10 ** (DIGITS[currency] ?? 2)))
const toMajor = (minor, currency = 'CNY') => (minor === null || minor === undefined ? undefined : minor / 10 ** (DIGITS[currency] ?? 2))
const SUB_COLOURS = { requested: 'gold', approved: 'green', rejected: 'red', cancelled: 'default', paused: 'orange' }
const ORDER_COLOURS = { fulfilling: 'blue', succeeded: 'green', failed: 'red' }
const Id = ({ v }) => (v ? <Typography.Text copyable={{ text: v }} code>{v.slice(0, 8)}</Typography.Text> : '—')
// a party by its name (the gateway adds customer_name / supplier_name), its id copyable beside it
const Party = ({ id, name }) => (name ? <Space size={4}>{name}<Typography.Text type="secondary" copyable={{ text: id }} /></Space> : <Id v={id} />)

// a money field typed in major units (what people read) and sent in minor units (what the API keeps)
function MoneyInput({ value, onChange, currency = 'CNY', id, ...rest }) {
  const { t } = useT()
  return <Space direction="vertical" size={0}>
    <InputNumber id={id} min={0} precision={DIGITS[currency] ?? 2} value={toMajor(value, currency)} style={{ width: 200 }}
      onChange={(v) => onChange(toMinor(v, currency))} addonAfter={currency} {...rest} />
    {value !== undefined && value !== null && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('minorUnits', { n: value })}</Typography.Text>}
  </Space>
}

// the customers a product is shown to, picked by name (GET /customer-organisations: a search by part
// of the name, at least two characters); ids already set and not found yet show as ids
function CustomerPicker({ value, onChange, id }) {
  const { t } = useT()
  const [found, setFound] = useState([])
  const [names, setNames] = useState({})
  const [searching, setSearching] = useState(false)
  const timer = useRef(null)
  const search = (text) => {
    clearTimeout(timer.current)
    const q = text.trim()
    if (q.length < 2) { setFound([]); return }
    timer.current = setTimeout(() => {
      setSearching(true)
      get('/customer-organisations', { q }).then((page) => {
        setFound(page.items)
        setNames((known) => ({ ...known, ...Object.fromEntries(page.items.map((o) => [o.id, o.name])) }))
      }).catch(() => setFound([])).finally(() => setSearching(false))
    }, 250)
  }
  useEffect(() => () => clearTimeout(timer.current), [])
  const chosen = (value || []).filter((v) => !found.some((o) => o.id === v)).map((v) => ({ value: v, label: names[v] || v }))
  return <Select id={id} mode="multiple" showSearch filterOption={false} onSearch={search} value={value || []}
    onChange={onChange} loading={searching} placeholder={t('visibleToSearch')} data-testid="visible-to"
    notFoundContent={searching ? t('loading') : null}
    options={[...found.map((o) => ({ value: o.id, label: o.name })), ...chosen]} />
}

function ProductDialog({ product, onClose, onSaved }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const currency = Form.useWatch('currency', form) || (product && product.currency) || 'CNY'
  const submit = async (v) => {
    setError(null)
    const visible = v.visible_to || []
    try {
      onSaved(product
        ? await patch(`/billing/products/${product.id}`, { name: v.name, price: v.price, visible_to: visible })
        : await post('/billing/products', { ...v, visible_to: visible }))
    } catch (err) { setError(showErrors(form, err, ['code', 'name', 'price', 'face_value', 'currency', 'visible_to', 'listed'])) }
  }
  const initial = product ? { name: product.name, price: product.price, visible_to: product.visible_to || [] }
    : { currency: 'CNY', listed: true }
  return (
    <Modal open title={product ? product.code : t('publishProduct')} onCancel={onClose} onOk={() => form.submit()}
      okButtonProps={{ 'data-testid': 'product-save' }}>
      <Form form={form} layout="vertical" onFinish={submit} initialValues={initial} data-testid="product-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        {!product && <Form.Item name="code" label={t('code')}><Input placeholder="CMCC-1G-NATION" /></Form.Item>}
        <Form.Item name="name" label={t('name')}><Input /></Form.Item>
        {!product && <Form.Item name="currency" label={t('currency')}><Select style={{ width: 120 }}
          options={['CNY', 'USD', 'HKD', 'JPY'].map((c) => ({ value: c, label: c }))} /></Form.Item>}
        {!product && <Form.Item name="face_value" label={t('faceValue')}><MoneyInput currency={currency} /></Form.Item>}
        <Form.Item name="price" label={t('price')}><MoneyInput currency={currency} /></Form.Item>
        <Form.Item name="visible_to" label={t('visibleTo')} extra={t('visibleToPick')}><CustomerPicker /></Form.Item>
        {!product && <Form.Item name="listed" label={t('listed')} valuePropName="checked"><Switch /></Form.Item>}
      </Form>
    </Modal>
  )
}

function Products({ party }) {
  const { t, lang } = useT()
  const list = useServerList('/billing/products', {})
  const [editing, setEditing] = useState(null)
  const [chosen, setChosen] = useState([])
  const [error, setError] = useState(null)
  const change = async (p, body) => {
    setError(null)
    try { await patch(`/billing/products/${p.id}`, body); message.success(t('done')); list.reload() } catch (err) { setError(showErrors(null, err)) }
  }
  const subscribe = async () => {
    setError(null)
    try {
      const r = await post('/billing/subscriptions', { product_ids: chosen })
      message.success(`${t('requested')}: ${(r.items || []).length}`); setChosen([])
    } catch (err) { setError(showErrors(null, err)) }
  }
  return (
    <Card size="small" title={party === 'customer' ? t('orderable') : party === 'supplier' ? t('myProducts') : t('catalogue')}
      extra={<Space>
        <Input.Search allowClear placeholder={t('code')} onSearch={(code) => list.setParams({ code })} style={{ width: 200 }} />
        {party === 'supplier' && <Button type="primary" onClick={() => setEditing('new')} data-testid="publish-product">{t('publishProduct')}</Button>}
        {party === 'customer' && <Button type="primary" disabled={!chosen.length} onClick={subscribe} data-testid="request-subscriptions">
          {t('requestSubscriptions', { n: chosen.length })}</Button>}
      </Space>}>
      {(error || list.error) && <Alert type="error" message={error || list.error} style={{ marginBottom: 12 }} />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="product-table"
        rowSelection={party === 'customer' ? { selectedRowKeys: chosen, onChange: setChosen } : undefined} columns={[
          { title: t('code'), dataIndex: 'code' }, { title: t('name'), dataIndex: 'name' },
          { title: t('price'), dataIndex: 'price', render: (v, r) => money(v, r.currency, lang) },
          { title: t('faceValue'), dataIndex: 'face_value', render: (v, r) => money(v, r.currency, lang) },
          { title: t('status'), render: (_, r) => <Space size={4}>{r.listed ? <Tag color="green">{t('listed')}</Tag> : <Tag>{t('delisted')}</Tag>}
            {r.suspended && <Tag color="red">{t('suspended')}</Tag>}</Space> },
          ...(party !== 'customer' ? [{ title: t('supplier'), dataIndex: 'supplier_id', render: (v, r) => <Party id={v} name={r.supplier_name} /> },
            { title: t('visibleTo'), dataIndex: 'visible_to', render: (v) => (v || []).length }] : []),
          ...(party === 'supplier' ? [{ title: t('actions'), render: (_, p) => <Space size={4}>
            <a onClick={() => setEditing(p)}>{t('edit')}</a>
            <a onClick={() => change(p, { listed: !p.listed })}>{p.listed ? t('delisted') : t('listed')}</a>
            <a onClick={() => change(p, { suspended: !p.suspended })}>{p.suspended ? t('resume') : t('suspended')}</a></Space> }] : [])]} />
      {editing && <ProductDialog product={editing === 'new' ? null : editing} onClose={() => setEditing(null)}
        onSaved={() => { setEditing(null); message.success(t('saved')); list.reload() }} />}
    </Card>
  )
}

function Subscriptions({ party, initialStatus }) {
  const { t } = useT()
  const list = useServerList('/billing/subscriptions', initialStatus ? { status: initialStatus } : {})
  const [error, setError] = useState(null)
  const act = async (s, action) => {
    setError(null)
    try { await post(`/billing/subscriptions/${s.id}/${action}`); message.success(t('done')); list.reload() } catch (err) { setError(showErrors(null, err)) }
  }
  return (
    <Card size="small" title={party === 'supplier' ? t('subscriptionRequests') : t('mySubscriptions')} extra={
      <Select allowClear placeholder={t('status')} style={{ width: 160 }} defaultValue={initialStatus} data-testid="subscription-status"
        onChange={(status) => list.setParams({ status })}
        options={['requested', 'approved', 'rejected', 'cancelled', 'paused'].map((s) => ({ value: s, label: t(s) }))} />}>
      {(error || list.error) && <Alert type="error" message={error || list.error} style={{ marginBottom: 12 }} data-testid="subscription-error" />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="subscription-table" columns={[
          { title: t('code'), dataIndex: 'product_code' },
          { title: t('status'), dataIndex: 'status', render: (v) => <Tag color={SUB_COLOURS[v]} data-testid="subscription-state">{t(v)}</Tag> },
          party === 'customer' ? { title: t('supplier'), dataIndex: 'supplier_id', render: (v, r) => <Party id={v} name={r.supplier_name} /> }
            : { title: t('customer'), dataIndex: 'customer_id', render: (v, r) => <Party id={v} name={r.customer_name} /> },
          { title: t('requestedAt'), dataIndex: 'requested_at', render: time }, { title: t('decided'), dataIndex: 'decided_at', render: time },
          ...(party === 'operator' ? [] : [{ title: t('actions'), render: (_, s) => <Space size={4}>
            {party === 'supplier' && s.status === 'requested' && <>
              <Button size="small" type="primary" onClick={() => act(s, 'approve')} data-testid="subscription-approve">{t('approve')}</Button>
              <Button size="small" danger onClick={() => act(s, 'reject')}>{t('reject')}</Button></>}
            {party === 'customer' && s.status === 'approved' && <Button size="small" onClick={() => act(s, 'pause')}>{t('pause')}</Button>}
            {party === 'customer' && s.status === 'paused' && <Button size="small" onClick={() => act(s, 'resume')}>{t('resume')}</Button>}
            {['approved', 'paused'].includes(s.status) && <Popconfirm title={t('cancelSubscription')} onConfirm={() => act(s, 'cancel')}>
              <Button size="small">{t('cancelSubscription')}</Button></Popconfirm>}
          </Space> }])]} />
    </Card>
  )
}

function Catalogue({ party }) {
  const { t } = useT()
  if (party === 'customer') {
    return <Tabs items={[{ key: 'products', label: t('orderable'), children: <Products party={party} /> },
      { key: 'subs', label: t('mySubscriptions'), children: <Subscriptions party={party} /> }]} />
  }
  if (party === 'supplier') {
    return <Tabs items={[{ key: 'requests', label: t('subscriptionRequests'), children: <Subscriptions party={party} initialStatus="requested" /> },
      { key: 'products', label: t('myProducts'), children: <Products party={party} /> }]} />
  }
  return <Tabs items={[{ key: 'products', label: t('catalogue'), children: <Products party={party} /> },
    { key: 'subs', label: t('subscriptions'), children: <Subscriptions party={party} /> }]} />
}

function OrderDetail({ id, party, onChanged }) {
  const { t, lang } = useT()
  const [order, setOrder] = useState(null)
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const load = useCallback(() => get(`/billing/orders/${id}`).then(setOrder).catch((e) => setError(e.message)), [id])
  useEffect(() => { load() }, [load])
  const refund = async (v) => {
    setError(null)
    try { setOrder(await post(`/billing/orders/${id}/refunds`, v)); form.resetFields(); onChanged() } catch (err) { setError(showErrors(form, err, ['amount', 'reason'])) }
  }
  const report = async (status) => {
    try { setOrder(await post(`/billing/orders/${id}/result`, { status })); onChanged() } catch (err) { setError(showErrors(null, err)) }
  }
  if (!order) return error ? <Alert type="error" message={error} /> : <Typography.Text type="secondary">{t('loading')}</Typography.Text>
  const m = (v) => money(v, order.currency, lang)
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {error && <Alert type="error" message={error} />}
      <Descriptions size="small" column={4} items={[
        { label: t('paid'), children: m(order.paid) }, { label: t('paidOut'), children: m(order.paid_out) },
        { label: t('refunded'), children: m(order.refunded) }, { label: 'Withholding', children: order.withholding || '—' },
        ...(order.reason ? [{ label: t('reason'), children: order.reason }] : [])]} />
      <Table size="small" rowKey={(r, i) => i} pagination={false} dataSource={order.steps || []} columns={[
        { title: t('steps'), dataIndex: 'kind', render: (v, r) => v || r.step || r.name },
        { title: t('amount'), dataIndex: 'amount', render: m }, { title: t('status'), dataIndex: 'status' },
        { title: t('time'), dataIndex: 'at', render: (v, r) => time(v || r.created_at) }]} />
      {party === 'supplier' && order.status === 'fulfilling' && <Space>{t('reportResult')}:
        <Button size="small" onClick={() => report('succeeded')}>{t('succeeded')}</Button>
        <Button size="small" danger onClick={() => report('failed')}>{t('failed')}</Button></Space>}
      {party === 'supplier' && order.status === 'succeeded' && order.paid > order.refunded &&
        <Form form={form} layout="inline" onFinish={refund} data-testid="refund-form">
          <Form.Item name="amount" label={t('refund')}><MoneyInput currency={order.currency} /></Form.Item>
          <Form.Item name="reason" label={t('reason')}><Input /></Form.Item>
          <Button htmlType="submit">{t('refund')}</Button>
        </Form>}
    </Space>
  )
}

function Orders({ party }) {
  const { t, lang } = useT()
  const list = useServerList('/billing/orders', { sort: '-created_at' })
  const [exporting, setExporting] = useState(null)
  const [exportError, setExportError] = useState(null)
  // the list's filters and sort, every row (the API's limit), as a file
  const exportAs = async (format) => {
    setExporting(format); setExportError(null)
    const { limit, offset, ...filters } = list.params // eslint-disable-line no-unused-vars
    try { await download('/billing/orders/export', { ...filters, format }, `orders.${format}`) } catch (err) { setExportError(err.message) } finally { setExporting(null) }
  }
  const retry = async () => {
    try { const r = await post('/billing/withholdings/retry'); message.success(`${t('done')}: ${(r.retried || []).length}`); list.reload() } catch (err) { message.error(err.message) }
  }
  return (
    <Card title={t('orders')} extra={<Space>
      {party === 'customer' && <Button onClick={retry}>{t('retryWithholdings')}</Button>}
      {['csv', 'xlsx'].map((format) => <Button key={format} loading={exporting === format} data-testid={`orders-${format}`}
        onClick={() => exportAs(format)}>{format.toUpperCase()}</Button>)}</Space>}>
      {exportError && <Alert type="error" message={exportError} style={{ marginBottom: 12 }} />}
      <Space style={{ marginBottom: 12 }} wrap>
        <Select allowClear placeholder={t('status')} style={{ width: 140 }} onChange={(status) => list.setParams({ status })}
          options={['fulfilling', 'succeeded', 'failed'].map((s) => ({ value: s, label: t(s) }))} />
        <DatePicker placeholder={t('day')} onChange={(d) => list.setParams({ day: d ? d.format('YYYY-MM-DD') : undefined })} />
        {party !== 'customer' && <Input.Search allowClear placeholder={t('customerId')} style={{ width: 220 }} onSearch={(v) => list.setParams({ customer_id: v })} />}
        {party !== 'supplier' && <Input.Search allowClear placeholder={t('supplierId')} style={{ width: 220 }} onSearch={(v) => list.setParams({ supplier_id: v })} />}
      </Space>
      {list.error && <Alert type="error" message={list.error} />}
      <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
        onChange={list.onTableChange} data-testid="order-table"
        expandable={{ expandedRowRender: (r) => <OrderDetail id={r.id} party={party} onChanged={list.reload} /> }} columns={[
          { title: t('orderId'), dataIndex: 'id', render: (v) => <Id v={v} /> }, { title: t('code'), dataIndex: 'product_code' },
          { title: t('amount'), dataIndex: 'amount', sorter: true, render: (v, r) => money(v, r.currency, lang) },
          { title: t('status'), dataIndex: 'status', render: (v) => <Tag color={ORDER_COLOURS[v]}>{t(v)}</Tag> },
          party === 'customer' ? { title: t('supplier'), dataIndex: 'supplier_id', render: (v, r) => <Party id={v} name={r.supplier_name} /> }
            : { title: t('customer'), dataIndex: 'customer_id', render: (v, r) => <Party id={v} name={r.customer_name} /> },
          { title: t('refunded'), dataIndex: 'refunded', render: (v, r) => (v ? money(v, r.currency, lang) : '—') },
          { title: t('created'), dataIndex: 'created_at', sorter: true, render: time }]} />
    </Card>
  )
}

function Credit({ party }) {
  const { t, lang } = useT()
  const [rows, setRows] = useState(null)
  const [error, setError] = useState(null)
  const [editing, setEditing] = useState(null)
  const [form] = Form.useForm()
  const load = useCallback(() => get('/billing/credit-accounts').then((d) => { setRows(d.items || []); setError(null) }).catch((e) => setError(e.message)), [])
  useEffect(() => { load() }, [load])
  const save = async (v) => {
    try {
      await put(`/billing/credit-accounts/${editing.customer_id}`, { limit: v.unlimited ? null : (v.limit ?? 0), currency: editing.currency || 'CNY' })
      setEditing(null); message.success(t('saved')); load()
    } catch (err) { showErrors(form, err, ['limit', 'currency']) }
  }
  const m = (v, r) => money(v, r.currency, lang)
  return (
    <Card title={t('credit')}>
      {error && <Alert type="error" message={error} />}
      <Table size="small" rowKey={(r) => `${r.customer_id}-${r.supplier_id}`} loading={!rows && !error} dataSource={rows || []}
        data-testid="credit-table" pagination={{ pageSize: 20 }} columns={[
          { title: t('customer'), dataIndex: 'customer_id', render: (v, r) => <Party id={v} name={r.customer_name} /> },
          { title: t('supplier'), dataIndex: 'supplier_id', render: (v, r) => <Party id={v} name={r.supplier_name} /> },
          { title: t('limit'), dataIndex: 'limit', render: (v, r) => (v === null ? <Tag color="blue">{t('unlimited')}</Tag> : m(v, r)) },
          { title: t('used'), dataIndex: 'used', render: m }, { title: t('heldAmount'), dataIndex: 'held', render: m },
          { title: t('available'), dataIndex: 'available', render: (v, r) => (v === null ? '∞' : m(v, r)) },
          ...(party === 'supplier' ? [{ title: t('actions'), render: (_, r) => <a onClick={() => {
            setEditing(r); form.setFieldsValue({ limit: r.limit ?? 0, unlimited: r.limit === null })
          }} data-testid="credit-edit">{t('setLimit')}</a> }] : [])]} />
      <Modal open={!!editing} title={t('setLimit')} onCancel={() => setEditing(null)} onOk={() => form.submit()}>
        <Form form={form} layout="vertical" onFinish={save} data-testid="credit-form">
          <Form.Item name="unlimited" valuePropName="checked"><Checkbox>{t('unlimited')}</Checkbox></Form.Item>
          <Form.Item name="limit" label={t('limit')}><MoneyInput currency={editing ? editing.currency : 'CNY'} /></Form.Item>
        </Form>
      </Modal>
    </Card>
  )
}

function Statements({ party }) {
  const { t, lang } = useT()
  const [day, setDay] = useState(dayjs())
  const [filters, setFilters] = useState({})
  const [statement, setStatement] = useState(null)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(null)
  const params = { day: day.format('YYYY-MM-DD'), ...filters }
  useEffect(() => {
    setStatement(null)
    get('/billing/statements', params).then((s) => { setStatement(s); setError(null) }).catch((e) => setError(e.message))
  }, [JSON.stringify(params)]) // eslint-disable-line
  const exportAs = async (format) => {
    setBusy(format)
    try { await download('/billing/statements/export', { ...params, format }, `statement-${params.day}.${format}`) } catch (err) { setError(err.message) } finally { setBusy(null) }
  }
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card title={t('statement')} extra={<Space wrap>
        <DatePicker value={day} allowClear={false} onChange={setDay} data-testid="statement-day" />
        {party !== 'customer' && <Input.Search allowClear placeholder={t('customerId')} style={{ width: 200 }} onSearch={(v) => setFilters((f) => ({ ...f, customer_id: v || undefined }))} />}
        {party === 'operator' && <Input.Search allowClear placeholder={t('supplierId')} style={{ width: 200 }} onSearch={(v) => setFilters((f) => ({ ...f, supplier_id: v || undefined }))} />}
        <Button loading={busy === 'csv'} onClick={() => exportAs('csv')} data-testid="statement-csv">CSV</Button>
        <Button loading={busy === 'xlsx'} onClick={() => exportAs('xlsx')} data-testid="statement-xlsx">XLSX</Button>
      </Space>}>
        {error && <Alert type="error" message={error} />}
        {statement && <Space direction="vertical" style={{ marginBottom: 12 }} data-testid="statement-summary">
          <Space size="large" wrap><Statistic title={t('orderCount')} value={statement.orders} /><Statistic title={t('succeededCount')} value={statement.succeeded} /></Space>
          {(statement.totals || []).map((r) => <Space key={r.currency} size="large" wrap data-testid={`statement-total-${r.currency}`}>
            <Statistic title={`${t('amount')} (${r.currency})`} value={money(r.amount, r.currency, lang)} /><Statistic title={t('paid')} value={money(r.paid, r.currency, lang)} />
            <Statistic title={t('paidOut')} value={money(r.paid_out, r.currency, lang)} /><Statistic title={t('refunded')} value={money(r.refunded, r.currency, lang)} />
          </Space>)}
        </Space>}
        <Table size="small" rowKey="order_id" loading={!statement && !error} dataSource={(statement && statement.lines) || []}
          pagination={{ pageSize: 20 }} columns={[
            { title: t('orderId'), dataIndex: 'order_id', render: (v) => <Id v={v} /> }, { title: t('code'), dataIndex: 'product_code' },
            { title: t('customer'), dataIndex: 'customer_id', render: (v, r) => <Party id={v} name={r.customer_name} /> },
            { title: t('supplier'), dataIndex: 'supplier_id', render: (v, r) => <Party id={v} name={r.supplier_name} /> },
            { title: t('amount'), dataIndex: 'amount', render: (v, r) => money(v, r.currency, lang) },
            { title: t('status'), dataIndex: 'status', render: (v) => <Tag color={ORDER_COLOURS[v]}>{t(v)}</Tag> },
            { title: t('paid'), dataIndex: 'paid', render: (v, r) => money(v, r.currency, lang) },
            { title: t('paidOut'), dataIndex: 'paid_out', render: (v, r) => money(v, r.currency, lang) },
            { title: t('refunded'), dataIndex: 'refunded', render: (v, r) => money(v, r.currency, lang) },
            { title: t('created'), dataIndex: 'created_at', render: time }]} />
      </Card>
      {party === 'operator' && <Reconcile day={day} />}
    </Space>
  )
}

// BIL-11: the operator reconciles a day: the ledger against the payment provider's file and the
// orders against each supplier's report (fetched from its report URL, or pasted here)
function Reconcile({ day }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [result, setResult] = useState(null)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const [exporting, setExporting] = useState(null)
  const run = async (v) => {
    setError(null); setBusy(true)
    let reports = {}
    try { reports = v.supplier_reports ? JSON.parse(v.supplier_reports) : {} } catch (e) {
      form.setFields([{ name: 'supplier_reports', errors: [e.message] }]); setBusy(false); return
    }
    try { setResult(await post('/billing/reconciliations', { day: day.format('YYYY-MM-DD'), supplier_reports: reports })) } catch (err) {
      setError(showErrors(form, err, ['supplier_reports', 'day']))
    } finally { setBusy(false) }
  }
  return (
    <Card title={`${t('reconcile')} · ${day.format('YYYY-MM-DD')}`}>
      <Form form={form} layout="vertical" onFinish={run} data-testid="reconcile-form">
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="supplier_reports" label={t('supplierReports')}>
          <Input.TextArea rows={3} placeholder='{"<supplier id>": [{"order_id": "…", "status": "succeeded", "amount": 2850}]}' /></Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="reconcile-run">{t('reconcile')}</Button>
          {/* the same reconciliation with every supplier's report fetched, one row per mismatch */}
          {['csv', 'xlsx'].map((format) => <Button key={format} loading={exporting === format} data-testid={`reconcile-${format}`}
            onClick={async () => {
              setExporting(format)
              try { await download('/billing/reconciliations/export', { day: day.format('YYYY-MM-DD'), format }, `reconciliation.${format}`) } catch (err) {
                setError(err.message)
              } finally { setExporting(null) }
            }}>{t('mismatches')} {format.toUpperCase()}</Button>)}
        </Space>
      </Form>
      {result && <Space direction="vertical" style={{ width: '100%', marginTop: 16 }} data-testid="reconcile-result">
        <Space size="large"><Statistic title={t('checked')} value={result.checked} />
          <Statistic title={t('mismatches')} value={(result.mismatches || []).length} valueStyle={{ color: (result.mismatches || []).length ? '#f5222d' : '#52c41a' }} /></Space>
        {result.reports && Object.keys(result.reports).length > 0 && <Space wrap>{t('reports')}: {Object.entries(result.reports).map(([k, v]) =>
          <Tag key={k}>{k.slice(0, 8)} · {v}</Tag>)}</Space>}
        {(result.mismatches || []).length ? <Table size="small" rowKey={(r, i) => i} pagination={false} dataSource={result.mismatches}
          data-testid="mismatch-table" columns={[
            { title: t('source'), dataIndex: 'source' }, { title: t('reference'), dataIndex: 'reference' },
            { title: t('problem'), dataIndex: 'problem' },
            { title: t('ledger'), dataIndex: 'ledger', render: (v) => <code>{JSON.stringify(v)}</code> },
            { title: t('theirs'), dataIndex: 'theirs', render: (v) => <code>{JSON.stringify(v)}</code> }]} />
          : <Alert type="success" message={t('noMismatch')} />}
      </Space>}
    </Card>
  )
}

function CustomerSettings({ me }) {
  const { t } = useT()
  const [state, setState] = useState(undefined)
  const [agreements] = Form.useForm()
  const [settings] = Form.useForm()
  const [errors, setErrors] = useState({})
  const load = useCallback(() => get(`/billing/customers/${me.organisation.id}`).then((c) => {
    setState(c); settings.setFieldsValue({ callback_url: c.callback_url, notice_email: c.notice_email })
    agreements.setFieldsValue({ payment_account: c.payment_account, platform_agreement: !!c.platform_agreement_at,
      withholding_agreement: !!c.withholding_agreement_at })
  }).catch(() => setState(null)), [me, settings, agreements])
  useEffect(() => { load() }, [load])
  const sign = async (v) => {
    setErrors((e) => ({ ...e, sign: null }))
    try { setState(await post('/billing/agreements', v)); message.success(t('saved')) } catch (err) {
      setErrors((e) => ({ ...e, sign: showErrors(agreements, err, ['payment_account', 'platform_agreement', 'withholding_agreement']) }))
    }
  }
  const save = async (v) => {
    setErrors((e) => ({ ...e, settings: null }))
    try {
      const saved = await put('/billing/settings', { callback_url: v.callback_url || null, notice_email: v.notice_email || null })
      const { callback_secret: secret, ...rest } = saved
      setState(rest); message.success(t('saved'))
      // BIL-9: a new callback endpoint's signing secret is in this answer only: shown once, never kept
      if (secret) {
        Modal.success({ title: t('callbackSecret'), width: 520, content: <Space direction="vertical">
          <Typography.Text>{t('callbackSecretHint')}</Typography.Text>
          <Typography.Text copyable code data-testid="callback-secret">{secret}</Typography.Text></Space> })
      }
    } catch (err) {
      setErrors((e) => ({ ...e, settings: showErrors(settings, err, ['callback_url', 'notice_email']) }))
    }
  }
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card title={t('onboarding')} size="small">
        <Descriptions size="small" column={3} items={[
          { label: t('platformAgreement'), children: state && state.platform_agreement_at ? time(state.platform_agreement_at) : t('notSigned') },
          { label: t('withholdingAgreement'), children: state && state.withholding_agreement_at ? time(state.withholding_agreement_at) : t('notSigned') },
          { label: t('confirmedAt'), children: state && state.confirmed_at ? time(state.confirmed_at) : <Tag color="gold">{t('awaitingConfirmation')}</Tag> },
          { label: t('unpaidCount'), children: state ? `${state.unpaid ?? 0} / ${state.block_threshold ?? '—'}` : '—' },
          { label: t('blocked'), children: state && state.blocked ? <Tag color="red">{t('blocked')}</Tag> : '—' }]} />
      </Card>
      <Card title={t('agreements')} size="small">
        <Form form={agreements} layout="vertical" onFinish={sign} data-testid="agreements-form" style={{ maxWidth: 480 }}>
          {errors.sign && <Alert type="error" message={errors.sign} style={{ marginBottom: 12 }} />}
          <Form.Item name="platform_agreement" valuePropName="checked" initialValue={false}><Checkbox>{t('platformAgreement')}</Checkbox></Form.Item>
          <Form.Item name="withholding_agreement" valuePropName="checked" initialValue={false}><Checkbox>{t('withholdingAgreement')}</Checkbox></Form.Item>
          <Form.Item name="payment_account" label={t('paymentAccount')}><Input /></Form.Item>
          <Button type="primary" htmlType="submit">{t('signAgreements')}</Button>
        </Form>
      </Card>
      <Card title={`${t('callbackUrl')} / ${t('noticeEmail')}`} size="small">
        <Form form={settings} layout="vertical" onFinish={save} data-testid="billing-settings-form" style={{ maxWidth: 480 }}>
          {errors.settings && <Alert type="error" message={errors.settings} style={{ marginBottom: 12 }} />}
          <Form.Item name="callback_url" label={t('callbackUrl')}><Input placeholder="https://erp.example.com/billing/callback" /></Form.Item>
          <Form.Item name="notice_email" label={t('noticeEmail')}><Input /></Form.Item>
          <Button type="primary" htmlType="submit">{t('save')}</Button>
        </Form>
      </Card>
    </Space>
  )
}

function SupplierSettings() {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const save = async (v) => {
    setError(null)
    try { await put('/billing/fulfilment-url', { fulfilment_url: v.fulfilment_url, report_url: v.report_url || null }); message.success(t('saved')) } catch (err) {
      setError(showErrors(form, err, ['fulfilment_url', 'report_url']))
    }
  }
  return (
    <Card title={t('fulfilmentUrl')} size="small">
      <Form form={form} layout="vertical" onFinish={save} data-testid="fulfilment-form" style={{ maxWidth: 520 }}>
        {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
        <Form.Item name="fulfilment_url" label={t('fulfilmentUrl')}><Input placeholder="https://orders.supplier.example.com/fulfil" /></Form.Item>
        <Form.Item name="report_url" label={t('reportUrl')}><Input placeholder="https://orders.supplier.example.com/reports" /></Form.Item>
        <Button type="primary" htmlType="submit">{t('save')}</Button>
      </Form>
    </Card>
  )
}

// the operator: customers' onboarding (confirm a bound payment account) and the price lock. billing_svc
// has no list of its customers, so the customer organisations are listed and each one's state asked.
function OnboardingRow({ org, onConfirmed }) {
  const { t } = useT()
  const [state, setState] = useState(undefined)
  const load = useCallback(() => get(`/billing/customers/${org.id}`).then(setState).catch(() => setState(null)), [org.id])
  useEffect(() => { load() }, [load])
  if (state === undefined) return <Typography.Text type="secondary">…</Typography.Text>
  if (!state || !state.payment_account) return <Tag>{t('notSigned')}</Tag>
  return <Space wrap>
    <Typography.Text code>{state.payment_account}</Typography.Text>
    {state.confirmed_at ? <Tag color="green">{time(state.confirmed_at)}</Tag>
      : <Button size="small" type="primary" data-testid="confirm-onboarding" onClick={async () => {
        try { setState(await post(`/billing/customers/${org.id}/confirm`)); onConfirmed() } catch (err) { message.error(err.message) }
      }}>{t('confirmAccount')}</Button>}
    {state.blocked && <Tag color="red">{t('blocked')}</Tag>}
  </Space>
}

function OperatorSettings() {
  const { t } = useT()
  const list = useServerList('/organisations', { kind: 'customer', limit: 10 })
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const lock = async (v) => {
    setError(null)
    try {
      await put('/billing/price-lock', { starts_at: v.period[0].toISOString(), ends_at: v.period[1].toISOString() })
      message.success(t('saved'))
    } catch (err) {
      if (err.fields && (err.fields.starts_at || err.fields.ends_at)) err.fields = { period: [...(err.fields.starts_at || []), ...(err.fields.ends_at || [])] }
      setError(showErrors(form, err, ['period']))
    }
  }
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card title={t('onboardingConfirmations')} size="small" extra={<Input.Search allowClear placeholder={t('search')} onSearch={(q) => list.setParams({ q })} style={{ width: 220 }} />}>
        {list.error && <Alert type="error" message={list.error} />}
        <Table rowKey="id" size="small" dataSource={list.data.items} loading={list.loading} pagination={list.pagination}
          onChange={list.onTableChange} data-testid="onboarding-table" columns={[
            { title: t('customer'), dataIndex: 'name' }, { title: 'ID', dataIndex: 'id', render: (v) => <Id v={v} /> },
            { title: t('onboarding'), render: (_, org) => <OnboardingRow org={org} onConfirmed={() => message.success(t('done'))} /> }]} />
      </Card>
      <Card title={t('priceLock')} size="small">
        <Alert type="info" message={t('priceLockHint')} style={{ marginBottom: 12 }} />
        <Form form={form} layout="inline" onFinish={lock} data-testid="price-lock-form">
          {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
          <Form.Item name="period" label={t('priceLock')} rules={[{ required: true }]}><DatePicker.RangePicker showTime /></Form.Item>
          <Button type="primary" htmlType="submit">{t('setPriceLock')}</Button>
        </Form>
      </Card>
    </Space>
  )
}

export default function Billing({ me, view }) {
  const party = partyOf(me)
  if (view === 'catalogue') return <Catalogue party={party} />
  if (view === 'orders') return <Orders party={party} />
  if (view === 'credit') return <Credit party={party} />
  if (view === 'statements') return <Statements party={party} />
  if (view === 'settings') {
    if (party === 'customer') return <CustomerSettings me={me} />
    if (party === 'supplier') return <SupplierSettings />
    return <OperatorSettings />
  }
  return null
}
