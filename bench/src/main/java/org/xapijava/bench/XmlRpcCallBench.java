package org.xapijava.bench;

import java.util.LinkedHashMap;
import java.util.List;
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
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * XML-RPC, single calls (ops/s): encode and decode of one {@code VM.get_record} response, and the server's
 * decode of a {@code session.login_with_password} request; baseline Apache XML-RPC 3.1.3 doing the same.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class XmlRpcCallBench {
    Object record;
    Map<String, Object> apacheEnvelope;
    byte[] recordBytes;
    byte[] loginBytes;

    @Setup
    public void setUp() throws Exception {
        Database db = VmFixture.inMemory(16);
        record = VmFixture.recordRpc(db, db.getAll("VM").get(7));
        apacheEnvelope = new LinkedHashMap<>();
        apacheEnvelope.put("Status", "Success");
        apacheEnvelope.put("Value", VmFixture.intsAsStrings(record));
        recordBytes = XmlRpcWriter.success(record);
        // What the Citrix SDK (Apache XML-RPC client) sends: untyped string params.
        loginBytes = XmlRpcWriter.call(
                "session.login_with_password", List.of("root", "s3cr3t-p4ssw0rd", "2.21", "XenCenter/8.4"));
        if (!XmlRpcReader.REQUESTS.readCall(loginBytes).method().equals(ApacheXmlRpc.readRequest(loginBytes)[0])) {
            throw new IllegalStateException("request does not round-trip");
        }
        System.err.printf(
                "%n[fixture] VM.get_record response %d bytes (Apache %d); login request %d bytes%n",
                recordBytes.length, ApacheXmlRpc.response(apacheEnvelope).length, loginBytes.length);
    }

    @Benchmark
    public byte[] getRecordEncode_ours() {
        return XmlRpcWriter.success(record);
    }

    @Benchmark
    public byte[] getRecordEncode_apache() throws Exception {
        return ApacheXmlRpc.response(apacheEnvelope);
    }

    @Benchmark
    public Object getRecordDecode_ours() throws Exception {
        return XmlRpcReader.RESPONSES.readResponse(recordBytes);
    }

    @Benchmark
    public Object getRecordDecode_apache() throws Exception {
        return ApacheXmlRpc.readResponse(recordBytes);
    }

    @Benchmark
    public Object loginDecode_ours() throws Exception {
        return XmlRpcReader.REQUESTS.readCall(loginBytes);
    }

    @Benchmark
    public Object loginDecode_apache() throws Exception {
        return ApacheXmlRpc.readRequest(loginBytes);
    }
}
