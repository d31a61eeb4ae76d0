package org.xapijava.storage;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where an attached VDI's data can be read (and written, for a read-write attach): SMAPIv2's {@code backend} of
 * {@code VDI.attach3}. In-process drivers give a regular file or a block device ({@link #AttachInfo(Path,
 * boolean)}); SMAPIv1 drivers give Xapi's {@code attach_info} ({@code sm_exec.ml} {@code parse_attach_result}),
 * which the server hands to xenopsd: {@code params} (a block device or file, absent for tapdisk-backed drivers),
 * {@code params_nbd}, {@code o_direct}, {@code o_direct_reason} and {@code xenstore_data}. Immutable.
 *
 * @param path          the file or device ({@code params} as a path), or null when the driver gave no
 *                      {@code params}
 * @param readWrite     whether the attach allows writes
 * @param params        {@code params}, or null when absent
 * @param paramsNbd     {@code params_nbd} ({@code nbd:unix:<socket>:exportname=<name>}, or empty)
 * @param oDirect       {@code o_direct} (true when the driver says nothing)
 * @param oDirectReason {@code o_direct_reason} (empty when absent)
 * @param xenstoreData  {@code xenstore_data} (empty when absent)
 */
public record AttachInfo(
        Path path,
        boolean readWrite,
        String params,
        String paramsNbd,
        boolean oDirect,
        String oDirectReason,
        Map<String, String> xenstoreData) {

    public AttachInfo {
        Objects.requireNonNull(paramsNbd, "paramsNbd");
        Objects.requireNonNull(oDirectReason, "oDirectReason");
        xenstoreData = Collections.unmodifiableMap(new LinkedHashMap<>(xenstoreData));
    }

    /** A local file or device of an in-process driver. */
    public AttachInfo(Path path, boolean readWrite) {
        this(path, readWrite, path.toString(), "", true, "", Map.of());
    }

    /** The attach result of an SMAPIv1 driver; {@code params} null when absent. */
    public static AttachInfo ofSmapiv1(
            boolean readWrite,
            String params,
            String paramsNbd,
            boolean oDirect,
            String oDirectReason,
            Map<String, String> xenstoreData) {
        Path p = params == null || params.isEmpty() ? null : Path.of(params);
        return new AttachInfo(p, readWrite, params, paramsNbd, oDirect, oDirectReason, xenstoreData);
    }

    /** This attach as seen from a datapath with the given mode (same backend, another read/write flag). */
    public AttachInfo withReadWrite(boolean rw) {
        return new AttachInfo(path, rw, params, paramsNbd, oDirect, oDirectReason, xenstoreData);
    }
}
