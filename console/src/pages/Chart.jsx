import React, { useEffect, useRef } from 'react'
import * as echarts from 'echarts/core'
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

// only the chart kinds the console draws: keeps the echarts chunk small
echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

export default function Chart({ option, height = 280, testId }) {
  const ref = useRef(null)
  useEffect(() => {
    const chart = echarts.init(ref.current)
    chart.setOption(option)
    const resize = () => chart.resize()
    window.addEventListener('resize', resize)
    return () => { window.removeEventListener('resize', resize); chart.dispose() }
  }, [JSON.stringify(option)]) // eslint-disable-line
  return <div ref={ref} style={{ height, width: '100%' }} data-testid={testId} />
}
