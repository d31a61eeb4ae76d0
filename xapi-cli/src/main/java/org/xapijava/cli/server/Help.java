package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code xe help}, as Xapi's {@code cli_frontend.ml rio_help}: no login, no forwarding. */
final class Help {
    private static final Set<String> NOT_COMMANDS = Set.of("server", "username", "password", "port", "minimal", "all");

    static final String VM_SELECTORS_INFO = " VMs can be specified by filtering the full list of VMs on the values of"
            + " zero or more fields. For example, specifying 'uuid=<some_uuid>' will select only the VM with that uuid,"
            + " and 'power-state=halted' will select only VMs whose 'power-state' field is equal to 'halted'. The"
            + " special pseudo-field 'vm' matches either of name-label or uuid. Where multiple VMs are matching, the"
            + " option '--multiple' must be specified to perform the operation. The full list of fields that can be"
            + " matched can be obtained by the command 'xe vm-list params=all'. If no parameters to select VMs are"
            + " given, the operation will be performed on all VMs.";
    static final String HOST_SELECTORS_INFO = " Hosts can be specified by filtering the full list of hosts on the"
            + " values of zero or more fields. For example, specifying 'uuid=<some_uuid>' will select only the host"
            + " with that uuid, and 'enabled=true' will select only hosts whose 'enabled' field is equal to 'true'. The"
            + " special pseudo-field 'host' matches any of hostname, name-label or uuid. Where multiple hosts are"
            + " matching, and the operation can be performed on multiple hosts, the option '--multiple' must be"
            + " specified to perform the operation. The full list of fields that can be matched can be obtained by the"
            + " command 'xe host-list params=all'. If no parameters to select hosts are given, the operation will be"
            + " performed on all hosts.";
    static final String SR_SELECTORS_INFO = " SRs can be specified by filtering the full list of SRs on the values of"
            + " zero or more fields. For example, specifying 'uuid=<some_uuid>' will select only the sr with that uuid,"
            + " and 'enabled=true' will select only srs whose 'enabled' field is equal to 'true'. The special"
            + " pseudo-field 'sr' matches either of name-label or uuid. Where multiple SRs are matching, and the"
            + " operation can be performed on multiple SRs, the option '--multiple' must be specified to perform the"
            + " operation. The full list of fields that can be matched can be obtained by the command 'xe sr-list"
            + " params=all'. If no parameters to select SRs are given, the operation will be performed on all SRs.";

    private static final String USAGE = """
            Usage:
              xe <command>
                [ -s <server> ]            XenServer host
                [ -p <port> ]              XenServer port number
                [ -u <username> -pw <password> | -pwf <password file> ]
                                           User authentication (password or file)
                [ --nossl ]                Disable SSL/TLS
                [ --debug ]                Enable debug output
                [ --debug-on-fail ]        Enable debug output only on failure
                [ --traceparent <value> ]  Distributed tracing context
                [ <other arguments> ... ]  Command-specific options

            To get help on a specific command:
              xe help <command>

            """;

    private Help() {}

    static void run(Printer out, Params p) {
        List<String> asked = new ArrayList<>();
        for (Map.Entry<String, String> e : p.entries()) {
            if (!NOT_COMMANDS.contains(e.getKey())) asked.add(e.getKey());
        }
        CommandTable table = CommandTable.get();
        if (!asked.isEmpty()) {
            for (String name : asked) {
                table.command(name)
                        .ifPresentOrElse(
                                c -> out.table(List.of(describe(c.spec()))),
                                () -> out.list(List.of("Unknown command '" + name + "'")));
            }
            return;
        }
        List<String> names = new ArrayList<>();
        for (CommandTable.Command c : table.all()) {
            if (!c.spec().flags().contains(CommandFlag.HIDDEN))
                names.add(c.spec().name());
        }
        names.sort(null);
        if (p.opt("all").orElse("").equals("true")) {
            List<String> hosts =
                    names.stream().filter(n -> n.startsWith("host-")).toList();
            List<String> vms = names.stream().filter(n -> n.startsWith("vm-")).toList();
            List<String> other = names.stream()
                    .filter(n -> !n.startsWith("host-") && !n.startsWith("vm-"))
                    .toList();
            if (out.minimal()) {
                out.list(names);
                return;
            }
            out.list(List.of(USAGE + "Full command list\n-----------------\n"));
            out.list(wrap(hosts));
            out.list(wrap(List.of("")));
            out.list(wrap(vms));
            out.list(wrap(List.of("")));
            out.list(wrap(other));
        } else {
            List<String> standard = names.stream()
                    .filter(n -> table.command(n).orElseThrow().spec().flags().contains(CommandFlag.STANDARD))
                    .toList();
            if (out.minimal()) {
                out.list(standard);
                return;
            }
            out.list(List.of(USAGE
                    + "To get a full listing of commands:\n  xe help --all\n\nCommon command list\n"
                    + "-------------------\n"));
            out.list(wrap(standard));
        }
    }

    /** The help record of one command. */
    static Printer.Row describe(CommandSpec s) {
        List<String> optional = new ArrayList<>(s.optn());
        String desc = s.help();
        boolean vm = s.flags().contains(CommandFlag.VM_SELECTORS);
        boolean hosts = s.flags().contains(CommandFlag.HOST_SELECTORS);
        boolean srs = s.flags().contains(CommandFlag.SR_SELECTORS);
        if (vm) optional.add("<vm-selectors>");
        if (srs) optional.add("<sr-selectors>");
        if (hosts) optional.add("<host-selectors>");
        int kinds = (vm ? 1 : 0) + (hosts ? 1 : 0) + (srs ? 1 : 0);
        if (kinds == 1) desc += vm ? VM_SELECTORS_INFO : hosts ? HOST_SELECTORS_INFO : SR_SELECTORS_INFO;
        return new Printer.Row(List.of(
                Map.entry("command name        ", s.name()),
                Map.entry("reqd params     ", String.join(", ", s.reqd())),
                Map.entry("optional params ", String.join(", ", optional)),
                Map.entry("description     ", desc)));
    }

    /** Xapi's {@code make_list}: 4-space indented lines of comma-joined names, a new line past 74 characters. */
    static List<String> wrap(List<String> names) {
        List<String> lines = new ArrayList<>();
        if (names.isEmpty()) return lines;
        String cur = "    " + names.get(0);
        for (String n : names.subList(1, names.size())) {
            if (cur.length() + n.length() > 74) {
                lines.add(cur);
                cur = "    " + n;
            } else {
                cur = cur + ", " + n;
            }
        }
        lines.add(cur);
        return lines;
    }
}
