package org.xapijava.storage.smapiv1;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.xapijava.storage.DirectImage;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageException;

/**
 * The VDIs of this host read directly ({@link Smapiv1Storage#vdiOpenDirect}), and how many readers hold each. Not
 * persisted: a hold belongs to a reader in this process and dies with it. The caller orders a hold against an attach
 * by holding the VDI's lock around {@link #open} and around its attach. Thread-safe.
 */
final class DirectReaders {
    private final Map<String, Integer> held = new HashMap<>();

    private static String key(String sr, String vdi) {
        return sr + "\u0000" + vdi;
    }

    /** Whether a reader holds the VDI. */
    synchronized boolean held(String sr, String vdi) {
        return held.containsKey(key(sr, vdi));
    }

    /**
     * The VDI's image with a hold on it, or null: not a bundled file driver's VDI, or {@code readWrite} says a
     * datapath has it attached read-write.
     */
    DirectImage open(
            DriverInfo driver, String sr, String vdi, Map<String, String> deviceConfig, BooleanSupplier readWrite) {
        FileImages.Image image = FileImages.of(driver, sr, deviceConfig, vdi);
        if (image == null || readWrite.getAsBoolean()) return null;
        String k = key(sr, vdi);
        synchronized (this) {
            held.merge(k, 1, Integer::sum);
        }
        return new DirectImage(image.file(), image.format(), () -> {
            synchronized (this) {
                held.computeIfPresent(k, (x, n) -> n == 1 ? null : n - 1);
            }
        });
    }

    /** {@code VDIInUse} while a reader holds a VDI of {@code sr} (its files must stay where they are). */
    synchronized void refuseSrWhileHeld(String sr) {
        String prefix = sr + "\u0000";
        for (String k : held.keySet()) {
            if (k.startsWith(prefix))
                throw new StorageException(
                        SmError.VDI_IN_USE,
                        "VDI " + k.substring(prefix.length()) + " of SR " + sr + " is being read directly");
        }
    }

    /** {@code VDIInUse}, as the driver answers for an activated VDI, while a reader holds the VDI. */
    void refuseWhileHeld(String sr, String vdi) {
        if (held(sr, vdi)) throw new StorageException(SmError.VDI_IN_USE, "VDI " + vdi + " is being read directly");
    }
}
