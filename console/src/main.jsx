import React from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.jsx'
import 'virtual:antd-styles.css'

createRoot(document.getElementById('root')).render(<App />)
