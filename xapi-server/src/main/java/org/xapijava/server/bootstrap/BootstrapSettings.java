package org.xapijava.server.bootstrap;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * What {@link StartupSync#run} needs to know about the host it runs on.
 *
 * @param hostname          the host name ({@code host.hostname}, {@code host.name_label} at first start, the
 *                          control domain's name)
 * @param managementAddress the address clients reach the API on (the server's bind address, e.g.
 *                          {@code 127.0.0.1}); becomes {@code host.address} and the management PIF's IP. An
 *                          address containing {@code :} is taken as IPv6.
 * @param managementNetmask the management PIF's netmask; {@code ""} derives one ({@code 255.0.0.0} for a
 *                          127.x address, else {@code 255.255.255.0}; unused for IPv6)
 * @param managementGateway the management PIF's gateway, {@code ""} for none
 * @param inventory         the host's inventory (identity: INSTALLATION_UUID, CONTROL_DOMAIN_UUID, product
 *                          keys, DOM0_MEM, DOM0_VCPUS, MANAGEMENT_INTERFACE)
 * @param localSrPath       the directory backing the local SR ({@code PBD.device_config:location} of the
 *                          {@code file} SR "Local storage"); created when missing
 * @param toolsIsoPath      the directory of the tools ISO SR ({@code device_config:location}/{@code path});
 *                          created when missing
 * @param smDirectory       where the SM drivers live; {@code SM.driver_filename} is
 *                          {@code <smDirectory>/<Stem>SR} (Xapi's default {@value #DEFAULT_SM_DIRECTORY})
 * @param hardware          the machine facts ({@link HostHardware#probe()} for this box)
 * @param clock             the clock for timestamps ({@code host_metrics.last_updated},
 *                          {@code agent_start_time}, ...)
 */
public record BootstrapSettings(
        String hostname,
        String managementAddress,
        String managementNetmask,
        String managementGateway,
        Inventory inventory,
        Path localSrPath,
        Path toolsIsoPath,
        String smDirectory,
        HostHardware hardware,
        Clock clock) {

    /** Xapi's {@code sm-dir}. */
    public static final String DEFAULT_SM_DIRECTORY = "/opt/xensource/sm";

    public BootstrapSettings {
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(managementAddress, "managementAddress");
        Objects.requireNonNull(managementNetmask, "managementNetmask");
        Objects.requireNonNull(managementGateway, "managementGateway");
        Objects.requireNonNull(inventory, "inventory");
        Objects.requireNonNull(localSrPath, "localSrPath");
        Objects.requireNonNull(toolsIsoPath, "toolsIsoPath");
        Objects.requireNonNull(smDirectory, "smDirectory");
        Objects.requireNonNull(hardware, "hardware");
        Objects.requireNonNull(clock, "clock");
        if (hostname.isEmpty()) throw new IllegalArgumentException("empty hostname");
        if (managementAddress.isEmpty()) throw new IllegalArgumentException("empty management address");
        if (inventory.installationUuid().isEmpty()
                || inventory.controlDomainUuid().isEmpty()) {
            throw new IllegalArgumentException("inventory lacks INSTALLATION_UUID or CONTROL_DOMAIN_UUID");
        }
    }

    /**
     * Settings for this box, named {@code hostname} (Xapi: {@link #localHostname()}): probed hardware, the system
     * clock, Xapi's SM directory, netmask derived and no gateway.
     */
    public static BootstrapSettings forThisHost(
            Inventory inventory, String hostname, String managementAddress, Path localSrPath, Path toolsIsoPath) {
        return new BootstrapSettings(
                hostname,
                managementAddress,
                "",
                "",
                inventory,
                localSrPath,
                toolsIsoPath,
                DEFAULT_SM_DIRECTORY,
                HostHardware.probe(),
                Clock.systemUTC());
    }

    /** Whether the management address is IPv6. */
    public boolean ipv6() {
        return managementAddress.indexOf(':') >= 0;
    }

    /** The netmask the management PIF gets (given, or derived as documented on the record). */
    public String effectiveNetmask() {
        if (!managementNetmask.isEmpty() || ipv6()) return managementNetmask;
        return managementAddress.startsWith("127.") ? "255.0.0.0" : "255.255.255.0";
    }

    /**
     * The kernel's host name (what {@code gethostname} returns, as Xapi reads it):
     * {@code /proc/sys/kernel/hostname}, else the JDK's local host name, else {@code localhost}.
     */
    public static String localHostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8)
                    .strip();
            if (!h.isEmpty()) return h;
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
