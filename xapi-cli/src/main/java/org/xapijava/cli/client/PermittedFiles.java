package org.xapijava.cli.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The files the server may make the client read or write (§2.5 of the CLI reference): the value of every
 * {@code key=value} word the user typed (non-blank values), made absolute against the working directory and
 * normalised. A request for any other file ends the client.
 */
final class PermittedFiles {
    private final String cwd;
    private final Set<String> permitted = new HashSet<>();

    PermittedFiles(String cwd, List<String> words) {
        this.cwd = cwd;
        for (String w : words) {
            int eq = w.indexOf('=');
            if (eq < 0) continue;
            String v = w.substring(eq + 1);
            if (!v.isBlank()) permitted.add(canonical(v));
        }
    }

    /**
     * Throws the client's {@code File not permitted} failure unless {@code filename} was typed. With
     * {@code allowCwd}, the working directory itself (as a directory, so no file name) is permitted too, as Xapi's
     * client does for downloads.
     */
    void check(String filename, boolean allowCwd) throws XeException {
        String c = canonical(filename);
        if (permitted.contains(c)) return;
        if (allowCwd && c.equals(canonical("."))) return;
        throw XeException.notPermitted(filename);
    }

    /**
     * {@code path} made absolute against the working directory, with empty and {@code .} segments dropped and
     * {@code ..} applied lexically. A path naming a directory ({@code /} or a {@code .}/{@code ..} last segment)
     * keeps a trailing {@code /}, so it never equals a file's name.
     */
    String canonical(String path) {
        String p = path.startsWith("/") ? path : cwd + "/" + path;
        List<String> segs = new ArrayList<>();
        boolean dir = p.endsWith("/");
        int start = 0;
        while (start <= p.length()) {
            int slash = p.indexOf('/', start);
            if (slash < 0) slash = p.length();
            String s = p.substring(start, slash);
            start = slash + 1;
            if (s.isEmpty()) continue;
            dir = false;
            if (s.equals(".")) {
                dir = true;
            } else if (s.equals("..")) {
                dir = true;
                if (!segs.isEmpty()) segs.remove(segs.size() - 1);
            } else {
                segs.add(s);
            }
        }
        if (p.endsWith("/")) dir = true;
        StringBuilder b = new StringBuilder();
        for (String s : segs) b.append('/').append(s);
        if (dir || segs.isEmpty()) b.append('/');
        return b.toString();
    }
}
