import React, { useEffect, useState } from 'react'
import { Alert, Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Switch, Tag, Typography, message } from 'antd'
import { ApiError, get, post, put } from '../api.js'
import { useT } from '../i18n.js'
import { go } from '../App.jsx'

// TPL-6: the field types of platform_contracts.forms, and which limits each one takes
export const FIELD_TYPES = ['text', 'long_text', 'number', 'date', 'single_choice', 'multi_choice', 'file', 'phone', 'email']
const CHOICES = ['single_choice', 'multi_choice']
const LENGTHS = ['text', 'long_text', 'multi_choice']
const BOUNDS = ['number', 'date']
const LIMITS = ['options', 'min_length', 'max_length', 'min', 'max', 'max_files']

// the API names a field's problem by path: `fields[2].options`, `name`; antd by name list
export const pathName = (path) => path.replace(/\[(\d+)\]/g, '.$1').split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))

// what the form holds -> the API's body: limits only where the type takes them, blanks left out
function bodyOf(values) {
  return {
    name: values.name ?? '',
    description: values.description || '',
    fields: (values.fields || []).map((f) => {
      const field = { key: f.key ?? '', label: f.label ?? '', type: f.type, required: !!f.required, help_text: f.help_text || '' }
      if (CHOICES.includes(f.type)) field.options = f.options || []
      if (LENGTHS.includes(f.type)) {
        if (f.min_length != null) field.min_length = f.min_length
        if (f.max_length != null) field.max_length = f.max_length
      }
      if (BOUNDS.includes(f.type)) {
        if (f.min != null && f.min !== '') field.min = f.min
        if (f.max != null && f.max !== '') field.max = f.max
      }
      if (f.type === 'file' && f.max_files != null) field.max_files = f.max_files
      return field
    }),
  }
}

function FieldCard({ index, count, move, remove, type }) {
  const { t } = useT()
  const at = (name) => [index, name]
  return (
    <Card size="small" style={{ marginBottom: 12 }} data-field={index}
      title={<Space><Tag>{index + 1}</Tag>{t(`ft_${type || 'text'}`)}</Space>}
      extra={<Space size={4}>
        <Button size="small" disabled={index === 0} onClick={() => move(index, index - 1)} data-testid="field-up">↑</Button>
        <Button size="small" disabled={index === count - 1} onClick={() => move(index, index + 1)} data-testid="field-down">↓</Button>
        <Button size="small" danger disabled={count === 1} onClick={() => remove(index)} data-testid="field-remove">✕</Button>
      </Space>}>
      <Row gutter={12}>
        <Col span={8}><Form.Item name={at('key')} label={t('fieldKey')} tooltip={t('fieldKeyHint')}>
          <Input data-testid="field-key" maxLength={64} /></Form.Item></Col>
        <Col span={10}><Form.Item name={at('label')} label={t('fieldLabel')}><Input data-testid="field-label" maxLength={100} /></Form.Item></Col>
        <Col span={6}><Form.Item name={at('required')} label={t('required')} valuePropName="checked">
          <Switch data-testid="field-required" /></Form.Item></Col>
        <Col span={8}><Form.Item name={at('type')} label={t('fieldType')}>
          <Select data-testid="field-type" options={FIELD_TYPES.map((v) => ({ value: v, label: t(`ft_${v}`) }))} /></Form.Item></Col>
        <Col span={16}><Form.Item name={at('help_text')} label={t('helpText')}><Input maxLength={300} /></Form.Item></Col>
        {CHOICES.includes(type) && <Col span={24}><Form.Item name={at('options')} label={t('fieldOptions')} tooltip={t('fieldOptionsHint')}>
          <Select mode="tags" tokenSeparators={[',', '，']} data-testid="field-options" /></Form.Item></Col>}
        {LENGTHS.includes(type) && <>
          <Col span={8}><Form.Item name={at('min_length')} label={t(type === 'multi_choice' ? 'minChoices' : 'minLength')}>
            <InputNumber min={0} style={{ width: '100%' }} /></Form.Item></Col>
          <Col span={8}><Form.Item name={at('max_length')} label={t(type === 'multi_choice' ? 'maxChoices' : 'maxLength')}>
            <InputNumber min={1} style={{ width: '100%' }} /></Form.Item></Col></>}
        {type === 'number' && <>
          <Col span={8}><Form.Item name={at('min')} label={t('minValue')}><InputNumber style={{ width: '100%' }} /></Form.Item></Col>
          <Col span={8}><Form.Item name={at('max')} label={t('maxValue')}><InputNumber style={{ width: '100%' }} /></Form.Item></Col></>}
        {type === 'date' && <>
          <Col span={8}><Form.Item name={at('min')} label={t('minDate')}><Input placeholder="YYYY-MM-DD" /></Form.Item></Col>
          <Col span={8}><Form.Item name={at('max')} label={t('maxDate')}><Input placeholder="YYYY-MM-DD" /></Form.Item></Col></>}
        {type === 'file' && <Col span={8}><Form.Item name={at('max_files')} label={t('maxFiles')}>
          <InputNumber min={1} max={50} style={{ width: '100%' }} /></Form.Item></Col>}
      </Row>
    </Card>
  )
}

