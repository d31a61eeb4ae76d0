package org.xapijava.server.remotedb;

import static org.xapijava.server.remotedb.V1Codec.*;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.server.remotedb.XmlLight.Node;

/**
 * The functions the master answers on {@code /remote_db_access} (Xapi's {@code DBCacheRemoteListener.process_xmlrpc}
 * in {@code db_remote_cache_access_v1.ml}), by name: each {@link Operation} reads its {@code args} and returns its
 * result, both as Xapi marshals them ({@link V1Codec}). {@link #standard} binds Xapi's fifteen functions to a
 * {@link RemoteDbAccess}; {@link #register} adds more (this project's extension calls), which the member's
 * {@link RemoteDbClient#call} reaches. Thread-safe.
 */
public final class V1Operations {

    /** One function: its arguments to its result; throws {@link RemoteDbError} for the protocol's failures. */
    @FunctionalInterface
    interface Operation {
        Node apply(Node args);
    }

    /** The function name is not registered ({@code DBCacheListenerUnknownMessageName}). */
    static final class UnknownFunction extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnknownFunction(String name) {
            super(
                    "Db_remote_cache_access_v1.DBCacheRemoteListener.DBCacheListenerUnknownMessageName(\"" + name
                            + "\")",
                    null,
                    false,
                    false);
        }
    }

    private final Map<String, Operation> ops = new ConcurrentHashMap<>();

    /** Xapi's functions, on {@code db}. */
    public static V1Operations standard(RemoteDbAccess db) {
        V1Operations o = new V1Operations();
        o.register("get_table_from_ref", a -> stringOpt(db.getTableFromRef(readString(a))));
        o.register("is_valid_ref", a -> bool(db.isValidRef(readString(a))));
        o.register("read_refs", a -> strings(db.readRefs(readString(a))));
        o.register("read_field_where", a -> strings(db.readFieldWhere(readWhere(a))));
        o.register("create_row", a -> {
            List<Node> l = tuple(a, 3);
            db.createRow(readString(l.get(0)), readPairs(l.get(1)), readString(l.get(2)));
            return unit();
        });
        o.register("delete_row", a -> {
            List<String> l = readStrings(a, 2);
            db.deleteRow(l.get(0), l.get(1));
            return unit();
        });
        o.register("write_field", a -> {
            List<String> l = readStrings(a, 4);
            db.writeField(l.get(0), l.get(1), l.get(2), l.get(3));
            return unit();
        });
        o.register("read_field", a -> {
            List<String> l = readStrings(a, 3);
            return string(db.readField(l.get(0), l.get(1), l.get(2)));
        });
        o.register("find_refs_with_filter", a -> {
            List<Node> l = tuple(a, 2);
            return strings(db.findRefsWithFilter(readString(l.get(0)), readExpr(l.get(1))));
        });
        o.register("process_structured_field", a -> {
            List<Node> l = tuple(a, 5);
            List<String> kv = readStrings(l.get(0), 2);
            db.processStructuredField(
                    kv.get(0),
                    kv.get(1),
                    readString(l.get(1)),
                    readString(l.get(2)),
                    readString(l.get(3)),
                    readStructuredOp(l.get(4)));
            return unit();
        });
        o.register("read_record", a -> {
            List<String> l = readStrings(a, 2);
            return record(db.readRecord(l.get(0), l.get(1)));
        });
        o.register("read_records_where", a -> {
            List<Node> l = tuple(a, 2);
            return records(db.readRecordsWhere(readString(l.get(0)), readExpr(l.get(1))));
        });
        o.register("db_get_by_uuid", a -> {
            List<String> l = readStrings(a, 2);
            return string(db.dbGetByUuid(l.get(0), l.get(1)));
        });
        o.register("db_get_by_uuid_opt", a -> {
            List<String> l = readStrings(a, 2);
            return stringOpt(db.dbGetByUuidOpt(l.get(0), l.get(1)));
        });
        o.register("db_get_by_name_label", a -> {
            List<String> l = readStrings(a, 2);
            return strings(db.dbGetByNameLabel(l.get(0), l.get(1)));
        });
        return o;
    }

    /**
     * Adds (or replaces) function {@code name}.
     */
    void register(String name, Operation op) {
        ops.put(name, op);
    }

    /** The registered names. */
    public java.util.Set<String> names() {
        return java.util.Set.copyOf(ops.keySet());
    }

    /**
     * Answers one request body: {@code ["success", result]}, or {@code ["failure", [exn, params]]} for a
     * {@link RemoteDbError}. Anything else escapes (Xapi re-raises it: the handler answers HTTP 500).
     *
     * @throws RemoteDbProtocolException when the request is not {@code [fn_name, _, args]} or the args do not fit the function
     * @throws UnknownFunction when no function has the name
     */
    Node process(Node request) {
        List<Node> call = readArray(request);
        if (call.size() != 3) throw new RemoteDbProtocolException("DBCacheListenerInvalidMessageReceived");
        String fn = readString(call.get(0));
        Operation op = ops.get(fn);
        if (op == null) throw new UnknownFunction(fn);
        try {
            return success(op.apply(call.get(2)));
        } catch (RemoteDbError e) {
            return failure(e);
        }
    }
}
