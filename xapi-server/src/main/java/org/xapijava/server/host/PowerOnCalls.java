package org.xapijava.server.host;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.ops.Checkers;
import org.xapijava.server.sm.HostPlugins;
import org.xapijava.server.storage.Secrets;

/**
 * How a host that is off is powered on, as Xapi's {@code xapi_host.ml}: {@code host.set_power_on_mode} records the
 * mode ({@code ""} for none, {@code wake-on-lan}, {@code IPMI}, or the name of a custom script) and its configuration,
 * destroying the secrets the old configuration named ({@code *password_secret} keys); {@code host.power_on}, run on the
 * master while the host is not live (the lock plan's {@code power_on} checks: {@code HOST_IS_LIVE},
 * {@code HOST_POWER_ON_MODE_DISABLED}, {@code XENAPI_MISSING_PLUGIN}), runs the {@code power-on-host} plugin's
 * {@code main} with the host's uuid, which does the work and answers {@code True}. Thread-safe.
 */
public final class PowerOnCalls implements Messages {
    private final Db db;
    private final AllowedOperations allowed;
    private final HostPlugins plugins;

    public PowerOnCalls(Db db, AllowedOperations allowed, HostPlugins plugins) {
        this.db = db;
        this.allowed = allowed;
        this.plugins = plugins;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void setPowerOnMode(
                    CallContext ctx, String self, String powerOnMode, Map<String, String> powerOnConfig) {
                if (!db.exists(Host.XAPI_CLASS, self)) throw ApiError.handleInvalid(Host.XAPI_CLASS, self);
                db.set(self, Host.POWER_ON_MODE, powerOnMode);
                Map<String, String> old = db.get(self, Host.POWER_ON_CONFIG);
                db.set(self, Host.POWER_ON_CONFIG, powerOnConfig);
                Secrets.cleanOut(db, old);
                allowed.update(Host.XAPI_CLASS, self);
            }

            @Override
            public void powerOn(CallContext ctx, String host) {
                String uuid = db.get(host, Host.UUID);
                String result = plugins.call(
                        ctx.sessionRef(), Checkers.POWER_ON_PLUGIN, "main", Map.of("remote_host_uuid", uuid));
                if (!"True".equals(result))
                    throw ApiError.internal(RpcValues.ocamlFailure("The host failed to power on."));
            }
        });
    }
}
