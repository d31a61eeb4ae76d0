package org.xapijava.server.xenops;

import org.xapijava.server.api.ApiModule;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The VM, VBD and VIF messages that go to xenopsd: {@code VM.start}, {@code start_on}, {@code shutdown},
 * {@code clean_shutdown}, {@code hard_shutdown}, {@code clean_reboot}, {@code hard_reboot}, {@code suspend},
 * {@code resume}, {@code resume_on}, {@code pause}, {@code unpause}, {@code power_state_reset};
 * {@code VBD.plug}, {@code unplug}, {@code unplug_force}; {@code VIF.plug}, {@code unplug},
 * {@code unplug_force}. Register before {@code Locks.applyForwarding}, which wraps them with their markings.
 */
public final class LifecycleApi implements ApiModule {
    private final XenopsService service;

    public LifecycleApi(XenopsService service) {
        this.service = service;
    }

    @Override
    public void register(MessageTable t) {
        service.images().bind(t);
        Lifecycle l = service.lifecycle();
        t.bind("VM.start", (ctx, a) -> {
            l.start(ctx, (String) a.get(0), "start", (Boolean) a.get(1), (Boolean) a.get(2));
            return null;
        });
        t.bind("VM.start_on", (ctx, a) -> {
            l.startOn(ctx, (String) a.get(0), (String) a.get(1), (Boolean) a.get(2), (Boolean) a.get(3));
            return null;
        });
        t.bind("VM.shutdown", (ctx, a) -> {
            l.shutdown(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.clean_shutdown", (ctx, a) -> {
            l.cleanShutdown(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.hard_shutdown", (ctx, a) -> {
            l.hardShutdown(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.clean_reboot", (ctx, a) -> {
            l.cleanReboot(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.hard_reboot", (ctx, a) -> {
            l.hardReboot(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.suspend", (ctx, a) -> {
            l.suspend(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.resume", (ctx, a) -> {
            l.resume(ctx, (String) a.get(0), "resume", (Boolean) a.get(1), (Boolean) a.get(2));
            return null;
        });
        t.bind("VM.resume_on", (ctx, a) -> {
            l.resumeOn(ctx, (String) a.get(0), (String) a.get(1), (Boolean) a.get(2), (Boolean) a.get(3));
            return null;
        });
        t.bind("VM.pause", (ctx, a) -> {
            l.pause(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.unpause", (ctx, a) -> {
            l.unpause(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VM.power_state_reset", (ctx, a) -> {
            l.powerStateReset(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VBD.plug", (ctx, a) -> {
            l.vbdPlug(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VBD.unplug", (ctx, a) -> {
            l.vbdUnplug(ctx, (String) a.get(0), false);
            return null;
        });
        t.bind("VBD.unplug_force", (ctx, a) -> {
            l.vbdUnplug(ctx, (String) a.get(0), true);
            return null;
        });
        t.bind("VIF.plug", (ctx, a) -> {
            l.vifPlug(ctx, (String) a.get(0));
            return null;
        });
        t.bind("VIF.unplug", (ctx, a) -> {
            l.vifUnplug(ctx, (String) a.get(0), false);
            return null;
        });
        t.bind("VIF.unplug_force", (ctx, a) -> {
            l.vifUnplug(ctx, (String) a.get(0), true);
            return null;
        });
    }
}
