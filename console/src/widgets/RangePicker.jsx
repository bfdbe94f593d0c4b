// The date-range picker itself, in a chunk of its own: see LazyRangePicker.jsx.
import { DatePicker } from 'antd'

export default DatePicker.RangePicker
