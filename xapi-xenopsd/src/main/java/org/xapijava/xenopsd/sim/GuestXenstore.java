package org.xapijava.xenopsd.sim;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of a domain's xenstore directory ({@code /local/domain/<domid>}) that a VM's {@code xsdata} reaches and
 * that xenopsd reports back as {@code xsdata_state}, as the xc backend handles it:
 * <ul>
 *   <li>only keys under the allowed prefixes {@code vm-data/} and {@code FIST/} are written; others are dropped;</li>
 *   <li>creating a domain makes an empty {@code vm-data} directory, then writes the keys;
 *       {@code VM.set_xsdata} removes both prefixes' trees, then writes the keys (so {@code vm-data} is gone when
 *       none is left);</li>
 *   <li>writing a key creates its missing parent directories with the value {@code ""};</li>
 *   <li>{@code xsdata_state} lists every node under the allowed prefixes, directories included, each path relative
 *       to the domain's directory.</li>
 * </ul>
 * A key that is not a valid xenstore path (an empty component, or a character outside {@code [A-Za-z0-9_@-]}) is
 * dropped too: xenstored would refuse to write it. Stateless; thread-safe.
 */
final class GuestXenstore {
    private GuestXenstore() {}

    /** {@code Domain.allowed_xsdata_prefixes} of the xc backend. */
    static final List<String> ALLOWED_PREFIXES = List.of("vm-data", "FIST");

    /** The directory every new domain gets, whatever its xsdata. */
    static final String VM_DATA = "vm-data";

    /**
     * The nodes under the allowed prefixes after writing {@code xsdata}, sorted by path; with {@code vmDataDir}, on
     * top of an empty {@code vm-data} directory (a new domain).
     */
    static Map<String, String> written(Map<String, String> xsdata, boolean vmDataDir) {
        Map<String, String> nodes = new TreeMap<>();
        if (vmDataDir) nodes.put(VM_DATA, "");
        for (Map.Entry<String, String> e : xsdata.entrySet()) {
            String key = e.getKey();
            if (!allowed(key) || !validPath(key)) continue;
            for (int i = key.indexOf('/'); i > 0; i = key.indexOf('/', i + 1)) {
                nodes.putIfAbsent(key.substring(0, i), "");
            }
            nodes.put(key, e.getValue());
        }
        return nodes;
    }

    /** {@code filtered_xsdata}: whether the key lies under one of the allowed prefixes. */
    static boolean allowed(String key) {
        for (String p : ALLOWED_PREFIXES) if (key.startsWith(p + "/")) return true;
        return false;
    }

    /** A relative xenstore path: non-empty components of {@code [A-Za-z0-9_@-]} separated by single slashes. */
    static boolean validPath(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("//")) return false;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '@'
                    || c == '/';
            if (!ok) return false;
        }
        return true;
    }
}
