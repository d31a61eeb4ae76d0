package org.xapijava.model.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

class Utf8CheckTest {

    @Test
    void validParamsPass() {
        List<Object> ps = new ArrayList<>();
        ps.add("OpaqueRef:x");
        ps.add(Map.of("k\u00e9", List.of("\ud834\udd1e", "tab\there", "ctl\u0001")));
        ps.add(null);
        ps.add(3L);
        Utf8Check.checkParams(ps); // control characters are not refused at dispatch since XSA-474
    }

    @Test
    void loneSurrogateInStringLeaf() {
        ApiError e = assertThrows(ApiError.class, () -> Utf8Check.checkParams(List.of("ok", "bad\ud800")));
        assertEquals("INVALID_VALUE", e.code());
        assertEquals(List.of("Invalid UTF-8 string in parameter", "S(bad\ud800)"), e.params());
    }

    @Test
    void loneSurrogateInMapKeyAndNestedSetAreFound() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", "b");
        m.put("\udc00", "v");
        ApiError e = assertThrows(ApiError.class, () -> Utf8Check.checkParams(List.<Object>of("s", m)));
        assertEquals("{a:S(b);\udc00:S(v)}", e.params().get(1));
        ApiError e2 = assertThrows(
                ApiError.class, () -> Utf8Check.checkParams(List.<Object>of(Map.of("k", List.of("x", "\ud800y")))));
        assertEquals("{k:[S(x);S(\ud800y)]}", e2.params().get(1));
    }

    @Test
    void base64PayloadMustBeUtf8() {
        ApiError e = assertThrows(ApiError.class, () -> Utf8Check.checkParams(List.of(new byte[] {(byte) 0xff})));
        assertEquals("INVALID_VALUE", e.code());
        Utf8Check.checkParams(List.of(new byte[] {'o', 'k'}));
    }

    @Test
    void databaseWriteCheckAlsoRefusesXmlIllegalCharacters() {
        assertTrue(Utf8Check.isValidDbValue("tab\tnl\ncr\r\u00e9\ud834\udd1e\ufffd"));
        // Xapi lets U+FFFE/U+FFFF into its database, then its own XML reader cannot load state.db: we refuse them
        assertFalse(Utf8Check.isValidDbValue("\ufffe"));
        assertFalse(Utf8Check.isValidDbValue("\uffff"));
        assertEquals(2, Utf8Check.xmlValidPrefix("ab\u0001cd"));
        assertFalse(Utf8Check.isValidDbValue("a\u0000b"));
        assertFalse(Utf8Check.isValidDbValue("a\u001fb"));
        assertFalse(Utf8Check.isValidDbValue("\ud800"));
        assertFalse(Utf8Check.isValidDbValue(List.of("ok", "\u0001")));
        assertFalse(Utf8Check.isValidDbValue(Map.of("\u0001", "v")));
        assertFalse(Utf8Check.isValidDbValue(Map.of("k", "\u0002")));
        assertTrue(Utf8Check.isValidDbValue(Map.of("k", "v")));
        assertTrue(Utf8Check.isValidDbValue(42L));
    }
}
