package org.xapijava.server.bootstrap;

import java.util.List;
import java.util.Map;

/**
 * The objects {@link StartupSync#run} created or found, by reference. A reference is
 * {@code OpaqueRef:NULL} when the object is not there: the SRs the installer creates (local storage,
 * removable storage, DVD drives) are made during the host's first boot only ({@link FirstBoot}), so a user may
 * have removed them since.
 *
 * @param firstStart                whether this call created the host (the database had no host with the
 *                                  inventory's INSTALLATION_UUID)
 * @param pool                      the pool
 * @param host                      this host
 * @param hostMetrics               its {@code host_metrics}
 * @param hostCpus                  its {@code host_cpu} objects, by CPU number (recreated at every start, as Xapi)
 * @param controlDomain             the control domain VM (uuid = CONTROL_DOMAIN_UUID)
 * @param controlDomainMetrics      its {@code VM_metrics}
 * @param controlDomainConsoles     its consoles: the {@code rfb} one, then the {@code vt100} one
 * @param managementNetwork         the network whose bridge is the inventory's MANAGEMENT_INTERFACE
 * @param managementPif             this host's PIF on it
 * @param managementPifMetrics      that PIF's metrics
 * @param internalManagementNetwork the "Host internal management network" (bridge {@code xenapi})
 * @param smByType                  the SM objects of the drivers first start registers, by type ({@code file},
 *                                  {@code iso}, {@code udev})
 * @param localSr                   "Local storage" (type {@code file})
 * @param localSrPbd                its PBD on this host
 * @param removableStorageSr        "Removable storage" (udev, disks)
 * @param dvdDrivesSr               "DVD drives" (udev, CDs)
 * @param toolsSr                   the tools ISO SR ({@code is_tools_sr})
 * @param toolsSrPbd                its PBD on this host
 * @param templatesByUuid           the default templates present, by uuid
 * @param rootUser                  the {@code user} record of root
 * @param telemetrySecret           the secret holding the pool's telemetry uuid
 */
public record HostObjects(
        boolean firstStart,
        String pool,
        String host,
        String hostMetrics,
        List<String> hostCpus,
        String controlDomain,
        String controlDomainMetrics,
        List<String> controlDomainConsoles,
        String managementNetwork,
        String managementPif,
        String managementPifMetrics,
        String internalManagementNetwork,
        Map<String, String> smByType,
        String localSr,
        String localSrPbd,
        String removableStorageSr,
        String dvdDrivesSr,
        String toolsSr,
        String toolsSrPbd,
        Map<String, String> templatesByUuid,
        String rootUser,
        String telemetrySecret) {

    public HostObjects {
        hostCpus = List.copyOf(hostCpus);
        controlDomainConsoles = List.copyOf(controlDomainConsoles);
        smByType = Map.copyOf(smByType);
        templatesByUuid = Map.copyOf(templatesByUuid);
    }
}
