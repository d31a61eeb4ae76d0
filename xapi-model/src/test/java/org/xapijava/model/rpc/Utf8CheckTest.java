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
        assertEquals(2, Utf8Check.firstUnstorable("ab\u0001cd"));
        assertFalse(Utf8Check.isValidDbValue("a\u0000b"));
        assertFalse(Utf8Check.isValidDbValue("a\u001fb"));
        assertFalse(Utf8Check.isValidDbValue("\ud800"));
        assertFalse(Utf8Check.isValidDbValue(List.of("ok", "\u0001")));
        assertFalse(Utf8Check.isValidDbValue(Map.of("\u0001", "v")));
        assertFalse(Utf8Check.isValidDbValue(Map.of("k", "\u0002")));
        assertTrue(Utf8Check.isValidDbValue(Map.of("k", "v")));
        assertTrue(Utf8Check.isValidDbValue(42L));
    }

    @Test
    void storedTextRefusesNoncharactersOfEveryPlane() {
        for (int cp = 0xFDD0; cp <= 0xFDEF; cp++) {
            assertEquals(1, Utf8Check.firstUnstorable("a" + Character.toString(cp)), Integer.toHexString(cp));
        }
        for (int plane = 0; plane <= 0x10; plane++) {
            for (int low : new int[] {0xFFFE, 0xFFFF}) {
                String s = "ab" + Character.toString((plane << 16) | low) + "c";
                assertEquals(2, Utf8Check.firstUnstorable(s), Integer.toHexString((plane << 16) | low));
            }
            String fine = "ab" + Character.toString((plane << 16) | 0xFFFD);
            assertEquals(-1, Utf8Check.firstUnstorable(fine));
        }
        assertEquals(-1, Utf8Check.firstUnstorable("\ufdcf\ufdf0\ufffd\ud7ff\ue000\u007f\u0085\ud83d\ude00"));
        assertEquals("U+FFFF at index 1", Utf8Check.describeUnstorable("x\uffffy"));
        assertEquals("U+10FFFF at index 0", Utf8Check.describeUnstorable("\udbff\udfff"));
        assertEquals("unpaired surrogate U+D800 at index 2", Utf8Check.describeUnstorable("ab\ud800"));
        assertEquals("U+0001 at index 0", Utf8Check.describeUnstorable("\u0001"));
        assertEquals(null, Utf8Check.describeUnstorable("plain"));
    }

    @Test
    void everyBmpCharacterFollowsOneRule() {
        for (int c = 0; c <= 0xFFFF; c++) {
            boolean expected = c == 9
                    || c == 10
                    || c == 13
                    || (c >= 0x20 && c < 0xD800)
                    || (c >= 0xE000 && c < 0xFDD0)
                    || (c > 0xFDEF && c < 0xFFFE);
            assertEquals(expected, Utf8Check.isStorable(String.valueOf((char) c)), Integer.toHexString(c));
            assertEquals(expected, Utf8Check.storableBmp((char) c), Integer.toHexString(c));
        }
    }
}
