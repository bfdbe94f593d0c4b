import React, { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react'
import { Alert, Button, Card, ConfigProvider, Dropdown, Form, Input, Layout, Menu, Result, Segmented,
  Space, Spin, Typography, message } from 'antd'
import zhCN from 'antd/locale/zh_CN'
import enUS from 'antd/locale/en_US'
import 'dayjs/locale/zh-cn'
import { ApiError, get, getTokens, post, saveTokens, scheduleRefresh, setSignedOutHandler } from './api.js'
import { LangContext, translator, useT } from './i18n.js'
import { showErrors } from './errors.js'
import { themeFor } from './theme.js'

const APP_THEME = themeFor()

// one chunk per area, loaded when its menu is opened (the first load stays small)
const loadProjects = () => import('./pages/Projects.jsx')
// opened on a project page (the most used): fetch its chunk while /me is still on its way
if (/^#\/projects\.(manage|mine|claim)/.test(window.location.hash)) loadProjects()
const Projects = lazy(loadProjects)
const Dashboard = lazy(() => import('./pages/Dashboard.jsx'))
const Dispatch = lazy(() => import('./pages/Dispatch.jsx'))
const Tickets = lazy(() => import('./pages/Tickets.jsx'))
const Templates = lazy(() => import('./pages/Templates.jsx'))
const Admin = lazy(() => import('./pages/Admin.jsx'))
const Operator = lazy(() => import('./pages/Operator.jsx'))
const Billing = lazy(() => import('./pages/Billing.jsx'))
const InboxBell = lazy(() => import('./pages/Inbox.jsx'))

// menu key (identity's MENU_TREE) -> page
export const PAGES = {
  'products.catalogue': (p) => <Dispatch view="products" {...p} />,
  'projects.manage': (p) => <Projects scope="manage" {...p} />,
  'projects.mine': (p) => <Projects scope="mine" {...p} />,
  'projects.claim': (p) => <Projects scope="claim" {...p} />,
  'projects.queue': (p) => <Dispatch view="queue" {...p} />,
  'projects.dashboard': (p) => <Dashboard {...p} />,
  'templates.flows': (p) => <Templates view="flows" {...p} />,
  'templates.public': (p) => <Templates view="public" {...p} />,
  'templates.approvals': (p) => <Templates view="approvals" {...p} />,
  'templates.requirement_forms': (p) => <Templates view="forms" {...p} />,
  'settings.profile': (p) => <Admin view="profile" {...p} />,
  'settings.users': (p) => <Admin view="users" {...p} />,
  'settings.api_keys': (p) => <Admin view="api_keys" {...p} />,
  'settings.roles': (p) => <Admin view="roles" {...p} />,
  'settings.holidays': (p) => <Operator view="calendar" {...p} />,
  'settings.message_templates': (p) => <Admin view="message_templates" {...p} />,
  'settings.capacity': (p) => <Dispatch view="capacity" {...p} />,
  'settings.audit_log': (p) => <Operator view="audit" {...p} />,
  'purchased.services': (p) => <Admin view="purchased" {...p} />,
  'tickets.mine': (p) => <Tickets scope="mine" {...p} />,
  'tickets.manage': (p) => <Tickets scope="manage" {...p} />,
  'operations.organisations': (p) => <Operator view="organisations" {...p} />,
  'billing.catalogue': (p) => <Billing view="catalogue" {...p} />,
  'billing.orders': (p) => <Billing view="orders" {...p} />,
  'billing.credit': (p) => <Billing view="credit" {...p} />,
  'billing.statements': (p) => <Billing view="statements" {...p} />,
  'billing.settings': (p) => <Billing view="settings" {...p} />,
  'operations.provider_relations': (p) => <Dispatch view="products" {...p} />,
}

function useHash() {
  const [hash, setHash] = useState(window.location.hash.slice(1))
  useEffect(() => {
    const on = () => setHash(window.location.hash.slice(1))
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return hash
}
export const go = (path) => { window.location.hash = path }

function SignIn({ onSignedIn }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (values) => {
    setBusy(true); setError(null)
    try {
      saveTokens({ ...(await post('/auth/login', values)), login_name: values.login_name })
      onSignedIn()
    } catch (err) {
      setError(showErrors(form, err, ['login_name', 'password']))
    } finally { setBusy(false) }
  }
  return (
    <Form form={form} layout="vertical" onFinish={submit} data-testid="sign-in">
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      <Form.Item name="login_name" label={t('loginName')} rules={[{ required: true }]}>
        <Input autoComplete="username" id="login_name" />
      </Form.Item>
      <Form.Item name="password" label={t('password')} rules={[{ required: true }]}>
        <Input.Password autoComplete="current-password" id="password" />
      </Form.Item>
      <Button type="primary" htmlType="submit" block loading={busy}>{t('signIn')}</Button>
    </Form>
  )
}

export function ChangePassword({ onDone }) {
  const { t } = useT()
  const [form] = Form.useForm()
  const [error, setError] = useState(null)
  const submit = async (values) => {
    setError(null)
    try {
      await post('/auth/password', values)
      message.success(t('saved'))
      onDone(values)
    } catch (err) {
      setError(showErrors(form, err, ['current_password', 'new_password']))
    }
  }
  return (
    <Form form={form} layout="vertical" onFinish={submit} data-testid="change-password">
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      <Form.Item name="current_password" label={t('currentPassword')} rules={[{ required: true }]}>
        <Input.Password autoComplete="current-password" />
      </Form.Item>
      <Form.Item name="new_password" label={t('newPassword')} rules={[{ required: true }]}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Button type="primary" htmlType="submit" block>{t('changePassword')}</Button>
    </Form>
  )
}

function Centered({ children, title }) {
  return (
    <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center',
      background: 'linear-gradient(135deg, #e6f4ff 0%, #f0f5ff 50%, #fff 100%)' }}>
      <Card title={title} style={{ width: 380, boxShadow: '0 6px 24px rgba(0,0,0,.08)' }}>{children}</Card>
    </div>
  )
}

function LangSwitch() {
  const { lang, setLang } = useT()
  return <Segmented size="small" value={lang} onChange={setLang} data-testid="lang"
    options={[{ label: '中文', value: 'zh' }, { label: 'EN', value: 'en' }]} />
}

function Shell({ me, onSignOut }) {
  const { t, lang } = useT()
  const hash = useHash()
  const [top, ...rest] = hash.replace(/^\//, '').split('/')
  const leaves = me.menus.flatMap((m) => m.children)
  const current = leaves.find((l) => l.key === top) || leaves[0]
  useEffect(() => { if (!hash && current) go(`/${current.key}`) }, [hash, current])
  const title = (m) => (lang === 'zh' ? m.title_zh : m.title)
  const items = me.menus.map((m) => ({ key: m.key, label: title(m),
    children: m.children.map((c) => ({ key: c.key, label: <span data-menu={c.key}>{title(c)}</span> })) }))
  const Page = current && PAGES[current.key]
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider width={220} theme="light" style={{ borderRight: '1px solid #f0f0f0' }}>
        <div style={{ height: 56, display: 'flex', alignItems: 'center', padding: '0 20px', fontWeight: 600,
          fontSize: 16, color: '#1677ff' }}>{t('console')}</div>
        <Menu mode="inline" data-testid="menu" selectedKeys={current ? [current.key] : []}
          defaultOpenKeys={me.menus.map((m) => m.key)} items={items}
          onClick={({ key }) => go(`/${key}`)} />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex',
          justifyContent: 'space-between', alignItems: 'center', borderBottom: '1px solid #f0f0f0' }}>
          <Typography.Text strong>{current ? title(current) : ''}</Typography.Text>
          <Space size="large">
            <Suspense fallback={null}><InboxBell me={me} /></Suspense>
            <LangSwitch />
            <Dropdown menu={{ items: [{ key: 'out', label: <span data-testid="sign-out">{t('signOut')}</span> }],
              onClick: onSignOut }}>
              <Button type="text" data-testid="user">{me.user.display_name} · {me.organisation.name}</Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 24 }}>
          <Suspense fallback={<Spin />}>
            {Page ? Page({ me, path: rest }) : <Result status="404" title={t('notBuilt')} />}
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  )
}

