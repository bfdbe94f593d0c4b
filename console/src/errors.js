import { ApiError } from './api.js'

// Put the API's field messages beside the fields they name; whatever names no field of this
// form is returned so the page can show it above the form.
export function showErrors(form, err, known = []) {
  if (!(err instanceof ApiError)) return err.message || String(err)
  const rest = []
  const fields = []
  Object.entries(err.fields || {}).forEach(([path, msgs]) => {
    const name = path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    const messages = Array.isArray(msgs) ? msgs : [String(msgs)]
    if (known.length === 0 || known.includes(path) || known.includes(name[0])) fields.push({ name, errors: messages })
    else rest.push(`${path}: ${messages.join(' ')}`)
  })
  if (form && fields.length) form.setFields(fields)
  return fields.length && !rest.length ? null : [err.message, ...rest].join(' — ')
}
