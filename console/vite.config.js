import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import { THEME } from './src/theme.js'

const require = createRequire(import.meta.url)
const STYLES = 'virtual:antd-styles.css'
const BASE = '/console/' // served by the gateway under /console

// antd 5 computes every component's CSS in the browser (cssinjs) the first time the component
// renders: on a cold load of the project list that was a good part of the main thread's work.
// At build time, the antd components of the first screens (sign-in, the shell, the project list:
// those FIRST_SCREENS import) are rendered once in Node with the console's theme and their
// styles extracted into a CSS file, with the map cssinjs reads (data-ant-cssinjs-cache-path):
// the browser skips generating any style the file holds and computes the others as before (the
// file is parsed on every cold load: every component's styles would double it for pages opened
// later). In dev the file is empty (the dev build's class names differ): all computed at runtime.
const FIRST_SCREENS = ['App.jsx', 'pages/Inbox.jsx', 'pages/Projects.jsx']
// and what those render inside: tables a pagination, form items a grid, menus tooltips
const INSIDE = ['Pagination', 'Row', 'Col', 'Tooltip']
function usedAntdComponents() {
  const names = new Set()
  FIRST_SCREENS.forEach((file) => {
    const source = fs.readFileSync(fileURLToPath(new URL(`./src/${file}`, import.meta.url)), 'utf8')
    for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'antd'/g)) {
      m[1].split(',').map((n) => n.trim()).filter((n) => /^[A-Z]/.test(n)).forEach((n) => names.add(n))
    }
  })
  return [...names].sort()
}

function antdStyles() {
  process.env.NODE_ENV = 'production' // cssinjs reads it when loaded: production class names
  const React = require('react')
  const { renderToString } = require('react-dom/server')
  const { StyleProvider, createCache, extractStyle } = require('@ant-design/cssinjs')
  const antd = require('antd')
  const h = React.createElement
  const child = h('div')
  const inline = { open: true, getContainer: false } // overlays rendered in place, so their styles register
  const render = {
    ConfigProvider: null,
    Dropdown: (C) => h(C, { menu: { items: [] } }, child),
    Menu: (C) => h(C, { items: [{ key: 'a', label: 'a', children: [{ key: 'b', label: 'b' }] }], mode: 'inline' }),
    Tree: (C) => h(C, { treeData: [] }),
    Layout: (C) => h(C, null, h(C.Sider), h(C.Header), h(C.Content)),
    Tag: (C) => h(React.Fragment, null, ...['success', 'processing', 'error', 'warning', 'default', 'red', 'blue']
      .map((color) => h(C, { key: color, color }))),
    Modal: (C) => h(C, inline),
    Drawer: (C) => h(C, inline),
    Popconfirm: (C) => h(C, { ...inline, title: 't' }, child),
    Tooltip: (C) => h(C, { ...inline, title: 't' }, child),
  }
  const nodes = [...new Set([...usedAntdComponents(), ...INSIDE])].filter((n) => antd[n] && render[n] !== null)
    .map((n) => h(React.Fragment, { key: n }, render[n] ? render[n](antd[n]) : h(antd[n])))
  const cache = createCache()
  renderToString(h(StyleProvider, { cache }, h(antd.ConfigProvider, { theme: THEME }, nodes)))
  return extractStyle(cache, true)
}

function antdStaticStyles() {
  let build = false
  return {
    name: 'antd-static-styles',
    configResolved(config) { build = config.command === 'build' },
    resolveId(id) { return id === STYLES ? `\0${STYLES}` : undefined },
    load(id) {
      if (id !== `\0${STYLES}`) return undefined
      return build ? antdStyles() : ''
    },
  }
}

// index.html's early start fetches the project pages' chunks (the Projects chunk and what it
// imports beyond the app shell) while the shell loads: their built names go into the page
function projectChunks() {
  return {
    name: 'project-chunks',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        let files = []
        if (ctx.bundle) {
          const chunks = Object.values(ctx.bundle).filter((c) => c.type === 'chunk')
          const byName = Object.fromEntries(chunks.map((c) => [c.fileName, c]))
          const closure = (names, seen = new Set()) => {
            names.forEach((n) => { if (!seen.has(n) && byName[n]) { seen.add(n); closure(byName[n].imports, seen) } })
            return seen
          }
          const shell = closure([ctx.chunk.fileName])
          const projects = chunks.find((c) => c.moduleIds.some((id) => id.endsWith('/src/pages/Projects.jsx')))
          files = [...closure([projects.fileName])].filter((n) => !shell.has(n))
        }
        return html.replace('__PROJECT_CHUNKS__', JSON.stringify(files.map((n) => `${BASE}${n}`)))
      },
    },
  }
}

// the output folder is what gateway/routes/console.py serves
export default defineConfig({
  base: BASE,
  plugins: [react(), antdStaticStyles(), projectChunks()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/react') || id.includes('node_modules/scheduler')) return 'react'
          return undefined
        },
      },
    },
  },
})
