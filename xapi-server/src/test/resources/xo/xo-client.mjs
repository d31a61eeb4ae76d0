// Drives a host with Xen Orchestra's own client (npm xen-api), as xo-server does:
// connect (login, pool.get_all_records, system.listMethods), the event loop (event.inject,
// <T>.get_all_records, event.from), a barrier, and an async call followed through task events.
// Usage: node xo-client.mjs URL USER PASSWORD TRANSPORT   (prints one JSON line with what it saw)
import { createClient } from 'xen-api'

const [url, user, password, transport] = process.argv.slice(2)
const xapi = createClient({ url, auth: { user, password }, transport, allowUnauthorized: true, watchEvents: true })
const out = { transport }
const deadline = setTimeout(() => {
  console.log(JSON.stringify({ ...out, error: 'timeout' }))
  process.exit(3)
}, 60000)
try {
  await xapi.connect()
  out.connected = xapi.status
  await xapi.objectsFetched
  const objects = Object.values(xapi.objects.all)
  out.pools = objects.filter(o => o.$type === 'pool').length
  out.hosts = objects.filter(o => o.$type === 'host').length
  out.templates = objects.filter(o => o.$type === 'VM' && o.is_a_template).length
  out.types = [...new Set(objects.map(o => o.$type))].sort()
  await xapi.barrier()
  out.barrier = true
  const net = await xapi.callAsync('network.create', { name_label: 'xo-net', name_description: '', other_config: {} })
  out.asyncResult = String(net)
  const rec = await xapi.call('network.get_record', net)
  out.asyncName = rec.name_label
  try {
    await xapi.call('VM.get_record', 'OpaqueRef:nope')
  } catch (e) {
    out.errorCode = e.code
    out.errorParams = e.params
  }
  await xapi.disconnect()
  console.log(JSON.stringify(out))
  clearTimeout(deadline)
  process.exit(0)
} catch (e) {
  console.log(JSON.stringify({ ...out, error: String(e && e.stack || e) }))
  process.exit(2)
}
