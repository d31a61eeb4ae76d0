package org.xapijava.server.remotedb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Wire vectors of the remote database protocols, written out by hand from Xapi's marshalling code: the XML of
 * {@code xml-light2 Xml.to_string} over {@code XMLRPC.To} ({@code ocaml/libs/http-lib/xMLRPC.ml}) as
 * {@code db_rpc_common_v1.ml}, {@code db_filter.ml}, {@code db_rpc_client_v1.ml do_remote_call} and
 * {@code db_remote_cache_access_v1.ml success/failure} build it; the JSON of rpclib's {@code ppx_deriving_rpc}
 * over {@code db_rpc_common_v2.ml Request.t / Response.t}. Each vector names the upstream function it follows.
 */
class RemoteDbWireTest {
    private static final String R = "OpaqueRef:5c1b6a4e-9f5e-4b43-8d1e-a3f6a1b7c3d2";

    private static String xml(XmlLight.Node n) {
        return XmlLight.write(n);
    }

    private static XmlLight.Node parse(String s) throws Exception {
        return XmlLight.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Xapi's array: {@code XMLRPC.To.array}. */
    private static String arr(String... items) {
        return items.length == 0
                ? "<value><array><data/></array></value>"
                : "<value><array><data>" + String.join("", items) + "</data></array></value>";
    }

    /** Xapi's string: {@code XMLRPC.To.string} ({@code <value/>} when empty). */
    private static String str(String s) {
        return s.isEmpty() ? "<value/>" : "<value>" + s + "</value>";
    }

    @Test
    void callArrays() {
        // do_remote_call "read_refs" with marshall_read_refs_args (XMLRPC.To.string)
        assertEquals(arr(str("read_refs"), str(""), str("VM")), xml(V1Codec.call("read_refs", V1Codec.string("VM"))));
        // marshall_read_field_args: array of 3 strings (table, field, ref)
        assertEquals(
                arr(str("read_field"), str(""), arr(str("VM"), str("name__label"), str(R))),
                xml(V1Codec.call("read_field", V1Codec.strings("VM", "name__label", R))));
        // marshall_where_rec: [table; return; where_field; where_value]
        assertEquals(
                arr(str("VM"), str("_ref"), str("uuid"), str("u1")),
                xml(V1Codec.where(new WhereRecord("VM", "_ref", "uuid", "u1"))));
        // marshall_create_row_args: [table; [[k; v]...]; ref], an empty value as <value/>
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("name__label", "x");
        kv.put("name__description", "");
        assertEquals(
                arr(str("VM"), arr(arr(str("name__label"), str("x")), arr(str("name__description"), str(""))), str(R)),
                xml(V1Codec.array(V1Codec.string("VM"), V1Codec.pairs(kv), V1Codec.string(R))));
        // marshall_process_structured_field_args: [[k; v]; table; field; ref; op] with marshall_structured_op
        assertEquals(
                arr(arr(str("k"), str("v")), str("VM"), str("other_config"), str(R), str("addmap")),
                xml(V1Codec.array(
                        V1Codec.strings("k", "v"),
                        V1Codec.string("VM"),
                        V1Codec.string("other_config"),
                        V1Codec.string(R),
                        V1Codec.structuredOp(StructuredOp.ADD_MAP))));
    }

    @Test
    void expressions() throws Exception {
        // Db_filter.xml_of_expr / xml_of_val
        DbExpr e = new DbExpr.And(
                DbExpr.eq("uuid", "u1"), new DbExpr.Not(new DbExpr.Or(new DbExpr.True(), new DbExpr.False())));
        String want = arr(
                str("and"),
                arr(str("eq"), arr(str("field"), str("uuid")), arr(str("literal"), str("u1"))),
                arr(str("not"), arr(str("or"), arr(str("true")), arr(str("false")))));
        assertEquals(want, xml(V1Codec.expr(e)));
        // Db_filter.expr_of_xml reads it back
        assertEquals(e, V1Codec.readExpr(parse(want)));
        assertThrows(RemoteDbProtocolException.class, () -> V1Codec.readExpr(parse(arr(str("xor"), arr(str("true"))))));
    }

    @Test
    void answers() throws Exception {
        // DBCacheRemoteListener.success with marshall_get_table_from_ref_response (marshall_stringopt)
        assertEquals(arr(str("success"), arr(str("VM"))), xml(V1Codec.success(V1Codec.stringOpt(Optional.of("VM")))));
        assertEquals(arr(str("success"), arr()), xml(V1Codec.success(V1Codec.stringOpt(Optional.empty()))));
        // marshall_is_valid_ref_response: XMLRPC.To.boolean
        assertEquals(
                arr(str("success"), "<value><boolean>1</boolean></value>"), xml(V1Codec.success(V1Codec.bool(true))));
        // marshall_unit: the empty string
        assertEquals(arr(str("success"), "<value/>"), xml(V1Codec.success(V1Codec.unit())));
        // marshall_read_record_response: [[[k; v]...]; [[field; [ref...]]...]]
        Map<String, String> f = new LinkedHashMap<>();
        f.put("_ref", R);
        f.put("uuid", "u1");
        DbRecord rec = new DbRecord(f, Map.of("VIFs", List.of()));
        String recXml = arr(arr(arr(str("_ref"), str(R)), arr(str("uuid"), str("u1"))), arr(arr(str("VIFs"), arr())));
        assertEquals(recXml, xml(V1Codec.record(rec)));
        // marshall_read_records_where_response: [[ref; record]...]
        assertEquals(arr(arr(str(R), recXml)), xml(V1Codec.records(List.of(Map.entry(R, rec)))));
        assertEquals(rec, V1Codec.readRecord(parse(recXml)));
        // DBCacheRemoteListener.failure "dbcache_notfound" (marshall_3strings (s1, s2, s3))
        assertEquals(
                arr(str("failure"), arr(str("dbcache_notfound"), arr(str("missing row"), str("VM"), str(R)))),
                xml(V1Codec.failure(RemoteDbError.notFound("missing row", "VM", R))));
        // failure "duplicate_key_of" (marshall_4strings (c, f, u, k))
        assertEquals(
                arr(
                        str("failure"),
                        arr(str("duplicate_key_of"), arr(str("VM"), str("other_config"), str(R), str("k")))),
                xml(V1Codec.failure(
                        new RemoteDbError(RemoteDbError.DUPLICATE_KEY_OF, List.of("VM", "other_config", R, "k")))));
    }

    @Test
    void xmlLightPrintingAndParsing() throws Exception {
        // Xml.esc_pcdata: > < & " escaped, ' kept, control characters other than tab/LF/CR dropped
        assertEquals("<value>a&lt;b&amp;&quot;c'&gt;\td</value>", xml(V1Codec.string("a<b&\"c'>\t\u0001d")));
        // Xml.parse_string drops whitespace-only text: Xapi reads a string of blanks as ""
        assertEquals("", V1Codec.readString(parse("<value> \n </value>")));
        // XMLRPC.From.string also takes <string> and <value><string/></value>
        assertEquals("x", V1Codec.readString(parse("<value><string>x</string></value>")));
        assertEquals("", V1Codec.readString(parse("<value><string/></value>")));
        // whitespace between elements is ignored, entities and non-ASCII text are read
        assertEquals(
                List.of("é&", ""),
                V1Codec.readStrings(
                        parse("<value>\n <array> <data>\n<value>é&amp;</value> <value/></data></array></value>")));
        // XMLRPC.From.boolean: anything but "0" is true
        assertEquals(false, V1Codec.readBool(parse("<value><boolean>0</boolean></value>")));
        assertThrows(RemoteDbProtocolException.class, () -> V1Codec.readStrings(parse("<value>x</value>")));
        assertThrows(XmlLight.ParseError.class, () -> parse("<value>"));
        assertThrows(
                XmlLight.ParseError.class,
                () -> parse("<!DOCTYPE v [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><value>&x;</value>"));
    }

    @Test
    void v2Json() throws Exception {
        ObjectMapper m = new ObjectMapper();
        // Request.Find_refs_with_filter of string * Db_filter_types.expr: flat constructor array
        assertEquals(
                "[\"Find_refs_with_filter\",\"VM\",[\"Eq\",[\"Field\",\"uuid\"],[\"Literal\",\"u1\"]]]",
                m.writeValueAsString(V2Codec.constructor(
                        "Find_refs_with_filter", V2Codec.F.textNode("VM"), V2Codec.expr(DbExpr.eq("uuid", "u1")))));
        // Request.Create_row of string * (string * string) list * string: the pair list as an object
        assertEquals(
                "[\"Create_row\",\"VM\",{\"name__label\":\"x\"},\"" + R + "\"]",
                m.writeValueAsString(V2Codec.constructor(
                        "Create_row",
                        V2Codec.F.textNode("VM"),
                        V2Codec.pairs(Map.of("name__label", "x")),
                        V2Codec.F.textNode(R))));
        // Request.Read_field_where of where_record: an object with the record's field names
        assertEquals(
                "{\"table\":\"VM\",\"return\":\"_ref\",\"where_field\":\"uuid\",\"where_value\":\"u1\"}",
                m.writeValueAsString(V2Codec.where(new WhereRecord("VM", "_ref", "uuid", "u1"))));
        // constant constructors are strings; readers ignore letter case (rpclib's lowerfn)
        assertEquals("\"True\"", m.writeValueAsString(V2Codec.expr(new DbExpr.True())));
        assertEquals(new DbExpr.Not(new DbExpr.True()), V2Codec.readExpr(m.readTree("[\"not\",\"TRUE\"]")));

        V2Operations ops = V2Operations.standard(new FixedAccess());
        // Response.Get_table_from_ref of string option: [] or [x]
        assertEquals(
                "[\"Get_table_from_ref\",[\"VM\"]]",
                m.writeValueAsString(ops.process(m.readTree("[\"Get_table_from_ref\",\"" + R + "\"]"))));
        // Response.Create_row of unit: null
        assertEquals(
                "[\"Create_row\",null]",
                m.writeValueAsString(ops.process(m.readTree("[\"Create_row\",\"VM\",{},\"" + R + "\"]"))));
        // Response.Read_record of (string * string) list * (string * string list) list: two arguments
        assertEquals(
                "[\"Read_record\",{\"_ref\":\"" + R + "\"},{\"VIFs\":[]}]",
                m.writeValueAsString(ops.process(m.readTree("[\"Read_record\",\"VM\",\"" + R + "\"]"))));
        // Response.Dbcache_notfound of string * string * string
        assertEquals(
                "[\"Dbcache_notfound\",\"missing row\",\"VM\",\"gone\"]",
                m.writeValueAsString(ops.process(m.readTree("[\"Delete_row\",\"VM\",\"gone\"]"))));
    }

    @Test
    void v1ProcessAnswersFailuresAndRefusesUnknownFunctions() throws Exception {
        V1Operations ops = V1Operations.standard(new FixedAccess());
        assertEquals(
                arr(str("failure"), arr(str("dbcache_notfound"), arr(str("missing row"), str("VM"), str("gone")))),
                xml(ops.process(parse(arr(str("delete_row"), str(""), arr(str("VM"), str("gone")))))));
        assertThrows(
                V1Operations.UnknownFunction.class,
                () -> ops.process(parse(arr(str("drop_table"), str(""), str("VM")))));
        assertThrows(
                RemoteDbProtocolException.class, () -> ops.process(parse(arr(str("read_field"), str(""), str("VM")))));
    }

    /** A fixed database: one VM row {@link #R}; deleting anything else fails as Xapi does. */
    private static final class FixedAccess implements RemoteDbAccess {
        @Override
        public Optional<String> getTableFromRef(String ref) {
            return ref.equals(R) ? Optional.of("VM") : Optional.empty();
        }

        @Override
        public boolean isValidRef(String ref) {
            return ref.equals(R);
        }

        @Override
        public List<String> readRefs(String table) {
            return List.of(R);
        }

        @Override
        public List<String> readFieldWhere(WhereRecord where) {
            return List.of();
        }

        @Override
        public String dbGetByUuid(String table, String uuid) {
            return R;
        }

        @Override
        public Optional<String> dbGetByUuidOpt(String table, String uuid) {
            return Optional.empty();
        }

        @Override
        public List<String> dbGetByNameLabel(String table, String label) {
            return List.of();
        }

        @Override
        public void createRow(String table, Map<String, String> columns, String ref) {}

        @Override
        public void deleteRow(String table, String ref) {
            throw RemoteDbError.notFound("missing row", table, ref);
        }

        @Override
        public void writeField(String table, String ref, String column, String value) {}

        @Override
        public String readField(String table, String column, String ref) {
            return "";
        }

        @Override
        public List<String> findRefsWithFilter(String table, DbExpr expr) {
            return List.of();
        }

        @Override
        public DbRecord readRecord(String table, String ref) {
            return new DbRecord(Map.of("_ref", ref), Map.of("VIFs", List.of()));
        }

        @Override
        public List<Map.Entry<String, DbRecord>> readRecordsWhere(String table, DbExpr expr) {
            return List.of();
        }

        @Override
        public void processStructuredField(
                String key, String value, String table, String column, String ref, StructuredOp op) {}
    }
}
