package org.xapijava.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/xe-completion.bash in a real bash, against a stub xe answering as a server would. */
class XeCompletionTest {
    @TempDir
    Path dir;

    private static final String STUB = """
            #!/bin/bash
            case "$*" in
              "help --minimal --all") echo "vm-list,vm-start,vm-param-add,host-list,help,vdi-import" ;;
              "help vm-start") printf 'command name            : vm-start\\n        reqd params     : \\n        optional params : force, on, <vm-selectors>\\n        description     : Start.\\n' ;;
              "help vm-param-add") printf 'command name            : vm-param-add\\n        reqd params     : uuid, param-name\\n        optional params : \\n        description     : Add.\\n' ;;
              "vm-list params=name-label --minimal") echo 'web\\, one,db' ;;
              "vm-list params=uuid --minimal") echo "u1,u2" ;;
              "vm-list params=power-state --minimal") echo "halted,running" ;;
              "host-list params=name-label --minimal") echo "h1,h2" ;;
              "vm-list params=all uuid=u1") printf 'uuid ( RO)        : u1\\n  name-label ( RW): web\\n        tags (SRW): \\nother-config (MRW): a: b\\n' ;;
              *) exit 1 ;;
            esac
            """;

    /** The replies for a command line, split as bash splits it (at spaces, "=" and ":"). */
    private String complete(String line) throws IOException, InterruptedException {
        Path stub = dir.resolve("xe");
        Files.writeString(stub, STUB);
        stub.toFile().setExecutable(true);
        String script = "export PATH=\"" + dir + ":$PATH\"\n"
                + ". \"" + Path.of("../scripts/xe-completion.bash").toAbsolutePath() + "\"\n"
                + "line=\"$1\"; COMP_WORDS=(); w=''\n"
                + "for ((i=0;i<${#line};i++)); do c=\"${line:i:1}\"; case \"$c\" in\n"
                + "  ' ') COMP_WORDS+=(\"$w\"); w='';;\n"
                + "  '='|':') [[ -n $w ]] && COMP_WORDS+=(\"$w\"); COMP_WORDS+=(\"$c\"); w='';;\n"
                + "  *) w+=\"$c\";; esac; done\n"
                + "if [[ -n $w || ! ${COMP_WORDS[-1]} =~ ^[=:]$ ]]; then COMP_WORDS+=(\"$w\"); fi\n"
                + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "_xe_complete\n"
                + "printf '[%s]' \"${COMPREPLY[@]}\"\n";
        Process p = new ProcessBuilder("bash", "-c", script, "bash", line)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void commandsParametersAndValues() throws Exception {
        assertEquals("[help ][host-][vdi-][vm-]", complete("xe "));
        assertEquals("[vm-list ][vm-start ][vm-param-add ]", complete("xe vm"));
        assertEquals("[force=][on=][vm=]", complete("xe vm-start "));
        assertEquals("[on=][vm=]", complete("xe vm-start force=true "));
        assertEquals("[web\\,\\ one ][db ]", complete("xe vm-start vm="));
        assertEquals("[h1 ][h2 ]", complete("xe vm-start on=h"));
        assertEquals("[halted ][running ]", complete("xe vm-list power-state="));
        assertEquals("[uuid,name-label]", complete("xe vm-list params=uuid,na"));
        assertEquals("[tags ][other-config ]", complete("xe vm-param-add uuid=u1 param-name="));
        assertEquals("[true ][false ]", complete("xe vm-start force="));
    }
}
