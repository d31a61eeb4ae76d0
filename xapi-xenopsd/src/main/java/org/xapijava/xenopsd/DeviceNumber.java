package org.xapijava.xenopsd;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * A disk's position on a virtual bus: {@code Device_number.t} ({@code ocaml/xapi-idl/xen/device_number.ml}),
 * {@code bus_type * disk * partition}, on the wire {@code ["Xen", 1, 0]}. The one device-number type of both
 * xenopsd and xapi (VBD {@code device}/{@code userdevice} checks). The conversions follow {@code device_number.ml},
 * including its deprecated Linux IDE encoding for IDE disks above 3, and its quirks:
 *
 * <ul>
 *   <li>as in OCaml the record itself is not range-checked; {@link #make}, {@link #ofDiskNumber} and so {@link
 *       #ofString} for numbers are, but a name parsed by {@link #ofLinuxDevice} is not ({@code xvd1} is {@code
 *       Xen(-1, 1)}, {@code xvdzz} a disk beyond the Xen range);
 *   <li>a number is read with OCaml's {@code int_of_string} ({@code 0x10}, {@code 1_0}) and means different
 *       devices for HVM guests (disks 0 to 3 are IDE) and PV guests.
 * </ul>
 *
 * Disk and partition are Java ints where OCaml has 63 bits: a Linux name whose letters or partition number
 * exceed an int (some seven-letter names such as {@code xvdzzzzzzz}, all longer ones, partitions from
 * 2^31) parses to nothing here, where Xapi would accept a huge number. Immutable.
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
    }

    /** {@code Device_number.make}: empty when the disk or partition is out of range for the bus. */
    public static Optional<DeviceNumber> make(Bus bus, long disk, long partition) {
        int[] max = maxOf(bus);
        if (disk < 0 || disk > max[0] || partition < 0 || partition > max[1]) return Optional.empty();
        return Optional.of(new DeviceNumber(bus, (int) disk, (int) partition));
    }

    /** {@code max_of}: the largest disk and partition of a bus. */
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

    /**
     * {@code Device_number.to_xenstore_key}: the virtual device number written to xenstore.
     *
     * @throws IllegalArgumentException for an IDE disk beyond the table (OCaml's {@code List.nth} fails there)
     */
    public int toXenstoreKey() {
        return switch (bus) {
            case Xen -> disk < 16 ? (202 << 8) | (disk << 4) | partition : (1 << 28) | (disk << 8) | partition;
            case Scsi -> (8 << 8) | (disk << 4) | partition;
            case Floppy -> (203 << 8) | (disk << 4) | partition;
            case Ide -> {
                if (disk < 0 || disk / 2 >= IDE_MAJORS.length) {
                    throw new IllegalArgumentException("IDE disk out of range: " + disk);
                }
                yield (IDE_MAJORS[disk / 2] << 8) | ((disk % 2) << 6) | partition;
            }
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

    /** {@code Device_number.to_linux_device}, e.g. {@code xvda}, {@code sdb2} (IDE disks are {@code xvd} too). */
    public String toLinuxDevice() {
        String prefix = switch (bus) {
            case Xen, Ide -> "xvd";
            case Scsi -> "sd";
            case Floppy -> "fd";
        };
        return prefix + int26(disk) + (partition == 0 ? "" : Integer.toString(partition));
    }

    /** Base 26 counted from 1: 0 is {@code a}, 25 {@code z}, 26 {@code aa}. */
    static String int26(int x) {
        int high = x / 26 - 1;
        char low = (char) ('a' + x % 26);
        return (high == -1 ? "" : int26(high)) + low;
    }

    /**
     * {@code Device_number.of_linux_device}: {@code xvd}, {@code sd}, {@code fd} or {@code hd}, then base-26
     * letters (none reads as disk -1) and an optional partition number, or {@code d<n>[p<m>]}. Not range-checked.
     */
    public static Optional<DeviceNumber> ofLinuxDevice(String s) {
        if (s.startsWith("xvd")) return b26Int(Bus.Xen, s.substring(3));
        if (s.startsWith("sd")) return b26Int(Bus.Scsi, s.substring(2));
        if (s.startsWith("fd")) return b26Int(Bus.Floppy, s.substring(2));
        if (s.startsWith("hd")) return b26Int(Bus.Ide, s.substring(2));
        if (s.startsWith("d")) return intPInt(s.substring(1));
        return Optional.empty();
    }

    /** Lower-case letters as base 26 from 1, then nothing or a decimal partition. */
    private static Optional<DeviceNumber> b26Int(Bus bus, String rest) {
        int i = 0;
        long acc = 0;
        while (i < rest.length() && rest.charAt(i) >= 'a' && rest.charAt(i) <= 'z') {
            acc = acc * 26 + (rest.charAt(i) - 'a' + 1);
            if (acc - 1 > Integer.MAX_VALUE) return Optional.empty(); // beyond an int (see the class comment)
            i++;
        }
        int disk = (int) (acc - 1);
        String tail = rest.substring(i);
        if (tail.isEmpty()) return Optional.of(new DeviceNumber(bus, disk, 0));
        if (digits(tail) != tail.length()) return Optional.empty();
        return decimal(tail).map(part -> new DeviceNumber(bus, disk, part));
    }

    /** {@code <n>} or {@code <n>p<m>}, decimal. */
    private static Optional<DeviceNumber> intPInt(String rest) {
        int j = digits(rest);
        if (j == 0) return Optional.empty();
        Optional<Integer> disk = decimal(rest.substring(0, j));
        if (disk.isEmpty()) return Optional.empty();
        String tail = rest.substring(j);
        if (tail.isEmpty()) return Optional.of(new DeviceNumber(Bus.Xen, disk.get(), 0));
        if (tail.charAt(0) != 'p') return Optional.empty();
        tail = tail.substring(1);
        if (tail.isEmpty() || digits(tail) != tail.length()) return Optional.empty();
        return decimal(tail).map(part -> new DeviceNumber(Bus.Xen, disk.get(), part));
    }

    /** How many ASCII digits {@code s} starts with. */
    private static int digits(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
        return i;
    }

    /** A non-empty run of ASCII digits as an int; empty when it does not fit. */
    private static Optional<Integer> decimal(String digits) {
        OptionalLong v = RpcValues.tryParseOcamlInt(digits);
        if (v.isEmpty() || v.getAsLong() > Integer.MAX_VALUE) return Optional.empty();
        return Optional.of((int) v.getAsLong());
    }

    /** {@code Device_number.of_disk_number}: disks 0..3 of an HVM guest are IDE, everything else Xen; range-checked. */
    public static Optional<DeviceNumber> ofDiskNumber(boolean hvm, long n) {
        return make(hvm && n < 4 ? Bus.Ide : Bus.Xen, n, 0);
    }

    /**
     * {@code Device_number.of_string ~hvm}: an OCaml integer ({@code int_of_string}, xapi's userdevice) as a disk
     * number when it is one in range, otherwise a Linux device name.
     */
    public static Optional<DeviceNumber> ofString(boolean hvm, String name) {
        OptionalLong n = RpcValues.tryParseOcamlInt(name);
        if (n.isPresent()) {
            Optional<DeviceNumber> d = ofDiskNumber(hvm, n.getAsLong());
            if (d.isPresent()) return d;
        }
        return ofLinuxDevice(name);
    }

    /** Xapi's {@code possible_VBD_devices_of_string}: every reading of {@code s}, HVM first, then PV. */
    public static List<DeviceNumber> possible(String s) {
        List<DeviceNumber> out = new ArrayList<>(2);
        ofString(true, s).ifPresent(out::add);
        ofString(false, s).ifPresent(out::add);
        return out;
    }

    public Object toRpc() {
        return Rpc.tupleOf(bus.name(), (long) disk, (long) partition);
    }

    public static DeviceNumber fromRpc(Object v) {
        List<?> t = Rpc.tuple(v, 3);
        return new DeviceNumber(Rpc.enumTag(t.get(0), Bus.class), Rpc.integer(t.get(1)), Rpc.integer(t.get(2)));
    }
}
