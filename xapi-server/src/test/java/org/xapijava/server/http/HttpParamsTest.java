package org.xapijava.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Query values decoded as Xapi's URI library does: escapes and {@code +}, a malformed escape kept as it is. */
class HttpParamsTest {
    @Test
    void wellFormedEscapesAreDecodedAndMalformedOnesKept() {
        assertEquals("OpaqueRef:a b", HttpParams.decode("OpaqueRef%3Aa+b"));
        assertEquals("é", HttpParams.decode("%C3%A9"));
        assertEquals("%zz", HttpParams.decode("%zz"));
        assertEquals("50%", HttpParams.decode("50%"));
        assertEquals("%4", HttpParams.decode("%4"));
        assertEquals("plain", HttpParams.decode("plain"));
    }
}
