package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.List;

/**
 * A guest disk device as Xapi reasons about VBD device names ({@code xapi-idl/xen/device_number.ml}):
 * a bus and a disk and partition number. Parsed from a {@code userdevice}/{@code device} string
 * ({@code "0"}, {@code "xvda"}, {@code "hdb"}, {@code "sdc1"}, {@code "d3p1"}, ...) and compared
 * structurally, quirks included: a name parsed from a Linux device string is not range-checked, and a
 * number parses differently for HVM guests (disks 0 to 3 are IDE) than for PV guests. Immutable.
 *
 * @param bus       the bus
 * @param disk      disk number
 * @param partition partition number (0: the whole disk)
 */
public record DeviceNumber(Bus bus, long disk, long partition) {
    public enum Bus {
        XEN,
        SCSI,
        FLOPPY,
        IDE
    }

    /** Largest disk and partition of a bus ({@code max_of}; IDE with the deprecated encoding). */
    private static long[] maxOf(Bus b) {
        return switch (b) {
            case XEN -> new long[] {(1L << 20) - 1, 15};
            case SCSI -> new long[] {15, 15};
            case FLOPPY -> new long[] {2, 0};
            case IDE -> new long[] {19, 63};
        };
    }

    /** {@code make}: the device when disk and partition are in the bus's range, else null. */
    public static DeviceNumber make(Bus bus, long disk, long partition) {
        long[] m = maxOf(bus);
        if (disk < 0 || disk > m[0] || partition < 0 || partition > m[1]) return null;
        return new DeviceNumber(bus, disk, partition);
    }

    /** {@code of_disk_number}: IDE for disks 0 to 3 of an HVM guest, else Xen; null when out of range. */
    public static DeviceNumber ofDiskNumber(boolean hvm, long n) {
        return make(hvm && n < 4 ? Bus.IDE : Bus.XEN, n, 0);
    }

    /** {@code of_string}: a number (OCaml {@code int_of_string}) as a disk number, else a Linux name. */
    public static DeviceNumber of(String name, boolean hvm) {
        Long n = ocamlInt(name);
        if (n != null) {
            DeviceNumber d = ofDiskNumber(hvm, n);
            if (d != null) return d;
        }
        return ofLinuxDevice(name);
    }

    /** Every reading of {@code s} (HVM then PV): {@code possible_VBD_devices_of_string}. */
    public static List<DeviceNumber> possible(String s) {
        List<DeviceNumber> out = new ArrayList<>(2);
        DeviceNumber a = of(s, true);
        if (a != null) out.add(a);
        DeviceNumber b = of(s, false);
        if (b != null) out.add(b);
        return out;
    }

    /** {@code of_linux_device}: xvd/sd/fd/hd + base-26 letters + optional partition, or d&lt;n&gt;[p&lt;m&gt;]. */
    public static DeviceNumber ofLinuxDevice(String x) {
        if (x.startsWith("xvd")) return b26Int(Bus.XEN, x.substring(3));
        if (x.startsWith("sd")) return b26Int(Bus.SCSI, x.substring(2));
        if (x.startsWith("fd")) return b26Int(Bus.FLOPPY, x.substring(2));
        if (x.startsWith("hd")) return b26Int(Bus.IDE, x.substring(2));
        if (x.startsWith("d")) return intPInt(x.substring(1));
        return null;
    }

    /** Letters as base 26 counted from 1 ({@code a}=0, {@code z}=25, {@code aa}=26); none reads as -1. */
    private static DeviceNumber b26Int(Bus bus, String rest) {
        int i = 0;
        long acc = 0;
        while (i < rest.length() && rest.charAt(i) >= 'a' && rest.charAt(i) <= 'z') {
            acc = acc * 26 + (rest.charAt(i) - 'a' + 1);
            i++;
        }
        long disk = acc - 1;
        String tail = rest.substring(i);
        if (tail.isEmpty()) return new DeviceNumber(bus, disk, 0);
        int j = digits(tail);
        if (j == 0 || j != tail.length()) return null;
        Long part = decimal(tail);
        return part == null ? null : new DeviceNumber(bus, disk, part);
    }

    private static DeviceNumber intPInt(String rest) {
        int j = digits(rest);
        if (j == 0) return null;
        Long disk = decimal(rest.substring(0, j));
        if (disk == null) return null;
        String tail = rest.substring(j);
        if (tail.isEmpty()) return new DeviceNumber(Bus.XEN, disk, 0);
        if (tail.charAt(0) != 'p') return null;
        tail = tail.substring(1);
        int k = digits(tail);
        if (k == 0 || k != tail.length()) return null;
        Long part = decimal(tail);
        return part == null ? null : new DeviceNumber(Bus.XEN, disk, part);
    }

    private static int digits(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
        return i;
    }

    private static Long decimal(String digits) {
        return ocamlInt(digits);
    }

    private static Long ocamlInt(String s) {
        java.util.OptionalLong v = org.xapijava.model.rpc.RpcValues.tryParseOcamlInt(s);
        return v.isPresent() ? v.getAsLong() : null;
    }

    /** {@code to_linux_device}: {@code xvda}, {@code hdb}, {@code sdc2}, {@code fda}. */
    public String toLinuxDevice() {
        String prefix = switch (bus) {
            case XEN, IDE -> "xvd";
            case SCSI -> "sd";
            case FLOPPY -> "fd";
        };
        return prefix + int26(disk) + (partition == 0 ? "" : Long.toString(partition));
    }

    /** Base 26 counted from 1: 0 is {@code a}, 25 {@code z}, 26 {@code aa}. */
    static String int26(long x) {
        long high = x / 26 - 1;
        long low = x % 26 + 1;
        String h = high == -1 ? "" : int26(high);
        return h + (char) ('a' + low - 1);
    }
}
