package org.xapijava.cli.server;

import java.util.Map;

/** Binds the code of every static command that has some, by name. */
final class Commands {
    private Commands() {}

    static void bindAll(Map<String, CommandImpl> table) {
        VmCommands.bind(table);
        HostCommands.bind(table);
        StorageCommands.bind(table);
        NetworkCommands.bind(table);
        TransferCommands.bind(table);
        HostDiagnosticsCommands.bind(table);
        PoolCommands.bind(table);
        MiscCommands.bind(table);
        HostMoreCommands.bind(table);
        PoolMoreCommands.bind(table);
        StorageMoreCommands.bind(table);
        AuthCommands.bind(table);
        VmDeviceCommands.bind(table);
        VmMiscCommands.bind(table);
        ApplianceCommands.bind(table);
        NetworkMoreCommands.bind(table);
        HaLicenceCommands.bind(table);
        HostControlCommands.bind(table);
        PatchUpdateCommands.bind(table);
        ObjectCommands.bind(table);
        HostExtraCommands.bind(table);
        WlbUpdateCommands.bind(table);
        MaintenanceCommands.bind(table);
    }
}