// How the customer will see the form: each field with its label, required mark, help and choices
function Preview({ fields }) {
  const { t } = useT()
  return <Card size="small" title={t('preview')} data-testid="form-preview">
    <Form layout="vertical">{(fields || []).map((f, i) => f && <Form.Item key={i} label={f.label || f.key || '—'}
      required={!!f.required} help={f.help_text || undefined}>
      {CHOICES.includes(f.type)
        ? <Select mode={f.type === 'multi_choice' ? 'multiple' : undefined} options={(f.options || []).map((o) => ({ value: o, label: o }))} />
        : f.type === 'long_text' ? <Input.TextArea rows={2} /> : f.type === 'file' ? <Button disabled>{t('uploadFile')}</Button>
          : f.type === 'number' ? <InputNumber style={{ width: '100%' }} /> : <Input placeholder={f.type === 'date' ? 'YYYY-MM-DD' : ''} />}
    </Form.Item>)}</Form>
  </Card>
}

// The operator creates and changes requirement forms (TPL-6); others read them. `formId` 'new' creates one.
export default function FormEditor({ me, formId, menu }) {
  const { t } = useT()
  const operator = me.user.roles.includes('platform_operator')
  const creating = formId === 'new'
  const [form] = Form.useForm()
  const fields = Form.useWatch('fields', form)
  const [loaded, setLoaded] = useState(creating)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    if (creating) {
      form.setFieldsValue({ name: '', description: '', fields: [{ type: 'text', required: true }] })
      return
    }
    get(`/requirement-forms/${formId}`).then((f) => {
      form.setFieldsValue({ name: f.name, description: f.description, fields: f.fields.map((x) => ({ ...x, options: x.options || [] })) })
      setLoaded(true)
    }).catch((e) => setError(e.message))
  }, [formId]) // eslint-disable-line

  const save = async () => {
    setError(null); setBusy(true)
    // a fresh try: the previous answer's messages go, the new answer's come
    const values = form.getFieldsValue(true)
    form.setFields([{ name: 'name', errors: [] }, { name: 'description', errors: [] },
      ...(values.fields || []).flatMap((_, i) => ['key', 'label', 'type', 'help_text', ...LIMITS].map((k) => ({ name: ['fields', i, k], errors: [] })))])
    try {
      const body = bodyOf(values)
      const saved = creating ? await post('/requirement-forms', body) : await put(`/requirement-forms/${formId}`, body)
      message.success(t('saved'))
      if (creating) go(`/${menu}/${saved.id}`)
    } catch (err) {
      if (!(err instanceof ApiError)) { setError(err.message); return }
      const known = new Set(['name', 'description'])
      const rest = []
      const placed = []
      Object.entries(err.fields || {}).forEach(([path, msgs]) => {
        const name = pathName(path)
        const messages = [].concat(msgs).map(String)
        const onField = name[0] === 'fields' && typeof name[1] === 'number' && name.length === 3
        if (known.has(path) || onField) placed.push({ name, errors: messages })
        else rest.push(`${path === 'fields' ? t('fields') : path}: ${messages.join(' ')}`)
      })
      form.setFields(placed)
      setError(placed.length && !rest.length ? t('fixFields') : [err.message, ...rest].join(' — '))
    } finally { setBusy(false) }
  }

  return (
    <Card title={creating ? t('newForm') : t('requirementsForm')} data-testid="form-editor"
      extra={<Space><Button onClick={() => go(`/${menu}`)}>{t('back')}</Button>
        {operator && <Button type="primary" loading={busy} onClick={save} data-testid="form-save">{t('save')}</Button>}</Space>}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="form-error" />}
      {!loaded ? <Card loading /> : <Row gutter={16}>
        <Col span={15}>
          <Form form={form} layout="vertical" disabled={!operator} data-testid="form-form">
            <Form.Item name="name" label={t('name')}><Input data-testid="form-name" maxLength={100} /></Form.Item>
            <Form.Item name="description" label={t('description')}><Input.TextArea rows={2} maxLength={1000} /></Form.Item>
            <Typography.Title level={5}>{t('fields')}</Typography.Title>
            <Form.List name="fields">{(items, { add, remove, move }) => <>
              {items.map((item) => <FieldCard key={item.key} index={item.name} count={items.length} move={move} remove={remove}
                type={fields && fields[item.name] ? fields[item.name].type : 'text'} />)}
              <Button type="dashed" block onClick={() => add({ type: 'text', required: false, options: [] })} data-testid="field-add">
                + {t('addField')}</Button>
            </>}</Form.List>
          </Form>
        </Col>
        <Col span={9}><Preview fields={fields} /></Col>
      </Row>}
    </Card>
  )
}
