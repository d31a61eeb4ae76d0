package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.FieldReads;
import org.xapijava.model.Field;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/**
 * The host a {@code VM.start} or {@code VM.resume} without a host runs on, as Xapi's {@code choose_host_for_vm}
 * without WLB ({@code xapi_vm_helpers.ml}, {@code xapi_vm_placement.ml}, {@code vm_placement.ml}): every host's
 * memory summed over the VMs resident or scheduled there plus the VM itself, the hosts tried category by category
 * (the VM's affinity host if its memory can be squeezed enough; hosts where every VM fits at static maximum; at
 * dynamic maximum; by how little the guests would be compressed), within a category best first with a random pick
 * biased towards the best (the square of a uniform draw), the pool master's value halved while the pool's
 * {@code coordinator_bias} is set. A host is taken when {@code vm_can_run_on_host} passes: the highest version
 * during a rolling upgrade, enabled (a control domain excepted), live, {@link BootChecks} with the CPU check, no
 * evacuation in progress. If no host passes, the same again without the memory check (the start then fails on its
 * host with {@code HOST_NOT_ENOUGH_FREE_MEMORY}); if still none, {@code NO_HOSTS_AVAILABLE}.
 *
 * <p>Xapi's grouping of hosts by VM anti-affinity group, vGPU capacity or SR-IOV capacity does not apply: this
 * datamodel has no VM groups, and no host here has GPUs or SR-IOV functions. WLB recommendations are never asked
 * (WLB cannot be configured here). Pure functions of a database view; thread-safe.
 */
public final class HostChooser {
    private static final Logger LOG = LoggerFactory.getLogger(HostChooser.class);

    /** {@code compression_ratio_resolution}: the value of a host that need not compress its guests at all. */
    static final long COMPRESSION_RESOLUTION = 1000;

    private HostChooser() {}

    /** {@code biased_random_fn}: a uniform draw squared, so the best hosts of a category are picked most often. */
    public static double biasedRandom() {
        double x = ThreadLocalRandom.current().nextDouble();
        return x * x;
    }

    /**
     * {@code choose_host_for_vm_no_wlb}: the host {@code vm} should start on, drawing with {@code random} (values
     * in [0, 1)).
     */
    public static String choose(FieldReads r, String vm, DoubleSupplier random) {
        return choose(r, vm, random, (host, memoryCheck) -> canRunOn(r, vm, host, memoryCheck));
    }

    /** Whether the VM may run on a host, with or without the memory check ({@code vm_can_run_on_host}). */
    interface Validator {
        boolean canRun(String host, boolean memoryCheck);
    }

    static String choose(FieldReads r, String vm, DoubleSupplier random, Validator validator) {
        List<String> hosts = r.all(Host.XAPI_CLASS);
        List<Summary> summaries = summarise(r, vm, hosts);
        String host = select(r, vm, summaries, true, random, validator);
        if (host == null) {
            LOG.debug("no host guaranteed to fit VM {}; trying again without the memory check", vm);
            host = select(r, vm, summaries, false, random, validator);
        }
        if (host == null) throw new ApiError(ErrorCodes.NO_HOSTS_AVAILABLE);
        return host;
    }

    /** One host's memory, summed over its resident and scheduled guests and the VM to place ({@code HSS.t}). */
    record Summary(
            String host,
            boolean master,
            long staticMinSum,
            long dynamicMinSum,
            long dynamicMaxSum,
            long staticMaxSum,
            long availableSum) {}

    /** {@code create_pool_subset_snapshot_summary} with the VM as the extra guest. */
    static List<Summary> summarise(FieldReads r, String vm, List<String> hosts) {
        String master = poolField(r, Pool.MASTER, Refs.NULL);
        Map<String, List<String>> guests = new HashMap<>();
        for (String h : hosts) guests.put(h, new ArrayList<>());
        for (String g : r.all(VM.XAPI_CLASS)) {
            // a VM both resident on and scheduled to a host counts twice, as in Xapi
            List<String> on = guests.get(r.get(g, VM.RESIDENT_ON));
            if (on != null) on.add(g);
            List<String> to = guests.get(r.get(g, VM.SCHEDULED_TO_BE_RESIDENT_ON));
            if (to != null) to.add(g);
        }
        List<Summary> out = new ArrayList<>(hosts.size());
        for (String h : hosts) {
            List<String> gs = guests.get(h);
            gs.add(vm);
            String metrics = r.get(h, Host.METRICS);
            long total = r.isValid(HostMetrics.XAPI_CLASS, metrics) ? r.get(metrics, HostMetrics.MEMORY_TOTAL) : 0;
            long overhead = r.get(h, Host.MEMORY_OVERHEAD);
            for (String g : gs) overhead += r.get(g, VM.MEMORY_OVERHEAD);
            out.add(new Summary(
                    h,
                    h.equals(master),
                    sum(r, gs, VM.MEMORY_STATIC_MIN),
                    sum(r, gs, VM.MEMORY_DYNAMIC_MIN),
                    sum(r, gs, VM.MEMORY_DYNAMIC_MAX),
                    sum(r, gs, VM.MEMORY_STATIC_MAX),
                    total - overhead));
        }
        return out;
    }

