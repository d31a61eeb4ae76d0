package org.xapijava.server.vm;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.Secret;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VTPM;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VTPMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;

/**
 * The VTPM messages, as Xapi's {@code xapi_vtpm.ml} implements them: {@code create} (licensed by the pool's
 * {@code restrict_vtpm}, one VTPM per VM, a halted VM), {@code destroy} (a halted or suspended VM),
 * {@code get_contents} and {@code set_contents}. A VTPM's contents live in a {@code secret} row of their own, which
 * goes with the VTPM; new contents are a new secret. A new VTPM is persisted by xapi ({@code persistence_backend}
 * {@code xapi}), has no backend domain and is not protected; {@code is_unique} is the caller's.
 *
 * <p>{@code create} runs inside the VM's {@code create_vtpm} marking (its lock plan: templates, snapshots and a
 * second VTPM are refused there first); {@code destroy} marks nothing and recomputes the VM's
 * {@code allowed_operations} (and so its VTPMs') afterwards. {@code get_contents} and {@code set_contents} are for
 * the local superuser only (the datamodel gives them no role). Each call's writes are one step. Thread-safe.
 */
public final class Vtpms implements Messages {
    /** The pool restriction that licenses VTPMs (feature {@code VTPM}). */
    static final String RESTRICT_VTPM = "restrict_vtpm";
    /** Where a new VTPM's state is kept. */
    static final String PERSISTENCE_XAPI = "xapi";

    private final Db data;
    private final String poolRef;
    private final AllowedOperations allowed;

    public Vtpms(Db data, String poolRef, AllowedOperations allowed) {
        this.data = data;
        this.poolRef = poolRef;
        this.allowed = allowed;
    }

    @Override
    public void bind(MessageTable table) {
        VTPMApi.bind(table, new Api());
    }

    private final class Api implements VTPMApi {
        @Override
        public String create(CallContext ctx, String vm, boolean isUnique) {
            return Vtpms.this.create(vm, isUnique);
        }

        @Override
        public void destroy(CallContext ctx, String self) {
            Vtpms.this.destroy(self);
        }

        @Override
        public String getContents(CallContext ctx, String self) {
            return data.get(data.get(self, VTPM.CONTENTS), Secret.VALUE);
        }

        @Override
        public void setContents(CallContext ctx, String self, String contents) {
            Vtpms.this.setContents(self, contents);
        }
    }

    /**
     * {@code VTPM.create}: {@code FEATURE_RESTRICTED [restrict_vtpm]} unless the pool allows VTPMs,
     * {@code VTPM_MAX_AMOUNT_REACHED [n]} when the VM has one, {@code VM_BAD_POWER_STATE [vm, halted, actual]}
     * unless halted; then empty contents and the VTPM, on condition that the VM is as read.
     */
    String create(String vm, boolean isUnique) {
        return Db.retrying(() -> {
            String flag = data.get(poolRef, Pool.RESTRICTIONS).get(RESTRICT_VTPM);
            if (!"false".equals(flag)) throw new ApiError(ErrorCodes.FEATURE_RESTRICTED, RESTRICT_VTPM);
            long read = data.modified(VM.XAPI_CLASS, vm);
            List<String> vtpms = data.get(vm, VM.VTPMS);
            if (!vtpms.isEmpty())
                throw new ApiError(ErrorCodes.VTPM_MAX_AMOUNT_REACHED, Integer.toString(vtpms.size()));
            VmSettings.assertPowerState(data, vm, VmPowerState.HALTED);
            Update.Builder u = Update.builder().unchanged(VM.XAPI_CLASS, vm, read);
            String secret = newSecret(u, "");
            String vtpm = Rows.create(u, row(vm, PERSISTENCE_XAPI, isUnique, secret));
            data.apply(u.build());
            return vtpm;
        });
    }

    /**
     * {@code VTPM.destroy}: {@code VM_BAD_POWER_STATE [vm, "halted;suspended", actual]} unless the VM is halted or
     * suspended; the contents' secret ({@code HANDLE_INVALID [secret, ref]} when gone) and the VTPM go together.
     * Then the VM's allowed operations (a new VTPM may be created again).
     */
    void destroy(String vtpm) {
        String vm = Db.retrying(() -> {
            long read = data.modified(VTPM.XAPI_CLASS, vtpm);
            String owner = data.get(vtpm, VTPM.VM);
            long vmRead = data.modified(VM.XAPI_CLASS, owner);
            String power = data.get(owner, VM.POWER_STATE);
            if (!power.equals(VmPowerState.HALTED.wire()) && !power.equals(VmPowerState.SUSPENDED.wire())) {
                throw new ApiError(
                        ErrorCodes.VM_BAD_POWER_STATE, owner, "halted;suspended", power.toLowerCase(Locale.ROOT));
            }
            String secret = data.get(vtpm, VTPM.CONTENTS);
            OptionalLong secretRead = data.version(Secret.XAPI_CLASS, secret);
            if (secretRead.isEmpty()) throw ApiError.handleInvalid(Secret.XAPI_CLASS, secret);
            data.apply(Update.builder()
                    .unchanged(VTPM.XAPI_CLASS, vtpm, read)
                    .unchanged(VM.XAPI_CLASS, owner, vmRead)
                    .unchanged(Secret.XAPI_CLASS, secret, secretRead.getAsLong())
                    .delete(Secret.XAPI_CLASS, secret)
                    .delete(VTPM.XAPI_CLASS, vtpm)
                    .build());
            return owner;
        });
        allowed.update(VM.XAPI_CLASS, vm);
    }

