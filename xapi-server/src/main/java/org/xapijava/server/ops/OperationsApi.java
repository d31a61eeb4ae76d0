package org.xapijava.server.ops;

import org.xapijava.server.api.ApiModule;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The explicit messages about operations themselves: {@code VM.assert_operation_valid} (strict, as
 * {@code xapi_vm.ml}) and {@code VM.update_allowed_operations} (the VM's VBDs, VDIs and VIFs, then
 * the VM). They are the only {@code assert_operation_valid} / {@code update_allowed_operations}
 * messages of the datamodel. Stateless; the locks come from each call's services.
 */
public final class OperationsApi implements ApiModule {
    @Override
    public void register(MessageTable table) {
        table.bind("VM.assert_operation_valid", (ctx, a) -> {
            ctx.services().locks().assertOperationValid("VM", (String) a.get(0), (String) a.get(1));
            return null;
        });
        table.bind("VM.update_allowed_operations", (ctx, a) -> {
            ctx.services().locks().updateAllowedOperations("VM", (String) a.get(0));
            return null;
        });
    }
}
