package org.xapijava.server.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every path and port of a host, from one {@code xapi.conf}-style file ({@code key = value} lines,
 * {@code #} comments) and command-line flags (flags win). Production defaults follow Xapi's layout
 * ({@code /var/lib/xcp/state.db}, {@code /etc/xensource/ptoken}, ...); {@code --data-dir DIR} puts
 * everything under one directory and switches to development defaults (unprivileged ports, the
 * password file instead of PAM).
 */
public final class XapiConfig {
    private final Map<String, String> values;

    private XapiConfig(Map<String, String> values) {
        this.values = values;
    }

    /** Keys, their production defaults, and the file name used under a data directory (null: not a path). */
    private static final String[][] KEYS = {
        {"bind", "0.0.0.0", null},
        // this host's name (host.hostname, and its name_label at first start); empty: the kernel's (gethostname), as
        // Xapi. Hosts sharing one machine (scripts/pool) are told apart by it
        {"hostname", "", null},
        {"http-port", "80", null},
        {"https-port", "443", null},
        {"auth", "pam", null},
        {"pam-service", "xapi", null},
        {"unix-socket", "/var/lib/xcp/xapi", "xapi.sock"},
        {"state-db", "/var/lib/xcp/state.db", "state.db"},
        {"redo-log", "/var/lib/xcp/state.db.redo", "state.db.redo"},
        {"pool-secret", "/etc/xensource/ptoken", "ptoken"},
        // a pool secret rotation's state on this host: both secrets while it runs (ptoken.old, ptoken.new) and, on
        // the master, the round under way (psr_cp), as Xapi's /var/lib/xcp files
        {"psr-dir", "/var/lib/xcp", "psr"},
        // this host's role: master, slave:<master address> or broken (Xapi's pool_role.ml)
        {"pool-conf", "/etc/xensource/pool.conf", "pool.conf"},
        // a member's local copy of the master's database, pushed by host.request_backup (Xapi's backup db)
        {"backup-db", "/var/lib/xcp/state.db.backup", "state.db.backup"},
        // seconds between a member's heartbeats (Xapi's host_heartbeat_interval) and before a silent member is
        // declared dead (host_assumed_dead_interval)
        {"heartbeat-interval-seconds", "30", null},
        {"host-assumed-dead-seconds", "600", null},
        // a member's calls to its master's database: the longest one may take, the reconnection backoff (Xapi's
        // master_connection.ml: 2 s doubling to 256 s), how long without contact before xapi restarts
        {"master-call-timeout-seconds", "30", null},
        {"master-backoff-min-ms", "2000", null},
        {"master-backoff-max-ms", "256000", null},
        {"master-connection-timeout-seconds", "120", null},
        // seconds between the master's requests that every live member write its database backup (Xapi's 300 s)
        {"pool-backup-interval-seconds", "300", null},
        // the master's copy of its blobs to every host (Xapi's pool_data_sync_interval, a day; the first 2 h after
        // start)
        {"pool-data-sync-interval-seconds", "86400", null},
        // how long a member in emergency mode waits before it tries its master again (Xapi: 60 s + 0-120 s)
        {"emergency-retry-seconds", "60", null},
        // host.shutdown and host.reboot answer, then power off this long after (Xapi's 10 s)
        {"host-poweroff-delay-seconds", "10", null},
        // the master holds a call's answer until its members' replicas hold its writes, this long at most per member
        // (then the member is out of step and not waited for until it catches up)
        {"replication-wait-ms", "2000", null},
        // tests only: a member waits this long before each request of its master's feed (a slow member)
        {"replica-poll-delay-ms", "0", null},
        {"inventory", "/etc/xensource-inventory", "xensource-inventory"},
        {"server-cert", "/etc/xensource/xapi-ssl.pem", "xapi-ssl.pem"},
        // the certificate served to the pool's other hosts (they ask for it by the TLS server name "pool"): Xapi's
        // host_internal one, its subject this host's uuid
        {"pool-cert", "/etc/stunnel/xapi-pool-tls.pem", "xapi-pool-tls.pem"},
        // the pool's trust (Xapi's stunnel files): the other hosts' certificates, their bundle, the pool's CA
        // certificates, and the flag file whose presence turns verification of peers on
        {"certs-pool-dir", "/etc/stunnel/certs-pool", "certs-pool"},
        {"pool-bundle", "/etc/stunnel/xapi-pool-ca-bundle.pem", "xapi-pool-ca-bundle.pem"},
        {"certs-ca-dir", "/etc/stunnel/certs", "certs-ca"},
        // the certificate revocation lists of pool.crl_install (stunnel's CRLpath), checked when verifying peers
        {"crls-dir", "/etc/stunnel/crls", "crls"},
        {"verify-certificates", "/var/xapi/verify-certificates", "verify-certificates"},
        {"password-file", "/etc/xensource/xapi-passwd", "passwd"},
        {"messages-dir", "/var/lib/xcp/blobs/messages", "messages"},
        // Xapi's RBAC audit log (rbac_audit.ml through syslog), served by GET /audit_log
        {"audit-log", "/var/log/audit.log", "logs/audit.log"},
        // the host's logs: what GET /host_logs_download and the system status's xenserver-logs collect
        {"log-dir", "/var/log", "logs"},
        // the size at which the audit log is rotated (logrotate's job on a Xapi host); 4 rotations are kept
        {"audit-log-max-bytes", "10485760", null},
        // Xapi's xapi_blob_location: one file per blob, named by its uuid
        {"blobs-dir", "/var/lib/xcp/blobs", "blob-files"},
        // the largest blob a PUT may store, in bytes (Xapi has no limit but the disk's)
        {"blob-max-size", "67108864", null},
        // Xapi's rrd_location: one gzipped RRD per object (host, VMs), written at shutdown and every backup interval
        {"rrd-dir", "/var/lib/xcp/blobs/rrds", "rrds"},
        // xcp-rrdd's monitor period (tests shorten it and move the server's clock by a step between samples)
        {"rrd-sample-period-ms", "5000", null},
        // Xapi's rrd_backup_interval: seconds between two archivings of every RRD in memory
        {"rrd-backup-interval-seconds", "86400", null},
        // disk transfers (export_raw_vdi, import_raw_vdi) at once on this host; beyond, 503 and TOO_BUSY
        {"max-transfers", "16", null},
        {"local-sr-dir", "/var/run/sr-mount/local", "sr/local"},
        {"tools-iso-dir", "/opt/xensource/packages/iso", "iso"},
        {"flush-policy", "xapi", null},
        {"max-connections", "800", null},
        {"max-header-length", "1024", null},
        {"header-read-timeout", "10", null},
        {"header-total-timeout", "60", null},
        {"xenopsd", "external", null},
        {"xenopsd-socket", "/var/lib/xcp/xenopsd", "xenopsd.sock"},
        {"xenopsd-state-dir", "/var/run/nonpersistent/xenopsd", "xenopsd"},
        // xapi's SMAPIv2 storage service (Xcp_service without the message switch), where xenopsd attaches disks;
        // empty: not served
        {"storage-socket", "/var/lib/xcp/storage", "storage.sock"},
        {"xenopsd-sim-memory-mib", "1048576", null},
        {"xenopsd-sim-delays", "", null},
        {"xenopsd-reconnect-max-ms", "10000", null},
        {"xenopsd-call-timeout-ms", "60000", null},
        // the snapshot schedule timer's background thread (on; off leaves the ticks to whoever calls them: tests)
        {"vmss-timer", "on", null},
        // Xapi's xapi.conf keys of the UEFI variable store tools (varstored)
        {"varstore-sb-state", "/usr/bin/varstore-sb-state", null},
        {"varstore-ls", "/usr/bin/varstore-ls", null},
        // VM.sysprep: Xapi's vm-sysprep-enabled and vm-sysprep-wait (seconds for the guest to see the CD), its
        // genisoimage path, and the directory of the local ISO SR holding the unattend.xml ISOs (Xapi: /var/opt/iso)
        {"vm-sysprep-enabled", "true", null},
        {"vm-sysprep-wait", "5.0", null},
        {"genisoimage", "/usr/bin/genisoimage", null},
        {"sysprep-iso-dir", "/var/opt/iso", "sysprep-iso"},
        // Xapi's xen-cmdline-script (dom0 memory goes on Xen's command line) and its host-requires-reboot flag file
        {"xen-cmdline-script", "/opt/xensource/libexec/xen-cmdline", null},
        // Xapi's xapi-plugins-root: the executables host.call_plugin runs
        {"xapi-plugins-root", "/etc/xapi.d/plugins", "plugins"},
        // how long a host plugin may run before its process group is killed (Xapi waits forever)
        {"plugin-timeout-seconds", "3600", null},
        // Xapi's sm-dir (the SMAPIv1 driver executables <X>SR) and sm-plugins (the drivers used; * for all); the
        // development layout installs the bundled drivers into <data-dir>/sm at start
        {"sm-dir", "/opt/xensource/sm", "sm"},
        {"sm-plugins", "ext nfs iscsi lvmoiscsi dummy file hba rawhba udev iso lvm lvmohba lvmofcoe shm smb", null},
        // how long a storage driver call may run before its process group is killed
        {"sm-timeout-seconds", "3600", null},
        // the datapath state of the storage layer (Xapi's /var/run/nonpersistent/xapi/storage.db)
        {"storage-state-dir", "/var/run/nonpersistent/xapi", "nonpersistent"},
        // Xapi's static-vdis directory: the disks attached to dom0 from their driver's config (host.attach_static_vdis)
        {"static-vdis-dir", "/etc/xensource/static-vdis", "static-vdis"},
        {"requires-reboot-file", "/var/run/nonpersistent/xapi/host-requires-reboot", "host-requires-reboot"},
    };

    /**
     * Reads flags ({@code --key value} or {@code --key=value}); {@code --config FILE} names the
     * xapi.conf file; {@code --data-dir DIR} selects the development layout under DIR.
     */
    public static XapiConfig fromArgs(List<String> args) throws IOException {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument: " + a);
            String k = a.substring(2);
            String v;
            int eq = k.indexOf('=');
            if (eq >= 0) {
                v = k.substring(eq + 1);
                k = k.substring(0, eq);
            } else {
                if (i + 1 >= args.size()) throw new IllegalArgumentException("missing value for --" + k);
                v = args.get(++i);
            }
            if (!known(k) && !k.equals("config") && !k.equals("data-dir"))
                throw new IllegalArgumentException("unknown option --" + k);
            flags.put(k, v);
        }
        Map<String, String> v = new LinkedHashMap<>();
        String dataDir = flags.get("data-dir");
        for (String[] k : KEYS) v.put(k[0], k[1]);
        if (dataDir != null) {
            Path d = Path.of(dataDir).toAbsolutePath();
            for (String[] k : KEYS)
                if (k[2] != null) v.put(k[0], d.resolve(k[2]).toString());
            v.put("data-dir", d.toString());
            v.put("bind", "127.0.0.1");
            v.put("http-port", "8080");
            v.put("https-port", "8443");
            v.put("auth", "file");
            v.put("xenopsd", "embedded");
        }
        String conf = flags.get("config");
        if (conf == null && dataDir != null && Files.exists(Path.of(dataDir, "xapi.conf")))
            conf = Path.of(dataDir, "xapi.conf").toString();
        if (conf != null) v.putAll(readConf(Path.of(conf)));
        for (Map.Entry<String, String> f : flags.entrySet())
            if (!f.getKey().equals("config")) v.put(f.getKey(), f.getValue());
        return new XapiConfig(v);
    }

    private static boolean known(String k) {
        for (String[] x : KEYS) if (x[0].equals(k)) return true;
        return false;
    }

    static Map<String, String> readConf(Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            int eq = t.indexOf('=');
            if (eq <= 0) throw new IOException(file + ":" + n + ": expected key = value");
            String k = t.substring(0, eq).strip();
            if (!known(k)) throw new IOException(file + ":" + n + ": unknown key " + k);
            out.put(k, t.substring(eq + 1).strip());
        }
        return out;
    }

    public String get(String key) {
        String s = values.get(key);
        if (s == null) throw new IllegalArgumentException("no setting " + key);
        return s;
    }

    public Path path(String key) {
        return Path.of(get(key));
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a number: " + get(key));
        }
    }

    /** The data directory of a development host, or null in the production layout. */
    public Path dataDir() {
        String d = values.get("data-dir");
        return d == null ? null : Path.of(d);
    }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }
}