    private static long sum(FieldReads r, List<String> guests, Field<Long> field) {
        long s = 0;
        for (String g : guests) s += r.get(g, field);
        return s;
    }

    /** {@code select_host_from_summary}: the categories in order, each offered the hosts outside the ones before. */
    private static String select(
            FieldReads r,
            String vm,
            List<Summary> hosts,
            boolean memoryCheck,
            DoubleSupplier random,
            Validator validator) {
        boolean bias = poolField(r, Pool.COORDINATOR_BIAS, true);
        String affinity = r.get(vm, VM.AFFINITY);
        List<ToLongFunction<Summary>> categories = List.of(
                s -> s.host().equals(affinity) ? possible(s) : -1,
                s -> biased(s, s.availableSum() - s.staticMaxSum(), bias),
                s -> biased(s, s.availableSum() - s.dynamicMaxSum(), bias),
                HostChooser::possible);
        List<Summary> remaining = hosts;
        for (ToLongFunction<Summary> category : categories) {
            if (remaining.isEmpty()) return null;
            List<Summary> within = new ArrayList<>();
            List<Summary> outside = new ArrayList<>();
            sortedByValue(remaining, category, within, outside);
            while (!within.isEmpty()) {
                int i = index(random, within.size());
                Summary s = within.remove(i);
                if (validator.canRun(s.host(), memoryCheck)) return s.host();
            }
            remaining = outside;
        }
        return null;
    }

    /** {@code evaluate_sort_partition}: best first (a stable sort), split at value 0. */
    private static void sortedByValue(
            List<Summary> hosts, ToLongFunction<Summary> category, List<Summary> within, List<Summary> outside) {
        record Valued(Summary s, long v) {}
        List<Valued> vs = new ArrayList<>(hosts.size());
        for (Summary s : hosts) vs.add(new Valued(s, category.applyAsLong(s)));
        vs.sort(Comparator.comparingLong(Valued::v).reversed());
        for (Valued v : vs) (v.v() >= 0 ? within : outside).add(v.s());
    }

    /** {@code generate_list_index}: a draw in [0, 1) scaled to an index; a draw out of range is refused. */
    static int index(DoubleSupplier random, int length) {
        double v = random.getAsDouble();
        if (v < 0.0 || v >= 1.0) throw new IllegalArgumentException("random value out of [0, 1): " + v);
        return (int) (length * v);
    }

    /** {@code bias_away_from_pool_master}: the master's value {@code (v - 1) / 2} (OCaml's truncating division). */
    static long biased(Summary s, long value, boolean bias) {
        return s.master() && bias ? (value - 1) / 2 : value;
    }

    /** {@code possible_host_category}: how little the host's guests would be compressed, -1 if below their minimum. */
    static long possible(Summary s) {
        long available = s.availableSum();
        long min = s.dynamicMinSum();
        long max = s.dynamicMaxSum();
        if (available >= max) return COMPRESSION_RESOLUTION;
        if (available < min) return -1;
        return COMPRESSION_RESOLUTION * (available - min) / (max - min);
    }

    /** {@code vm_can_run_on_host}: any failure of its checks is a no. */
    static boolean canRunOn(FieldReads r, String vm, String host, boolean memoryCheck) {
        try {
            if (HostVersions.rollingUpgradeInProgress(r) && !HostVersions.hasHighestVersion(r, host)) return false;
            if (!r.get(vm, VM.IS_CONTROL_DOMAIN) && !r.get(host, Host.ENABLED)) return false;
            BootChecks.assertCanBootHere(r, vm, host, true, memoryCheck); // HOST_NOT_LIVE among its checks
            return !r.get(host, Host.CURRENT_OPERATIONS).containsValue("evacuate");
        } catch (RuntimeException e) {
            LOG.debug("VM {} cannot run on host {}: {}", vm, host, e.getMessage());
            return false;
        }
    }

    private static <T> T poolField(FieldReads r, Field<T> field, T none) {
        for (String pool : r.all(Pool.XAPI_CLASS)) return r.get(pool, field);
        return none;
    }
}