    /**
     * {@code VTPM.set_contents}: the contents become a new secret and the old one goes. Xapi's base64 check of the
     * contents discards its own result, so any string is taken, as there. When the old secret was already gone,
     * Xapi has made the change before it finds out: so here, then {@code HANDLE_INVALID [secret, ref]}.
     */
    void setContents(String vtpm, String contents) {
        String gone = Db.retrying(() -> {
            long read = data.modified(VTPM.XAPI_CLASS, vtpm);
            String previous = data.get(vtpm, VTPM.CONTENTS);
            Update.Builder u = Update.builder().unchanged(VTPM.XAPI_CLASS, vtpm, read);
            String secret = newSecret(u, contents);
            u.set(vtpm, VTPM.CONTENTS, secret);
            OptionalLong previousRead = data.version(Secret.XAPI_CLASS, previous);
            if (previousRead.isPresent()) {
                u.unchanged(Secret.XAPI_CLASS, previous, previousRead.getAsLong())
                        .delete(Secret.XAPI_CLASS, previous);
            }
            data.apply(u.build());
            return previousRead.isPresent() ? null : previous;
        });
        if (gone != null) throw ApiError.handleInvalid(Secret.XAPI_CLASS, gone);
    }

    /**
     * {@code Xapi_vtpm.copy}: adds a VTPM of {@code vm} like {@code vtpm} to {@code u} (same persistence backend and
     * {@code is_unique}, not protected), on condition that {@code vtpm} is still as read; its contents are a copy of
     * the original's secret, or fresh empty contents when the original is unique (a TPM's state that must never be
     * copied). Returns the new VTPM's ref. Used by VM clone, copy and snapshot, and by revert.
     */
    static String copy(Db data, Update.Builder u, String vtpm, String vm) {
        u.unchanged(VTPM.XAPI_CLASS, vtpm, data.modified(VTPM.XAPI_CLASS, vtpm));
        boolean unique = data.get(vtpm, VTPM.IS_UNIQUE);
        String contents;
        if (unique) {
            contents = newSecret(u, "");
        } else {
            String from = data.get(vtpm, VTPM.CONTENTS);
            u.unchanged(Secret.XAPI_CLASS, from, data.modified(Secret.XAPI_CLASS, from));
            contents = Rows.create(
                    u,
                    FieldValues.of(Secret.XAPI_CLASS)
                            .with(Secret.UUID, Rows.uuid())
                            .with(Secret.VALUE, data.get(from, Secret.VALUE))
                            .with(Secret.OTHER_CONFIG, data.get(from, Secret.OTHER_CONFIG)));
        }
        return Rows.create(u, row(vm, data.get(vtpm, VTPM.PERSISTENCE_BACKEND), unique, contents));
    }

    /** Adds the deletion of {@code vtpm} and of its contents' secret (when there is one) to {@code u}. */
    static void delete(Db data, Update.Builder u, String vtpm) {
        Rows.deleteIfValid(data, u, Secret.XAPI_CLASS, data.get(vtpm, VTPM.CONTENTS));
        u.delete(VTPM.XAPI_CLASS, vtpm);
    }

    /** {@code introduce}: a VTPM row with no backend domain, not protected, no operations. */
    private static FieldValues row(String vm, String persistenceBackend, boolean isUnique, String contents) {
        return FieldValues.of(VTPM.XAPI_CLASS)
                .with(VTPM.UUID, Rows.uuid())
                .with(VTPM.VM, vm)
                .with(VTPM.BACKEND, Refs.NULL)
                .with(VTPM.PERSISTENCE_BACKEND, persistenceBackend)
                .with(VTPM.IS_UNIQUE, isUnique)
                .with(VTPM.IS_PROTECTED, false)
                .with(VTPM.ALLOWED_OPERATIONS, List.of())
                .with(VTPM.CURRENT_OPERATIONS, Map.of())
                .with(VTPM.CONTENTS, contents);
    }

    /** {@code Xapi_secret.create}: a secret holding {@code value}, with no other_config, added to {@code u}. */
    private static String newSecret(Update.Builder u, String value) {
        return Rows.create(
                u,
                FieldValues.of(Secret.XAPI_CLASS)
                        .with(Secret.UUID, Rows.uuid())
                        .with(Secret.VALUE, value)
                        .with(Secret.OTHER_CONFIG, Map.of()));
    }
}
