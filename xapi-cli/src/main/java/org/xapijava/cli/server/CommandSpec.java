package org.xapijava.cli.server;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One static xe command (an entry of Xapi's {@code cmdtable_data}, {@code cli_frontend.ml}).
 *
 * @param name        the command's name ({@code vm-start})
 * @param reqd        the required parameters, in Xapi's order (as {@code xe help} prints them)
 * @param optn        the optional parameters, in Xapi's order; documentation only (help, bash completion): a name
 *                    ending in {@code :} is a map parameter given as {@code name:key=value}
 * @param help        the help text, byte for byte as Xapi's (without the selector paragraph {@code xe help} appends
 *                    for the selector flags)
 * @param flags       the flags
 * @param deprecation the deprecation message when the command is {@link CommandFlag#DEPRECATED deprecated} with
 *                    one, else null
 * @param impl        how the command runs: with or without the client's connection, normal or local session
 */
public record CommandSpec(
        String name,
        List<String> reqd,
        List<String> optn,
        String help,
        Set<CommandFlag> flags,
        String deprecation,
        ImplKind impl) {

    public CommandSpec {
        reqd = List.copyOf(reqd);
        optn = List.copyOf(optn);
        flags = flags.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
        if (deprecation != null && !flags.contains(CommandFlag.DEPRECATED)) {
            throw new IllegalArgumentException(name + ": a deprecation message without the Deprecated flag");
        }
    }

    public boolean has(CommandFlag flag) {
        return flags.contains(flag);
    }

    /** Whether plain {@code xe help} lists it: {@link CommandFlag#STANDARD} and not {@link CommandFlag#HIDDEN}. */
    public boolean listedByHelp() {
        return has(CommandFlag.STANDARD) && !has(CommandFlag.HIDDEN);
    }
}
