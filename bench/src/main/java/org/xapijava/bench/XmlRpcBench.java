package org.xapijava.bench;

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
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * XML-RPC, the 10,000-VM {@code VM.get_all_records} response: encode as the server does ({@code _ours}:
 * {@link XmlRpcWriter}; {@code _apache}: Apache XML-RPC 3.1.3's server writer on the same value, ints as
 * strings) and decode Xapi's bytes as a client does ({@link XmlRpcReader#RESPONSES} vs Apache's response
 * parser). Throughput in documents/s; {@code ·bytes} gives bytes/s of each side's own document.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
// The JDK (24+) caps a document's text at 100,000 chars per entity by default, the whole document counting as
// one: Apache's SAX parser would refuse the 28 MB response. Our reader lifts the cap on its own factory.
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-Djdk.xml.maxGeneralEntitySizeLimit=0", "-Djdk.xml.totalEntitySizeLimit=0"
        })
public class XmlRpcBench {
    /** The server's value: {@code (VM ref -> VM record) map} as {@code Marshal.toRpc} makes it. */
    Object value;
    /** The same for Apache, wrapped in Xapi's {Status, Value} envelope. */
    Map<String, Object> apacheEnvelope;
    /** Xapi's response document (what a client receives). */
    byte[] xapiBytes;

    @Setup
    public void setUp() throws Exception {
        Database db = VmFixture.inMemory(VmFixture.DEFAULT_VMS);
        value = VmFixture.allRecordsRpc(db);
        apacheEnvelope = new LinkedHashMap<>();
        apacheEnvelope.put("Status", "Success");
        apacheEnvelope.put("Value", VmFixture.intsAsStrings(value));
        xapiBytes = XmlRpcWriter.success(value);
        RpcResponse r = XmlRpcReader.RESPONSES.readResponse(xapiBytes);
        Object apacheRead = ApacheXmlRpc.readResponse(xapiBytes);
        byte[] apacheBytes = ApacheXmlRpc.response(apacheEnvelope);
        if (!r.success() || !(apacheRead instanceof Map<?, ?> m) || !"Success".equals(m.get("Status"))) {
            throw new IllegalStateException("fixture does not round-trip");
        }
        System.err.printf(
                "%n[fixture] get_all_records of %d VMs: ours %d bytes, Apache %d bytes%n",
                VmFixture.DEFAULT_VMS, xapiBytes.length, apacheBytes.length);
    }

    @Benchmark
    public long encodeAll_ours(Bytes b) throws Exception {
        CountingSink s = new CountingSink();
        XmlRpcWriter w = new XmlRpcWriter(s);
        w.writeSuccess(value);
        w.flush();
        b.bytes += s.count();
        return s.count();
    }

    @Benchmark
    public long encodeAll_apache(Bytes b) throws Exception {
        CountingSink s = new CountingSink();
        ApacheXmlRpc.writeResponse(apacheEnvelope, s);
        b.bytes += s.count();
        return s.count();
    }

    @Benchmark
    public Object decodeAll_ours(Bytes b) throws Exception {
        b.bytes += xapiBytes.length;
        return XmlRpcReader.RESPONSES.readResponse(xapiBytes);
    }

    @Benchmark
    public Object decodeAll_apache(Bytes b) throws Exception {
        b.bytes += xapiBytes.length;
        return ApacheXmlRpc.readResponse(xapiBytes);
    }
}
