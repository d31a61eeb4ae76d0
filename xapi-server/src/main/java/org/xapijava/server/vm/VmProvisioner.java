package org.xapijava.server.vm;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.server.dispatch.CallContext;

/**
 * {@code VM.provision} ({@code xapi_vm.ml}, {@code xapi_templates.ml}, {@code xapi_templates_install.ml}):
 * the VM stops being a template, then every {@code <disk>} of {@code other_config:disks} becomes a VDI
 * (made with {@code VDI.create} in the SR whose uuid the disk names) and a VBD, the VDI named after
 * the VBD's device; finally the {@code disks} and {@code postinstall} keys are removed so that the VM is
 * not installed twice.
 *
 * <p>As in Xapi, {@code sr=""} is not the pool's default SR: the clients ({@code xe vm-install},
 * XenCenter) rewrite the XML with an SR uuid before provisioning; an unknown SR is
 * {@code UUID_INVALID ["sr", uuid]}. A post-install script (only ever run in dom0, with the new disks
 * attached there) is refused: {@code PERMISSION_DENIED} outside Xapi's script directory, else
 * {@code NOT_IMPLEMENTED}. Thread-safe.
 */
final class VmProvisioner {
    static final String DISKS = "disks";
    static final String POSTINSTALL = "postinstall";
    /** {@code Xapi_globs.post_install_scripts_dir}: the only place a post-install script may live. */
    static final String POST_INSTALL_SCRIPTS_DIR = "/opt/xensource/packages/post-install-scripts";
    /** {@code Constants._sm_vm_hint}: tells the driver which VM a new disk is for. */
    static final String VM_HINT = "vmhint";

    private static final XMLInputFactory XML = org.xapijava.model.util.SafeXml.inputFactory();

    /** One disk of the provisioning XML. */
    record Disk(String device, long size, String sr, boolean bootable, String type) {}

    private final Db data;
    private final Vms vms;

    VmProvisioner(Db data, Vms vms) {
        this.data = data;
        this.vms = vms;
    }

    void provision(CallContext ctx, String vm) {
        Map<String, String> oc = otherConfig(ctx, vm);
        List<Disk> disks = oc.containsKey(DISKS) ? parse(oc.get(DISKS)) : List.of();
        String script = oc.get(POSTINSTALL);
        vms.setIsATemplate(ctx, vm, false);
        if (disks.isEmpty() && script == null) return;
        ctx.setProgress(0.1);
        // phase 1: disks (like Xapi, disks made before a failing one are not removed)
        String vmUuid = data.get(vm, VM.UUID);
        List<String> vbds = new ArrayList<>();
        for (Disk d : disks) vbds.add(createDisk(ctx, vm, vmUuid, d));
        try {
            // phase 2: the post-install script
            if (script != null) {
                if (!whitelisted(script)) throw new ApiError("PERMISSION_DENIED", "illegal provision script " + script);
                throw new ApiError("NOT_IMPLEMENTED", "post-install scripts");
            }
            // phase 3: the template information goes
            data.apply(Update.builder()
                    .removeFromMap(vm, VM.OTHER_CONFIG, DISKS)
                    .removeFromMap(vm, VM.OTHER_CONFIG, POSTINSTALL)
                    .build());
        } catch (RuntimeException e) {
            List<String> vdis = new ArrayList<>();
            for (String vbd : vbds) vdis.add(data.get(vbd, VBD.VDI));
            for (String vbd : vbds) ignoring(() -> ctx.api().vbd().destroy(vbd));
            for (String vdi : vdis) ignoring(() -> ctx.api().vdi().destroy(vdi));
            throw e;
        }
    }

