package org.xapijava.cli.server;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.Resolver;
import org.xapijava.model.Datamodel;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Unmarshal;
import org.xapijava.model.types.XType;

/**
 * Records for one command: objects fetched through the XenAPI with the command's session, references resolved by
 * the host's reference index (as Xapi's {@code Ref_index}), other objects' records fetched once each.
 */
final class ApiResolver implements Resolver {
    private final XenApi api;
    private final CliHost host;
    private final Map<String, CliHost.RefInfo> refs = new HashMap<>();
    private final Map<String, Map<String, Object>> records = new HashMap<>();

    ApiResolver(XenApi api, CliHost host) {
        this.api = api;
        this.host = host;
    }

    @Override
    public String uuidOf(String ref) {
        CliHost.RefInfo r = info(ref);
        return r == null ? null : r.uuid();
    }

    @Override
    public String nameOf(String ref) {
        CliHost.RefInfo r = info(ref);
        return r == null ? null : r.nameLabel();
    }

    private CliHost.RefInfo info(String ref) {
        return refs.computeIfAbsent(ref, host::lookupRef);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, Object> record(String cls, String ref) {
        if (records.containsKey(ref)) return records.get(ref);
        Map<String, Object> r;
        try {
            r = (Map<String, Object>) Unmarshal.fromRpc(
                    new XType.RecordType(cls),
                    api.transport().call(cls + ".get_record", List.of(api.sessionRef(), ref)));
        } catch (ApiError e) {
            if (!e.code().equals("HANDLE_INVALID")) throw e;
            r = null;
        }
        records.put(ref, r);
        return r;
    }

    @Override
    public XenApi api() {
        return api;
    }

    /** Every object of the record's class that {@code where} selects, in the server's order. */
    @SuppressWarnings("unchecked")
    List<ObjectRecord> all(RecordSpec spec, String where) {
        String cls = spec.apiClass();
        XType t = new XType.MapType(new XType.RefType(cls), new XType.RecordType(cls));
        // get_all_records_where is not in the published datamodel: Xapi generates it for every class (as the server)
        Object rpc = Datamodel.get().message(cls + ".get_all_records_where") != null || !where.equals("true")
                ? api.transport().call(cls + ".get_all_records_where", List.of(api.sessionRef(), where))
                : api.transport().call(cls + ".get_all_records", List.of(api.sessionRef()));
        Map<String, Map<String, Object>> all = (Map<String, Map<String, Object>>) Unmarshal.fromRpc(t, rpc);
        return all.entrySet().stream()
                .map(e -> new ObjectRecord(spec, e.getKey(), e.getValue(), this))
                .toList();
    }

    /** The object of that uuid ({@code get_by_uuid}, then its record). */
    ObjectRecord byUuid(RecordSpec spec, String uuid) {
        String cls = spec.apiClass();
        String ref = (String) api.transport().call(cls + ".get_by_uuid", List.of(api.sessionRef(), uuid));
        return of(spec, ref);
    }

    /** The object {@code ref} names. */
    ObjectRecord of(RecordSpec spec, String ref) {
        Map<String, Object> r = record(spec.apiClass(), ref);
        if (r == null) throw ApiError.handleInvalid(spec.apiClass(), ref);
        return new ObjectRecord(spec, ref, r, this);
    }
}
