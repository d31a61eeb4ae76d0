package org.xapijava.cli.records;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The generated commands of one CLI class (Xapi's {@code cli_operations.ml gen_cmds}): {@code <cli>-list} and the
 * {@code <cli>-param-*} commands that exist for it.
 *
 * @param cliName        the prefix of the commands ({@code vm}, {@code template}, {@code host-cpu})
 * @param record         the record they show ({@link RecordSpec#name()}); {@code template} and {@code snapshot}
 *                       show {@code vm}
 * @param ops            which of the seven commands exist
 * @param defaultFilters filters every {@code -list} applies first, in order ({@code is-a-template=false})
 * @param defaultColumns the columns of {@code -list} without {@code params=}, as Xapi names them (names that do not
 *                       exist are kept: they never show); empty for every field
 * @param apiWhere       the expression {@code -list} passes to {@code get_all_records_where} ({@code true}, or
 *                       {@code subroles<>[]} for roles)
 */
public record ClassCommands(
        String cliName,
        String record,
        Set<Op> ops,
        List<Map.Entry<String, String>> defaultFilters,
        List<String> defaultColumns,
        String apiWhere) {

    public ClassCommands {
        ops = Set.copyOf(ops);
        defaultFilters = List.copyOf(defaultFilters);
        defaultColumns = List.copyOf(defaultColumns);
    }

    /** The seven generated commands, by suffix. */
    public enum Op {
        LIST("-list"),
        PARAM_LIST("-param-list"),
        PARAM_GET("-param-get"),
        PARAM_SET("-param-set"),
        PARAM_ADD("-param-add"),
        PARAM_REMOVE("-param-remove"),
        PARAM_CLEAR("-param-clear");

        public final String suffix;

        Op(String suffix) {
            this.suffix = suffix;
        }
    }
}
