package org.xapijava.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.xapijava.db.Database;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.jsonrpc.JsonRpcId;
import org.xapijava.model.jsonrpc.JsonRpcLimits;
import org.xapijava.model.jsonrpc.JsonRpcVersion;
import org.xapijava.model.types.DateTime;

/**
 * JSON-RPC, the 10,000-VM {@code VM.get_all_records} response: encode with {@link JsonRpcCodec#writeSuccess}
 * vs Jackson's {@link ObjectMapper} writing the same envelope and tree; decode our bytes with
 * {@link JsonRpcCodec#parseResponse} (strict UTF-8 check, limits, Yojson rules) vs
 * {@code ObjectMapper.readValue(bytes, Object.class)}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class JsonRpcBench {
    final JsonRpcCodec codec = new JsonRpcCodec(JsonRpcLimits.RESPONSE);
    final ObjectMapper mapper = new ObjectMapper();
    Object value;
    Map<String, Object> jacksonEnvelope;
    byte[] ourBytes;

    @Setup
    public void setUp() throws Exception {
        Database db = VmFixture.inMemory(VmFixture.DEFAULT_VMS);
        value = VmFixture.allRecordsRpc(db);
        jacksonEnvelope = new LinkedHashMap<>();
        jacksonEnvelope.put("jsonrpc", "2.0");
        jacksonEnvelope.put("result", datesAsStrings(value)); // the codec writes a DateTime as its wire string
        jacksonEnvelope.put("id", 1L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.writeSuccess(out, JsonRpcVersion.V2, JsonRpcId.of(1), value);
        ourBytes = out.toByteArray();
        byte[] jackson = mapper.writeValueAsBytes(jacksonEnvelope);
        if (!codec.parseResponse(ourBytes).success()
                || mapper.readValue(ourBytes, Map.class).size() != 3) {
            throw new IllegalStateException("fixture does not round-trip");
        }
        System.err.printf(
                "%n[fixture] JSON get_all_records of %d VMs: ours %d bytes, Jackson %d bytes%n",
                VmFixture.DEFAULT_VMS, ourBytes.length, jackson.length);
    }

    static Object datesAsStrings(Object v) {
        return switch (v) {
            case DateTime d -> d.toString();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>(m.size() * 4 / 3 + 1);
                m.forEach((k, x) -> out.put((String) k, datesAsStrings(x)));
                yield out;
            }
            case java.util.List<?> l ->
                l.stream().map(JsonRpcBench::datesAsStrings).toList();
            default -> v;
        };
    }

    @Benchmark
    public long encodeAll_ours(Bytes b) throws Exception {
        CountingSink s = new CountingSink();
        codec.writeSuccess(s, JsonRpcVersion.V2, JsonRpcId.of(1), value);
        b.bytes += s.count();
        return s.count();
    }

    @Benchmark
    public long encodeAll_jackson(Bytes b) throws Exception {
        CountingSink s = new CountingSink();
        mapper.writeValue(s, jacksonEnvelope);
        b.bytes += s.count();
        return s.count();
    }

    @Benchmark
    public Object decodeAll_ours(Bytes b) throws Exception {
        b.bytes += ourBytes.length;
        return codec.parseResponse(ourBytes);
    }

    @Benchmark
    public Object decodeAll_jackson(Bytes b) throws Exception {
        b.bytes += ourBytes.length;
        return mapper.readValue(ourBytes, Object.class);
    }
}
