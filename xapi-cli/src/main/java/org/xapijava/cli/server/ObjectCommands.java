package org.xapijava.cli.server;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.model.api.Subject;

/**
 * The create, introduce and forget commands of {@code cli_operations.ml} for small objects: subjects, GPU groups,
 * vGPUs and pGPU dom0 access, PVS sites, servers and proxies, update repositories, clusters and cluster hosts.
 */
final class ObjectCommands {
    /** Xapi's {@code Constants.default_smapiv3_cluster_stack}. */
    private static final String DEFAULT_CLUSTER_STACK = "corosync";

    /** Xapi's {@code Constants.default_token_timeout_s} and {@code default_token_timeout_coefficient_s}. */
    private static final double DEFAULT_TOKEN_TIMEOUT = 20.0;

    private static final double DEFAULT_TOKEN_TIMEOUT_COEFFICIENT = 1.0;

    private ObjectCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("subject-add", c -> {
            String identifier = c.api().auth().getSubjectIdentifier(c.params().get("subject-name"));
            Map<String, Object> r = new HashMap<>();
            r.put(Subject.SUBJECT_IDENTIFIER.name(), identifier);
            r.put(Subject.OTHER_CONFIG.name(), Map.of());
            String subject = c.api().subject().create(r);
            c.out().list(List.of(c.api().subject().getUuid(subject)));
        });
        bindGpus(t);
        bindPvs(t);
        bindRepositories(t);
        bindClusters(t);
    }

    private static void bindGpus(Map<String, CommandImpl> t) {
        t.put("gpu-group-create", c -> {
            String group = c.api()
                    .gpuGroup()
                    .create(c.params().get("name-label"), c.params().getOr("name-description", ""), Map.of());
            c.out().list(List.of(c.api().gpuGroup().getUuid(group)));
        });
        t.put(
                "gpu-group-destroy",
                c -> c.api()
                        .gpuGroup()
                        .destroy(c.api().gpuGroup().getByUuid(c.params().get("uuid"))));
        t.put("gpu-group-get-remaining-capacity", c -> {
            String group = c.api().gpuGroup().getByUuid(c.params().get("uuid"));
            String type = c.api().vgpuType().getByUuid(c.params().get("vgpu-type-uuid"));
            c.out().msg(Long.toString(c.api().gpuGroup().getRemainingCapacity(group, type)));
        });
        t.put("vgpu-create", c -> {
            Params p = c.params();
            String device = p.getOr("device", "0");
            String vm = c.api().vm().getByUuid(p.get("vm-uuid"));
            String group = c.api().gpuGroup().getByUuid(p.get("gpu-group-uuid"));
            String type =
                    p.has("vgpu-type-uuid") ? c.api().vgpuType().getByUuid(p.get("vgpu-type-uuid")) : "OpaqueRef:NULL";
            String vgpu = c.api().vgpu().create(vm, group, device, Map.of(), type);
            c.out().list(List.of(c.api().vgpu().getUuid(vgpu)));
        });
        t.put(
                "vgpu-destroy",
                c -> c.api().vgpu().destroy(c.api().vgpu().getByUuid(c.params().get("uuid"))));
        t.put("pgpu-enable-dom0-access", c -> {
            String pgpu = c.api().pgpu().getByUuid(c.params().get("uuid"));
            c.out().msg(c.api().pgpu().enableDom0Access(pgpu).wire());
        });
        t.put("pgpu-disable-dom0-access", c -> {
            String pgpu = c.api().pgpu().getByUuid(c.params().get("uuid"));
            c.out().msg(c.api().pgpu().disableDom0Access(pgpu).wire());
        });
    }

    private static void bindPvs(Map<String, CommandImpl> t) {
        t.put("pvs-site-introduce", c -> {
            Params p = c.params();
            String site = c.api()
                    .pvsSite()
                    .introduce(p.get("name-label"), p.getOr("name-description", ""), p.getOr("pvs-uuid", ""));
            c.out().list(List.of(c.api().pvsSite().getUuid(site)));
        });
        t.put(
                "pvs-site-forget",
                c -> c.api()
                        .pvsSite()
                        .forget(c.api().pvsSite().getByUuid(c.params().get("uuid"))));
        t.put("pvs-server-introduce", c -> {
            Params p = c.params();
            List<String> addresses = CliArgs.commas(p.get("addresses"));
            long first = CliArgs.int64(p.get("first-port"));
            long last = CliArgs.int64(p.get("last-port"));
            String site = c.api().pvsSite().getByUuid(p.get("pvs-site-uuid"));
            String server = c.api().pvsServer().introduce(addresses, first, last, site);
            c.out().list(List.of(c.api().pvsServer().getUuid(server)));
        });
        t.put(
                "pvs-server-forget",
                c -> c.api()
                        .pvsServer()
                        .forget(c.api().pvsServer().getByUuid(c.params().get("uuid"))));
        t.put("pvs-proxy-create", c -> {
            String site = c.api().pvsSite().getByUuid(c.params().get("pvs-site-uuid"));
            String vif = c.api().vif().getByUuid(c.params().get("vif-uuid"));
            String proxy = c.api().pvsProxy().create(site, vif);
            c.out().list(List.of(c.api().pvsProxy().getUuid(proxy)));
        });
        t.put(
                "pvs-proxy-destroy",
                c -> c.api()
                        .pvsProxy()
                        .destroy(c.api().pvsProxy().getByUuid(c.params().get("uuid"))));
    }

    private static void bindRepositories(Map<String, CommandImpl> t) {
        t.put("repository-introduce", c -> {
            Params p = c.params();
            String nameLabel = p.get("name-label");
            String description = p.getOr("name-description", "");
            String binaryUrl = p.get("binary-url");
            String sourceUrl = p.get("source-url");
            boolean update = p.bool("update", false);
            String gpgkeyPath = p.getOr("gpgkey-path", "");
            String repo =
                    c.api().repository().introduce(nameLabel, description, binaryUrl, sourceUrl, update, gpgkeyPath);
            c.out().list(List.of(c.api().repository().getUuid(repo)));
        });
        t.put("repository-introduce-bundle", c -> {
            String repo = c.api()
                    .repository()
                    .introduceBundle(c.params().get("name-label"), c.params().getOr("name-description", ""));
            c.out().list(List.of(c.api().repository().getUuid(repo)));
        });
        t.put("repository-introduce-remote-pool", ObjectCommands::introduceRemotePool);
        t.put(
                "repository-forget",
                c -> c.api()
                        .repository()
                        .forget(c.api().repository().getByUuid(c.params().get("uuid"))));
        t.put("repository-set-gpgkey-path", c -> {
            String repo = c.api().repository().getByUuid(c.params().get("uuid"));
            c.api().repository().setGpgkeyPath(repo, c.params().get("gpgkey-path"));
        });
    }

    private static void introduceRemotePool(CommandContext c) throws IOException {
        Params p = c.params();
        String nameLabel = p.get("name-label");
        String description = p.getOr("name-description", "");
        String binaryUrl = p.get("binary-url");
        String certificate = CliArgs.fileOrFail(c, "certificate file", p.get("certificate-file"));
        String repo = c.api().repository().introduceRemotePool(nameLabel, description, binaryUrl, certificate);
        c.out().list(List.of(c.api().repository().getUuid(repo)));
    }

    private static void bindClusters(Map<String, CommandImpl> t) {
        t.put("cluster-pool-create", c -> {
            Params p = c.params();
            String network = p.get("network-uuid");
            String stack = p.getOr("cluster-stack", DEFAULT_CLUSTER_STACK);
            String net = c.api().network().getByUuid(network);
            double timeout = floatOr(p, "token-timeout", DEFAULT_TOKEN_TIMEOUT);
            double coefficient = floatOr(p, "token-timeout-coefficient", DEFAULT_TOKEN_TIMEOUT_COEFFICIENT);
            String cluster = c.api().cluster().poolCreate(net, stack, timeout, coefficient);
            c.out().list(List.of(c.api().cluster().getUuid(cluster)));
        });
        t.put("cluster-pool-force-destroy", c -> c.api().cluster().poolForceDestroy(clusterOf(c)));
        t.put("cluster-pool-destroy", c -> c.api().cluster().poolDestroy(clusterOf(c)));
        t.put("cluster-pool-resync", c -> c.api().cluster().poolResync(clusterOf(c)));
        t.put("cluster-create", c -> {
            Params p = c.params();
            String pif = c.api().pif().getByUuid(p.get("pif-uuid"));
            String stack = p.getOr("cluster-stack", DEFAULT_CLUSTER_STACK);
            boolean autoJoin = p.bool("pool-auto-join", true);
            double timeout = floatOr(p, "token-timeout", DEFAULT_TOKEN_TIMEOUT);
            double coefficient = floatOr(p, "token-timeout-coefficient", DEFAULT_TOKEN_TIMEOUT_COEFFICIENT);
            String cluster = c.api().cluster().create(pif, stack, autoJoin, timeout, coefficient);
            c.out().list(List.of(c.api().cluster().getUuid(cluster)));
        });
        t.put(
                "cluster-destroy",
                c -> c.api()
                        .cluster()
                        .destroy(c.api().cluster().getByUuid(c.params().get("uuid"))));
        t.put("cluster-host-create", c -> {
            Params p = c.params();
            String cluster = c.api().cluster().getByUuid(p.get("cluster-uuid"));
            String host = c.api().host().getByUuid(p.get("host-uuid"));
            String pif = c.api().pif().getByUuid(p.get("pif-uuid"));
            String made = c.api().clusterHost().create(cluster, host, pif);
            c.out().list(List.of(c.api().clusterHost().getUuid(made)));
        });
        t.put("cluster-host-enable", c -> c.api().clusterHost().enable(clusterHost(c)));
        t.put("cluster-host-disable", c -> c.api().clusterHost().disable(clusterHost(c)));
        t.put("cluster-host-destroy", c -> c.api().clusterHost().destroy(clusterHost(c)));
        t.put("cluster-host-force-destroy", c -> c.api().clusterHost().forceDestroy(clusterHost(c)));
    }

    private static String clusterOf(CommandContext c) {
        return c.api().cluster().getByUuid(c.params().get("cluster-uuid"));
    }

    private static String clusterHost(CommandContext c) {
        return c.api().clusterHost().getByUuid(c.params().get("uuid"));
    }

    /**
     * Xapi's {@code get_float_param}: OCaml's {@code float_of_string} of the value, the default when absent or not a
     * number.
     */
    static double floatOr(Params p, String key, double dflt) {
        return p.opt(key).map(ObjectCommands::ocamlFloat).orElse(dflt);
    }

    /** OCaml's {@code float_of_string_opt} (decimal, hexadecimal, nan, inf, underscores), null when it fails. */
    private static Double ocamlFloat(String s) {
        String v = s.replace("_", "");
        if (v.isEmpty() || !v.equals(v.strip()) || s.startsWith("_")) return null;
        String body = v.startsWith("-") || v.startsWith("+") ? v.substring(1) : v;
        String lower = body.toLowerCase(Locale.ROOT);
        double sign = v.startsWith("-") ? -1.0 : 1.0;
        if (lower.equals("nan")) return Double.NaN;
        if (lower.equals("inf") || lower.equals("infinity")) return sign * Double.POSITIVE_INFINITY;
        if (lower.endsWith("d") || lower.endsWith("f") || lower.contains("infinity") || lower.contains("nan"))
            return null;
        try {
            if (lower.startsWith("0x")) return sign * Double.parseDouble(lower.contains("p") ? lower : lower + "p0");
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
