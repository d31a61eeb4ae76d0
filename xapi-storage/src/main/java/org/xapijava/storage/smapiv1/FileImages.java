package org.xapijava.storage.smapiv1;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the bundled file drivers ({@code FileSR}, {@code EXTSR}: {@code smfile.py}) keep a VDI's image: {@code
 * <sr-dir>/<location>.qcow2} or {@code <sr-dir>/<location>.raw}, the SR's directory being {@code device_config:
 * location} (FileSR) or {@code <mount-base>/<sr-uuid>} (EXTSR, {@code mount-base} from the {@code sm.conf} beside
 * the driver, default {@code /run/sr-mount}). Only these drivers' layout is known: any other driver, or a file
 * driver that is not the bundled one (no {@code smfile.py} beside it), has no image here. Stateless.
 */
final class FileImages {
    private FileImages() {}

    /** A VDI's location in the file drivers: its uuid (nothing else may name a file). */
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** smcore.py's default {@code mount-base}. */
    private static final String MOUNT_BASE = "/run/sr-mount";

    /** An image and its format ({@code qcow2} or {@code raw}). */
    record Image(Path file, String format) {}

    /** The VDI's image, or null when the driver is not a bundled file driver or the file is not there. */
    static Image of(DriverInfo driver, String srUuid, Map<String, String> deviceConfig, String location) {
        if (!UUID.matcher(location).matches() || !UUID.matcher(srUuid).matches()) return null;
        Path dir = srDir(driver, srUuid, deviceConfig);
        if (dir == null) return null;
        for (String format : new String[] {"qcow2", "raw"}) {
            Path f = dir.resolve(location + "." + format);
            if (Files.isRegularFile(f)) return new Image(f, format);
        }
        return null;
    }

    private static Path srDir(DriverInfo driver, String srUuid, Map<String, String> deviceConfig) {
        Path exe = Path.of(driver.driverFilename());
        if (!Files.isRegularFile(exe.resolveSibling("smfile.py"))) return null;
        return switch (driver.type()) {
            case "file" -> {
                String loc = deviceConfig.getOrDefault("location", "");
                Path p = loc.isEmpty() ? null : Path.of(loc);
                yield p != null && p.isAbsolute() && !loc.contains("..") ? p.normalize() : null;
            }
            case "ext" -> Path.of(mountBase(exe)).resolve(srUuid);
            default -> null;
        };
    }

    /** {@code mount-base} of the {@code sm.conf} beside the driver (its {@code key = value} lines), else the default. */
    private static String mountBase(Path exe) {
        Path conf = exe.resolveSibling("sm.conf");
        if (!Files.isRegularFile(conf)) return MOUNT_BASE;
        try {
            for (String line : Files.readAllLines(conf)) {
                String l = line.strip();
                if (l.startsWith("#") || !l.contains("=")) continue;
                String key = l.substring(0, l.indexOf('=')).strip();
                if (key.equals("mount-base"))
                    return l.substring(l.indexOf('=') + 1).strip();
            }
        } catch (IOException e) {
            return MOUNT_BASE;
        }
        return MOUNT_BASE;
    }
}
