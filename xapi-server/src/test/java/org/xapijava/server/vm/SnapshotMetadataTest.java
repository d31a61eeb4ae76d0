package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

class SnapshotMetadataTest {
    @Test
    void readsXapisSExpressions() {
        List<String[]> p = SnapshotMetadata.parse(
                "(('uuid' 'u-1') ('other_config' '((\\'k\\' \\'v\\'))') ('name__label' 'a\\\\b'))");
        assertEquals(3, p.size());
        assertArrayEquals(new String[] {"uuid", "u-1"}, p.get(0));
        assertArrayEquals(new String[] {"other_config", "(('k' 'v'))"}, p.get(1));
        assertArrayEquals(new String[] {"name__label", "a\\b"}, p.get(2));
        assertEquals(List.of(), SnapshotMetadata.parse("()"));
        for (String bad : List.of("", "(", "(('a'))", "(('a' 'b' 'c'))", "(('a' 'b')) x", "oops")) {
            ApiError e = assertThrows(ApiError.class, () -> SnapshotMetadata.parse(bad), bad);
            assertEquals(List.of("INVALID_VALUE", "Invalid vm_string"), e.description());
        }
    }

    @Test
    void domainTypeDerivedFromTheBootPolicyWhenUnspecified() {
        List<String[]> pairs =
                List.of(new String[] {"domain_type", "unspecified"}, new String[] {"HVM__boot_policy", "BIOS order"});
        assertArrayEquals(
                new String[] {"domain_type", "hvm"},
                VmReverter.ensureDomainType(pairs).get(0));
        assertArrayEquals(
                new String[] {"domain_type", "pv"},
                VmReverter.ensureDomainType(List.<String[]>of(new String[] {"HVM__boot_policy", ""}))
                        .get(0));
        assertEquals(pairs.size(), VmReverter.ensureDomainType(pairs).size());
        List<String[]> set = List.<String[]>of(new String[] {"domain_type", "pvh"});
        assertEquals(set, VmReverter.ensureDomainType(set));
        ApiError e = assertThrows(
                ApiError.class, () -> VmReverter.ensureDomainType(List.<String[]>of(new String[] {"uuid", "x"})));
        assertEquals(List.of("INVALID_VALUE", "snapshot_metadata:HVM__boot_policy", "null"), e.description());
    }
}
