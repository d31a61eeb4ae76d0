package org.xapijava.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageMuxTest {
    @TempDir
    Path dir;

    private final StorageContext ctx = StorageContext.of("test");
    private final StorageMux mux = new StorageMux(StorageDrivers.standard());

    private String sr(String name) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        mux.srAttach(ctx, name, "file", Map.of("location", d.toString()));
        return name;
    }

    private static VdiInfo request(long size) {
        return VdiInfo.request("", "disk", "", "user", size, false, false, Map.of());
    }

    private static SmError error(Runnable r) {
        return assertThrows(StorageException.class, r::run).error();
    }

    @Test
    void srsAreRoutedByUuidToTheDriverOfTheirType() throws Exception {
        String a = sr("a");
        assertTrue(mux.srAttached(a));
        mux.srAttach(ctx, a, "file", Map.of("location", dir.resolve("a").toString())); // idempotent
        VdiInfo v = mux.vdiCreate(ctx, a, request(1 << 20));
        assertEquals(
                List.of(v.location()),
                mux.srScan(ctx, a).stream().map(VdiInfo::location).toList());
        assertEquals(1 << 20, mux.vdiStat(ctx, a, v.location()).virtualSize());
        assertEquals(SmError.SR_UNAVAILABLE, error(() -> mux.vdiStat(ctx, "b", v.location())));
        assertEquals(SmError.UNIMPLEMENTED, error(() -> mux.srAttach(ctx, "c", "nfs", Map.of())));
        assertEquals(SmError.INVALID_ARG, error(() -> mux.srAttach(ctx, "d", "file", Map.of())));
        mux.srDetach(ctx, a);
        assertFalse(mux.srAttached(a));
    }

    @Test
    void datapathsAttachActivateAndHoldTheVdi() throws Exception {
        String a = sr("a");
        String v = mux.vdiCreate(ctx, a, request(4096)).location();
        AttachInfo i = mux.vdiAttach(ctx, "vbd/1/xvda", a, v, "vm1", true);
        assertTrue(Files.exists(i.path()) && i.readWrite());
        assertEquals(i, mux.vdiAttach(ctx, "vbd/1/xvda", a, v, "vm1", true), "attaching again is allowed");
        mux.vdiActivate(ctx, "vbd/1/xvda", a, v, "vm1", true);
        mux.vdiAttach(ctx, "vbd/2/xvda", a, v, "vm2", true);
        assertEquals(SmError.VDI_IN_USE, error(() -> mux.vdiActivate(ctx, "vbd/2/xvda", a, v, "vm2", true)));
        assertEquals(SmError.VDI_UNAVAILABLE, error(() -> mux.vdiActivate(ctx, "vbd/3/xvda", a, v, "vm3", false)));
        assertEquals(SmError.VDI_IN_USE, error(() -> mux.vdiDestroy(ctx, a, v)));
        assertEquals(SmError.VDI_IN_USE, error(() -> mux.srDetach(ctx, a)));
        assertEquals(List.of("vbd/1/xvda", "vbd/2/xvda"), mux.dpsOf(a, v));
        mux.vdiDeactivate(ctx, "vbd/1/xvda", a, v, "vm1");
        mux.vdiActivate(ctx, "vbd/2/xvda", a, v, "vm2", true);
        mux.dpDestroy(ctx, "vbd/2/xvda");
        mux.vdiDetach(ctx, "vbd/1/xvda", a, v, "vm1");
        mux.vdiDetach(ctx, "vbd/1/xvda", a, v, "vm1"); // idempotent
        assertEquals(List.of(), mux.dpsOf(a, v));
        mux.vdiDestroy(ctx, a, v);
        assertEquals(List.of(), mux.srScan(ctx, a));
    }

    @Test
    void dataIsCopiedBetweenSrsThroughATemporaryDatapath() throws Exception {
        String a = sr("a");
        String b = sr("b");
        String src = mux.vdiCreate(ctx, a, request(8192)).location();
        Path data = mux.vdiAttach(ctx, "writer", a, src, "", true).path();
        byte[] bytes = new byte[8192];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 7);
        Files.write(data, bytes);
        mux.vdiDetach(ctx, "writer", a, src, "");
        String dst = mux.vdiCreate(ctx, b, request(8192)).location();
        mux.dataCopyInto(ctx, a, src, b, dst);
        assertEquals(List.of(), mux.dpsOf(a, src), "the copy's datapath is gone");
        Path out = mux.vdiAttach(ctx, "reader", b, dst, "", false).path();
        assertArrayEquals(bytes, Files.readAllBytes(out));
    }
}
