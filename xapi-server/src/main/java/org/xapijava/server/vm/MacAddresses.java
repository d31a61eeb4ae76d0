package org.xapijava.server.vm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * VIF MAC addresses as Xapi makes and checks them ({@code xapi_vif_helpers.ml:gen_mac},
 * {@code helpers.ml:is_valid_MAC}). Stateless and thread-safe.
 */
public final class MacAddresses {
    private MacAddresses() {}

    /**
     * The MAC Xapi derives for VIF {@code device} of a VM whose {@code other_config:mac_seed} is
     * {@code seed}: MD5 applied {@code 2 * device + 1} times to the seed; bytes 0 to 3 of that digest and
     * bytes 1 and 2 of its own MD5; the first byte made locally administered and unicast.
     */
    public static String generate(long device, String seed) {
        MessageDigest md5 = md5();
        byte[] acc = seed.getBytes(StandardCharsets.UTF_8);
        for (long i = 0; i < device * 2; i++) acc = md5.digest(acc);
        byte[] d1 = md5.digest(acc);
        byte[] d2 = md5.digest(d1);
        int[] b = {d1[0] & 0xff, d1[1] & 0xff, d1[2] & 0xff, d1[3] & 0xff, d2[1] & 0xff, d2[2] & 0xff};
        b[0] = (b[0] | 0x2) & ~0x1;
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    }

    /** Six colon-separated pairs of hexadecimal digits, either case. */
    public static boolean isValid(String mac) {
        String[] parts = mac.split(":", -1);
        if (parts.length != 6) return false;
        for (String p : parts) {
            if (p.length() != 2 || !hex(p.charAt(0)) || !hex(p.charAt(1))) return false;
        }
        return true;
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has MD5", e);
        }
    }
}
