package org.xapijava.server.rrd;

import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.SRApi;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The XenAPI side of the statistics, as Xapi's {@code xapi_host.ml} and {@code xapi_vm.ml} call xcp-rrdd: {@code
 * host.get_servertime} and {@code host.get_server_localtime}; the data sources of the host, of a VM and of an SR ({@code
 * get_data_sources}, {@code query_data_source}, {@code record_data_source}, {@code forget_data_source_archives}),
 * each a {@code data_source} record (name_label, name_description, enabled, standard, units, min, max, and a value
 * of 0 as Xapi's {@code Rrdd_helper} leaves it). The forwarding layer already sends these to the host concerned
 * (the VM's resident host) and marks {@code data_source_op}; {@code VM.query_data_source} is refused on a VM that
 * is not Running or Paused there. xcp-rrdd's failures come back as Xapi's {@code INTERNAL_ERROR} with the exception
 * as Xapi prints it ({@code Rrd_interface.Rrdd_error(...)}). Thread-safe.
 */
public final class RrdMessages implements Messages {
    private final Rrds rrds;
    private final Db data;
    private final Clock clock;
    private final java.util.function.DoubleConsumer backupLater;

    /** @param backupLater {@code host.backup_rrds}: a backup of every RRD here after that many seconds */
    public RrdMessages(Rrds rrds, Db data, Clock clock, java.util.function.DoubleConsumer backupLater) {
        this.rrds = rrds;
        this.data = data;
        this.clock = clock;
        this.backupLater = backupLater;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void backupRrds(CallContext ctx, String host, double delay) {
                backupLater.accept(delay); // on the host itself: the forwarding layer sends it there
            }

            @Override
            public DateTime getServertime(CallContext ctx, String host) {
                return DateTime.ofInstant(clock.instant());
            }

            @Override
            public DateTime getServerLocaltime(CallContext ctx, String host) {
                var local = clock.instant().atZone(ZoneId.systemDefault());
                return new DateTime(local.toLocalDateTime(), local.getOffset());
            }

            @Override
            public List<Map<String, Object>> getDataSources(CallContext ctx, String host) {
                return records(rrds.hostSources());
            }

            @Override
            public double queryDataSource(CallContext ctx, String host, String dataSource) {
                return rrdd(() -> rrds.queryHost(dataSource, now()));
            }

            @Override
            public void recordDataSource(CallContext ctx, String host, String dataSource) {
                rrdd(() -> {
                    rrds.recordHost(dataSource, now());
                    return 0.0;
                });
            }

            @Override
            public void forgetDataSourceArchives(CallContext ctx, String host, String dataSource) {
                rrds.forgetHost(dataSource);
            }
        });
        SRApi.bind(table, new SRApi() {
            @Override
            public List<Map<String, Object>> getDataSources(CallContext ctx, String sr) {
                return records(rrds.srSources(data.get(sr, SR.UUID)));
            }

            @Override
            public double queryDataSource(CallContext ctx, String sr, String dataSource) {
                String uuid = data.get(sr, SR.UUID);
                return rrdd(() -> rrds.querySr(uuid, dataSource, now()));
            }

            @Override
            public void recordDataSource(CallContext ctx, String sr, String dataSource) {
                String uuid = data.get(sr, SR.UUID);
                rrdd(() -> {
                    rrds.recordSr(uuid, dataSource, now());
                    return 0.0;
                });
            }

            @Override
            public void forgetDataSourceArchives(CallContext ctx, String sr, String dataSource) {
                rrds.forgetSr(data.get(sr, SR.UUID), dataSource);
            }
        });
        VMApi.bind(table, new VMApi() {
            @Override
            public List<Map<String, Object>> getDataSources(CallContext ctx, String self) {
                return records(rrds.vmSources(data.get(self, VM.UUID)));
            }

            @Override
            public double queryDataSource(CallContext ctx, String self, String dataSource) {
                String uuid = data.get(self, VM.UUID);
                return rrdd(() -> rrds.queryVm(uuid, dataSource, now()));
            }

            @Override
            public void recordDataSource(CallContext ctx, String self, String dataSource) {
                String uuid = data.get(self, VM.UUID);
                rrdd(() -> {
                    rrds.recordVm(uuid, dataSource, now());
                    return 0.0;
                });
            }

            @Override
            public void forgetDataSourceArchives(CallContext ctx, String self, String dataSource) {
                rrds.forgetVm(data.get(self, VM.UUID), dataSource);
            }
        });
    }

    private double now() {
        return clock.millis() / 1000.0;
    }

    /** A call to xcp-rrdd: its failure as Xapi reports an unexpected exception. */
    private static double rrdd(java.util.function.DoubleSupplier call) {
        try {
            return call.getAsDouble();
        } catch (Rrds.RrddException e) {
            throw ApiError.internal(e.getMessage());
        }
    }

    /** {@code Rrdd_helper.to_API_data_source} of each. */
    static List<Map<String, Object>> records(List<Rrds.SourceInfo> sources) {
        List<Map<String, Object>> out = new ArrayList<>(sources.size());
        for (Rrds.SourceInfo s : sources) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put(org.xapijava.model.api.DataSource.NAME_LABEL.name(), s.name());
            r.put(org.xapijava.model.api.DataSource.NAME_DESCRIPTION.name(), s.description());
            r.put(org.xapijava.model.api.DataSource.ENABLED.name(), s.enabled());
            r.put(org.xapijava.model.api.DataSource.STANDARD.name(), s.standard());
            r.put(org.xapijava.model.api.DataSource.UNITS.name(), s.units());
            r.put(org.xapijava.model.api.DataSource.MIN.name(), s.min());
            r.put(org.xapijava.model.api.DataSource.MAX.name(), s.max());
            r.put(org.xapijava.model.api.DataSource.VALUE.name(), 0.0);
            out.add(r);
        }
        return out;
    }
}
