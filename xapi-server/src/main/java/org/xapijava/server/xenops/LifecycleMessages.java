package org.xapijava.server.xenops;

import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.VBDApi;
import org.xapijava.server.api.gen.VIFApi;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The VM, VBD and VIF messages that go to xenopsd: {@code VM.start}, {@code start_on}, {@code shutdown},
 * {@code clean_shutdown}, {@code hard_shutdown}, {@code clean_reboot}, {@code hard_reboot}, {@code hard_reboot_internal},
 * {@code suspend},
 * {@code resume}, {@code resume_on}, {@code pause}, {@code unpause}, {@code power_state_reset};
 * {@code VBD.plug}, {@code unplug}, {@code unplug_force}; {@code VIF.plug}, {@code unplug},
 * {@code unplug_force}. The dispatcher's forwarding stage runs them inside their lock plans. Also the two host
 * messages that are xenopsd calls, run on the host they name: {@code host.dmesg} ({@code HOST.get_console_data}) and
 * {@code host.send_debug_keys}.
 */
public final class LifecycleMessages implements Messages {
    private final XenopsService service;
    private final Lifecycle l;
    private final DeviceHotplug devices;

    public LifecycleMessages(XenopsService service) {
        this.service = service;
        this.l = service.lifecycle();
        this.devices = service.hotplug();
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Vm());
        VBDApi.bind(table, new Vbd());
        VIFApi.bind(table, new Vif());
        HostApi.bind(table, new HostApi() {
            @Override
            public String dmesg(CallContext ctx, String host) {
                return service.xenops().hostConsoleData(TaskBinding.dbg(ctx));
            }

            /** Xapi has none either: {@code NOT_IMPLEMENTED ["dmesg_clear"]}, its own parameter. */
            @Override
            public String dmesgClear(CallContext ctx, String host) {
                throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "dmesg_clear");
            }

            /** Xapi has none either: {@code NOT_IMPLEMENTED ["get_log"]}. */
            @Override
            public String getLog(CallContext ctx, String host) {
                throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "get_log");
            }

            @Override
            public void sendDebugKeys(CallContext ctx, String host, String keys) {
                service.xenops().hostSendDebugKeys(TaskBinding.dbg(ctx), keys);
            }
        });
    }

    /** The VM's power lifecycle. */
    private final class Vm implements VMApi {
        @Override
        public void start(CallContext ctx, String vm, boolean startPaused, boolean force) {
            l.start(ctx, vm, "start", startPaused, force);
        }

        @Override
        public void startOn(CallContext ctx, String vm, String host, boolean startPaused, boolean force) {
            l.startOn(ctx, vm, host, startPaused, force);
        }

        @Override
        public void shutdown(CallContext ctx, String vm) {
            l.shutdown(ctx, vm);
        }

        @Override
        public void cleanShutdown(CallContext ctx, String vm) {
            l.cleanShutdown(ctx, vm);
        }

        @Override
        public void hardShutdown(CallContext ctx, String vm) {
            l.hardShutdown(ctx, vm);
        }

        @Override
        public void cleanReboot(CallContext ctx, String vm) {
            l.cleanReboot(ctx, vm);
        }

        @Override
        public void hardReboot(CallContext ctx, String vm) {
            l.hardReboot(ctx, vm);
        }

        @Override
        public void hardRebootInternal(CallContext ctx, String vm) {
            l.hardRebootInternal(ctx, vm);
        }

        @Override
        public void suspend(CallContext ctx, String vm) {
            l.suspend(ctx, vm);
        }

        @Override
        public void resume(CallContext ctx, String vm, boolean startPaused, boolean force) {
            l.resume(ctx, vm, "resume", startPaused, force);
        }

        @Override
        public void resumeOn(CallContext ctx, String vm, String host, boolean startPaused, boolean force) {
            l.resumeOn(ctx, vm, host, startPaused, force);
        }

        @Override
        public void pause(CallContext ctx, String vm) {
            l.pause(ctx, vm);
        }

        @Override
        public void unpause(CallContext ctx, String vm) {
            l.unpause(ctx, vm);
        }

        @Override
        public void powerStateReset(CallContext ctx, String vm) {
            l.powerStateReset(ctx, vm);
        }
    }

    /** Disk hot-plug. */
    private final class Vbd implements VBDApi {
        @Override
        public void plug(CallContext ctx, String self) {
            devices.vbdPlug(ctx, self);
        }

        @Override
        public void unplug(CallContext ctx, String self) {
            devices.vbdUnplug(ctx, self, false);
        }

        @Override
        public void unplugForce(CallContext ctx, String self) {
            devices.vbdUnplug(ctx, self, true);
        }
    }

    /** Network interface hot-plug. */
    private final class Vif implements VIFApi {
        @Override
        public void plug(CallContext ctx, String self) {
            devices.vifPlug(ctx, self);
        }

        @Override
        public void unplug(CallContext ctx, String self) {
            devices.vifUnplug(ctx, self, false);
        }

        @Override
        public void unplugForce(CallContext ctx, String self) {
            devices.vifUnplug(ctx, self, true);
        }
    }
}