    /** {@code create_disk}: the VDI (named after the device at the end) and its VBD. */
    private String createDisk(CallContext ctx, String vm, String vmUuid, Disk d) {
        String sr;
        try {
            sr = data.byUuid(SR.XAPI_CLASS, d.sr());
        } catch (ApiError e) {
            throw new ApiError("UUID_INVALID", "sr", d.sr());
        }
        Map<String, Object> vdi = new LinkedHashMap<>();
        vdi.put("name_label", "");
        vdi.put("name_description", "Created by template provisioner");
        vdi.put("SR", sr);
        vdi.put("virtual_size", d.size());
        vdi.put("type", d.type());
        vdi.put("sharable", false);
        vdi.put("read_only", false);
        vdi.put("other_config", Map.of());
        vdi.put("xenstore_data", Map.of());
        vdi.put("sm_config", Map.of(VM_HINT, vmUuid));
        vdi.put("tags", List.of());
        String vdiRef = ctx.api().vdi().create(vdi);
        Map<String, Object> vbd = new LinkedHashMap<>();
        vbd.put("VM", vm);
        vbd.put("VDI", vdiRef);
        vbd.put("device", "");
        vbd.put("userdevice", d.device());
        vbd.put("bootable", d.bootable());
        vbd.put("mode", "RW");
        vbd.put("type", "Disk");
        vbd.put("unpluggable", !d.type().equals("system"));
        vbd.put("empty", false);
        vbd.put("other_config", Map.of(VmCloner.OWNER, ""));
        vbd.put("currently_attached", false);
        vbd.put("qos_algorithm_type", "");
        vbd.put("qos_algorithm_params", Map.of());
        String vbdRef = ctx.api().vbd().create(vbd);
        String device = data.get(vbdRef, VBD.USERDEVICE);
        ctx.api().vdi().setNameLabel(vdiRef, device);
        return vbdRef;
    }

    private static Map<String, String> otherConfig(CallContext ctx, String vm) {
        return ctx.data().get(vm, VM.OTHER_CONFIG);
    }

    /** {@code is_whitelisted}: directly in Xapi's script directory, only {@code a-z - /} in the path. */
    static boolean whitelisted(String script) {
        int slash = script.lastIndexOf('/');
        String dir = slash < 0 ? "." : slash == 0 ? "/" : script.substring(0, slash);
        if (!dir.equals(POST_INSTALL_SCRIPTS_DIR)) return false;
        for (int i = 0; i < script.length(); i++) {
            char c = script.charAt(i);
            if (!((c >= 'a' && c <= 'z') || c == '-' || c == '/')) return false;
        }
        return true;
    }

    /**
     * {@code disks_of_xml}: {@code <provision>} (no attributes) holding {@code <disk>} elements with
     * {@code device}, {@code size}, {@code sr}, {@code bootable} and optionally {@code type} (an unknown or
     * missing type is {@code system}). Anything else fails as Xapi's parser does.
     */
    static List<Disk> parse(String xml) {
        List<Disk> out = new ArrayList<>();
        try {
            XMLStreamReader r = XML.createXMLStreamReader(new StringReader(xml));
            try {
                r.nextTag();
                if (!r.getLocalName().equals("provision") || r.getAttributeCount() != 0) throw parseFailure();
                while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
                    if (!r.getLocalName().equals("disk")) throw parseFailure();
                    Map<String, String> a = new LinkedHashMap<>();
                    for (int i = 0; i < r.getAttributeCount(); i++)
                        a.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
                    if (r.nextTag() != XMLStreamConstants.END_ELEMENT) throw parseFailure();
                    String device = a.get("device");
                    String size = a.get("size");
                    String sr = a.get("sr");
                    String bootable = a.get("bootable");
                    if (device == null || size == null || sr == null || bootable == null) throw parseFailure();
                    long bytes;
                    try {
                        bytes = RpcValues.parseOcamlInt64(size); // Xapi: Int64.of_string (xapi_templates.ml)
                    } catch (NumberFormatException e) {
                        throw parseFailure();
                    }
                    out.add(new Disk(device, bytes, sr, bootable.equals("true"), vdiType(a.get("type"))));
                }
            } finally {
                r.close();
            }
        } catch (XMLStreamException e) {
            throw ApiError.internal("Xml.Error(" + e.getMessage() + ")");
        }
        return out;
    }

    /** {@code string2vdi_type}, with Xapi's fallback to {@code system}. */
    private static String vdiType(String t) {
        if (t == null) return "system";
        return switch (t) {
            case "system", "user", "ephemeral", "suspend", "crashdump" -> t;
            default -> "system";
        };
    }

    private static ApiError parseFailure() {
        return ApiError.internal("Xapi_templates.Parse_failure");
    }

    private static void ignoring(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException ignored) {
            // cleanup is best effort, as in Xapi
        }
    }
}
