package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The real {@code xe} client against a real host for the VM device commands (disk, CD and VIF lists and changes),
 * migration, data sources, plugins, firmware, memory, {@code event-wait}, appliances, snapshot schedules, vTPMs,
 * VUSBs, blobs and the console.
 */
class XeVmDeviceCommandsTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Path home;
    static String hostUuid;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        home = Files.createDirectories(dir.resolve("home"));
        hostUuid = ok("host-list", "--minimal");
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static XeRun.Result xe(String... args) {
        return XeRun.tcp(host, home, "", args);
    }

    /** Runs a command that must succeed; its stdout without the final newline. */
    static String ok(String... args) {
        XeRun.Result r = xe(args);
        assertEquals(0, r.code(), () -> "xe " + String.join(" ", args) + "\n" + r);
        return r.out().strip();
    }

    /** Runs a command that must fail; its stderr. */
    static String fails(String... args) {
        XeRun.Result r = xe(args);
        assertEquals(1, r.code(), () -> "xe " + String.join(" ", args) + "\n" + r);
        return r.err();
    }

    static String newVm(String name) {
        return ok("vm-install", "template=Other install media", "new-name-label=" + name);
    }

    /** An SR of type iso on a directory holding {@code tools.iso}, scanned. */
    static synchronized String isoSr() throws Exception {
        String existing = ok("sr-list", "name-label=isos", "--minimal");
        if (!existing.isEmpty()) return existing;
        Path isos = Files.createDirectories(dir.resolve("isos"));
        Files.write(isos.resolve("tools.iso"), new byte[4096]);
        String sr = ok(
                "sr-create",
                "name-label=isos",
                "type=iso",
                "content-type=iso",
                "device-config:location=" + isos,
                "device-config:legacy_mode=true");
        ok("sr-scan", "uuid=" + sr);
        return sr;
    }

    static String record(String... lines) {
        return String.join("\n", lines) + "\n\n\n";
    }

    @Test
    void diskAddListRemove() {
        String vm = newVm("disks");
        assertEquals("", ok("vm-disk-add", "uuid=" + vm, "disk-size=16MiB", "device=3"));
        String vbd = ok("vbd-list", "vm-uuid=" + vm, "params=uuid", "--minimal");
        String vdi = ok("vbd-param-get", "uuid=" + vbd, "param-name=vdi-uuid");
        XeRun.Result list = xe("vm-disk-list", "uuid=" + vm);
        assertEquals(
                "Disk 0 VBD:\n"
                        + record(
                                "uuid ( RO)             : " + vbd,
                                "    vm-name-label ( RO): disks",
                                "       userdevice ( RW): 3")
                        + "Disk 0 VDI:\n"
                        + record(
                                "uuid ( RO)             : " + vdi,
                                "       name-label ( RW): Created by xe",
                                "    sr-name-label ( RO): Local storage",
                                "     virtual-size ( RO): 16777216"),
                list.out());
        // the disk is the VM's (owner) and hinted to it
        assertEquals("", ok("vbd-param-get", "uuid=" + vbd, "param-name=other-config", "param-key=owner"));
        assertEquals(vm, ok("vdi-param-get", "uuid=" + vdi, "param-name=sm-config", "param-key=vmhint"));
        assertEquals("Created by xe", ok("vdi-param-get", "uuid=" + vdi, "param-name=name-description"));
        // vbd-params= and vdi-params= choose the columns
        assertEquals(
                "Disk 0 VBD:\n" + record("mode ( RW)    : RW") + "Disk 0 VDI:\n" + record("uuid ( RO)    : " + vdi),
                xe("vm-disk-list", "uuid=" + vm, "vbd-params=mode", "vdi-params=uuid")
                        .out());
        // --minimal: the last table first (Xapi's printer prepends)
        assertEquals(vdi + "," + vbd, ok("vm-disk-list", "uuid=" + vm, "--minimal"));
        // a disk list of CDs is empty
        assertEquals("", ok("vm-cd-list", "uuid=" + vm));

        String snap = ok("vm-snapshot", "uuid=" + vm, "new-name-label=disks-snap");
        String snapList = ok("snapshot-disk-list", "snapshot-uuid=" + snap);
        assertTrue(snapList.startsWith("Disk 0 VBD:\n"), snapList);
        assertTrue(snapList.contains("    vm-name-label ( RO): disks-snap\n"), snapList);
        assertEquals(
                "Error: This operation can only be performed on a VM snapshot. " + vm + " is not a VM snapshot.\n",
                fails("snapshot-disk-list", "uuid=" + vm));

        assertEquals("Error: Disk not found\n", fails("vm-disk-remove", "uuid=" + vm, "device=9"));
        assertEquals("", ok("vm-disk-remove", "uuid=" + vm, "device=3"));
        assertEquals("", ok("vm-disk-list", "uuid=" + vm));
        assertEquals("", ok("vdi-list", "uuid=" + vdi, "--minimal"));
        assertEquals(
                "Error: Failed to parse field 'disk-size': expecting an integer (possibly with suffix KiB, MiB, GiB,"
                        + " TiB), got 'lots'\n",
                fails("vm-disk-add", "uuid=" + vm, "disk-size=lots", "device=4"));
    }

    @Test
    void cdCommands() throws Exception {
        String sr = isoSr();
        String iso = ok("vdi-list", "sr-uuid=" + sr, "name-label=tools.iso", "--minimal");
        assertEquals(
                record("uuid ( RO)          : " + iso, "    name-label ( RW): tools.iso"),
                xe("cd-list").out());
        assertEquals(iso, ok("cd-list", "--minimal"));
        String vm = newVm("cds");
        assertEquals("Error: No CDs found\n", fails("vm-cd-eject", "uuid=" + vm));
        assertEquals("Error: CD nosuch not found!\n", fails("vm-cd-add", "uuid=" + vm, "cd-name=nosuch", "device=1"));
        assertEquals("", ok("vm-cd-add", "uuid=" + vm, "cd-name=tools.iso", "device=1"));
        String vbd = ok("vbd-list", "vm-uuid=" + vm, "type=CD", "--minimal");
        assertEquals("RO", ok("vbd-param-get", "uuid=" + vbd, "param-name=mode"));
        assertEquals(
                "CD 0 VBD:\n"
                        + record(
                                "uuid ( RO)             : " + vbd,
                                "    vm-name-label ( RO): cds",
                                "            empty ( RO): false",
                                "       userdevice ( RW): 1")
                        + "CD 0 VDI:\n"
                        + record(
                                "uuid ( RO)             : " + iso,
                                "       name-label ( RW): tools.iso",
                                "    sr-name-label ( RO): isos",
                                "     virtual-size ( RO): 4096"),
                xe("vm-cd-list", "uuid=" + vm).out());
        assertEquals("", ok("vm-cd-eject", "uuid=" + vm));
        // an empty drive has no VDI section
        assertEquals(
                "CD 0 VBD:\n"
                        + record(
                                "uuid ( RO)             : " + vbd,
                                "    vm-name-label ( RO): cds",
                                "            empty ( RO): true",
                                "       userdevice ( RW): 1"),
                xe("vm-cd-list", "uuid=" + vm).out());
        assertEquals("Error: CD nosuch not found\n", fails("vm-cd-insert", "uuid=" + vm, "cd-name=nosuch"));
        assertEquals("", ok("vm-cd-insert", "uuid=" + vm, "cd-name=tools.iso"));
        assertEquals(iso, ok("vbd-param-get", "uuid=" + vbd, "param-name=vdi-uuid"));
        String err = fails("vm-cd-insert", "uuid=" + vm, "cd-name=tools.iso");
        assertTrue(err.contains("vm: " + vm + " (cds)"), err);
        assertEquals("Error: Disk not found\n", fails("vm-cd-remove", "uuid=" + vm, "cd-name=other.iso"));
        assertEquals("", ok("vm-cd-remove", "uuid=" + vm, "cd-name=tools.iso"));
        assertEquals("", ok("vbd-list", "vm-uuid=" + vm, "--minimal"));
        // the ISO stays
        assertEquals(iso, ok("vdi-list", "uuid=" + iso, "--minimal"));
    }

    @Test
    void vifList() {
        String vm = newVm("vifs");
        String net = ok("network-list", "bridge=xenbr0", "--minimal");
        String vif = ok("vif-create", "vm-uuid=" + vm, "network-uuid=" + net, "device=0", "mac=aa:bb:cc:dd:ee:ff");
        String netName = ok("network-param-get", "uuid=" + net, "param-name=name-label");
        assertEquals(
                record(
                        "uuid ( RO)                  : " + vif,
                        "         vm-name-label ( RO): vifs",
                        "                device ( RO): 0",
                        "                   MAC ( RO): aa:bb:cc:dd:ee:ff",
                        "          network-uuid ( RO): " + net,
                        "    network-name-label ( RO): " + netName),
                xe("vm-vif-list", "uuid=" + vm).out());
        assertEquals(vif, ok("vm-vif-list", "uuid=" + vm, "params=uuid", "--minimal"));
        // always as if --multiple: one table per VM
        String twin = newVm("vifs");
        String vif2 = ok("vif-create", "vm-uuid=" + twin, "network-uuid=" + net, "device=1");
        String both = ok("vm-vif-list", "name-label=vifs", "params=uuid", "--minimal");
        assertTrue(both.equals(vif + "," + vif2) || both.equals(vif2 + "," + vif), both);
    }

    @Test
    void vmStartWithNoHostPrintsEachHostsReason() {
        String vm = newVm("nowhere");
        ok(
                "vm-memory-limits-set",
                "uuid=" + vm,
                "static-min=128MiB",
                "static-max=2048GiB",
                "dynamic-min=2048GiB",
                "dynamic-max=2048GiB");
        String hostName = ok("host-param-get", "uuid=" + hostUuid, "param-name=name-label");
        XeRun.Result r = xe("vm-start", "uuid=" + vm);
        assertEquals(1, r.code(), r::toString);
        String intro = "There are no suitable hosts to start this VM on.\n"
                + "The following table provides per-host reasons for why the VM could not be started:\n\n";
        assertEquals(intro + record(hostName + "    : Cannot start here [Not enough free memory]"), r.out());
        assertEquals("There were no servers available to complete the specified operation.\n", r.err());
        assertEquals("halted", ok("vm-param-get", "uuid=" + vm, "param-name=power-state"));
        // with on=, the named host's own check answers
        XeRun.Result on = xe("vm-start", "uuid=" + vm, "on=" + hostName);
        assertEquals(1, on.code(), on::toString);
        assertFalse(on.out().contains("There are no suitable hosts"), on.toString());
    }

    @Test
    void diagnosticStatusAndFirmware() {
        String vm = newVm("diag");
        ok("vm-disk-add", "uuid=" + vm, "disk-size=8MiB", "device=0");
        String vbd = ok("vbd-list", "vm-uuid=" + vm, "--minimal");
        String vdi = ok("vbd-param-get", "uuid=" + vbd, "param-name=vdi-uuid");
        String hostName = ok("host-param-get", "uuid=" + hostUuid, "param-name=name-label");
        String out = xe("diagnostic-vm-status", "uuid=" + vm).out();
        assertTrue(
                out.startsWith(record(
                                "uuid ( RO)              : " + vm,
                                "        name-label ( RW): diag",
                                "       power-state ( RO): halted",
                                "    possible-hosts ( RO): " + hostUuid)
                        + "Checking to see whether disks are attachable\n"),
                out);
        assertTrue(out.contains("        vdi-uuid ( RO): " + vdi + "\n"), out);
        assertTrue(out.contains("      attachable ( RO): true\n"), out);
        String sr = ok("sr-list", "name-label=Local storage", "--minimal");
        assertTrue(
                out.endsWith("Checking to see whether VM can boot on each host\n"
                        + record(hostName + "    : OK")
                        + "VM is not agile because: VM requires access to non-shared SR: " + sr
                        + " (Local storage). SR must both be marked as shared and a properly configured PBD must be"
                        + " plugged-in on every host\n"),
                out);

        // diagnostic-vdi-status: the VDI's locking fields, then its VBDs (none attached while the VM is halted)
        String vbdRecord = record(
                "uuid ( RO)            : " + vbd,
                "           empty ( RO): false",
                "          device ( RO): ",
                "      userdevice ( RW): 0",
                "            mode ( RW): RW",
                "            type ( RW): Disk",
                "    storage-lock ( RO): false");
        assertEquals(
                record(
                                "uuid ( RO)            : " + vdi,
                                "      name-label ( RW): Created by xe",
                                "         sr-uuid ( RO): " + sr,
                                "        sharable ( RO): false",
                                "       read-only ( RO): false",
                                "    storage-lock ( RO): false")
                        + "no active VBDs.\ninactive VBDs:\n" + vbdRecord,
                xe("diagnostic-vdi-status", "uuid=" + vdi).out());
        // before the first start: a start gives a VM without BIOS strings the generic ones, as Xapi
        assertEquals("The BIOS strings of this VM have not yet been set.", ok("vm-is-bios-customized", "uuid=" + vm));
        ok("vm-copy-bios-strings", "uuid=" + vm, "host-uuid=" + hostUuid);
        assertEquals("This VM is BIOS-customized.", ok("vm-is-bios-customized", "uuid=" + vm));
        ok("vm-start", "uuid=" + vm);
        String running = xe("diagnostic-vdi-status", "uuid=" + vdi).out();
        assertTrue(running.contains("\nactive VBDs:\nuuid ( RO)            : " + vbd + "\n"), running);
        assertFalse(running.contains("inactive VBDs:"), running);
        ok("vm-shutdown", "uuid=" + vm, "--force");

        assertEquals("not_supported", ok("vm-get-secureboot-readiness", "uuid=" + vm));
        assertEquals("Error: Expected 'user','setup', got bad\n", fails("vm-set-uefi-mode", "uuid=" + vm, "mode=bad"));

        assertEquals("", ok("vm-memory-target-set", "uuid=" + vm, "target=256MiB"));
        assertEquals("268435456", ok("vm-param-get", "uuid=" + vm, "param-name=memory-dynamic-min"));
        assertEquals("268435456", ok("vm-param-get", "uuid=" + vm, "param-name=memory-dynamic-max"));
        assertEquals("", ok("vm-memory-balloon", "uuid=" + vm, "target=128MiB")); // Xapi's other name
        assertEquals("134217728", ok("vm-param-get", "uuid=" + vm, "param-name=memory-dynamic-max"));
        assertEquals(
                "Error: Failed to parse parameter 'multiplier': expecting a float\n",
                fails("vm-memory-shadow-multiplier-set", "uuid=" + vm, "multiplier=x"));
        assertTrue(fails("vm-memory-shadow-multiplier-set", "uuid=" + vm, "multiplier=2.0")
                .contains("expected: running\nactual: halted\n"));
        assertEquals("", ok("vm-crashdump-list", "uuid=" + vm));
        assertEquals("No WLB connection is configured.\n", fails("vm-retrieve-wlb-recommendations", "uuid=" + vm));
        assertTrue(fails("vm-query-services", "uuid=" + vm).startsWith("The given VM is not registered as a system"));
    }

    @Test
    void plugins() throws Exception {
        String vm = newVm("plugins");
        assertTrue(fails("vm-call-plugin", "vm-uuid=" + vm, "plugin=p", "fn=f").contains("actual: halted\n"));
        assertTrue(fails("vm-call-host-plugin", "vm-uuid=" + vm, "plugin=p", "fn=f", "args:a=b")
                .contains("expected: Running\nactual: Halted\n"));
        Path missing = home.resolve("missing-arg");
        assertEquals(
                "Failed to read file " + missing + "\n",
                fails("vm-call-plugin", "vm-uuid=" + vm, "plugin=p", "fn=f", "args:a:file=" + missing));
    }

    @Test
    void migrate() {
        String vm = newVm("mig");
        assertEquals("Error: No destination host specified\n", fails("vm-migrate", "uuid=" + vm));
        assertEquals("Error: Host nosuch not found\n", fails("vm-migrate", "uuid=" + vm, "host=nosuch"));
        XeRun.Result sxm = xe("vm-migrate", "uuid=" + vm, "remote-master=192.0.2.1");
        assertEquals(1, sxm.code());
        assertEquals("Performing a storage live migration. Your VM's VDIs will be migrated with the VM.\n", sxm.out());
        assertEquals(
                "Error: Storage live migration requires remote-master, remote-username, and remote-password to be"
                        + " specified. Please see 'xe help vm-migrate' for help.\n",
                sxm.err());
        // the remote login is refused: nothing moves
        assertEquals(
                "Authentication failed\nFor usage run: 'xe help'\n",
                fails(
                        "vm-migrate",
                        "uuid=" + vm,
                        "remote-master=127.0.0.1",
                        "remote-username=root",
                        "remote-password=wrong"));
        assertTrue(fails("vm-migrate", "uuid=" + vm, "host-uuid=" + hostUuid, "live=yes")
                .endsWith("message: Invalid_argument(\"bool_of_string\")\n"));
        ok("vm-start", "uuid=" + vm);
        assertEquals("", ok("vm-migrate", "vm=mig", "host=" + hostUuid, "--live"));
        assertEquals(hostUuid, ok("vm-param-get", "uuid=" + vm, "param-name=resident-on"));
        assertEquals("running", ok("vm-param-get", "uuid=" + vm, "param-name=power-state"));
        ok("vm-shutdown", "uuid=" + vm, "--force");
    }

    @Test
    void dataSources() throws InterruptedException {
        // the host's data sources exist once the sampler has read the host (every 5 s from start)
        String list = ok("host-data-source-list");
        for (int i = 0; i < 200 && !list.contains("name_label          : cpu0"); i++) {
            Thread.sleep(100);
            list = ok("host-data-source-list");
        }
        assertTrue(
                list.contains(record(
                        "name_label          : cpu0",
                        "    name_description: Physical cpu usage for cpu 0",
                        "             enabled: true",
                        "            standard: true",
                        "                 min: 0.",
                        "                 max: 1.",
                        "               units: (fraction)")),
                list);
        assertTrue(list.contains("                 min: -inf\n"), list);
        String value = ok("host-data-source-query", "data-source=cpu0");
        // %f of the last value: a number, or nan before the data source has its first reading
        assertTrue(value.strip().matches("-?\\d+\\.\\d{6}|-?nan"), value);
        assertEquals("", ok("host-data-source-record", "data-source=cpu0"));
        assertEquals("", ok("host-data-source-forget", "data-source=cpu0"));
        String dom0 = ok("vm-list", "is-control-domain=true", "--minimal");
        String dom0Name = ok("vm-param-get", "uuid=" + dom0, "param-name=name-label");
        // the control domain is selectable, by the vm= pseudo-field too
        assertEquals(
                xe("vm-data-source-list", "uuid=" + dom0).out(),
                xe("vm-data-source-list", "vm=" + dom0Name).out());
        String vm = newVm("ds");
        assertTrue(fails("vm-data-source-list", "vm=ds").contains("actual: halted\n"));
        assertEquals(
                "Error: Multiple matches VMs found. Operation can only be performed on one VM at a time\n",
                fails("vm-data-source-list"));
        String local = ok("sr-list", "name-label=Local storage", "--minimal");
        XeRun.Result srSources = xe("sr-data-source-list", "uuid=" + local);
        assertEquals(0, srSources.code(), srSources.toString()); // SR.get_data_sources: the plugged SR's sources
        assertTrue(vm.length() > 0);
    }

    @Test
    void eventWait() throws Exception {
        String vm = newVm("ev");
        assertEquals("", ok("event-wait", "class=vm", "name-label=ev"));
        assertEquals("", ok("event-wait", "class=vm", "uuid=" + vm, "power-state=/=running"));
        assertEquals("Error: key missing: nosuch\n", fails("event-wait", "class=vm", "nosuch=1"));
        assertEquals(
                "Error: Cli listening for class 'foo' not currently implemented\n", fails("event-wait", "class=foo"));
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(1500);
            } catch (InterruptedException e) {
                return;
            }
            ok("vm-param-set", "uuid=" + vm, "name-label=ev-renamed");
        });
        later.start();
        long t0 = System.nanoTime();
        assertEquals("", ok("event-wait", "class=vm", "uuid=" + vm, "name-label=ev-renamed"));
        assertTrue(System.nanoTime() - t0 > 1_000_000_000L);
        later.join();
    }

    @Test
    void appliances() {
        String app = ok("appliance-create", "name-label=app", "name-description=d");
        assertEquals("d", ok("appliance-param-get", "uuid=" + app, "param-name=name-description"));
        assertEquals(
                "You attempted an operation that was not allowed.\nreason: Appliance has no VMs.\n",
                fails("appliance-start", "uuid=" + app));
        assertEquals(
                "Error: A parameter of the form 'database:vdi-uuid=<uuid>' must be specified to run this command.\n",
                fails("appliance-assert-can-be-recovered", "uuid=" + app));
        assertEquals(
                "The uuid you supplied was invalid.\ntype: VDI\nuuid: nope\n",
                fails("appliance-recover", "uuid=" + app, "database:vdi-uuid=nope"));
        String vm = newVm("in-app");
        ok("vm-param-set", "uuid=" + vm, "appliance=" + app);
        assertEquals("", ok("appliance-start", "uuid=" + app));
        assertEquals("running", ok("vm-param-get", "uuid=" + vm, "param-name=power-state"));
        assertEquals("", ok("appliance-shutdown", "uuid=" + app, "--force"));
        assertEquals("halted", ok("vm-param-get", "uuid=" + vm, "param-name=power-state"));
        assertEquals("", ok("appliance-destroy", "uuid=" + app));
        assertEquals("", ok("appliance-list", "uuid=" + app, "--minimal"));
    }

    @Test
    void schedulesTpmsUsbs() {
        String vmss = ok("vmss-create", "name-label=s", "type=snapshot", "frequency=daily", "schedule:hour=10");
        assertEquals("daily", ok("vmss-param-get", "uuid=" + vmss, "param-name=frequency"));
        assertEquals("7", ok("vmss-param-get", "uuid=" + vmss, "param-name=retained-snapshots"));
        assertEquals("10", ok("vmss-param-get", "uuid=" + vmss, "param-name=schedule", "param-key=hour"));
        assertEquals(
                "Error: Expected 'snapshot', 'checkpoint', 'snapshot_with_quiesce', got bad\n",
                fails("vmss-create", "name-label=s", "type=bad", "frequency=daily"));
        assertEquals(
                "Error: Expected 'hourly', 'daily', 'weekly', got never\n",
                fails("vmss-create", "name-label=s", "type=snapshot", "frequency=never"));
        assertEquals("", ok("vmss-destroy", "uuid=" + vmss));
        assertEquals("", ok("vmss-list", "uuid=" + vmss, "--minimal"));

        String vm = newVm("tpm");
        String vtpm = ok("vtpm-create", "vm-uuid=" + vm);
        assertEquals(vm, ok("vtpm-param-get", "uuid=" + vtpm, "param-name=vm-uuid"));
        assertEquals(
                "Error: This operation is dangerous and may cause data loss. This operation must be forced (use"
                        + " --force).\n",
                fails("vtpm-destroy", "uuid=" + vtpm));
        assertEquals("", ok("vtpm-destroy", "uuid=" + vtpm, "--force"));
        assertEquals("", ok("vtpm-list", "uuid=" + vtpm, "--minimal"));

        assertEquals(
                "The uuid you supplied was invalid.\ntype: USB_group\nuuid: nope\n",
                fails("vusb-create", "vm-uuid=" + vm, "usb-group-uuid=nope"));
        assertEquals("The uuid you supplied was invalid.\ntype: VUSB\nuuid: nope\n", fails("vusb-unplug", "uuid=nope"));
        assertEquals(
                "The uuid you supplied was invalid.\ntype: VUSB\nuuid: nope\n", fails("vusb-destroy", "uuid=nope"));
    }

    @Test
    void blobs() throws Exception {
        String vm = newVm("blobby");
        assertEquals(
                "Error: Need one of: vm-uuid, host-uuid, network-uuid, sr-uuid or pool-uuid\n",
                fails("blob-create", "name=b"));
        String blob = ok("blob-create", "name=b", "vm-uuid=" + vm, "mime-type=text/plain");
        // a blob with no data yet: the client's GET is refused, the task fails with no error (Xapi exits 0)
        XeRun.Result none = xe("blob-get", "uuid=" + blob, "filename=" + home.resolve("blob-none"));
        assertEquals("Blob get failed, unknown error\n", none.err());
        // the data PUT through HTTP (this server's /blob handler reads the whole body before answering, and xe
        // waits for the answer before it sends the body: blob-put cannot run against it)
        String session = host.login();
        String ref = (String) host.ok("blob.get_by_uuid", session, blob);
        HttpResponse<byte[]> put = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(host.uri("/blob?session_id=" + session + "&ref=" + ref))
                                .PUT(HttpRequest.BodyPublishers.ofString("hello blob\n"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, put.statusCode());
        Path out = home.resolve("blob-out");
        assertEquals("Blob get succeeded", ok("blob-get", "uuid=" + blob, "filename=" + out));
        assertEquals("hello blob\n", Files.readString(out, StandardCharsets.UTF_8));
        Path missing = home.resolve("blob-missing");
        assertEquals(
                "Operation failed. Error: file '" + missing + "' does not exist\n",
                fails("blob-put", "uuid=" + blob, "filename=" + missing));
        // no task is left behind
        String tasks = ok("task-list", "params=name-label");
        assertTrue(!tasks.contains("blob") && !tasks.contains("Blob"), tasks);
    }

    @Test
    void console() {
        String vm = newVm("con");
        assertEquals("No text console available\n", fails("console", "uuid=" + vm));
        assertEquals("No VM found\n", fails("console", "vm=nosuch"));
        assertEquals("Multiple VMs found: please narrow your request to one VM.\n", fails("console"));
        // the control domain has a text console: the client is sent to it (this server's /console answers 500)
        String dom0 = ok("vm-list", "is-control-domain=true", "--minimal");
        String dom0Name = ok("vm-param-get", "uuid=" + dom0, "param-name=name-label");
        XeRun.Result r = xe("console", "uuid=" + dom0);
        assertEquals(1, r.code(), r::toString);
        assertEquals("Connecting to console on VM " + dom0Name + ". Press Ctrl + ']' to quit.\n", r.out());
        assertTrue(r.err().endsWith("Error: Failure\n"), r::toString);
    }
}
