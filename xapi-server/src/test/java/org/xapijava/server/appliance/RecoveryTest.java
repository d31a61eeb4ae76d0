package org.xapijava.server.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.errors.ApiError;

/** The disaster-recovery checks ({@code list_required_SRs} and its users) on a database built directly. */
class RecoveryTest {
    final Database db = Database.empty(Datamodel.get());
    final Db data = new LocalDb(db);
    final String appliance = "OpaqueRef:appliance";

    RecoveryTest() {
        db.create(VMAppliance.XAPI_CLASS, appliance, Map.of(VMAppliance.UUID.name(), uuid()));
    }

    private static String uuid() {
        return UUID.randomUUID().toString();
    }

    private String sr(String ref, String contentType, boolean plugged) {
        db.create(SR.XAPI_CLASS, ref, Map.of(SR.UUID.name(), uuid(), SR.CONTENT_TYPE.name(), contentType));
        db.create(
                PBD.XAPI_CLASS,
                ref + "-pbd",
                Map.of(PBD.UUID.name(), uuid(), PBD.SR.name(), ref, PBD.CURRENTLY_ATTACHED.name(), plugged));
        return ref;
    }

    private String vm(String ref) {
        db.create(VM.XAPI_CLASS, ref, Map.of(VM.UUID.name(), uuid(), VM.APPLIANCE.name(), appliance));
        return ref;
    }

    private void disk(String vm, String sr, String type) {
        String vdi = vm + "-vdi-" + sr;
        db.create(VDI.XAPI_CLASS, vdi, Map.of(VDI.UUID.name(), uuid(), VDI.SR.name(), sr));
        db.create(
                VBD.XAPI_CLASS,
                vm + "-vbd-" + sr,
                Map.of(VBD.UUID.name(), uuid(), VBD.VM.name(), vm, VBD.VDI.name(), vdi, VBD.TYPE.name(), type));
    }

    @Test
    void requiredSrsAreTheDisksNotCdsNorIsoSrsOrderedByRef() {
        String b = sr("OpaqueRef:b", "user", true);
        String a = sr("OpaqueRef:a", "user", true);
        String iso = sr("OpaqueRef:iso", "iso", true);
        String cds = sr("OpaqueRef:cds", "user", false);
        String vm = vm("OpaqueRef:vm");
        disk(vm, b, "Disk");
        disk(vm, a, "Disk");
        disk(vm, iso, "Disk");
        disk(vm, cds, "CD");
        assertEquals(List.of(a, b), Recovery.requiredSrs(data, vm));
        Recovery.assertCanBeRecovered(data, data, vm);
        assertEquals(List.of(), Recovery.missingSrs(data, data, vm));
    }

    @Test
    void theFirstUnpluggedSrIsNamed() {
        String x = sr("OpaqueRef:x", "user", false);
        String y = sr("OpaqueRef:y", "user", false);
        String z = sr("OpaqueRef:z", "user", true);
        String one = vm("OpaqueRef:1");
        String two = vm("OpaqueRef:2");
        disk(one, z, "Disk");
        disk(one, y, "Disk");
        disk(two, x, "Floppy");
        ApiError e = assertThrows(ApiError.class, () -> Recovery.assertCanBeRecovered(data, data, one));
        assertEquals(List.of("VM_REQUIRES_SR", one, y), e.description());
        assertEquals(List.of(y), Recovery.missingSrs(data, data, one));
        assertEquals(List.of(x, y), Recovery.applianceMissingSrs(data, data, appliance));
        assertThrows(ApiError.class, () -> Recovery.assertApplianceCanBeRecovered(data, data, appliance));
    }

    @Test
    void anEmptyDiskDriveNamesNoVdi() {
        String vm = vm("OpaqueRef:vm");
        db.create(
                VBD.XAPI_CLASS,
                "OpaqueRef:empty",
                Map.of(VBD.UUID.name(), uuid(), VBD.VM.name(), vm, VBD.TYPE.name(), "Disk", VBD.EMPTY.name(), true));
        // Xapi reads the SR of the VBD's VDI, NULL here: the database's HANDLE_INVALID
        ApiError e = assertThrows(ApiError.class, () -> Recovery.requiredSrs(data, vm));
        assertEquals("HANDLE_INVALID", e.code());
    }
}
