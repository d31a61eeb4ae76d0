package org.xapijava.server.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.network.IpAddresses.Cidr;
import org.xapijava.server.network.IpAddresses.Kind;

/** The address grammars of Xapi's checks: glibc's {@code inet_pton} for addresses, {@code ipaddr} for CIDRs. */
class IpAddressesTest {

    @Test
    void ipv4AddressesAreDottedQuadsWithoutLeadingZeros() {
        for (String ok : List.of("0.0.0.0", "10.0.0.1", "255.255.255.255", "192.168.1.10")) {
            assertTrue(IpAddresses.isValidIp(Kind.IPV4, ok), ok);
            assertFalse(IpAddresses.isValidIp(Kind.IPV6, ok), ok + " is an IPv4 address");
        }
        for (String bad : List.of(
                "",
                "1.2.3",
                "1.2.3.4.5",
                "256.0.0.1",
                "01.2.3.4",
                "1.2.3.04",
                "1..2.3",
                "1.2.3.4.",
                ".1.2.3",
                "1.2.3.4/24",
                " 1.2.3.4",
                "0x1.2.3.4",
                "1.2.3.٤", // an Arabic-Indic digit
                "localhost")) {
            assertFalse(IpAddresses.isValidIp(Kind.IPV4, bad), bad);
        }
    }

    @Test
    void ipv6AddressesAsInetPtonReadsThem() {
        for (String ok : List.of(
                "::",
                "::1",
                "1::",
                "fe80::1",
                "FE80::abcd:1",
                "1:2:3:4:5:6:7:8",
                "1:2:3:4:5:6:7::",
                "::2:3:4:5:6:7:8",
                "0001:02:3::",
                "::ffff:1.2.3.4",
                "1:2:3:4:5:6:1.2.3.4")) {
            assertTrue(IpAddresses.isValidIp(Kind.IPV6, ok), ok);
            assertFalse(IpAddresses.isValidIp(Kind.IPV4, ok), ok);
        }
        for (String bad : List.of(
                "",
                ":",
                ":::",
                ":1::2",
                "1:",
                "1:2:3:4:5:6:7:8:9",
                "1:2:3:4:5:6:7:8::",
                "::1:2:3:4:5:6:7:8",
                "1::2::3",
                "12345::",
                "g::1",
                "fe80::1%eth0",
                "[::1]",
                "::1/64",
                "1:2:3:4:5:6:7:1.2.3.4",
                "::ffff:01.2.3.4",
                "::1.2.3")) {
            assertFalse(IpAddresses.isValidIp(Kind.IPV6, bad), bad);
        }
    }

    private static Optional<Cidr> cidr(Kind k, String s) {
        return IpAddresses.parseCidr(k, s);
    }

    @Test
    void ipv4CidrsKeepTheirAddressUnmasked() {
        assertEquals(Optional.of(new Cidr("10.0.0.7", 24)), cidr(Kind.IPV4, "10.0.0.7/24"));
        assertEquals(Optional.of(new Cidr("0.0.0.0", 0)), cidr(Kind.IPV4, "0.0.0.0/0"));
        assertEquals(Optional.of(new Cidr("1.2.3.4", 32)), cidr(Kind.IPV4, "1.2.3.4/032"), "leading zeros in bits");
        for (String bad : List.of(
                "10.0.0.7",
                "10.0.0.7/",
                "10.0.0.7/33",
                "10.0.0.7/-1",
                "10.0.0.7/24 ",
                "010.0.0.7/24",
                "10.0.0.256/24",
                "10.0.0/24",
                "::1/64",
                "10.0.0.7/99999999999999999999999")) {
            assertEquals(Optional.empty(), cidr(Kind.IPV4, bad), bad);
        }
    }

    @Test
    void ipv6CidrsAreReadAsIpaddrDoesAndWrittenInRfc5952Form() {
        assertEquals(Optional.of(new Cidr("fe80::1", 64)), cidr(Kind.IPV6, "FE80:0:0:0:0:0:0:0001/64"));
        assertEquals(Optional.of(new Cidr("::", 0)), cidr(Kind.IPV6, "::/0"));
        assertEquals(Optional.of(new Cidr("1::", 128)), cidr(Kind.IPV6, "1::/128"));
        assertEquals(Optional.of(new Cidr("1:0:0:2::3", 64)), cidr(Kind.IPV6, "1:0:0:2:0:0:0:3/64"));
        assertEquals(Optional.of(new Cidr("1::2:0:0:3:4", 64)), cidr(Kind.IPV6, "1:0:0:2:0:0:3:4/64"), "first run");
        assertEquals(Optional.of(new Cidr("1::2:0:0:3:0", 64)), cidr(Kind.IPV6, "1:0:0:2:0:0:3::/64"));
        assertEquals(Optional.of(new Cidr("1:0:2:0:3:0:4:0", 8)), cidr(Kind.IPV6, "1:0:2:0:3:0:4:0/8"));
        assertEquals(Optional.of(new Cidr("::ffff:1.2.3.4", 96)), cidr(Kind.IPV6, "::ffff:1.2.3.4/96"));
        assertEquals(Optional.of(new Cidr("::102:304", 96)), cidr(Kind.IPV6, "::1.2.3.4/96"));
        // ipaddr's own leniencies: more than four hex digits when the value fits, brackets
        assertEquals(Optional.of(new Cidr("1::", 16)), cidr(Kind.IPV6, "00001::/16"));
        assertEquals(Optional.of(new Cidr("::1", 64)), cidr(Kind.IPV6, "[::1]/64"));
        for (String bad : List.of(
                "::1",
                "::1/129",
                "1::2::3/64",
                "10000::/16",
                "1:2:3:4:5:6:7:8:9/64",
                "1:2:3/64",
                ":1::/64",
                "1:/64",
                "[::1/64",
                "::ffff:01.2.3.4/96",
                "fe80::1%eth0/64",
                "10.0.0.1/24")) {
            assertEquals(Optional.empty(), cidr(Kind.IPV6, bad), bad);
        }
    }

    @Test
    void assertionsNameTheFieldInXapisErrors() {
        IpAddresses.assertValidIpOrCidr(Kind.IPV4, "ipv4_allowed", "10.0.0.1");
        IpAddresses.assertValidIpOrCidr(Kind.IPV4, "ipv4_allowed", "10.0.0.0/8");
        ApiError e = assertThrows(
                ApiError.class, () -> IpAddresses.assertValidIpOrCidr(Kind.IPV4, "ipv4_allowed", "10.0.0.0/33"));
        assertEquals(List.of("INVALID_IP_ADDRESS_SPECIFIED", "ipv4_allowed"), e.description());
        e = assertThrows(ApiError.class, () -> IpAddresses.assertValidCidr(Kind.IPV6, "address", "fe80::1"));
        assertEquals(List.of("INVALID_CIDR_ADDRESS_SPECIFIED", "address"), e.description());
        e = assertThrows(ApiError.class, () -> IpAddresses.assertValidIp(Kind.IPV6, "gateway", "fe80::1/64"));
        assertEquals(List.of("INVALID_IP_ADDRESS_SPECIFIED", "gateway"), e.description());
    }
}
