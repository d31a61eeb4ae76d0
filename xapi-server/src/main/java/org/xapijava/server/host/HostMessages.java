package org.xapijava.server.host;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.DbReader;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VM;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.xenops.BootChecks;
import org.xapijava.server.xenops.MemoryCheck;
import org.xapijava.server.xenops.Migration;
import org.xapijava.server.xenops.ResidentVms;

/**
 * The host's availability for VMs, as Xapi's {@code xapi_host.ml}: {@code host.disable} and {@code host.enable}
 * (the {@code enabled} flag: a disabled host takes no new VM, {@code HOST_DISABLED}, and may be rebooted or shut
 * down), and evacuation: {@code host.get_vms_which_prevent_evacuation}, {@code host.assert_can_evacuate} and
 * {@code host.evacuate}, from one evacuation plan ({@code compute_evacuation_plan_no_wlb}): each user VM resident on
 * the host goes to another enabled host where it can run (every check of a start but memory, against every such
 * host), with room made by biggest-fit-decreasing on memory ({@code Binpack}); a VM that cannot go gets the error
 * that stops it. The forwarding layer sends {@code disable}/{@code enable} to the host itself, marks {@code enable}
 * and {@code evacuate}, and refreshes the host's allowed operations. Thread-safe.
 */
public final class HostMessages implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(HostMessages.class);
    /** {@code Xapi_globs.evacuation_batch_size}: migrations at once when the caller gives no batch size. */
    static final int DEFAULT_BATCH_SIZE = 10;
    /** How long one wait for a migration task lasts before looking again (a database change wakes it earlier). */
    private static final Duration TASK_WAIT_SLICE = Duration.ofSeconds(30);
    /** A key of {@code VM.pool_migrate}'s options map (it happens to spell a field name). */
    private static final String OPTION_LIVE = "live";
    /** {@code Constants.ha_restart}. */
    private static final String HA_RESTART = "restart";

    private final Db data;
    private final Database db;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final String poolRef;

    public HostMessages(Db data, Database db, TaskManager tasks, AllowedOperations allowed, String poolRef) {
        this.data = data;
        this.db = db;
        this.tasks = tasks;
        this.allowed = allowed;
        this.poolRef = poolRef;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void disable(CallContext ctx, String host) {
                HostMessages.this.disable(host);
            }

            @Override
            public void enable(CallContext ctx, String host) {
                HostMessages.this.enable(host);
            }

            @Override
            public Map<String, List<String>> getVmsWhichPreventEvacuation(CallContext ctx, String self) {
                return vmsWhichPreventEvacuation(self);
            }

            @Override
            public void assertCanEvacuate(CallContext ctx, String host) {
                HostMessages.this.assertCanEvacuate(host);
            }

            @Override
            public void evacuate(CallContext ctx, String host, String network, long batchSize)
                    throws InterruptedException {
                HostMessages.this.evacuate(ctx, host, network, batchSize);
            }

            @Override
            public void allocateResourcesForVm(CallContext ctx, String self, String vm, boolean live) {
                HostMessages.this.allocateResourcesForVm(self, vm);
            }

            @Override
            public long computeFreeMemory(CallContext ctx, String host) {
                DbReader r = db.snapshot();
                if (!r.isValid(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
                return MemoryCheck.hostFreeMemoryBytes(r, host, null);
            }

            @Override
            public long computeMemoryOverhead(CallContext ctx, String host) {
                // host_compute_memory_overhead: the cached figure, taken as constant
                return data.get(host, Host.MEMORY_OVERHEAD);
            }

            @Override
            public String getManagementInterface(CallContext ctx, String host) {
                for (String pif : data.where(PIF.HOST, host)) {
                    if (data.get(pif, PIF.MANAGEMENT)) return pif;
                }
                throw ApiError.internal("Not_found"); // Xapi's Not_found escaping as INTERNAL_ERROR
            }

            @Override
            public List<String> getUncooperativeResidentVMs(CallContext ctx, String self) {
                return List.of(); // as Xapi (xapi_host.ml answers the empty list for both)
            }

            @Override
            public List<String> getUncooperativeDomains(CallContext ctx, String self) {
                return List.of();
            }

            @Override
            public List<String> listMethods(CallContext ctx) {
                // Xapi's own answer: the message exists in the datamodel but its implementation refuses
                throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "list_method");
            }
        });
        PoolApi.bind(table, new PoolApi() {
            @Override
            public Map<String, String> getLicenseState(CallContext ctx, String self) {
                return licenseState();
            }
        });
    }

    /**
     * {@code pool.get_license_state} ({@code Xapi_pool_license.get_lowest_edition_with_expiry}): the lowest edition
     * of the pool's hosts (their {@code editions} list is in v6d's order, lowest first) and the earliest licence
     * expiry among the hosts of that edition, {@code never} when none has one.
     */
    Map<String, String> licenseState() {
        DbReader r = db.snapshot();
        String lowest = null;
        int lowestRank = Integer.MAX_VALUE;
        for (String h : r.all(Host.XAPI_CLASS)) {
            String edition = r.get(h, Host.EDITION);
            int rank = r.get(h, Host.EDITIONS).indexOf(edition);
            if (rank < 0) rank = Integer.MAX_VALUE - 1;
            if (lowest == null || rank < lowestRank) {
                lowest = edition;
                lowestRank = rank;
            }
        }
        String expiry = null;
        for (String h : r.all(Host.XAPI_CLASS)) {
            if (!r.get(h, Host.EDITION).equals(lowest)) continue;
            String e = r.get(h, Host.LICENSE_PARAMS).get("expiry");
            if (e != null && !e.isEmpty() && (expiry == null || e.compareTo(expiry) < 0)) expiry = e;
        }
        Map<String, String> out = new LinkedHashMap<>();
        out.put("edition", lowest == null ? "" : lowest);
        out.put("expiry", expiry == null ? "never" : expiry);
        return out;
    }

    // ------------------------------------------------------------------------------------------- enabled

    /** {@code disable}: an enabled host becomes disabled; a disabled one is left as it is. */
    void disable(String host) {
        if (data.get(host, Host.ENABLED)) {
            LOG.info("Host.enabled: setting host {} ({}) to disabled because of user request", host, hostname(host));
            data.set(host, Host.ENABLED, false);
        }
    }

    /**
     * {@code enable}: a disabled host becomes enabled. Xapi's {@code assert_safe_to_reenable} checks that apply here:
     * with HA on, no unplugged storage of the host may be needed by a protected VM (no HA yet: nothing to check).
     */
    void enable(String host) {
        if (!data.get(host, Host.ENABLED)) {
            LOG.info("Host.enabled: setting host {} ({}) to enabled because of user request", host, hostname(host));
            data.set(host, Host.ENABLED, true);
        }
    }

    private String hostname(String host) {
        return data.get(host, Host.HOSTNAME);
    }

    // ------------------------------------------------------------------------------------------- the plan

    /** One VM's lot in an evacuation: its destination, or the error that keeps it. */
    record Plan(String destination, ApiError error) {}

    /**
     * {@code compute_evacuation_plan_no_wlb}: for each user VM resident on {@code host}, in the host's order, where
     * it goes or why it cannot.
     */
    Map<String, Plan> evacuationPlan(String host) {
        DbReader r = db.snapshot();
        if (!r.isValid(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        List<String> targets = new ArrayList<>();
        for (String h : r.all(Host.XAPI_CLASS)) {
            if (!h.equals(host) && r.get(h, Host.ENABLED)) targets.add(h);
        }
        List<String> userVms = ResidentVms.userVms(r, host);
        Map<String, Plan> plans = new LinkedHashMap<>();
        if (targets.isEmpty()) {
            for (String vm : userVms) plans.put(vm, failed(new ApiError(ErrorCodes.NO_HOSTS_AVAILABLE, vm)));
            return plans;
        }
        List<String> protectedVms = new ArrayList<>();
        boolean ha = r.get(poolRef, Pool.HA_ENABLED);
        for (String vm : userVms) {
            boolean alwaysRun = r.get(vm, VM.HA_ALWAYS_RUN) && HA_RESTART.equals(r.get(vm, VM.HA_RESTART_PRIORITY));
            if (!ha || alwaysRun) protectedVms.add(vm);
            else plans.put(vm, failed(new ApiError(ErrorCodes.HOST_EVACUATE_VM_NOT_HA_PROTECTED, vm)));
        }
        List<String> migratable = new ArrayList<>();
        for (String vm : protectedVms) {
            try {
                for (String target : targets) BootChecks.assertCanBootHere(r, vm, target, true, false);
                migratable.add(vm);
            } catch (ApiError e) {
                plans.put(vm, failed(e));
            }
        }
        // impediments to the migration itself (blocked operations, other operations in progress, ...)
        for (String vm : userVms) {
            try {
                allowed.assertValid(VM.XAPI_CLASS, vm, "pool_migrate");
            } catch (ApiError e) {
                plans.put(vm, failed(e));
            }
        }
        Map<String, String> packed = biggestFitDecreasing(r, migratable, targets);
        for (String vm : migratable) {
            String target = packed.get(vm);
            if (target == null) {
                plans.put(vm, failed(new ApiError(ErrorCodes.HOST_NOT_ENOUGH_FREE_MEMORY, vm)));
                continue;
            }
            try {
                BootChecks.assertCanBootHere(r, vm, target, true, false);
            } catch (ApiError e) {
                plans.put(vm, failed(e));
            }
            plans.putIfAbsent(vm, new Plan(target, null));
        }
        // in the host's order
        Map<String, Plan> ordered = new LinkedHashMap<>();
        for (String vm : userVms) if (plans.containsKey(vm)) ordered.put(vm, plans.get(vm));
        return ordered;
    }

    private static Plan failed(ApiError e) {
        return new Plan(null, e);
    }

    /**
     * {@code Binpack.biggest_fit_decreasing}: the VMs, biggest first (their start memory), each to the host with the
     * most free memory left, if it fits there; a VM that fits nowhere is left out.
     */
    static Map<String, String> biggestFitDecreasing(DbReader r, List<String> vms, List<String> hosts) {
        record Bin(String host, long free) {}
        List<Map.Entry<String, Long>> things = new ArrayList<>();
        for (String vm : vms) things.add(Map.entry(vm, MemoryCheck.startMemoryBytes(r, vm)));
        things.sort(Comparator.comparing((Map.Entry<String, Long> e) -> e.getValue())
                .reversed());
        List<Bin> bins = new ArrayList<>();
        for (String h : hosts) bins.add(new Bin(h, MemoryCheck.hostFreeMemoryBytes(r, h, null)));
        Comparator<Bin> biggestFirst = Comparator.comparingLong(Bin::free).reversed();
        bins.sort(biggestFirst);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> t : things) {
            if (bins.isEmpty()) break;
            Bin first = bins.getFirst();
            long remaining = first.free() - t.getValue();
            if (remaining < 0) continue;
            out.put(t.getKey(), first.host());
            bins.removeFirst();
            // the bin goes back before the first bin that is not bigger (Binpack's insert)
            Bin b = new Bin(first.host(), remaining);
            int i = 0;
            while (i < bins.size() && biggestFirst.compare(b, bins.get(i)) > 0) i++;
            bins.add(i, b);
        }
        return out;
    }

    /** {@code get_vms_which_prevent_evacuation}: each VM that cannot go, with its error (code first). */
    Map<String, List<String>> vmsWhichPreventEvacuation(String host) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map.Entry<String, Plan> e : evacuationPlan(host).entrySet()) {
            ApiError err = e.getValue().error();
            if (err != null) out.put(e.getKey(), err.description());
        }
        return out;
    }

    /** {@code assert_can_evacuate}: {@code CANNOT_EVACUATE_HOST ["code,params|code,params..."]} if a VM cannot go. */
    void assertCanEvacuate(String host) {
        List<String> errors = new ArrayList<>();
        for (List<String> e : vmsWhichPreventEvacuation(host).values()) errors.add(String.join(",", e));
        if (!errors.isEmpty()) throw new ApiError(ErrorCodes.CANNOT_EVACUATE_HOST, String.join("|", errors));
    }

    // ------------------------------------------------------------------------------------------- evacuate

    /**
     * {@code evacuate}: the plan's first error stops it; else every VM is migrated ({@code Async.VM.pool_migrate}
     * with {@code live=true}, and {@code network} when given) to its destination, {@code batchSize} at a time (a
     * new one as each ends; 0 or less: {@value #DEFAULT_BATCH_SIZE}); a migration that failed but for
     * {@code VM_BAD_POWER_STATE} (the VM stopped meanwhile) fails the call with its error. At the end no user VM may
     * be left on the host.
     */
    void evacuate(CallContext ctx, String host, String network, long batchSize) throws InterruptedException {
        Map<String, Plan> plans = evacuationPlan(host);
        for (Plan p : plans.values()) if (p.error() != null) throw p.error();
        Map<String, String> options = new LinkedHashMap<>();
        if (!Refs.isNull(network)) {
            // every destination must have an address on the network
            DbReader r = db.snapshot();
            for (Plan p : plans.values()) Migration.addressOnNetwork(r, network, p.destination());
            options.put(Migration.OPTION_NETWORK, network);
        }
        options.put(OPTION_LIVE, "true");
        int n = batchSize > 0 ? (int) Math.min(Integer.MAX_VALUE, batchSize) : DEFAULT_BATCH_SIZE;
        n = Math.max(1, Math.abs(n));
        LOG.info("Host.evacuate: migrating VMs in batches of {}", n);
        XenApi api = ctx.api();
        List<Map.Entry<String, Plan>> left = new ArrayList<>(plans.entrySet());
        Set<String> pending = new HashSet<>();
        int done = 0;
        double total = plans.size();
        try {
            while (!left.isEmpty() || !pending.isEmpty()) {
                while (pending.size() < n && !left.isEmpty()) {
                    Map.Entry<String, Plan> next = left.removeFirst();
                    pending.add(api.vm()
                            .poolMigrateAsync(next.getKey(), next.getValue().destination(), options));
                }
                long g = db.generation();
                List<String> finished = new ArrayList<>();
                for (String t : pending) if (!tasks.isPending(t)) finished.add(t);
                if (finished.isEmpty()) {
                    if (ctx.taskRef() != null) tasks.checkCancelled(ctx.taskRef());
                    db.awaitGeneration(g, TASK_WAIT_SLICE);
                    continue;
                }
                for (String t : finished) {
                    pending.remove(t);
                    try {
                        assertSuccess(t);
                    } finally {
                        destroyQuietly(t);
                    }
                    done++;
                    if (ctx.taskRef() != null) tasks.setProgress(ctx.taskRef(), done / total);
                }
            }
        } finally {
            for (String t : pending) destroyQuietly(t);
        }
        if (ctx.taskRef() != null) tasks.setProgress(ctx.taskRef(), 1.0);
        long remainder = ResidentVms.userVms(data, host).size();
        if (remainder != 0) {
            throw ApiError.internal("evacuate: " + remainder + " VMs are still resident on " + host);
        }
    }

    /** A migration's outcome: success, or a failure that is not {@code VM_BAD_POWER_STATE}, raised. */
    private void assertSuccess(String task) {
        String status = data.get(task, Task.STATUS);
        switch (status) {
            case "success" -> {}
            case "failure" -> {
                List<String> info = data.get(task, Task.ERROR_INFO);
                if (info.isEmpty()) throw ApiError.internal(task + ", couldn't extract error result from task");
                if (info.getFirst().equals(ErrorCodes.VM_BAD_POWER_STATE)) return;
                throw new ApiError(info.getFirst(), info.subList(1, info.size()).toArray(String[]::new));
            }
            default -> throw ApiError.internal(task + ", unexpected status of migration task");
        }
    }

    private void destroyQuietly(String task) {
        try {
            tasks.destroy(task);
        } catch (RuntimeException e) {
            LOG.debug("destroying migration task {}: {}", task, e.toString());
        }
    }

    /**
     * {@code host.allocate_resources_for_vm}, done by Xapi's forwarding layer on the master ({@code
     * allocate_vm_to_host} without a host operation): the VM is scheduled to be resident on the host, so that
     * starts there count its memory from now on. The vGPUs and SR-IOV functions Xapi reserves next do not exist in
     * this build (no vGPU or SR-IOV hardware), and so neither does its legacy-vGPU check. A VM moving to another
     * pool gets this there after its metadata import; {@code VM.pool_migrate_complete} (or any state reset) clears it.
     */
    void allocateResourcesForVm(String host, String vm) {
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        if (!data.exists(VM.XAPI_CLASS, vm)) throw ApiError.handleInvalid(VM.XAPI_CLASS, vm);
        LOG.info(
                "Host.host_allocate_resources_for_vm: host = {}; VM = {}",
                data.get(host, Host.UUID),
                data.get(vm, VM.UUID));
        data.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, host);
    }
}
