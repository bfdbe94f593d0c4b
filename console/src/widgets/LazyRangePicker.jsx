import React, { Suspense, lazy, useState } from 'react'
import { Input } from 'antd'
import { useT } from '../i18n.js'

const load = () => import('./RangePicker.jsx')
const RangePicker = lazy(load)

// A date-range filter whose picker loads when the user first reaches for it, not with the page:
// the picker is ~100 KiB of script and its first "now" in the user's time zone loads the zone's
// data, together about 70 ms of the project list's cold start. Until then it is a
// read-only box of the same size; pointing at it fetches the chunk, focusing it opens the picker.
// It takes what a Form.Item gives (value, onChange, id) and passes it on.
export default function LazyRangePicker({ value, onChange, id, style, ...rest }) {
  const { t } = useT()
  const [wanted, setWanted] = useState(Boolean(value))
  const width = { width: 256, ...style }
  const placeholder = `${t('startDate')} → ${t('endDate')}`
  const standIn = (props) => <Input id={id} readOnly placeholder={placeholder} style={width} {...props} />
  if (!wanted) {
    return standIn({ onMouseEnter: load, onFocus: () => setWanted(true), onClick: () => setWanted(true),
      'data-range-stand-in': true })
  }
  return (
    <Suspense fallback={standIn({ disabled: true })}>
      <RangePicker id={id} value={value} onChange={onChange} style={width} autoFocus defaultOpen={!value} {...rest} />
    </Suspense>
  )
}
