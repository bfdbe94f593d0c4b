// The console's antd theme: App.jsx's ConfigProvider and the build's static style extraction
// (vite.config.js) must use the same tokens, or the extracted styles would not match the page's.
export const THEME = { token: { colorPrimary: '#1677ff', borderRadius: 6 } }
