// Watches a pool's master with Xen Orchestra's own client (npm xen-api) while a member changes a VM's state:
// the VM is started on the member, migrated live to the master and shut down, each call made asynchronously
// through the master, each new state awaited in the client's object cache, which only event.from fills.
// Usage: node xo-pool.mjs URL USER PASSWORD TRANSPORT VM_REF MEMBER_REF MASTER_REF
//        (prints one JSON line with what it saw)
import { createClient } from 'xen-api'

const [url, user, password, transport, vm, member, master] = process.argv.slice(2)
const xapi = createClient({ url, auth: { user, password }, transport, allowUnauthorized: true, watchEvents: true })
const out = { transport, seen: [] }
const deadline = setTimeout(() => {
  console.log(JSON.stringify({ ...out, error: 'timeout' }))
  process.exit(3)
}, 60000)

// waits until the cached record of ref (kept by the event loop) satisfies done; returns the wait in ms
async function cached (ref, done) {
  const start = Date.now()
  for (;;) {
    const o = xapi.getObjectByRef(ref, undefined)
    if (o !== undefined && done(o)) return Date.now() - start
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

async function step (name, method, args, done) {
  await xapi.callAsync(method, ...args)
  const ms = await cached(vm, done)
  const o = xapi.getObjectByRef(vm)
  out.seen.push({ step: name, power_state: o.power_state, resident_on: o.resident_on, ms })
}

try {
  await xapi.connect()
  out.connected = xapi.status
  await xapi.objectsFetched
  const objects = Object.values(xapi.objects.all)
  out.hosts = objects.filter(o => o.$type === 'host').map(o => o.address).sort()
  out.liveHosts = objects.filter(o => o.$type === 'host_metrics' && o.live).length
  await step('start_on member', 'VM.start_on', [vm, member, false, false],
    o => o.power_state === 'Running' && o.resident_on === member)
  await step('pool_migrate to master', 'VM.pool_migrate', [vm, master, { live: 'true' }],
    o => o.power_state === 'Running' && o.resident_on === master)
  await step('hard_shutdown', 'VM.hard_shutdown', [vm],
    o => o.power_state === 'Halted' && o.resident_on === 'OpaqueRef:NULL')
  await xapi.disconnect()
  console.log(JSON.stringify(out))
  clearTimeout(deadline)
  process.exit(0)
} catch (e) {
  console.log(JSON.stringify({ ...out, error: String(e && e.stack || e) }))
  process.exit(2)
}
