import dayjs from 'dayjs'
import utc from 'dayjs/plugin/utc'
import timezone from 'dayjs/plugin/timezone'

dayjs.extend(utc)
dayjs.extend(timezone)

// the user's time zone (browser), unless the profile chose one
export const userZone = () => localStorage.getItem('console.tz') || dayjs.tz.guess()
export function time(value) {
  if (!value) return '—'
  // the browser's own zone is dayjs's local time: no time-zone conversion per value (the plugin's
  // tz() and guess() cost about a millisecond each, a list page formats dozens)
  const zone = localStorage.getItem('console.tz')
  return (zone ? dayjs(value).tz(zone) : dayjs(value)).format('YYYY-MM-DD HH:mm')
}
const DIGITS = { JPY: 0, KRW: 0 }
export function money(minor, currency = 'CNY', lang = 'zh') {
  if (minor === null || minor === undefined) return '—'
  const digits = DIGITS[currency] ?? 2
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { style: 'currency', currency })
    .format(minor / 10 ** digits)
}
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—'
  const s = Math.abs(Math.round(seconds))
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60)
  return `${seconds < 0 ? '-' : ''}${h}h ${String(m).padStart(2, '0')}m`
}
// the dashboard's saturation bands, as project_svc names them: green < 40 %, blue to 80 %, red above
export const BAND_COLOURS = { green: '#52c41a', blue: '#1677ff', red: '#f5222d' }
export function band(ratio) {
  const name = ratio < 0.4 ? 'green' : ratio <= 0.8 ? 'blue' : 'red'
  return { name, color: BAND_COLOURS[name] }
}
