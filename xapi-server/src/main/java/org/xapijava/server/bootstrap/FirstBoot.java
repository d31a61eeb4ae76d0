package org.xapijava.server.bootstrap;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;

/**
 * Whether this host's first boot is complete: the once-only work of the installer, the firstboot scripts and the
 * templates package (management PIF, installer SRs, default templates, iSCSI IQN), which XCP-ng records in
 * {@code /etc/firstboot.d/state}. Here the record is the host's iSCSI IQN: a new host has none, the last
 * first-boot step gives it one ({@link #complete}), and it never becomes empty again (Xapi refuses an empty
 * IQN). Until then every start redoes the first-boot work, and since each piece of it is found again before it is
 * created, a start interrupted half-way ends with every object once.
 */
final class FirstBoot {
    /** The {@code host.other_config} key Xapi mirrors the IQN in. */
    static final String OTHER_CONFIG_ISCSI_IQN = "iscsi_iqn";

    private final StartupContext c;

    FirstBoot(StartupContext c) {
        this.c = c;
    }

    /** Whether the first-boot work of {@code host} has still to be done (or finished). */
    static boolean pending(Db db, String host) {
        return db.get(host, Host.ISCSI_IQN).isEmpty();
    }

    /** Marks the first boot complete: the host's IQN and its {@code other_config} copy, in one step. */
    void complete(String host) {
        String iqn = iscsiIqn();
        c.db.apply(Update.builder()
                .set(host, Host.ISCSI_IQN, iqn)
                .removeFromMap(host, Host.OTHER_CONFIG, OTHER_CONFIG_ISCSI_IQN)
                .addToMap(host, Host.OTHER_CONFIG, OTHER_CONFIG_ISCSI_IQN, iqn)
                .build());
    }

    /**
     * An IQN as {@code generate-iscsi-iqn} makes it: {@code iqn.<year-month>.<reversed DNS domain>:<8 hex>}, the
     * domain being the host name's (example.com without one).
     */
    String iscsiIqn() {
        String hostname = c.settings.hostname();
        int dot = hostname.indexOf('.');
        String domain = dot > 0 && dot < hostname.length() - 1 ? hostname.substring(dot + 1) : "example.com";
        List<String> labels = new ArrayList<>(List.of(domain.split("\\.")));
        Collections.reverse(labels);
        String month = DateTimeFormatter.ofPattern("yyyy-MM").format(c.now.atOffset(ZoneOffset.UTC));
        return "iqn." + month + "." + String.join(".", labels) + ":"
                + StartupContext.uuid().substring(0, 8);
    }
}
