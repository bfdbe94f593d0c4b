import React, { useEffect, useState } from 'react'
import { Alert, Card, Col, Empty, Progress, Row, Segmented, Space, Statistic, Table, Tag } from 'antd'
import { get } from '../api.js'
import { useT } from '../i18n.js'
import { BAND_COLOURS, band, time, userZone } from '../format.js'
import Chart from './Chart.jsx'

export default function Dashboard({ me }) {
  const { t } = useT()
  const roles = me.user.roles
  const views = [...(roles.some((r) => r.startsWith('vendor')) ? ['vendor'] : []),
    ...(roles.includes('provider_admin') ? ['provider'] : [])]
  const [view, setView] = useState(views[0] || 'vendor')
  const [data, setData] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => {
    get('/projects/dashboard', { view, time_zone: userZone() }).then(setData).catch((e) => setError(e.message))
  }, [view])
  if (error) return <Alert type="error" message={error} />
  if (!data) return <Card loading />
  const s30 = data.status_30_days
  const keys = ['new', 'in_progress', 'delivered', 'late', 'paused', 'cancelled']
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {views.length > 1 && <Segmented value={view} onChange={setView} options={views.map((v) => ({ value: v, label: t(v) }))} />}
      <Row gutter={16}>
        {keys.map((k) => <Col span={4} key={k}><Card size="small"><Statistic title={`${t('status30')} · ${t(k)}`} value={s30[k]}
          valueStyle={k === 'late' && s30[k] ? { color: '#f5222d' } : undefined} /></Card></Col>)}
      </Row>
      <Row gutter={16}>
        <Col span={12}><Card title={t('newPerDay')} size="small">
          <Chart testId="chart-day" option={{ tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 20, bottom: 30 },
            xAxis: { type: 'category', data: data.new_per_day.map((d) => d.day.slice(5)) }, yAxis: { type: 'value', minInterval: 1 },
            series: [{ type: 'bar', data: data.new_per_day.map((d) => d.count), itemStyle: { color: '#1677ff' } }] }} />
        </Card></Col>
        <Col span={12}><Card title={t('newPerMonth')} size="small">
          <Chart testId="chart-month" option={{ tooltip: { trigger: 'axis' }, grid: { left: 40, right: 16, top: 20, bottom: 30 },
            xAxis: { type: 'category', data: data.new_per_month.map((d) => d.month) }, yAxis: { type: 'value', minInterval: 1 },
            series: [{ type: 'line', smooth: true, areaStyle: {}, data: data.new_per_month.map((d) => d.count) }] }} />
        </Card></Col>
      </Row>
      <Row gutter={16}>
        <Col span={8}><Card title={t('status30')} size="small">
          <Chart testId="chart-status" option={{ tooltip: {}, legend: { bottom: 0 }, series: [{ type: 'pie', radius: ['40%', '65%'],
            data: keys.filter((k) => s30[k] > 0).map((k) => ({ name: t(k), value: s30[k] })) }] }} />
        </Card></Col>
        <Col span={16}><Card title={<Space>{t('saturation')}{Object.entries(BAND_COLOURS).map(([k, c]) => <Tag key={k} color={c}
          data-legend={k}>{t(`band${k[0].toUpperCase()}${k.slice(1)}`)}</Tag>)}</Space>} size="small"
          extra={<span>{t('avgDays')}: {data.average_completion_days ?? '—'}</span>}>
          {data.saturation.length === 0 ? <Empty /> : <Table size="small" rowKey={(r) => `${r.product_id}-${r.provider_id}`} pagination={false}
            dataSource={data.saturation} columns={[
              { title: t('product'), dataIndex: 'product_name' },
              { title: t('provider'), dataIndex: 'provider_name', ellipsis: true, render: (v, r) => v || r.provider_id },
              { title: `${t('held')} / ${t('maxHeld')}`, render: (_, r) => `${r.held} / ${r.max_held}` },
              { title: t('saturation'), width: 260, render: (_, r) => {
                const colour = BAND_COLOURS[r.band] || band(r.ratio).color
                return <div data-band={r.band || band(r.ratio).name} data-testid="saturation-bar">
                  <Progress percent={Math.round(r.ratio * 100)} strokeColor={colour} size="small" /></div>
              } }]} />}
        </Card></Col>
      </Row>
      <div style={{ color: '#999' }}>{time(data.as_of)} · {data.time_zone}</div>
    </Space>
  )
}
