package org.xapijava.storage.smapiv1;

import java.util.List;
import java.util.Map;
import org.xapijava.storage.SmError;
import org.xapijava.storage.Smapiv2.CbtCall;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.VdiInfo;
import org.xapijava.storage.smapiv1.Smapiv1Adapter.Target;

/**
 * The VDI calls of {@link Smapiv1Storage} that touch no datapath, each one driver command as Xapi's
 * {@code storage_smapiv1.ml} makes it: introduce, stat ({@code vdi_update}), set_persistent, compose, revert,
 * generate_config and the CBT calls. Stateless; thread-safe.
 */
final class Smapiv1VdiCalls {
    /** The {@code content_id} Xapi gives a VDI whose data was destroyed. */
    static final String NO_CONTENT = "/No content: this is a cbt_metadata VDI/";

    private final Smapiv1Adapter adapter;
    private final Smapiv1Host host;

    Smapiv1VdiCalls(Smapiv1Adapter adapter, Smapiv1Host host) {
        this.adapter = adapter;
        this.host = host;
    }

    /**
     * {@code vdi_introduce} with {@code vdi_location}, {@code vdi_sm_config} and {@code new_uuid}; the driver makes the
     * record. As Xapi, any failure is {@code Vdi_does_not_exist(location)}.
     */
    VdiInfo introduce(StorageContext ctx, Target t, String uuid, Map<String, String> smConfig, String location) {
        try {
            Smapiv1Call c = adapter.call(ctx, t, "vdi_introduce", List.of())
                    .vdiLocation(location)
                    .vdiSmConfig(smConfig)
                    .newUuid(uuid)
                    .build();
            return adapter.reread(t, Smapiv1Adapter.location(adapter.exec(t, c)));
        } catch (RuntimeException e) {
            throw Smapiv1Adapter.vdiDoesNotExist(location);
        }
    }

    /** {@code VDI.stat}: {@code vdi_update}, then the record as the database has it; any failure is Vdi_does_not_exist. */
    VdiInfo stat(StorageContext ctx, Target t, String vdi) {
        try {
            adapter.exec(
                    t,
                    adapter.vdiCall(ctx, t, "vdi_update", List.of(), adapter.vdiRefOrFail(t, vdi))
                            .build());
            return adapter.reread(t, vdi);
        } catch (RuntimeException e) {
            throw Smapiv1Adapter.vdiDoesNotExist(vdi);
        }
    }

    /** As Xapi: making a VDI non-persistent clones it and deletes the clone (leaving an empty leaf on CoW SRs). */
    void makeNonPersistent(StorageContext ctx, Target t, String vdi) {
        String clone = Smapiv1Adapter.location(adapter.exec(
                t,
                adapter.vdiCall(ctx, t, "vdi_clone", List.of(), adapter.vdiRefOrFail(t, vdi))
                        .driverParams(Map.of())
                        .build()));
        adapter.exec(
                t,
                adapter.vdiCall(ctx, t, "vdi_delete", List.of(), adapter.vdiRefOrFail(t, clone))
                        .build());
    }

    /** {@code vdi_compose} on {@code vdi2} with {@code vdi1}'s ref as argument. */
    void compose(StorageContext ctx, Target t, String vdi1, String vdi2) {
        String ref1 = adapter.vdiRefOrFail(t, vdi1);
        adapter.exec(
                t,
                adapter.vdiCall(ctx, t, "vdi_compose", List.of(ref1), adapter.vdiRefOrFail(t, vdi2))
                        .build());
    }

    /** {@code vdi_revert} on the snapshot with the reverted VDI's ref; {@code Unimplemented} without VDI_REVERT. */
    void revert(StorageContext ctx, Target t, String snapshot, String vdi) {
        if (!t.driver().has("VDI_REVERT")) throw new StorageException(SmError.UNIMPLEMENTED, "VDI.revert");
        String target = adapter.vdiRefOrFail(t, vdi);
        adapter.exec(
                t,
                adapter.vdiCall(ctx, t, "vdi_revert", List.of(target), adapter.vdiRefOrFail(t, snapshot))
                        .build());
    }

    /** {@code vdi_generate_config}: the driver's string (an XML-RPC call document) as it is. */
    String generateConfig(StorageContext ctx, Target t, String vdi) {
        Object r = adapter.exec(
                t,
                adapter.vdiCall(ctx, t, "vdi_generate_config", List.of(), adapter.vdiRefOrFail(t, vdi))
                        .build());
        if (!(r instanceof String s)) throw Smapiv1Adapter.parseFailure(r, "expected a string");
        return s;
    }

    /** {@code vdi_enable_cbt}, {@code vdi_disable_cbt} or {@code vdi_data_destroy} (then the no-content id). */
    void cbt(StorageContext ctx, Target t, String vdi, CbtCall call) {
        String ref = adapter.vdiRefOrFail(t, vdi);
        String command = switch (call) {
            case ENABLE -> "vdi_enable_cbt";
            case DISABLE -> "vdi_disable_cbt";
            case DATA_DESTROY -> "vdi_data_destroy";
        };
        adapter.exec(t, adapter.vdiCall(ctx, t, command, List.of(), ref).build());
        if (call == CbtCall.DATA_DESTROY) host.setContentId(ref, NO_CONTENT);
    }

    /** {@code vdi_list_changed_blocks} on {@code vdiFrom} with {@code vdiTo}'s ref: the driver's string. */
    String listChangedBlocks(StorageContext ctx, Target t, String vdiFrom, String vdiTo) {
        String to = adapter.vdiRefOrFail(t, vdiTo);
        Object r = adapter.exec(
                t,
                adapter.vdiCall(ctx, t, "vdi_list_changed_blocks", List.of(to), adapter.vdiRefOrFail(t, vdiFrom))
                        .build());
        if (!(r instanceof String s)) throw Smapiv1Adapter.parseFailure(r, "expected a string");
        return s;
    }
}
