package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A command line as Xapi's {@code cli_frontend.ml parse_commandline} reads it: the command name, then each word
 * as {@code --flag} ({@code flag=true}), a two-word switch ({@code -u root}) or {@code key=value} (split at the first
 * {@code =}; no {@code =}: an empty value).
 */
public record CommandLine(String name, Params params) {
    private static final Map<String, String> SWITCHES = Map.ofEntries(
            Map.entry("--force", "force"),
            Map.entry("--live", "live"),
            Map.entry("--internal", "internal"),
            Map.entry("-u", "username"),
            Map.entry("-pw", "password"),
            Map.entry("-s", "server"),
            Map.entry("-h", "server"),
            Map.entry("-p", "port"),
            Map.entry("--debug", "debug"),
            Map.entry("--minimal", "minimal"),
            Map.entry("--all", "all"));

    /**
     * @throws CliErrors.Syntax as Xapi's {@code ParseError ""}: no command, a command name with {@code =}, an unknown
     *     switch or a switch without its value
     */
    public static CommandLine parse(List<String> args) {
        if (args.isEmpty() || args.get(0).contains("=")) throw new CliErrors.Syntax("");
        List<Map.Entry<String, String>> params = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                params.add(Map.entry(a.substring(2), "true"));
            } else if (a.startsWith("-")) {
                String key = SWITCHES.get(a);
                if (key == null || i + 1 >= args.size()) throw new CliErrors.Syntax("");
                params.add(Map.entry(key, args.get(++i)));
            } else {
                int eq = a.indexOf('=');
                params.add(eq < 0 ? Map.entry(a, "") : Map.entry(a.substring(0, eq), a.substring(eq + 1)));
            }
        }
        return new CommandLine(args.get(0), new Params(params));
    }
}
