package org.xapijava.model.xmlrpc;

import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.types.XType;

/**
 * Throwaway throughput check (not a test): encodes a 10,000-VM {@code VM.get_all_records} response and prints
 * MB/s. Run with the test classpath: {@code java -cp ... org.xapijava.model.xmlrpc.XmlRpcWriterBench}.
 */
public final class XmlRpcWriterBench {
    public static void main(String[] args) throws Exception {
        int vms = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Datamodel dm = Datamodel.get();
        ClassDef vm = dm.cls("VM");
        Map<String, Object> all = new LinkedHashMap<>();
        for (int i = 0; i < vms; i++) {
            Map<String, Object> rec = new LinkedHashMap<>();
            for (FieldDef f : vm.wireFields()) {
                Object v = f.hasDefault() ? f.defaultValue() : dm.emptyValue(f.type());
                if (f.type() instanceof XType.RefType) v = "OpaqueRef:" + UUID.randomUUID();
                if (f.type().equals(XType.STRING))
                    v = f.name().equals("uuid") ? UUID.randomUUID().toString() : "value of " + f.name() + " #" + i;
                if (f.type().equals(XType.INT)) v = 4_294_967_296L + i;
                if (f.name().equals("other_config") || f.name().equals("platform")) {
                    v = Map.of(
                            "vgpu_pci",
                            "",
                            "mac_seed",
                            UUID.randomUUID().toString(),
                            "install-methods",
                            "cdrom,nfs,http,ftp");
                }
                if (f.type() instanceof XType.SetType s && s.element() instanceof XType.RefType) {
                    v = List.of("OpaqueRef:" + UUID.randomUUID(), "OpaqueRef:" + UUID.randomUUID());
                }
                rec.put(f.name(), v);
            }
            all.put("OpaqueRef:" + UUID.randomUUID(), Marshal.toRpc(XType.parse("VM record"), rec));
        }
        long bytes = 0;
        XmlRpcWriter w = new XmlRpcWriter(OutputStream.nullOutputStream());
        byte[] once = XmlRpcWriter.success(all);
        System.out.printf(
                "document: %.1f MB, %d fields per VM%n",
                once.length / 1e6, vm.wireFields().size());
        for (int round = 0; round < 15; round++) {
            long t0 = System.nanoTime();
            w.writeSuccess(all);
            w.flush();
            long t1 = System.nanoTime();
            XmlRpcWriter g = new XmlRpcWriter();
            g.writeSuccess(all);
            long t2 = System.nanoTime();
            bytes = once.length;
            System.out.printf(
                    "round %2d: to stream %.0f MB/s, to growable buffer %.0f MB/s%n",
                    round, bytes / 1e6 / ((t1 - t0) / 1e9), bytes / 1e6 / ((t2 - t1) / 1e9));
        }
    }
}
