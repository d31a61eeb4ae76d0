package org.xapijava.server.bootstrap;

import java.time.Instant;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * What every start-up step reads: the database (only through {@link Db}, so that the same steps run on a pool
 * member over the master's database, as Xapi's {@code dbsync_slave.ml} does), the settings, the product facts,
 * the SR file systems measured beforehand and the instant of this start. Immutable; one per start.
 */
final class StartupContext {
    final Db db;
    final BootstrapSettings settings;
    final Inventory inventory;
    final ProductFacts facts = ProductFacts.get();
    final Datamodel dm = Datamodel.get();
    /** The local SR's file system. */
    final Disk localDisk;
    /** The tools ISO SR's file system. */
    final Disk toolsDisk;

    final Instant now;
    final DateTime nowDt;
    /** A member joining the pool whose database {@link #db} is: the pool's master and default SR stay. */
    final boolean member;

    StartupContext(Db db, BootstrapSettings settings, Disk localDisk, Disk toolsDisk, Instant now) {
        this(db, settings, localDisk, toolsDisk, now, false);
    }

    StartupContext(Db db, BootstrapSettings settings, Disk localDisk, Disk toolsDisk, Instant now, boolean member) {
        this.member = member;
        this.db = db;
        this.settings = settings;
        this.inventory = settings.inventory();
        this.localDisk = localDisk;
        this.toolsDisk = toolsDisk;
        this.now = now;
        this.nowDt = DateTime.ofInstant(now);
    }

    static String uuid() {
        return UUID.randomUUID().toString();
    }

    /** Whether {@code ref} names an existing object of {@code cls} (Xapi's {@code Db.is_valid_ref}). */
    boolean valid(String cls, String ref) {
        return ref != null && !Refs.isNull(ref) && db.exists(cls, ref);
    }

    /** Applies {@code u} when it holds any operation. */
    void apply(Update.Builder u) {
        if (!u.isEmpty()) db.apply(u.build());
    }

    /** The control domain's memory: DOM0_MEM (MiB) from the inventory, else Xapi's default for this box. */
    long dom0MemoryBytes() {
        long mib;
        try {
            mib = Long.parseLong(inventory.get(Inventory.DOM0_MEM));
        } catch (NumberFormatException e) {
            mib = MemoryModel.defaultDom0MemoryMib(settings.hardware().memTotalBytes() / 1024);
        }
        return mib * MemoryModel.MIB;
    }

    /** The control domain's vCPUs: DOM0_VCPUS from the inventory, else Xapi's default for this box. */
    long dom0Vcpus() {
        try {
            return Long.parseLong(inventory.get(Inventory.DOM0_VCPUS));
        } catch (NumberFormatException e) {
            return MemoryModel.defaultDom0Vcpus(settings.hardware().cpuCount(), dom0MemoryBytes() / MemoryModel.MIB);
        }
    }

    /** A whole number as OCaml's {@code string_of_float} prints it ({@code 1718000000.}). */
    static String ocamlSeconds(long seconds) {
        return seconds + ".";
    }

    static long parseLongOr(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
