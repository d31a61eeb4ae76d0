package org.xapijava.xenopsd.sim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Vif;

/**
 * MAC addresses of VIFs as xenopsd fills them in ({@code VIF_DB.add'} and {@code Mac}): {@code "random"} gets a
 * random locally administered unicast address, {@code ""} one derived from the VM id and the VIF's position.
 * Stateless; thread-safe.
 */
final class Macs {
    private Macs() {}

    private static final SecureRandom RANDOM = new SecureRandom();

    /** {@code v} stored as {@code id}, with its MAC generated when it is {@code "random"} or {@code ""}. */
    static Vif withMac(Vif v, DeviceId id) {
        String mac = switch (v.mac()) {
            case "random" -> randomLocalMac();
            case "" -> hashchainLocalMac(v.position(), id.vm());
            default -> v.mac();
        };
        if (mac.equals(v.mac()) && id.equals(v.id())) return v;
        return new Vif(
                id,
                v.position(),
                mac,
                v.carrier(),
                v.mtu(),
                v.rate(),
                v.backend(),
                v.otherConfig(),
                v.lockingMode(),
                v.extraPrivateKeys(),
                v.ipv4Configuration(),
                v.ipv6Configuration(),
                v.pvsProxy(),
                v.vlan(),
                v.trunks());
    }

    private static String makeLocalMac(int[] b) {
        b[0] = (b[0] | 0x2) & ~0x1; // locally administered, unicast
        if (b[0] == 0xfe) b[0] = 0xfd; // libvirt rejects the reserved 0xfe
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    }

    static String randomLocalMac() {
        int[] b = new int[6];
        for (int i = 0; i < 6; i++) b[i] = RANDOM.nextInt(256);
        return makeLocalMac(b);
    }

    /** {@code Mac.hashchain_local_mac dev seed}: MD5 applied {@code 2*dev+1} times to the seed. */
    static String hashchainLocalMac(int dev, String seed) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            byte[] h = seed.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < dev * 2 + 1; i++) h = md5.digest(h);
            byte[] h2 = md5.digest(h);
            return makeLocalMac(
                    new int[] {h[0] & 0xff, h[1] & 0xff, h[2] & 0xff, h[3] & 0xff, h2[1] & 0xff, h2[2] & 0xff});
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
