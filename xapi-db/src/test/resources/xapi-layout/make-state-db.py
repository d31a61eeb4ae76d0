#!/usr/bin/env python3
"""Writes state.db, a database file in Xapi's on-disk layout, for XapiLayoutLoadTest.

Independent of the project's Java writer: it follows the format rules (xapi-core.md 8.2) directly.
Every persistent table of the datamodel is present (non-persistent ones empty), every persistent
column of a row is written except one-to-many back-pointers (Xapi recomputes those), plus what a
newer Xapi writes: a table (VM_group) and a column (VM.groups) of later releases.
Usage: make-state-db.py datamodel.json > state.db
"""
import json, sys

dm = json.load(open(sys.argv[1]))
classes = {c['name']: c for c in dm['classes']}
backptr = {(r['bClass'], r['bField']) for r in dm['relations'] if r['kind'] == 'ONE_TO_MANY'}

def q(s):
    return "'" + s.replace('\\', '\\\\').replace("'", "\\'") + "'"

def dbstr(t, v):
    if t.endswith(' set'):
        return '(' + ' '.join(q(dbstr(t[:-4], x)) for x in v) + ')'
    if t.endswith(' map'):
        inner = t[1:t.rindex(')')]
        k, vt = inner.split(' -> ', 1)
        return '(' + ' '.join('(' + q(dbstr(k, a)) + ' ' + q(dbstr(vt, b)) + ')' for a, b in v.items()) + ')'
    if t == 'bool':
        return 'true' if v else 'false'
    if t == 'float':
        return '%.18g' % v
    return str(v)

enums = {e['name']: [v['name'] for v in e['values']] for e in dm['enums']}

def empty(t):
    if t.startswith('enum ') and ' ' not in t[5:]: return enums[t[5:]][0]
    if t.endswith(' set'): return []
    if t.endswith(' map'): return {}
    if t.endswith(' ref'): return 'OpaqueRef:NULL'
    return {'int': 0, 'float': 0.0, 'bool': False, 'datetime': '19700101T00:00:00Z'}.get(t, '')

def protect(s):  # Xml_spaces, then Xmlm attribute escaping
    out = []
    for ch in s:
        out.append({'%': '%%', ' ': '%.', '\t': '%t', '\n': '%n', '\r': '%r'}.get(ch, ch))
    s = ''.join(out)
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')

rows = {}   # class -> list of (ref, ctime, mtime, {field: value})
def row(cls, ref, ctime, mtime, **vals):
    rows.setdefault(cls, []).append((ref, ctime, mtime, vals))

H, P, S, V1, V2, D1, D2, B1, B2, N, VIF = ['OpaqueRef:%08d-0000-4000-8000-%012d' % (i, i) for i in range(1, 12)]
row('host', H, 2, 40, uuid='7c1b4e2e-1111-4aaa-8bbb-000000000001', name_label='xcp-host 1',
    name_description='the "first" host <main> & more', hostname='host1', address='10.0.0.1',
    other_config={'folder': '/racks/a b', 'agent_start_time': '1716300000.'}, enabled=True)
row('pool', P, 3, 3, uuid='7c1b4e2e-2222-4aaa-8bbb-000000000002', name_label='', master=H,
    other_config={'memory-ratio-hvm': '0.25'})
row('SR', S, 4, 4, uuid='7c1b4e2e-3333-4aaa-8bbb-000000000003', name_label='Local storage', type='ext',
    content_type='user', physical_size=536870912000, shared=False, other_config={'i18n-key': 'local-storage'})
row('VDI', D1, 5, 5, uuid='7c1b4e2e-4444-4aaa-8bbb-000000000004', name_label='disk 0', SR=S,
    virtual_size=10737418240, type='user', sharable=False)
row('VDI', D2, 6, 6, uuid='7c1b4e2e-5555-4aaa-8bbb-000000000005', name_label='disk\t1\nsecond line', SR=S,
    virtual_size=1073741824, type='user', sharable=False, sm_config={'vdi_type': 'vhd'})
row('VM', V1, 7, 30, uuid='7c1b4e2e-6666-4aaa-8bbb-000000000006', name_label='Debian 12 (100% ready)',
    name_description="it's a VM", power_state='Halted', is_a_template=False, memory_static_max=2147483648,
    memory_dynamic_max=2147483648, memory_dynamic_min=1073741824, memory_static_min=536870912,
    VCPUs_max=2, VCPUs_at_startup=2, HVM_boot_policy='BIOS order', HVM_boot_params={'order': 'cd'},
    platform={'acpi': '1', 'apic': 'true'}, other_config={'base_template_name': 'Debian Bookworm 12', 'XenCenter.CustomFields.owner': 'ops'},
    tags=['web', 'prod'], affinity=H, blocked_operations={'destroy': 'protected'}, user_version=1)
row('VM', V2, 8, 8, uuid='7c1b4e2e-7777-4aaa-8bbb-000000000007', name_label='Control domain on host: host1',
    power_state='Running', is_control_domain=True, resident_on=H, domid=0, memory_static_max=4294967296)
row('VBD', B1, 9, 9, uuid='7c1b4e2e-8888-4aaa-8bbb-000000000008', VM=V1, VDI=D1, userdevice='0', bootable=True,
    mode='RW', type='Disk')
row('VBD', B2, 10, 10, uuid='7c1b4e2e-9999-4aaa-8bbb-000000000009', VM=V1, VDI=D2, userdevice='1', bootable=False,
    mode='RO', type='Disk')
row('network', N, 11, 11, uuid='7c1b4e2e-aaaa-4aaa-8bbb-00000000000a', name_label='Pool-wide network associated with eth0',
    bridge='xenbr0', MTU=1500)
row('VIF', VIF, 12, 12, uuid='7c1b4e2e-bbbb-4aaa-8bbb-00000000000b', VM=V1, network=N, device='0', MAC='aa:bb:cc:dd:ee:ff', MTU=1500)

later_tables = set(dm.get('laterTables', []))
table_names = sorted(set(classes) | later_tables, key=lambda s: s.encode())
out = ['<database><manifest><pair key="schema_major_vsn" value="%d"/><pair key="schema_minor_vsn" value="%d"/><pair key="generation_count" value="41"/></manifest>'
       % (dm['schemaVersion']['major'], dm['schemaVersion']['minor'])]
for t in table_names:
    c = classes.get(t)
    if c is None or not c['persistent'] or t not in rows:
        out.append('<table name="%s"/>' % t)
        continue
    out.append('<table name="%s">' % t)
    for ref, ct, mt, vals in sorted(rows[t], key=lambda r: r[0].encode()):
        cols = {'_ref': ref}
        for f in c['fields']:
            if f['lifecycle'] == 'removed' or not f['persist'] or (t, f['name']) in backptr:
                continue
            v = vals.get(f['name'], f.get('default', empty(f['type'])))
            cols[f['column']] = dbstr(f['type'], v)
        if t == 'VM':
            cols['groups'] = '()'   # a column of a later Xapi release (VM_group)
        attrs = ''.join(' %s="%s"' % (k, protect(cols[k])) for k in sorted(cols, key=lambda s: s.encode()))
        out.append('<row ref="%s" __ctime="%d" __mtime="%d"%s/>' % (ref, ct, mt, attrs))
    out.append('</table>')
out.append('</database>')
sys.stdout.write('<?xml version="1.0" encoding="UTF-8"?>\n' + ''.join(out))
