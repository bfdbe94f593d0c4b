// The gateway's public API, exactly as integrators use it: bearer tokens, JSON errors with a
// `fields` map (path -> messages), refresh on 401 once, then back to sign-in.
const KEY = 'console.tokens'

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`)
    this.status = status
    this.code = body && body.error
    this.fields = (body && body.fields) || {}
  }
}

let tokens = JSON.parse(localStorage.getItem(KEY) || 'null')
let onSignedOut = () => {}

// index.html starts the first GET /me and the project list's first page before this script has
// loaded. The first ask for the same path within 30 s of the page's load takes that answer (once;
// a failed fetch asks again), and earlyData hands a list its first page if it is already read;
// new tokens (sign-in, refresh, sign-out) drop what is left.
const EARLY_FOR_MS = 30_000
const early = {}
Object.entries(window.__consoleEarly || {}).forEach(([path, answer]) => {
  const entry = { answer: answer.then(async (r) => ({ status: r.status, ok: r.ok, body: await r.text() })) }
  entry.answer.then((read) => { entry.read = read }, () => {})
  early[path] = entry
})
function earlyAnswer(method, path) {
  const entry = method === 'GET' && early[path]
  if (!entry || performance.now() > EARLY_FOR_MS) return null
  delete early[path]
  return entry.answer.then((read) => ({ ...read, text: async () => read.body }), () => fetch(`/api/v1${path}`, {
    headers: tokens ? { Authorization: `Bearer ${tokens.access_token}` } : {} }))
}
export function earlyData(path, params) {
  const key = `${path}${query(params)}`
  const entry = early[key]
  if (!entry || !entry.read || !entry.read.ok || performance.now() > EARLY_FOR_MS) return null
  delete early[key]
  return JSON.parse(entry.read.body)
}

export const setSignedOutHandler = (fn) => { onSignedOut = fn }
export const getTokens = () => tokens
export function saveTokens(t) {
  tokens = t
  Object.keys(early).forEach((k) => { delete early[k] })
  if (t) localStorage.setItem(KEY, JSON.stringify(t)); else localStorage.removeItem(KEY)
}

let refreshing = null
async function refresh() {
  if (!tokens || !tokens.refresh_token) return false
  if (!refreshing) {
    refreshing = fetch('/api/v1/auth/refresh', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    }).then(async (r) => {
      if (!r.ok) return false
      saveTokens(await r.json())
      return true
    }).finally(() => { setTimeout(() => { refreshing = null }, 0) })
  }
  return refreshing
}

function query(params) {
  const q = new URLSearchParams()
  Object.entries(params || {}).forEach(([k, v]) => {
    if (v !== undefined && v !== null && v !== '') q.append(k, String(v))
  })
  const s = q.toString()
  return s ? `?${s}` : ''
}

export async function api(method, path, { body, params, retry = true } = {}) {
  const headers = {}
  if (tokens) headers.Authorization = `Bearer ${tokens.access_token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const r = await (earlyAnswer(method, `${path}${query(params)}`) || fetch(`/api/v1${path}${query(params)}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  }))
  if (r.status === 401 && retry && tokens && !path.startsWith('/auth/')) {
    if (await refresh()) return api(method, path, { body, params, retry: false })
    saveTokens(null)
    onSignedOut()
  }
  const text = await r.text()
  const data = text ? JSON.parse(text) : null
  if (!r.ok) throw new ApiError(r.status, data)
  return data
}

export const get = (path, params) => api('GET', path, { params })
export const post = (path, body) => api('POST', path, { body: body || {} })
export const put = (path, body) => api('PUT', path, { body })
export const patch = (path, body) => api('PATCH', path, { body })

// Refresh shortly before the access token expires, so a page left open keeps working.
let timer = null
export function scheduleRefresh() {
  clearTimeout(timer)
  if (!tokens || !tokens.expires_in) return
  timer = setTimeout(async () => { if (await refresh()) scheduleRefresh() },
    Math.max(5, tokens.expires_in - 30) * 1000)
}

// Raw bodies both ways: a file uploaded as the request body with its own type, and a
// download (an export, a project file) saved under the name the API gives.
async function rawFetch(method, path, { params, body, contentType, retry = true } = {}) {
  const headers = {}
  if (tokens) headers.Authorization = `Bearer ${tokens.access_token}`
  if (contentType) headers['Content-Type'] = contentType
  const r = await fetch(`/api/v1${path}${query(params)}`, { method, headers, body })
  if (r.status === 401 && retry && tokens) {
    if (await refresh()) return rawFetch(method, path, { params, body, contentType, retry: false })
    saveTokens(null)
    onSignedOut()
  }
  if (!r.ok) {
    const text = await r.text()
    let data = null
    try { data = text ? JSON.parse(text) : null } catch (e) { data = { message: text } }
    throw new ApiError(r.status, data)
  }
  return r
}

export async function upload(path, params, file) {
  const r = await rawFetch('POST', path, { params, body: file, contentType: file.type || 'application/octet-stream' })
  return r.json()
}

export async function download(path, params, fallbackName) {
  const r = await rawFetch('GET', path, { params })
  const disposition = r.headers.get('Content-Disposition') || ''
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || fallbackName
  const url = URL.createObjectURL(await r.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
