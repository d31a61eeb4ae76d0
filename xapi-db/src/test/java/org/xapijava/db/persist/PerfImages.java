package org.xapijava.db.persist;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Big images shaped like a real pool's database, for rough timings. */
final class PerfImages {
    private PerfImages() {}

    static TestImage vms(int count, int columns) {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < columns - 6; c++) {
            names.add((c % 3 == 0 ? "HVM__" : c % 3 == 1 ? "memory__" : "") + "field_" + c);
        }
        List<TestImage.Row> rows = new ArrayList<>(count);
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < count; i++) {
            Map<String, String> cols = new LinkedHashMap<>();
            cols.put("uuid", new UUID(rnd.nextLong(), rnd.nextLong()).toString());
            cols.put("name__label", "VM number " + i);
            cols.put("name__description", "A test VM\nwith a description of 100% reasonable length");
            cols.put(
                    "other_config",
                    "(('base_template_name' 'Debian Bookworm 12') ('mac_seed' '"
                            + new UUID(rnd.nextLong(), rnd.nextLong())
                            + "') ('install-methods' 'cdrom,nfs,http,ftp'))");
            cols.put("resident_on", "OpaqueRef:" + new UUID(rnd.nextLong(), rnd.nextLong()));
            cols.put("power_state", i % 2 == 0 ? "Running" : "Halted");
            for (int c = 0; c < names.size(); c++) {
                cols.put(
                        names.get(c),
                        switch (c % 4) {
                            case 0 -> Long.toString(rnd.nextLong() & 0xffffffffL);
                            case 1 -> "false";
                            case 2 -> "()";
                            default -> "OpaqueRef:NULL";
                        });
            }
            rows.add(new TestImage.Row("OpaqueRef:" + new UUID(rnd.nextLong(), rnd.nextLong()), i, i + 1, cols));
        }
        TestImage img = new TestImage(count * 3L, 5, 786);
        img.tables.add(new TestImage.Table("VM", true, rows));
        img.table("host", true).table("session", false).table("task", false);
        return img;
    }
}
