// Moves a disk's content with Xen Orchestra's own client (npm xen-api), as @xen-orchestra/xapi's
// VDI_exportContent / VDI_importContent do: getResource('/export_raw_vdi/') and putResource('/import_raw_vdi/')
// with a task each, followed through event.from. The VHD export of one VDI is imported into another (a stream
// with a known length: xen-api first sends its empty probe PUT), then both are read back raw and compared.
// Usage: node xo-transfer.mjs URL USER PASSWORD TRANSPORT SOURCE_VDI TARGET_VDI  (prints one JSON line)
import { createClient } from 'xen-api'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'

const [url, user, password, transport, source, target] = process.argv.slice(2)
const xapi = createClient({ url, auth: { user, password }, transport, allowUnauthorized: true, watchEvents: true })
const out = { transport }
const deadline = setTimeout(() => {
  console.log(JSON.stringify({ ...out, error: 'timeout' }))
  process.exit(3)
}, 60000)

async function download (vdi, format) {
  const response = await xapi.getResource('/export_raw_vdi/', { query: { format, vdi }, task: true })
  const chunks = []
  for await (const chunk of response.body) chunks.push(chunk)
  const result = await response.task
  return { data: Buffer.concat(chunks), result }
}

try {
  await xapi.connect()
  await xapi.objectsFetched
  const vhd = await download(source, 'vhd')
  out.vhdBytes = vhd.data.length
  out.vhdCookie = vhd.data.subarray(0, 8).toString('latin1')
  const stream = Readable.from([vhd.data])
  stream.length = vhd.data.length
  // putResource answers the task's result once the upload is through
  out.importResult = String(await xapi.putResource(stream, '/import_raw_vdi/', { query: { format: 'vhd', vdi: target }, task: true }))
  const a = await download(source, 'raw')
  const b = await download(target, 'raw')
  out.rawBytes = a.data.length
  out.same = createHash('sha256').update(a.data).digest('hex') === createHash('sha256').update(b.data).digest('hex')
  await xapi.disconnect()
  console.log(JSON.stringify(out))
  clearTimeout(deadline)
  process.exit(0)
} catch (e) {
  console.log(JSON.stringify({ ...out, error: String(e && e.stack || e) }))
  process.exit(2)
}
