package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.USBGroup;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.VUSB;
import org.xapijava.model.api.enums.DomainType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.USBGroupApi;
import org.xapijava.server.api.gen.VUSBApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The VUSB and USB_group messages, as Xapi's {@code xapi_vusb.ml} and {@code xapi_usb_group.ml} implement them.
 *
 * <ul>
 *   <li>{@code VUSB.create}: licensed by the pool's {@code restrict_usb_passthrough}
 *       ({@code LICENCE_RESTRICTION [USB_passthrough]}); at most six per VM ({@code TOO_MANY_VUSBS [6]}); a USB group
 *       serves one VUSB ({@code USB_GROUP_CONFLICT [group]}); not for a VM whose HA restart priority is
 *       {@code restart} ({@code OPERATION_NOT_ALLOWED}). The VUSB is detached, with no operations; like Xapi, create
 *       neither marks nor recomputes anything, and needs no PUSB in the group (a VM with such a VUSB fails to start
 *       on this host: none of its hosts has a PUSB).</li>
 *   <li>{@code VUSB.destroy}: refused while attached ({@code OPERATION_NOT_ALLOWED}).</li>
 *   <li>{@code VUSB.unplug}: the forwarding stage marks {@code unplug} (the checker needs a running VM and an
 *       attached VUSB) and runs it on the VM's host; there the VM must have a device model (HVM), else Xapi's
 *       {@code INTERNAL_ERROR}. This host never attaches a VUSB (it has no PUSB to pass through), so only a VUSB
 *       recorded as attached gets here; it is recorded detached.</li>
 *   <li>{@code USB_group.create} and {@code destroy} (refused while a VUSB of it is attached or a PUSB is in it;
 *       its detached VUSBs go with it).</li>
 * </ul>
 * Each call's writes are one step, on condition that what it read is unchanged. Thread-safe.
 */
public final class Vusbs implements Messages {
    /** Xapi's limit of VUSBs per VM (the error names it). */
    static final int MAX_VUSBS = 6;

    private final Db data;
    private final String poolRef;

    public Vusbs(Db data, String poolRef) {
        this.data = data;
        this.poolRef = poolRef;
    }

    @Override
    public void bind(MessageTable table) {
        VUSBApi.bind(table, new VUSBApi() {
            @Override
            public String create(CallContext ctx, String vm, String usbGroup, Map<String, String> otherConfig) {
                return Vusbs.this.create(vm, usbGroup, otherConfig);
            }

            @Override
            public void destroy(CallContext ctx, String self) {
                Vusbs.this.destroy(self);
            }

            @Override
            public void unplug(CallContext ctx, String self) {
                Vusbs.this.unplug(self);
            }
        });
        USBGroupApi.bind(table, new USBGroupApi() {
            @Override
            public String create(
                    CallContext ctx, String nameLabel, String nameDescription, Map<String, String> otherConfig) {
                String ref = org.xapijava.model.types.Refs.fresh();
                data.create(
                        ref,
                        FieldValues.of(USBGroup.XAPI_CLASS)
                                .with(USBGroup.UUID, Rows.uuid())
                                .with(USBGroup.NAME_LABEL, nameLabel)
                                .with(USBGroup.NAME_DESCRIPTION, nameDescription)
                                .with(USBGroup.OTHER_CONFIG, otherConfig));
                return ref;
            }

            @Override
            public void destroy(CallContext ctx, String self) {
                destroyGroup(self);
            }
        });
    }

    String create(String vm, String group, Map<String, String> otherConfig) {
        PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.USB_passthrough);
        return Db.retrying(() -> {
            long vmRead = data.modified(VM.XAPI_CLASS, vm);
            if (data.get(vm, VM.VUSBS).size() >= MAX_VUSBS)
                throw new ApiError(ErrorCodes.TOO_MANY_VUSBS, Integer.toString(MAX_VUSBS));
            long groupRead = data.modified(USBGroup.XAPI_CLASS, group);
            // a USB group holds one PUSB, so it serves one VUSB
            if (!data.get(group, USBGroup.VUSBS).isEmpty()) throw new ApiError(ErrorCodes.USB_GROUP_CONFLICT, group);
            if ("restart".equals(data.get(vm, VM.HA_RESTART_PRIORITY))) {
                throw new ApiError(
                        ErrorCodes.OPERATION_NOT_ALLOWED,
                        "VM " + vm + " ha_restart_priority has been set to 'restart', cannot create VUSB for it. ");
            }
            Update.Builder u = Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, vmRead)
                    .unchanged(USBGroup.XAPI_CLASS, group, groupRead);
            String vusb = Rows.create(
                    u,
                    FieldValues.of(VUSB.XAPI_CLASS)
                            .with(VUSB.UUID, Rows.uuid())
                            .with(VUSB.CURRENT_OPERATIONS, Map.of())
                            .with(VUSB.ALLOWED_OPERATIONS, List.of())
                            .with(VUSB.VM, vm)
                            .with(VUSB.USB_GROUP, group)
                            .with(VUSB.OTHER_CONFIG, otherConfig)
                            .with(VUSB.CURRENTLY_ATTACHED, false));
            data.apply(u.build());
            return vusb;
        });
    }

    void destroy(String vusb) {
        Db.retrying(() -> {
            long read = data.modified(VUSB.XAPI_CLASS, vusb);
            if (data.get(vusb, VUSB.CURRENTLY_ATTACHED)) {
                String vmUuid = data.get(data.get(vusb, VUSB.VM), VM.UUID);
                throw new ApiError(
                        ErrorCodes.OPERATION_NOT_ALLOWED,
                        "VUSB '" + data.get(vusb, VUSB.UUID) + "' still attached to '" + vmUuid + "'");
            }
            data.apply(Update.builder()
                    .unchanged(VUSB.XAPI_CLASS, vusb, read)
                    .delete(VUSB.XAPI_CLASS, vusb)
                    .build());
        });
    }

    /** Runs inside the VUSB's {@code unplug} marking, on the VM's host. */
    void unplug(String vusb) {
        String vm = data.get(vusb, VUSB.VM);
        String metrics = data.get(vm, VM.METRICS);
        boolean hvm = data.exists(VMMetrics.XAPI_CLASS, metrics)
                && data.get(metrics, VMMetrics.CURRENT_DOMAIN_TYPE).equals(DomainType.HVM.wire());
        if (!hvm) throw ApiError.internal("vusb_unplug: Unable to unplug vusb " + vusb);
        data.set(vusb, VUSB.CURRENTLY_ATTACHED, false);
    }

    void destroyGroup(String group) {
        Db.retrying(() -> {
            long read = data.modified(USBGroup.XAPI_CLASS, group);
            List<String> vusbs = data.get(group, USBGroup.VUSBS);
            List<String> connected = new ArrayList<>();
            for (String v : vusbs) if (data.get(v, VUSB.CURRENTLY_ATTACHED)) connected.add(v);
            if (!connected.isEmpty())
                throw new ApiError(ErrorCodes.USB_GROUP_CONTAINS_VUSB, connected.toArray(String[]::new));
            List<String> pusbs = data.get(group, USBGroup.PUSBS);
            if (!pusbs.isEmpty()) throw new ApiError(ErrorCodes.USB_GROUP_CONTAINS_PUSB, pusbs.toArray(String[]::new));
            Update.Builder u = Update.builder().unchanged(USBGroup.XAPI_CLASS, group, read);
            for (String v : vusbs) u.delete(VUSB.XAPI_CLASS, v);
            data.apply(u.delete(USBGroup.XAPI_CLASS, group).build());
        });
    }
}
