import React, { useCallback, useEffect, useState } from 'react'
import { Alert, Badge, Button, Drawer, List, Segmented, Space, Typography } from 'antd'
import { get, post } from '../api.js'
import { useT } from '../i18n.js'
import { time } from '../format.js'

const PAGE = 10
const POLL_MS = 30_000

// NTF-5: the in-site inbox. The header shows the unread count (polled, and refreshed whenever the
// drawer changes something); the drawer pages the messages on the server and marks them read.
// a message's link is an API path (/tickets/{id}, /projects/{id}); the console opens it under the
// first menu of that area the user has
export function consoleLink(me, link) {
  if (!link || /^https?:/.test(link)) return link
  const [, area, ...rest] = link.split('/')
  const leaf = me && me.menus.flatMap((m) => m.children).find((c) => c.key.startsWith(`${area}.`))
  return leaf ? `#/${[leaf.key, ...rest].join('/')}` : null
}

export default function InboxBell({ me }) {
  const { t } = useT()
  const [unread, setUnread] = useState(0)
  const [open, setOpen] = useState(false)
  const [onlyUnread, setOnlyUnread] = useState(false)
  const [page, setPage] = useState(1)
  const [data, setData] = useState({ items: [], total: 0, unread: 0 })
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState(null)

  const count = useCallback(() => get('/inbox', { limit: 1, unread_only: true })
    .then((d) => setUnread(d.unread)).catch(() => {}), [])
  useEffect(() => {
    count()
    const timer = setInterval(count, POLL_MS)
    return () => clearInterval(timer)
  }, [count])

  const load = useCallback(async () => {
    setLoading(true)
    try {
      const d = await get('/inbox', { limit: PAGE, offset: (page - 1) * PAGE, unread_only: onlyUnread || undefined })
      setData(d); setUnread(d.unread); setError(null)
    } catch (err) { setError(err.message) } finally { setLoading(false) }
  }, [page, onlyUnread])
  useEffect(() => { if (open) load() }, [open, load])

  const read = async (m) => {
    if (m.read_at) return
    try { await post(`/inbox/${m.id}/read`); load() } catch (err) { setError(err.message) }
  }
  const readAll = async () => {
    try { await post('/inbox/read-all'); load() } catch (err) { setError(err.message) }
  }
  return (
    <>
      <Badge count={unread} size="small" overflowCount={99} data-testid="inbox-unread">
        <Button type="text" onClick={() => setOpen(true)} data-testid="inbox-bell"
          aria-label={t('inbox')}>{t('inbox')}</Button>
      </Badge>
      <Drawer open={open} onClose={() => { setOpen(false); count() }} width={460} title={t('inbox')}
        extra={<Button size="small" onClick={readAll} disabled={!data.unread} data-testid="inbox-read-all">{t('readAll')}</Button>}>
        <Space direction="vertical" style={{ width: '100%' }}>
          <Segmented value={onlyUnread ? 'unread' : 'all'} onChange={(v) => { setPage(1); setOnlyUnread(v === 'unread') }}
            options={[{ value: 'all', label: t('all') }, { value: 'unread', label: `${t('unread')} (${data.unread})` }]} />
          {error && <Alert type="error" message={error} />}
          <List data-testid="inbox-list" loading={loading} dataSource={data.items}
            pagination={data.total > PAGE ? { current: page, pageSize: PAGE, total: data.total, onChange: setPage, size: 'small' } : false}
            renderItem={(m) => (
              <List.Item data-testid="inbox-item" onClick={() => read(m)} style={{ cursor: m.read_at ? 'default' : 'pointer' }}
                actions={m.read_at ? [] : [<a key="read" data-testid="inbox-mark-read">{t('markRead')}</a>]}>
                <List.Item.Meta
                  title={<Space>{!m.read_at && <Badge status="processing" />}
                    <Typography.Text strong={!m.read_at}>{m.title}</Typography.Text></Space>}
                  description={<>
                    <div style={{ whiteSpace: 'pre-wrap' }}>{m.body}</div>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>{time(m.created_at)}</Typography.Text>
                    {consoleLink(me, m.link) && <> · <a href={consoleLink(me, m.link)} onClick={() => { read(m); setOpen(false) }}>{t('view')}</a></>}
                  </>} />
              </List.Item>)} />
        </Space>
      </Drawer>
    </>
  )
}
