package org.xapijava.server.ops;

import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VmOperations;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The explicit messages about operations themselves: {@code VM.assert_operation_valid} (strict, as
 * {@code xapi_vm.ml}) and {@code VM.update_allowed_operations} (the VM's VBDs, VDIs and VIFs, then
 * the VM). They are the only {@code assert_operation_valid} / {@code update_allowed_operations}
 * messages of the datamodel. Thread-safe.
 */
public final class OperationMessages implements VMApi, Messages {
    private final AllowedOperations allowed;

    public OperationMessages(AllowedOperations allowed) {
        this.allowed = allowed;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, this);
    }

    @Override
    public void assertOperationValid(CallContext ctx, String self, VmOperations op) {
        allowed.assertValid(VM.XAPI_CLASS, self, op.wire());
    }

    @Override
    public void updateAllowedOperations(CallContext ctx, String self) {
        allowed.update(VM.XAPI_CLASS, self);
    }
}
