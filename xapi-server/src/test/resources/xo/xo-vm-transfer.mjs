// Exports a VM and imports it back with Xen Orchestra's own client (npm xen-api), as @xen-orchestra/xapi's
// VM_export / VM_import do: getResource('/export/', { ref, use_compression }) with a task, then
// putResource(stream, '/import/', { sr_id }) with a task (its empty probe PUT first), the new VM's ref read from
// the task's result as VM_import reads it.
// Usage: node xo-vm-transfer.mjs URL USER PASSWORD TRANSPORT VM SR COMPRESSION  (prints one JSON line)
import { createClient } from 'xen-api'
import { Readable } from 'node:stream'

const [url, user, password, transport, vm, sr, compression] = process.argv.slice(2)
const xapi = createClient({ url, auth: { user, password }, transport, allowUnauthorized: true, watchEvents: true })
const out = { transport }
const deadline = setTimeout(() => {
  console.log(JSON.stringify({ ...out, error: 'timeout' }))
  process.exit(3)
}, 90000)

try {
  await xapi.connect()
  await xapi.objectsFetched
  const response = await xapi.getResource('/export/', { query: { ref: vm, use_compression: compression }, task: true })
  const chunks = []
  for await (const chunk of response.body) chunks.push(chunk)
  await response.task
  const xva = Buffer.concat(chunks)
  out.xvaBytes = xva.length
  out.head = xva.subarray(0, 4).toString('hex')
  const stream = Readable.from([xva])
  stream.length = xva.length
  const result = await xapi.putResource(stream, '/import/', { query: { sr_id: sr }, task: true })
  // VM_import: const [vmRef] = result
  out.imported = Array.isArray(result) ? result : String(result)
  await xapi.disconnect()
  console.log(JSON.stringify(out))
  clearTimeout(deadline)
  process.exit(0)
} catch (e) {
  console.log(JSON.stringify({ ...out, error: String(e && e.stack || e) }))
  process.exit(2)
}
