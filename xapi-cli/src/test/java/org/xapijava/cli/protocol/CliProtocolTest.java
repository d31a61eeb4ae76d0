package org.xapijava.cli.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CliProtocolTest {

    /** The vectors of reference/xe-cli.md §1.8: message, length prefix, payload. */
    static Stream<Arguments> vectors() {
        return Stream.of(
                Arguments.of(
                        new CliMessage.Print("Hello there"),
                        "17000000",
                        "09000000 00000000 0b000000 48656c6c6f207468657265"),
                Arguments.of(
                        new CliMessage.Debug("this is debug output"),
                        "20000000",
                        "09000000 0f000000 14000000 7468697320697320646562756720 6f7574707574"),
                Arguments.of(new CliMessage.Load("ova.xml"), "13000000", "09000000 01000000 07000000 6f76612e786d6c"),
                Arguments.of(
                        new CliMessage.HttpGet("foo.export", "/import"),
                        "21000000",
                        "09000000 0c000000 0a000000 666f6f2e6578706f7274 07000000 2f696d706f7274"),
                Arguments.of(
                        new CliMessage.HttpPut("foo.export", "/export"),
                        "21000000",
                        "09000000 0d000000 0a000000 666f6f2e6578706f7274 07000000 2f6578706f7274"),
                Arguments.of(new CliMessage.Prompt(), "08000000", "09000000 03000000"),
                Arguments.of(new CliMessage.Exit(5), "0c000000", "09000000 04000000 05000000"),
                Arguments.of(CliMessage.Response.OK, "08000000", "0a000000 05000000"),
                Arguments.of(CliMessage.Response.FAILED, "08000000", "0a000000 06000000"),
                Arguments.of(CliMessage.Response.WAIT, "08000000", "0a000000 12000000"),
                Arguments.of(new CliMessage.Chunk(1024), "0c000000", "0b000000 07000000 00040000"),
                Arguments.of(new CliMessage.Chunk(10240), "0c000000", "0b000000 07000000 00280000"),
                Arguments.of(new CliMessage.Chunk(102400), "0c000000", "0b000000 07000000 00900100"),
                Arguments.of(new CliMessage.Chunk(1024000), "0c000000", "0b000000 07000000 00a00f00"),
                Arguments.of(new CliMessage.Chunk(10240000), "0c000000", "0b000000 07000000 00409c00"),
                Arguments.of(new CliMessage.End(), "08000000", "0b000000 08000000"),
                Arguments.of(
                        new CliMessage.Error("somecode", List.of("a", "b", "c")),
                        "27000000",
                        "09000000 0e000000 08000000 736f6d65636f6465 03000000 01000000 61 01000000 62 01000000 63"),
                Arguments.of(
                        new CliMessage.Error("another", List.of()),
                        "17000000",
                        "09000000 0e000000 07000000 616e6f74686572 00000000"),
                Arguments.of(new CliMessage.PrintStderr("x\n"), "0e000000", "09000000 10000000 02000000 780a"),
                Arguments.of(
                        new CliMessage.HttpConnect("/console?ref=OpaqueRef:1"),
                        "24000000",
                        "09000000 11000000 18000000 2f636f6e736f6c653f7265663d4f706171756552 65663a31"));
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void encodesAndDecodesTheReferenceVectors(CliMessage m, String prefix, String payload) throws Exception {
        assertArrayEquals(hex(payload), CliProtocol.payload(m));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CliProtocol.write(out, m);
        assertArrayEquals(hex(prefix + payload), out.toByteArray());
        assertEquals(m, CliProtocol.read(new ByteArrayInputStream(out.toByteArray())));
    }

    @Test
    void theBannerIsThirtyFiveBytesOfVersionZeroPointTwo() throws Exception {
        byte[] b = CliProtocol.banner();
        assertArrayEquals(hex("58656e536f75726365207468696e20434c492070726f746f636f6c 00000000 02000000"), b);
        CliProtocol.Version v = CliProtocol.readBanner(new ByteArrayInputStream(b));
        assertEquals(new CliProtocol.Version(0, 2), v);
    }

    @Test
    void theExchangeOfVmListMinimal() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CliProtocol.write(out, new CliMessage.Print("u1,u2"));
        CliProtocol.write(out, new CliMessage.Exit(0));
        assertArrayEquals(
                hex("11000000 09000000 00000000 05000000 75312c7532 0c000000 09000000 04000000 00000000"),
                out.toByteArray());
    }

    @Test
    void anHttpReplyIsNotABannerAndShortInputIsEndOfFile() {
        assertThrows(
                CliProtocol.ProtocolException.class,
                () -> CliProtocol.readBanner(
                        new ByteArrayInputStream("HTTP/1.1 404 Not Found\r\n\r\n.........".getBytes())));
        assertThrows(EOFException.class, () -> CliProtocol.readBanner(new ByteArrayInputStream(new byte[3])));
        assertThrows(EOFException.class, () -> CliProtocol.read(new ByteArrayInputStream(hex("08000000 0a000000"))));
    }

    @Test
    void garbageFramesAreRefused() {
        for (String bad : List.of(
                "08000000 0a000000 07000000", // unknown response tag
                "08000000 63000000 00000000", // unknown envelope
                "0c000000 09000000 00000000 ff000000", // string longer than the frame
                "0c000000 0a000000 05000000 00000000", // trailing bytes
                "ffffff7f", // absurd length
                "0c000000 0b000000 07000000 ffffffff")) { // negative chunk
            assertThrows(
                    CliProtocol.ProtocolException.class,
                    () -> CliProtocol.read(new ByteArrayInputStream(hex(bad))),
                    bad);
        }
    }
}
