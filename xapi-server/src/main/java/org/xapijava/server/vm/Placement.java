package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.xenops.BootChecks;

/**
 * Where a VM may run, as Xapi's {@code xapi_vm.ml} answers it: {@code VM.assert_can_boot_here} (the checks
 * {@code VM.start} admits a VM with, {@link BootChecks}, with the CPU check), {@code VM.get_possible_hosts} (the VM's
 * reserved host, or every live host where those checks pass without the CPU check, in the database's host order) and
 * {@code VM.assert_agile} ({@link Agility}). None marks anything; all run on the master, as in Xapi's forwarding
 * layer. Templates and snapshots are checked as any VM, as Xapi does.
 *
 * <p>Also the pool-internal {@code VM.atomic_set_resident_on} (the VM's host set and its reservation cleared in one
 * update, so no host chooser sees one without the other) and {@code VM.retrieve_wlb_recommendations} with Xapi's
 * checks in its order: the WLB feature ({@code LICENCE_RESTRICTION [WLB]}), {@code WLB_NOT_INITIALIZED} while the
 * pool has no {@code wlb_url}, {@code WLB_DISABLED}. Thread-safe.
 */
public final class Placement implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(Placement.class);

    private final Db data;
    private final String poolRef;

    public Placement(Db data, String poolRef) {
        this.data = data;
        this.poolRef = poolRef;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Api());
    }

    private final class Api implements VMApi {
        @Override
        public void assertCanBootHere(CallContext ctx, String self, String host) {
            Placement.this.assertCanBootHere(self, host);
        }

        @Override
        public List<String> getPossibleHosts(CallContext ctx, String vm) {
            return possibleHosts(vm);
        }

        @Override
        public void assertAgile(CallContext ctx, String self) {
            Agility.assertAgile(data, self);
        }

        @Override
        public void atomicSetResidentOn(CallContext ctx, String vm, String host) {
            data.apply(Update.builder()
                    .set(vm, VM.RESIDENT_ON, host)
                    .set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL)
                    .build());
        }

        @Override
        public Map<String, List<String>> retrieveWlbRecommendations(CallContext ctx, String vm) {
            data.get(vm, VM.POWER_STATE); // HANDLE_INVALID first
            PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.WLB);
            if (data.get(poolRef, Pool.WLB_URL).isEmpty()) throw new ApiError(ErrorCodes.WLB_NOT_INITIALIZED);
            if (!data.get(poolRef, Pool.WLB_ENABLED)) throw new ApiError(ErrorCodes.WLB_DISABLED);
            // pool.initialize_wlb is not implemented, so no WLB server can be configured here
            throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "VM.retrieve_wlb_recommendations from a WLB server");
        }
    }

    /** {@code VM.assert_can_boot_here}: every check of a start on {@code host}, the CPU one included. */
    void assertCanBootHere(String vm, String host) {
        data.get(vm, VM.POWER_STATE); // HANDLE_INVALID for a VM that is not there, before any check
        BootChecks.assertCanBootHere(data, vm, host, true);
    }

    /**
     * {@code get_possible_hosts_for_vm}: the VM's {@code scheduled_to_be_resident_on} when set; else each host where
     * {@code assert_can_boot_here} (without the CPU check) passes and which is live.
     */
    List<String> possibleHosts(String vm) {
        String scheduled = data.get(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON);
        if (!Refs.isNull(scheduled)) return List.of(scheduled);
        List<String> out = new ArrayList<>();
        for (String host : data.all(Host.XAPI_CLASS)) {
            try {
                BootChecks.assertCanBootHere(data, vm, host, false);
                if (BootChecks.isHostLive(data, host)) out.add(host);
            } catch (ApiError e) {
                LOG.debug("VM {} cannot run on host {}: {}", vm, host, e.getMessage());
            }
        }
        return out;
    }
}
