package org.xapijava.server.vm;

import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code VM.set_groups} with Xapi's checks ({@code xapi_vm.ml set_groups}): the pool's {@code restrict_vm_groups}
 * ({@code LICENCE_RESTRICTION [VM_groups]}), then no control domain, template or snapshot
 * ({@code OPERATION_NOT_ALLOWED}), then at most one group ({@code TOO_MANY_GROUPS}). This datamodel version has no
 * {@code VM_group} class and no {@code VM.groups} field, so no ref names a group: the empty set is accepted (there is
 * nothing to store) and a group is {@code HANDLE_INVALID [VM_group, ref]}, changing nothing. Stateless; thread-safe.
 */
public final class VmGroups implements Messages {
    /** The class the refs would name, were it in the datamodel. */
    static final String VM_GROUP = "VM_group";

    private final Db data;
    private final String poolRef;

    public VmGroups(Db data, String poolRef) {
        this.data = data;
        this.poolRef = poolRef;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new VMApi() {
            @Override
            public void setGroups(CallContext ctx, String self, List<String> value) {
                VmGroups.this.setGroups(self, value);
            }
        });
    }

    void setGroups(String vm, List<String> value) {
        PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VM_groups);
        if (data.get(vm, VM.IS_CONTROL_DOMAIN) || data.get(vm, VM.IS_A_TEMPLATE) || data.get(vm, VM.IS_A_SNAPSHOT)) {
            throw new ApiError(
                    ErrorCodes.OPERATION_NOT_ALLOWED,
                    "Control domains, templates, and snapshots cannot be added to VM groups.");
        }
        if (value.size() > 1) throw new ApiError(ErrorCodes.TOO_MANY_GROUPS);
        if (!value.isEmpty()) throw ApiError.handleInvalid(VM_GROUP, value.getFirst());
    }
}
