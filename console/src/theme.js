// The console's antd theme: App.jsx's ConfigProvider and the build's static style extraction
// (vite.config.js) must use the same tokens, or the extracted styles would not match the page's.
export const THEME = { token: { colorPrimary: '#1677ff', borderRadius: 6 } }

// A user who asked the system for less motion (prefers-reduced-motion) gets dialogs, menus and
// lists that appear and go at once (antd's motion token off). Those styles are generated in the
// browser: the build extracts only the default theme's.
export function themeFor(win = typeof window === 'undefined' ? null : window) {
  const reduced = Boolean(win && win.matchMedia && win.matchMedia('(prefers-reduced-motion: reduce)').matches)
  return reduced ? { ...THEME, token: { ...THEME.token, motion: false } } : THEME
}
