package org.xapijava.xenopsd;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * A disk's position on a virtual bus: {@code Device_number.t} ({@code ocaml/xapi-idl/xen/device_number.ml}),
 * {@code bus_type * disk * partition}, on the wire {@code ["Xen", 1, 0]}. Instances are valid by construction
 * (use {@link #make}); the conversions follow {@code device_number.ml}, including its deprecated Linux IDE
 * encoding for IDE disks above 3.
 */
public record DeviceNumber(Bus bus, int disk, int partition) {

    /** {@code Device_number.bus_type}. */
    public enum Bus {
        Xen,
        Scsi,
        Floppy,
        Ide
    }

    public DeviceNumber {
        Objects.requireNonNull(bus);
        int[] max = maxOf(bus);
        if (disk < 0 || disk > max[0] || partition < 0 || partition > max[1]) {
            throw new IllegalArgumentException(
                    "device number out of range: " + bus + "(" + disk + ", " + partition + ")");
        }
    }

    /** {@code Device_number.make}: empty when the disk or partition is out of range for the bus. */
    public static Optional<DeviceNumber> make(Bus bus, int disk, int partition) {
        int[] max = maxOf(bus);
        if (disk < 0 || disk > max[0] || partition < 0 || partition > max[1]) return Optional.empty();
        return Optional.of(new DeviceNumber(bus, disk, partition));
    }

    private static int[] maxOf(Bus bus) {
        return switch (bus) {
            case Xen -> new int[] {(1 << 20) - 1, 15};
            case Scsi -> new int[] {15, 15};
            case Floppy -> new int[] {2, 0};
            case Ide -> new int[] {19, 63}; // the deprecated (Linux-specific) IDE encoding is in use, as in xenopsd
        };
    }

    /** Major numbers of the IDE controllers, two disks each (the last eight are the deprecated extension). */
    private static final int[] IDE_MAJORS = {3, 22, 33, 34, 56, 57, 88, 89, 90, 91};

    /** {@code Device_number.to_xenstore_key}: the virtual device number written to xenstore. */
    public int toXenstoreKey() {
        return switch (bus) {
            case Xen -> disk < 16 ? (202 << 8) | (disk << 4) | partition : (1 << 28) | (disk << 8) | partition;
            case Scsi -> (8 << 8) | (disk << 4) | partition;
            case Floppy -> (203 << 8) | (disk << 4) | partition;
            case Ide -> (IDE_MAJORS[disk / 2] << 8) | ((disk % 2) << 6) | partition;
        };
    }

    /** {@code Device_number.of_xenstore_key}. */
    public static DeviceNumber ofXenstoreKey(int x) {
        if ((x & (1 << 28)) != 0) return new DeviceNumber(Bus.Xen, (x >>> 8) & ((1 << 20) - 1), x & 0xff);
        int major = x >>> 8;
        switch (major) {
            case 202:
                return new DeviceNumber(Bus.Xen, (x >>> 4) & 0xf, x & 0xf);
            case 8:
                return new DeviceNumber(Bus.Scsi, (x >>> 4) & 0xf, x & 0xf);
            case 203:
                return new DeviceNumber(Bus.Floppy, (x >>> 4) & 0xf, x & 0xf);
            default:
                for (int i = 0; i < IDE_MAJORS.length; i++) {
                    if (IDE_MAJORS[i] == major) return new DeviceNumber(Bus.Ide, ((x >>> 6) & 3) + i * 2, x & 0x3f);
                }
                throw new IllegalArgumentException("Unknown device number: " + x);
        }
    }

    /** {@code Device_number.to_linux_device}, e.g. {@code xvda}, {@code sdb2}. */
    public String toLinuxDevice() {
        String prefix = switch (bus) {
            case Xen, Ide -> "xvd";
            case Scsi -> "sd";
            case Floppy -> "fd";
        };
        return prefix + int26(disk) + (partition == 0 ? "" : Integer.toString(partition));
    }

    /** Base 26 from 1: 0 → a, 25 → z, 26 → aa. */
    private static String int26(int x) {
        int high = x / 26 - 1;
        char low = (char) ('a' + x % 26);
        return (high == -1 ? "" : int26(high)) + low;
    }

    /** {@code Device_number.of_linux_device}: {@code xvdX}, {@code sdX}, {@code fdX}, {@code hdX}, {@code dNpM}. */
    public static Optional<DeviceNumber> ofLinuxDevice(String s) {
        if (s.startsWith("xvd")) return b26Int(s.substring(3), Bus.Xen);
        if (s.startsWith("sd")) return b26Int(s.substring(2), Bus.Scsi);
        if (s.startsWith("fd")) return b26Int(s.substring(2), Bus.Floppy);
        if (s.startsWith("hd")) return b26Int(s.substring(2), Bus.Ide);
        if (s.startsWith("d")) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("([0-9]+)(?:p([0-9]+))?").matcher(s.substring(1));
            if (!m.matches()) return Optional.empty();
            try {
                int disk = Integer.parseInt(m.group(1));
                int part = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
                return make(Bus.Xen, disk, part);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static Optional<DeviceNumber> b26Int(String rest, Bus bus) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("([a-z]+)([0-9]*)").matcher(rest);
        if (!m.matches()) return Optional.empty();
        long acc = 0;
        for (char c : m.group(1).toCharArray()) {
            acc = acc * 26 + (c - 'a' + 1);
            if (acc > Integer.MAX_VALUE) return Optional.empty();
        }
        try {
            int part = m.group(2).isEmpty() ? 0 : Integer.parseInt(m.group(2));
            return make(bus, (int) (acc - 1), part);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** {@code Device_number.of_disk_number}: disks 0..3 of an HVM guest are IDE, everything else Xen. */
    public static Optional<DeviceNumber> ofDiskNumber(boolean hvm, int n) {
        return make(hvm && n < 4 ? Bus.Ide : Bus.Xen, n, 0);
    }

    /** {@code Device_number.of_string ~hvm}: a decimal disk number (xapi's userdevice) or a Linux device name. */
    public static Optional<DeviceNumber> ofString(boolean hvm, String name) {
        try {
            Optional<DeviceNumber> d = ofDiskNumber(hvm, Integer.parseInt(name));
            if (d.isPresent()) return d;
        } catch (NumberFormatException e) {
            // not a number: try a device name
        }
        return ofLinuxDevice(name);
    }

    public Object toRpc() {
        return Rpc.tupleOf(bus.name(), (long) disk, (long) partition);
    }

    public static DeviceNumber fromRpc(Object v) {
        List<?> t = Rpc.tuple(v, 3);
        return new DeviceNumber(Rpc.enumTag(t.get(0), Bus.class), Rpc.integer(t.get(1)), Rpc.integer(t.get(2)));
    }
}
