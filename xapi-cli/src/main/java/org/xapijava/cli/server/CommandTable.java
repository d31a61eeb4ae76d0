package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's command table ({@code cli_cmdtable.ml}): the static commands of {@code cli_frontend.ml} with their code,
 * plus the generated {@code <class>-list} / {@code -param-*} commands. A static command without code here answers
 * {@code NOT_IMPLEMENTED} with its name. Built once; immutable.
 */
public final class CommandTable {
    /** A command: what help says about it and its code. */
    public record Command(CommandSpec spec, CommandImpl impl) {}

    private static final CommandTable INSTANCE = build();

    private final Map<String, Command> byName;
    private final List<String> unbound;

    private CommandTable(Map<String, Command> byName, List<String> unbound) {
        this.byName = Map.copyOf(byName);
        this.unbound = List.copyOf(unbound);
    }

    public static CommandTable get() {
        return INSTANCE;
    }

    private static CommandTable build() {
        Map<String, CommandImpl> code = new HashMap<>() {
            @Override
            public CommandImpl put(String name, CommandImpl impl) {
                if (containsKey(name)) throw new IllegalStateException("two codes for the command " + name);
                return super.put(name, impl);
            }
        };
        Commands.bindAll(code);
        Map<String, Command> table = new HashMap<>();
        List<String> unbound = new ArrayList<>();
        for (CommandSpec s : CommandSpecs.all()) {
            CommandImpl impl = code.remove(s.name());
            if (impl == null) {
                unbound.add(s.name());
                impl = notImplemented(s.name());
            }
            table.put(s.name(), new Command(s, impl));
        }
        if (!code.isEmpty()) throw new IllegalStateException("code for commands not in the table: " + code.keySet());
        for (GenericCommands.Generated g : GenericCommands.all()) {
            if (table.put(g.spec().name(), new Command(g.spec(), g.impl())) != null) {
                throw new IllegalStateException("two commands named " + g.spec().name());
            }
            if (!g.implemented()) unbound.add(g.spec().name());
        }
        unbound.sort(null);
        return new CommandTable(table, unbound);
    }

    private static CommandImpl notImplemented(String name) {
        return c -> {
            throw new ApiError("NOT_IMPLEMENTED", "xe " + name);
        };
    }

    public Optional<Command> command(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Collection<Command> all() {
        return byName.values();
    }

    /**
     * The commands that answer {@code NOT_IMPLEMENTED} whatever the server implements, sorted: static commands
     * without code here, and the generated commands of classes the datamodel lacks.
     */
    public List<String> unbound() {
        return unbound;
    }
}