export default function App() {
  const [lang, setLangState] = useState(localStorage.getItem('console.lang') || 'zh')
  const setLang = (l) => { localStorage.setItem('console.lang', l); setLangState(l) }
  const t = useMemo(() => translator(lang), [lang])
  const [me, setMe] = useState(null)
  const [state, setState] = useState(getTokens() ? 'loading' : 'signed-out')

  const load = useCallback(async () => {
    const tokens = getTokens()
    if (!tokens) { setState('signed-out'); return }
    if (tokens.must_change_password) { setState('change-password'); return }
    setState('loading')
    try {
      setMe(await get('/me'))
      scheduleRefresh()
      setState('ready')
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) setState('change-password')
      else { saveTokens(null); setState('signed-out') }
    }
  }, [])
  useEffect(() => { setSignedOutHandler(() => setState('signed-out')); load() }, [load])

  const signOut = async () => {
    const tokens = getTokens()
    try { await post('/auth/logout', { refresh_token: tokens && tokens.refresh_token }) } catch (e) { /* gone */ }
    saveTokens(null); setMe(null); setState('signed-out')
  }
  const afterPasswordChange = async (values) => {
    // ORG-4: changing the password ends every token held, so sign in again with the new one
    const { login_name: loginName } = getTokens() || {}
    try {
      saveTokens({ ...(await post('/auth/login', { login_name: loginName, password: values.new_password })),
        login_name: loginName })
    } catch (e) { saveTokens(null) }
    load()
  }
  let body
  if (state === 'signed-out') body = <Centered title={<Space style={{ width: '100%', justifyContent: 'space-between' }}>{t('console')}<LangSwitch /></Space>}><SignIn onSignedIn={load} /></Centered>
  else if (state === 'change-password') body = <Centered title={t('firstLogin')}><ChangePassword onDone={afterPasswordChange} /></Centered>
  else if (state === 'loading' || !me) body = <div style={{ padding: 80, textAlign: 'center' }}><Spin size="large" /></div>
  else body = <Shell me={me} onSignOut={signOut} />
  return (
    <LangContext.Provider value={{ lang, setLang, t }}>
      <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={APP_THEME}>
        {body}
      </ConfigProvider>
    </LangContext.Provider>
  )
}
