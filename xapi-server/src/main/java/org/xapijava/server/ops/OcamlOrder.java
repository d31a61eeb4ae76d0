package org.xapijava.server.ops;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The orders Xapi's OCaml code puts operation names in, where they reach the wire or an error.
 * Xapi's operation enums are OCaml polymorphic variants, whose runtime value is a hash of the tag
 * name; so {@code compare} on operations (sorted sets, {@code List.sort_uniq}) orders them by that
 * hash, and a {@code Hashtbl} of operations folds in bucket order. Pure functions, thread-safe.
 */
final class OcamlOrder {
    private OcamlOrder() {}

    /** The OCaml runtime value of the variant {@code `tag} (the compiler's {@code hash_variant}). */
    static int variantHash(String tag) {
        long accu = 0;
        for (int i = 0; i < tag.length(); i++) accu = 223 * accu + (tag.charAt(i) & 0xff);
        accu &= (1L << 31) - 1;
        // the compiler sign-extends from bit 30 so that 32- and 64-bit builds agree
        return (int) (accu > 0x3FFFFFFFL ? accu - (1L << 31) : accu);
    }

    /** OCaml's {@code compare} on two operation variants. */
    static final Comparator<String> VARIANTS = Comparator.comparingInt(OcamlOrder::variantHash);

    /**
     * The keys of an OCaml {@code Hashtbl.create 10} filled with {@code Hashtbl.replace} in
     * {@code insertionOrder}, in the order {@code Hashtbl.fold (fun k _ acc -> k :: acc)} lists them
     * (what Xapi's {@code update_allowed_operations} of VBD, VIF, SR and host write).
     */
    static List<String> hashtblFoldOrder(List<String> insertionOrder) {
        // Hashtbl.create 10 rounds up to 16 buckets; it would resize past 2 keys per bucket
        int buckets = 16;
        if (insertionOrder.size() > 2 * buckets) throw new IllegalArgumentException("table would resize");
        List<List<String>> table = new ArrayList<>(buckets);
        for (int i = 0; i < buckets; i++) table.add(new ArrayList<>());
        for (String k : insertionOrder) {
            List<String> chain = table.get(hashtblHash(variantHash(k)) & (buckets - 1));
            if (!chain.contains(k)) chain.addFirst(k); // new keys go to the head of their bucket
        }
        List<String> visited = new ArrayList<>(insertionOrder.size());
        for (List<String> chain : table) visited.addAll(chain);
        return visited.reversed(); // fold conses each visited key onto the accumulator
    }

    /** {@code Hashtbl.hash} of an OCaml immediate integer (runtime {@code caml_hash}, MurmurHash3 mixing). */
    static int hashtblHash(int value) {
        long tagged = 2L * value + 1; // an OCaml int n is the machine word 2n+1
        int n = (int) ((tagged >> 32) ^ (tagged >> 63) ^ tagged);
        int h = 0;
        n *= 0xcc9e2d51;
        n = Integer.rotateLeft(n, 15);
        n *= 0x1b873593;
        h ^= n;
        h = Integer.rotateLeft(h, 13);
        h = h * 5 + 0xe6546b64;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h & 0x3FFFFFFF;
    }

    /**
     * OCaml's {@code List.sort_uniq} on (task, operation) pairs compared by operation: sorted by
     * {@link #VARIANTS}, one pair per operation (the first one met).
     */
    static List<Map.Entry<String, String>> sortUniqByOp(Map<String, String> currentOps) {
        List<Map.Entry<String, String>> l = new ArrayList<>(currentOps.entrySet());
        l.sort(Map.Entry.comparingByValue(VARIANTS)); // List.sort is stable
        Set<String> seen = new HashSet<>();
        l.removeIf(e -> !seen.add(e.getValue()));
        return l;
    }
}
