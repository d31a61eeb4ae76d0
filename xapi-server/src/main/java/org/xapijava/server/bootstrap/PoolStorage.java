package org.xapijava.server.bootstrap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.ReadSet;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.types.Refs;
import org.xapijava.server.bootstrap.ProductFacts.SmDriver;

/**
 * The pool's storage records at start-up: the SM records ({@code Storage_access.on_xapi_start}, from the drivers
 * we have) and the tools ISO SR of Xapi's {@code dbsync_master.ml} ({@code create_tools_sr}). Master only.
 */
final class PoolStorage {
    /** {@code SR.other_config} keys of the tools SR ({@code Xapi_globs.xensource_internal}, {@code tools_sr_tag}). */
    static final String XENSOURCE_INTERNAL = "xensource_internal";

    static final String TOOLS_SR_TAG = "xenserver_tools_sr";

    private final StartupContext c;
    private final Db db;

    PoolStorage(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** Receives typed field values (a {@link FieldValues} to create, or sets of an {@link Update}). */
    private interface Values {
        <T> void put(Field<T> field, T value);
    }

    /**
     * One SM record per driver type, created when missing, else updated in place. Returns them by type. Each type's
     * step is one atomic update made on what it read, made again on a conflict: every host runs this at its start, and
     * a member's SM record sync ({@code SmRecordSync}) may destroy and recreate a record of the pool's meanwhile.
     */
    Map<String, String> ensureSmRecords() {
        Map<String, String> out = new LinkedHashMap<>();
        for (SmDriver d : c.facts.smDrivers()) out.put(d.type(), ReadSet.retrying(() -> ensureSmRecord(d)));
        return out;
    }

    private String ensureSmRecord(SmDriver d) {
        ReadSet read = new ReadSet(db);
        List<String> existing = read.where(SM.TYPE, d.type());
        Update.Builder u = Update.builder().require(read.preconditions());
        String sm;
        if (existing.isEmpty()) {
            FieldValues v = FieldValues.of(SM.XAPI_CLASS).with(SM.UUID, StartupContext.uuid());
            smValues(d, v::with);
            sm = Refs.fresh();
            u.create(sm, v.with(SM.OTHER_CONFIG, Map.of()).with(SM.HOST_PENDING_FEATURES, Map.of()));
        } else {
            sm = existing.getLast();
            smValues(d, new Values() {
                @Override
                public <T> void put(Field<T> field, T value) {
                    u.set(sm, field, value);
                }
            });
        }
        db.apply(u.build());
        return sm;
    }

    /** What the driver says of itself ({@code sr_get_driver_info}), Xapi's known capabilities only, sorted. */
    private void smValues(SmDriver d, Values v) {
        List<String> caps = c.facts.knownCapabilities(d.capabilities());
        Map<String, Long> features = new LinkedHashMap<>();
        for (String cap : caps) features.put(cap, 1L);
        v.put(SM.TYPE, d.type());
        v.put(SM.NAME_LABEL, d.name());
        v.put(SM.NAME_DESCRIPTION, d.description());
        v.put(SM.VENDOR, d.vendor());
        v.put(SM.COPYRIGHT, d.copyright());
        v.put(SM.VERSION, d.driverVersion());
        v.put(SM.REQUIRED_API_VERSION, d.requiredApiVersion());
        v.put(SM.CAPABILITIES, caps);
        v.put(SM.FEATURES, features);
        v.put(SM.CONFIGURATION, d.configuration());
        v.put(SM.DRIVER_FILENAME, c.settings.smDirectory() + "/" + d.stem() + "SR");
        v.put(SM.REQUIRED_CLUSTER_STACK, List.of());
    }

    /** {@code Xapi_globs.tools_sr_pbd_device_config}: the tools directory, in legacy mode. */
    static Map<String, String> toolsDeviceConfig(BootstrapSettings s) {
        String dir = s.toolsIsoPath().toString();
        Map<String, String> dc = new LinkedHashMap<>();
        dc.put("path", dir);
        dc.put(HostStorage.LOCATION, dir);
        dc.put("legacy_mode", "true");
        return dc;
    }

    /**
     * {@code create_tools_sr} (XCP-ng enables {@code create-tools-sr}): exactly one tools SR, named after the
     * product brand, with its tags. An SR with the old tags is upgraded; redundant ones are destroyed; a new one
     * is created with a PBD for every host, in one step. Then its name, description, tags and the device config
     * of its PBDs are brought up to date.
     */
    String ensureToolsSr() {
        String name = c.inventory.get(Inventory.PRODUCT_BRAND) + " Tools";
        String description = name + " ISOs";
        Map<String, String> required = new LinkedHashMap<>();
        required.put(XENSOURCE_INTERNAL, "true");
        required.put(TOOLS_SR_TAG, "true");
        required.put(HostStorage.I18N_KEY, "xenserver-tools");
        required.put(HostStorage.I18N_ORIGINAL_VALUE_PREFIX + SR.NAME_LABEL.name(), name);
        required.put(HostStorage.I18N_ORIGINAL_VALUE_PREFIX + SR.NAME_DESCRIPTION.name(), description);
        Map<String, String> deviceConfig = toolsDeviceConfig(c.settings);
        List<String> tools = new ArrayList<>();
        List<String> old = new ArrayList<>();
        for (String sr : db.all(SR.XAPI_CLASS)) {
            Map<String, String> oc = db.get(sr, SR.OTHER_CONFIG);
            if (db.get(sr, SR.IS_TOOLS_SR)) tools.add(sr);
            else if (oc.containsKey(TOOLS_SR_TAG) || oc.containsKey(XENSOURCE_INTERNAL)) old.add(sr);
        }
        String sr;
        if (!tools.isEmpty()) {
            sr = tools.get(0);
            for (String x : tools.subList(1, tools.size())) destroySr(x);
            for (String x : old) destroySr(x);
        } else if (!old.isEmpty()) {
            sr = old.get(0);
            db.set(sr, SR.IS_TOOLS_SR, true);
            for (String x : old.subList(1, old.size())) destroySr(x);
        } else {
            sr = Refs.fresh();
            Update.Builder u = Update.builder()
                    .create(
                            sr,
                            HostStorage.srValues(
                                            name,
                                            description,
                                            HostStorage.ISO_TYPE,
                                            HostStorage.ISO_TYPE,
                                            true,
                                            Map.of(),
                                            required,
                                            c.toolsDisk)
                                    .with(SR.IS_TOOLS_SR, true));
            for (String h : db.all(Host.XAPI_CLASS)) {
                u.create(Refs.fresh(), HostStorage.pbdValues(sr, h, deviceConfig));
            }
            db.apply(u.build());
        }
        Map<String, String> oc = new LinkedHashMap<>();
        db.get(sr, SR.OTHER_CONFIG).forEach((k, v) -> {
            if (!required.containsKey(k)) oc.put(k, v);
        });
        oc.putAll(required);
        Update.Builder u = Update.builder()
                .set(sr, SR.NAME_LABEL, name)
                .set(sr, SR.NAME_DESCRIPTION, description)
                .set(sr, SR.OTHER_CONFIG, oc);
        for (String pbd : db.where(PBD.SR, sr)) u.set(pbd, PBD.DEVICE_CONFIG, deviceConfig);
        db.apply(u.build());
        return sr;
    }

    /** Deletes a redundant SR with its PBDs and VDIs (so no reference dangles), in one step. */
    private void destroySr(String sr) {
        Update.Builder u = Update.builder();
        for (String pbd : db.where(PBD.SR, sr)) u.delete(PBD.XAPI_CLASS, pbd);
        for (String vdi : db.where(VDI.SR, sr)) u.delete(VDI.XAPI_CLASS, vdi);
        db.apply(u.delete(SR.XAPI_CLASS, sr).build());
    }
}
