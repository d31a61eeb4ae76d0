package org.xapijava.cli.server;

/** The flags of a static xe command (Xapi's {@code Cli_cmdtable.flag}); see reference/xe-cli.md §3.3. */
public enum CommandFlag {
    /** selects VMs by filters: {@code xe help} shows {@code <vm-selectors>} and the VM selector paragraph */
    VM_SELECTORS("Vm_selectors"),
    /** selects hosts by filters ({@code <host-selectors>}) */
    HOST_SELECTORS("Host_selectors"),
    /** selects SRs by filters ({@code <sr-selectors>}) */
    SR_SELECTORS("Sr_selectors"),
    /** listed by plain {@code xe help} (unless also hidden) */
    STANDARD("Standard"),
    /** runs on the host that received it, even a pool member: never forwarded to the master */
    NEVERFORWARD("Neverforward"),
    /** left out of {@code xe help} and {@code xe help --all}; still runnable and {@code xe help <cmd>} works */
    HIDDEN("Hidden"),
    /** deprecated, perhaps with a message ({@link CommandSpec#deprecation()}); no effect at run time in Xapi */
    DEPRECATED("Deprecated");

    private final String xapiName;

    CommandFlag(String xapiName) {
        this.xapiName = xapiName;
    }

    /** The constructor's name in Xapi's source, as commands.txt spells it ({@code Vm_selectors}). */
    public String xapiName() {
        return xapiName;
    }
}
