package org.xapijava.server.remotedb;

import static org.xapijava.server.remotedb.V2Codec.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests the master answers on {@code /remote_db_access_v2} (Xapi's {@code process_rpc} in
 * {@code db_remote_cache_access_v2.ml}): a request {@code ["Read_refs", "VM"]} is answered by the response
 * constructor of the same name ({@code ["Read_refs", [...]]}), a {@link RemoteDbError} by its constructor
 * ({@code ["Dbcache_notfound", "missing row", "VM", ref]}). {@link #standard} binds Xapi's fifteen requests;
 * {@link #register} adds more. Thread-safe.
 */
public final class V2Operations {

    /** One request: its arguments (after the name) to the response's single argument. */
    @FunctionalInterface
    interface Operation {
        JsonNode apply(List<JsonNode> args);
    }

    private record Entry(String name, int arity, Operation op) {}

    private final Map<String, Entry> ops = new ConcurrentHashMap<>();

    public static V2Operations standard(RemoteDbAccess db) {
        V2Operations o = new V2Operations();
        JsonNode unit = NullNode.getInstance();
        o.register("Get_table_from_ref", 1, a -> stringOpt(db.getTableFromRef(readString(a.get(0)))));
        o.register("Is_valid_ref", 1, a -> F.booleanNode(db.isValidRef(readString(a.get(0)))));
        o.register("Read_refs", 1, a -> strings(db.readRefs(readString(a.get(0)))));
        o.register(
                "Find_refs_with_filter",
                2,
                a -> strings(db.findRefsWithFilter(readString(a.get(0)), readExpr(a.get(1)))));
        o.register("Read_field_where", 1, a -> strings(db.readFieldWhere(readWhere(a.get(0)))));
        o.register("Db_get_by_uuid", 2, a -> F.textNode(db.dbGetByUuid(readString(a.get(0)), readString(a.get(1)))));
        o.register(
                "Db_get_by_uuid_opt", 2, a -> stringOpt(db.dbGetByUuidOpt(readString(a.get(0)), readString(a.get(1)))));
        o.register(
                "Db_get_by_name_label",
                2,
                a -> strings(db.dbGetByNameLabel(readString(a.get(0)), readString(a.get(1)))));
        o.register("Create_row", 3, a -> {
            db.createRow(readString(a.get(0)), readPairs(a.get(1)), readString(a.get(2)));
            return unit;
        });
        o.register("Delete_row", 2, a -> {
            db.deleteRow(readString(a.get(0)), readString(a.get(1)));
            return unit;
        });
        o.register("Write_field", 4, a -> {
            db.writeField(readString(a.get(0)), readString(a.get(1)), readString(a.get(2)), readString(a.get(3)));
            return unit;
        });
        o.register(
                "Read_field",
                3,
                a -> F.textNode(db.readField(readString(a.get(0)), readString(a.get(1)), readString(a.get(2)))));
        o.register("Read_record", 2, a -> record(db.readRecord(readString(a.get(0)), readString(a.get(1)))));
        o.register(
                "Read_records_where", 2, a -> records(db.readRecordsWhere(readString(a.get(0)), readExpr(a.get(1)))));
        o.register("Process_structured_field", 5, a -> {
            List<String> kv = readStrings(a.get(0));
            if (kv.size() != 2) throw bad("a pair", a.get(0));
            StructuredOp op = StructuredOp.ofV2(readString(a.get(4)));
            if (op == null) throw bad("a structured op", a.get(4));
            db.processStructuredField(
                    kv.get(0), kv.get(1), readString(a.get(1)), readString(a.get(2)), readString(a.get(3)), op);
            return unit;
        });
        return o;
    }

    /** Adds (or replaces) request {@code name} (its response has the same name) of {@code arity} arguments. */
    void register(String name, int arity, Operation op) {
        ops.put(lower(name), new Entry(name, arity, op));
    }

    /**
     * Answers one request.
     *
     * @throws RemoteDbProtocolException when the request names no registered constructor or its arguments do not fit
     */
    JsonNode process(JsonNode request) {
        List<JsonNode> l = constructorArgs(request);
        Entry e = ops.get(lower(l.get(0).textValue()));
        if (e == null) throw bad("a request", request);
        if (l.size() != e.arity() + 1) throw bad(e.arity() + " arguments of " + e.name(), request);
        JsonNode result;
        try {
            result = e.op().apply(l.subList(1, l.size()));
        } catch (RemoteDbError x) {
            ArrayNode a = F.arrayNode().add(x.v2Name());
            x.params().forEach(a::add);
            return a;
        }
        return e.name().equals("Read_record")
                ? F.arrayNode().add(e.name()).add(result.get(0)).add(result.get(1))
                : constructor(e.name(), result);
    }
}
