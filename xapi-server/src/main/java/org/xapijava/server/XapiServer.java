package org.xapijava.server;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.alerts.ObjectExistence;
import org.xapijava.server.alerts.VmAlerts;
import org.xapijava.server.api.AlertMessages;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.RoleMessages;
import org.xapijava.server.api.SessionMessages;
import org.xapijava.server.api.SubjectMessages;
import org.xapijava.server.api.TaskMessages;
import org.xapijava.server.appliance.ApplianceMessages;
import org.xapijava.server.audit.AuditLog;
import org.xapijava.server.audit.AuditRecords;
import org.xapijava.server.auth.Authenticator;
import org.xapijava.server.blob.BlobStore;
import org.xapijava.server.blob.Blobs;
import org.xapijava.server.bootstrap.HostObjects;
import org.xapijava.server.cli.CliHandler;
import org.xapijava.server.cli.ServerCliHost;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.diagnostics.HostHandlers;
import org.xapijava.server.diagnostics.SystemStatus;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.server.dispatch.ForwardingStage;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.dispatch.RbacAuthorizer;
import org.xapijava.server.event.EventHub;
import org.xapijava.server.event.EventMessages;
import org.xapijava.server.forward.HostClients;
import org.xapijava.server.forward.PoolForwarding;
import org.xapijava.server.http.BlobHandler;
import org.xapijava.server.http.HostConnectors;
import org.xapijava.server.http.HttpAction;
import org.xapijava.server.http.HttpAuthentication;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.http.RpcHandler;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.ops.Locks;
import org.xapijava.server.ops.OperationMessages;
import org.xapijava.server.pool.BlobSync;
import org.xapijava.server.pool.DatabaseBackups;
import org.xapijava.server.pool.EmergencyCalls;
import org.xapijava.server.pool.Followers;
import org.xapijava.server.pool.Liveness;
import org.xapijava.server.pool.MasterTransition;
import org.xapijava.server.pool.MemberAgent;
import org.xapijava.server.pool.MemberConnection;
import org.xapijava.server.pool.MemberGate;
import org.xapijava.server.pool.MemberStart;
import org.xapijava.server.pool.PeerCalls;
import org.xapijava.server.pool.PoolEject;
import org.xapijava.server.pool.PoolJoin;
import org.xapijava.server.pool.PoolMessages;
import org.xapijava.server.pool.PoolRole;
import org.xapijava.server.pool.RedoLogRecovery;
import org.xapijava.server.pool.ReplicaHandler;
import org.xapijava.server.pool.ReplicaService;
import org.xapijava.server.session.PoolSecret;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.vm.VmMemory;
import org.xapijava.server.vm.VmMessages;
import org.xapijava.server.vm.VmSettings;
import org.xapijava.server.vm.VmssMessages;
import org.xapijava.server.xenops.EmbeddedXenopsd;
import org.xapijava.server.xenops.XenopsService;
import org.xapijava.xenopsd.XenopsClient;

/**
 * One running host: database, first-start objects, services, dispatcher, and Jetty with its HTTP,
 * HTTPS and Unix-socket connectors. {@link #start()} returns once calls are answered;
 * {@link #close()} stops accepting, then flushes the database a last time.
 */
public final class XapiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XapiServer.class);
    /** How long a call forwarded to another host may take (a start or migration on a loaded host takes long). */
    static final Duration FORWARDED_CALL_TIMEOUT = Duration.ofHours(1);

    private final XapiConfig config;
    private final Datamodel dm = Datamodel.get();
    /** This host's database (its own, a member's connection to its master's, or an in-process member's share). */
    private HostDatabase database;

    private Services services;
    private Dispatcher dispatcher;
    private MessageTable table;
    private HttpHandlerTable handlers;
    /** {@code /remote_db_access[_v2]}: served on the master only. */
    private org.xapijava.server.remotedb.RemoteDbHandler remoteDb;

    private Server jetty;
    private ServerConnector http;
    private ServerConnector https;
    /** The HTTP port Jetty listened on, kept after it stopped (a member sends its RRD to its master at close). */
    private volatile int listenedPort = -1;
    /** The periodic jobs (GC, liveness, backups; the emergency retry). */
    private HostTimers timers;

    /** The development host's root password while the launcher's copy of it is there (null with PAM). */
    private java.util.function.Supplier<String> rootPassword = () -> null;

    private MessageStore alerts;
    /** Xapi's RBAC audit log file (closed at close). */
    private AuditLog auditLog;

    private EventMessages events;
    /** The storage socket, xenopsd, its client and xapi's side of it. */
    private XenopsdLink xenopsd;

    private org.xapijava.server.rrd.Statistics statistics;
    private org.xapijava.server.network.HostBridges bridges;
    /** The SM sessions, SMAPIv2 backends and storage messages. */
    private StorageLink storage;

    /** The pool master whose database this host shares, in this JVM; null: this host is its own master. */
    private final XapiServer master;

    private HostClients hostClients;
    /** This host's blob directory (an in-process member copies its master's, {@link BlobSync}). */
    private BlobStore blobStore;
    /** The copy of the master's blobs to the pool's hosts ({@code host.sync_data}). */
    private BlobSync blobSync;
    /** Whether root's password is PAM's (no password file: nothing to print or sync). */
    private boolean pamAuth;

    /** Root's password kept alike on the pool's hosts (Xapi's config file sync). */
    private org.xapijava.server.pool.ConfigFileSync configSync;
    /** How this host reaches the others of its pool (HTTPS checked against its trust store, or HTTP). */
    private org.xapijava.server.pool.PoolTls poolTls;
    /** The pool's certificates on this host (its own, the trust store, the records). */
    private org.xapijava.server.pool.PoolCertificates certificates;

    private PoolSecret poolSecret;
    /** This host's role, read from {@code pool-conf} at start. */
    private PoolRole role;
    /** A member's hello and heartbeat; null on the master. */
    private MemberAgent memberAgent;
    /** A member's role gate (HOST_IS_SLAVE, emergency mode); null on the master. */
    private MemberGate memberGate;
    /** The master's record of its members' replicas; null on a member. */
    private Followers followers;
    /** The master's feed to its members' replicas; null on a member. */
    private ReplicaHandler replicaHandler;
    /** The master's view of its members' heartbeats; null on a member. */
    private Liveness liveness;
    /** Completed when this host must restart (a new role, the master lost): {@link Main} starts it again. */
    private final java.util.concurrent.CompletableFuture<Void> restart = new java.util.concurrent.CompletableFuture<>();

    private final java.util.concurrent.CompletableFuture<Void> stop = new java.util.concurrent.CompletableFuture<>();
    /** The time of this host: the system's UTC clock but in tests. */
    private final Clock clock;
    /** The snapshot schedule timer; on the master only. */
    private org.xapijava.server.vm.VmssTimer vmssTimer;

    public XapiServer(XapiConfig config) {
        this(config, null);
    }

    /**
     * A host that is a member of {@code master}'s pool in the same JVM, on the master's (in-memory) database: it
     * adds its own host objects at start and runs the calls the master forwards to it. This is how tests run the
     * forwarding layer's remote arm before pools have their own remote database.
     */
    public XapiServer(XapiConfig config, XapiServer master) {
        this(config, master, Clock.systemUTC());
    }

    /** As {@link #XapiServer(XapiConfig, XapiServer)}, on {@code clock} (tests move time by hand). */
    public XapiServer(XapiConfig config, XapiServer master, Clock clock) {
        this.config = config;
        this.master = master;
        this.clock = clock;
    }

    /** Opens the database, runs first start, binds the connectors; returns when calls are answered. */
    public synchronized void start() throws Exception {
        role = master != null ? PoolRole.slave(master.bindAddress()) : PoolRole.load(config.path("pool-conf"));
        PoolSecret secret = poolSecret = PoolSecret.loadOrCreate(config.path("pool-secret"), config.path("psr-dir"));
        poolTls = org.xapijava.server.pool.PoolTls.of(config);
        database = HostDatabase.open(
                dm,
                config,
                role,
                master != null ? master.services().db() : null,
                poolTls,
                secret::value,
                this::requestRestart);
        if (database.emergency() != null) {
            startEmergency(secret, database.emergency());
            return;
        }
        Database db = database.db();
        org.xapijava.db.Db localDb = database.data();
        AllowedOperations allowed = database.allowed();
        MemberConnection memberConnection = database.memberConnection();
        HostObjects refs = Bootstrap.run(localDb, config, !role.isMaster());
        Bootstrap.Auth a = Bootstrap.auth(config);
        Authenticator auth = a.authenticator();
        rootPassword = a.rootPassword();
        pamAuth = a.rootHash() == null;
        configSync = new org.xapijava.server.pool.ConfigFileSync(
                localDb,
                refs.host(),
                a.rootHash(),
                () -> masterConfigFiles(memberConnection),
                () -> role.isMaster() ? peerCalls(secret) : null);
        SessionManager sessions = new SessionManager(db, localDb, auth, clock, refs.host(), secret);
        TaskManager tasks = new TaskManager(localDb, clock, refs.host());
        alerts = MessageStore.open(config.path("messages-dir"), ObjectExistence.inDatabase(db));
        services = new Services(dm, db, clock, refs.host(), refs.pool(), sessions, tasks, alerts, allowed, localDb);
        Locks locks = new Locks(db, refs.host(), refs.pool(), tasks, services.allowed());
        Rbac rbac = Rbac.of(dm);
        table = new MessageTable(dm);
        events = new EventMessages(new EventHub(db, sessions, alerts, clock, refs.pool()));
        for (Messages m : modules(rbac)) m.bind(table);
        StorageLink storage = this.storage =
                StorageLink.bind(config, localDb, clock, refs.host(), refs.pool(), services.allowed(), table);
        boolean ownDatabase = role.isMaster() && database.durable() != null;
        org.xapijava.server.pool.PoolRedoLog redoLog = new org.xapijava.server.pool.PoolRedoLog(
                localDb,
                refs.pool(),
                ownDatabase ? db : null,
                ownDatabase ? database.durable().commits() : null,
                storage.backends(),
                storage.staticVdis());
        redoLog.bind(table);
        VmAlerts vmAlerts = new VmAlerts(localDb, alerts);
        blobStore = BlobStore.open(config.path("blobs-dir"), Long.parseLong(config.get("blob-max-size")));
        Blobs blobs = new Blobs(localDb, blobStore);
        blobs.bind(table);
        VmMessages vmMessages = new VmMessages(localDb, clock, refs.pool(), tasks, services.allowed(), blobs);
        vmMessages.bind(table);
        locks.beforeMarking("VM.revert", vmMessages.revertPreparation());
        new OperationMessages(services.allowed()).bind(table);
        xenopsd = new XenopsdLink(config);
        xenopsd.start(services, localDb, storage.backends()); // the storage socket first: xenopsd uses it
        XenopsService xenops = xenopsd.service();
        XenopsClient xenopsClient = xenopsd.client();
        xenops.api().bind(table);
        VmSettings.of(localDb, clock, refs.pool(), services.allowed(), xenops, config)
                .bind(table);
        new org.xapijava.server.vm.VmLive(localDb, db, refs.pool(), tasks, xenops.live()).bind(table);
        new org.xapijava.server.vm.Placement(localDb, refs.pool()).bind(table);
        org.xapijava.server.xenops.Migration migration = new org.xapijava.server.xenops.Migration(
                xenops,
                localDb,
                refs.host(),
                this::httpPort,
                secret,
                new org.xapijava.server.xenops.Migration.PoolLink(
                        address -> poolTls.enabled()
                                ? poolTls.uri(address)
                                : org.xapijava.server.client.XmlRpcTransport.hostUri(address, httpPort()),
                        poolTls.context(),
                        poolTls::verifying));
        migration.bind(table);
        org.xapijava.server.xenops.MigrateSend migrateSend = new org.xapijava.server.xenops.MigrateSend(
                xenops, localDb, refs.host(), storage.backends(), tasks, services.allowed(), migration, sessions);
        migrateSend.bind(table);
        new org.xapijava.server.xenops.StorageMotion(
                        xenops,
                        localDb,
                        refs.host(),
                        storage.backends(),
                        tasks,
                        services.allowed(),
                        migration,
                        migrateSend)
                .bind(table);
        new org.xapijava.server.host.HostMessages(localDb, db, tasks, services.allowed(), refs.pool()).bind(table);
        statistics = org.xapijava.server.rrd.Statistics.create(
                config, xenopsClient, localDb, refs.host(), refs.pool(), clock);
        statistics.bind(table);
        statistics.connect(
                address -> poolTls.enabled()
                        ? poolTls.uri(address)
                        : org.xapijava.server.client.XmlRpcTransport.hostUri(
                                address, listenedPort > 0 ? listenedPort : httpPort()),
                poolTls.context(),
                secret::value,
                () -> role.isMaster() ? null : role.masterAddress());
        xenops.useRrds(statistics);
        vmMessages.afterDestroy(statistics::vmDestroyed);
        new org.xapijava.server.vm.VmCheckpoint(
                        localDb, clock, refs.pool(), tasks, services.allowed(), xenops.lifecycle())
                .bind(table);
        new org.xapijava.server.vm.VmGuestCalls(localDb, refs.pool(), xenops.live()).bind(table);
        new org.xapijava.server.vm.VmSysprep(
                        localDb, refs.host(), xenopsClient, org.xapijava.server.vm.VmSysprep.Settings.of(config))
                .bind(table);
        org.xapijava.server.transfer.TransferHandlers.urlImport(
                        dm, localDb, refs.host(), refs.pool(), storage.backends(), tasks, services.allowed())
                .bind(table);
        VmMemory.of(localDb, refs.pool(), config, xenops.live()::setMemoryDynamicRange)
                .bind(table);
        bridges = new org.xapijava.server.network.HostBridges(localDb, refs.host());
        new org.xapijava.server.vm.VifSettings(localDb, refs.host(), refs.pool(), xenops.vifLive(), bridges)
                .bind(table);
        new org.xapijava.server.network.NetworkMessages(localDb, refs.host(), bridges).bind(table);
        ApplianceMessages appliances = new ApplianceMessages(localDb, db, refs.pool(), tasks);
        appliances.bind(table);
        locks.beforeMarking("VM_appliance.start", appliances.startPreparation());
        new VmssMessages(localDb, clock, refs.pool(), alerts).bind(table);
        SystemStatus.bind(table);
        new org.xapijava.server.vm.VbdDevices(
                        localDb,
                        refs.pool(),
                        services.allowed(),
                        new org.xapijava.server.xenops.CdMedia(xenops, localDb))
                .bind(table);
        new org.xapijava.server.vm.Vtpms(localDb, refs.pool(), services.allowed()).bind(table);
        new org.xapijava.server.vm.Vusbs(localDb, refs.pool()).bind(table);
        new org.xapijava.server.vm.VmGroups(localDb, refs.pool()).bind(table);
        new org.xapijava.server.network.NetworkIntroduce(localDb).bind(table);
        new org.xapijava.server.sm.SmCalls(localDb, services.allowed()).bind(table);
        org.xapijava.server.sm.HostPlugins plugins = new org.xapijava.server.sm.HostPlugins(
                config.path("xapi-plugins-root"), Duration.ofSeconds(config.integer("plugin-timeout-seconds")));
        plugins.bind(table);
        new org.xapijava.server.host.PowerOnCalls(localDb, services.allowed(), plugins).bind(table);
        ForwardingStage forwarding;
        PoolForwarding poolForwarding = null;
        MemberGate gate = null;
        if (role.isMaster()) {
            services.allowed().updateAll(); // current_operations are not persistent: recompute every allowed_operations
            hostClients = new HostClients(localDb, secret, this::httpPort, FORWARDED_CALL_TIMEOUT, db::generation);
            hostClients.useTls(poolTls);
            followers = new Followers(db, Duration.ofMillis(config.integer("replication-wait-ms")));
            PoolForwarding pf = new PoolForwarding(dm, localDb, refs.host(), locks, hostClients, followers);
            pf.afterForwarded(statistics::forwarded);
            pf.afterSuccess(new org.xapijava.server.xenops.LifecycleAlerts(localDb, vmAlerts));
            forwarding = poolForwarding = pf;
            liveness = new Liveness(
                    localDb,
                    clock,
                    refs.host(),
                    Duration.ofSeconds(config.integer("host-assumed-dead-seconds")),
                    services.allowed());
        } else {
            // a member runs what its master forwards, under the master's locks, once it holds what the master wrote
            forwarding = memberConnection == null ? ForwardingStage.local() : memberConnection.forwardingStage();
            gate = memberGate = new MemberGate(role.masterAddress(), null);
        }
        new PoolMessages(localDb, role, secret, liveness, hostClients, gate).bind(table);
        blobSync = new BlobSync(
                localDb, refs.host(), blobStore, hostClients, masterBlobs(memberConnection, config), clock);
        blobSync.bind(table);
        if (poolForwarding != null) {
            BlobSync sync = blobSync;
            // Xapi's forwarding layer copies the blobs to the new master first
            poolForwarding.beforePlacing("pool.designate_new_master", args -> sync.syncHost((String) args.get(0)));
        }
        certificates = new org.xapijava.server.pool.PoolCertificates(
                localDb, refs.host(), refs.pool(), poolTls, config, role.isMaster(), hostClients);
        certificates.serving(() -> https, () -> role.isMaster() ? null : peerCalls(secret), role.masterAddress());
        certificates.bind(table);
        configSync.bind(table);
        if (role.isMaster()) {
            var aliveness = new org.xapijava.server.pool.HostAliveness(localDb, hostClients, refs.host());
            xenops.useHostAliveness(aliveness);
            new org.xapijava.server.pool.DeadHosts(localDb, refs.host(), aliveness, services.allowed(), certificates)
                    .bind(table);
        }
        new PoolJoin(
                        localDb,
                        refs.host(),
                        poolTls,
                        certificates,
                        config.path("pool-conf"),
                        config.path("pool-secret"),
                        this::requestRestart)
                .bind(table);
        new EmergencyCalls(config.path("pool-conf"), this::requestRestart).bind(table);
        new org.xapijava.server.pool.SecretRotation(
                        localDb,
                        refs.host(),
                        role,
                        secret,
                        config.path("psr-dir").resolve("psr_cp"))
                .bind(table);
        new org.xapijava.server.host.AgentCalls(this::requestRestart, this::requestStop).bind(table);
        new org.xapijava.server.host.HostPowerOff(
                        localDb,
                        db,
                        refs.host(),
                        tasks,
                        services.allowed(),
                        () -> memberAgent != null ? memberAgent.masterApi() : dispatcher.internalApi(null),
                        this::requestRestart,
                        this::requestStop,
                        Duration.ofSeconds(config.integer("host-poweroff-delay-seconds")))
                .bind(table);
        String address = localDb.get(refs.host(), org.xapijava.model.api.Host.ADDRESS);
        masterTransition(localDb, refs.host(), address, secret).bind(table);
        new PoolEject(localDb, refs.host(), role, hostClients, memberConnection, config, this::requestRestart)
                .forgetting(certificates)
                .bind(table);
        DatabaseBackups backups = new DatabaseBackups(
                localDb, refs.host(), role, db::generation, database::writeBackup, () -> dispatcher.internalApi(null));
        backups.bind(table);
        auditLog = new AuditLog(
                config.path("audit-log"),
                config.integer("audit-log-max-bytes"),
                clock,
                localDb.get(refs.host(), org.xapijava.model.api.Host.HOSTNAME));
        AuditRecords audit = new AuditRecords(auditLog, localDb);
        audit.bind(table);
        dispatcher = new Dispatcher(localDb, sessions, tasks, table, new RbacAuthorizer(rbac, db), forwarding);
        dispatcher.setAuditTrail(audit);
        if (gate != null) dispatcher.setRoleGate(gate);
        if (role.isMaster()) {
            vmssTimer =
                    new org.xapijava.server.vm.VmssTimer(localDb, clock, () -> dispatcher.internalApi(null), alerts);
            if (!config.get("vmss-timer").equals("off")) vmssTimer.start();
        }

        timers = HostTimers.start(
                sessions,
                tasks,
                events.hub(),
                liveness,
                config.integer("heartbeat-interval-seconds"),
                backups,
                config.integer("pool-backup-interval-seconds"),
                blobSync::syncAll,
                config.integer("pool-data-sync-interval-seconds"));

        Set<Connector> localRoot = buildConnectors();
        HttpAuthentication httpAuth = new HttpAuthentication(services.sessions(), secret, rbac, services.tasks());
        handlers = new HttpHandlerTable(HttpAction.all(dm), httpAuth, localRoot, master == null);
        configSync.register(handlers);
        new RpcHandler(dispatcher).register(handlers);
        new BlobHandler(localDb, blobStore, clock, httpAuth).register(handlers);
        httpAuth.setAudit(audit);
        HostHandlers.register(
                handlers,
                new HttpTasks(localDb, tasks),
                config,
                alerts,
                auditLog,
                () -> role.isMaster() ? null : role.masterAddress(),
                () -> localDb.get(refs.host(), org.xapijava.model.api.Host.HOSTNAME),
                clock);
        new org.xapijava.server.http.XenopsServicesHandler(xenops.socket()).register(handlers);
        new org.xapijava.server.http.StorageServicesHandler(xenopsd.storageRpc()).register(handlers);
        org.xapijava.server.transfer.TransferHandlers.register(
                handlers,
                config,
                dm,
                db,
                localDb,
                refs.host(),
                storage.backends(),
                tasks,
                dispatcher,
                this::requestRestart,
                refs.pool(),
                role.isMaster() && master == null ? locks : null,
                services.allowed());
        statistics.register(handlers, tasks, () -> role.isMaster() ? null : role.masterAddress());
        new CliHandler(ServerCliHost.of(
                                dispatcher,
                                role,
                                master == null ? null : master.bindAddress(),
                                master == null ? config.integer("http-port") : master.httpPort(),
                                db)
                        .withTls(master == null ? poolTls : null)
                        .withHttpPort(this::httpPort))
                .register(handlers);
        if (role.isMaster() && master == null) {
            replicaHandler = new ReplicaHandler(db, new ReplicaService(db, services.allowed()), followers);
            remoteDb = new org.xapijava.server.remotedb.RemoteDbHandler(db);
            ReplicaHandler replicas = replicaHandler;
            BlobSync blobCopies = blobSync;
            remoteDb.register(handlers, (c, r) -> replicas.handle(c, r) || blobCopies.handle(c, r));
        }
        jetty.setHandler(handlers);
        xenops.start(); // Xapi's on_xapi_restart: resync, event thread, every resident VM refreshed
        jetty.start();
        listenedPort = http.getLocalPort();
        statistics.start();
        certificates.syncAtStart();
        if (!role.isMaster()) {
            // before the hello: the master calls this host back, checking its certificate
            if (master == null) certificates.syncWithMaster(peerCalls(secret), role.masterAddress());
            configSync.pullAtStart(); // Xapi's fetch_config_files_on_slave_startup
            URI uri = master != null
                    ? org.xapijava.server.client.XmlRpcTransport.hostUri(master.bindAddress(), master.httpPort())
                    : poolTls.uri(role.masterAddress());
            memberAgent = MemberStart.hello(
                    uri,
                    master != null ? null : poolTls.context(),
                    localDb,
                    refs.host(),
                    secret::value,
                    clock,
                    config,
                    memberGate,
                    this::requestRestart);
            if (!memberGate.inEmergency()) alerts.forwardTo(memberAgent::createMessage);
        }
        // after the Unix socket listens: the drivers call back while PBDs are plugged
        storage.resync(alerts);
        RedoLogRecovery.alertIfBroken(database.redoLogOutcome(), localDb, refs.pool(), alerts);
        redoLog.resume(database.openedGeneration()); // the pool's redo log, once its SR is plugged
        LOG.info(
                "xapi started: {} explicit messages not implemented",
                table.unimplemented().size());
    }

    /** Jetty and its connectors ({@link HostConnectors}), not started; returns the local superuser's ones. */
    private Set<Connector> buildConnectors() throws Exception {
        HostConnectors.Built built = HostConnectors.build(config);
        jetty = built.jetty();
        http = built.http();
        https = built.https();
        return built.localRoot();
    }

    /**
     * Emergency mode (Xapi's {@code slave_emergency_mode}): a member that cannot reach its master, or a broken role,
     * answers only the emergency calls, each other call getting {@code error}; no database of the pool, this host's
     * in-memory sessions only. It tries its master again every {@code emergency-retry-seconds} by restarting.
     */
    private void startEmergency(PoolSecret secret, ApiError error) throws Exception {
        Database db = Database.empty(dm);
        LocalDb localDb = new LocalDb(db);
        Bootstrap.Auth a = Bootstrap.auth(config);
        rootPassword = a.rootPassword();
        pamAuth = a.rootHash() == null;
        SessionManager sessions = new SessionManager(db, localDb, a.authenticator(), clock, "OpaqueRef:NULL", secret);
        TaskManager tasks = new TaskManager(localDb, clock, "OpaqueRef:NULL");
        table = new MessageTable(dm);
        new SessionMessages(sessions).bind(table);
        MemberGate gate = new MemberGate(role.masterAddress(), error);
        new PoolMessages(localDb, role, secret, null, null, gate).bind(table);
        new EmergencyCalls(config.path("pool-conf"), this::requestRestart).bind(table);
        masterTransition(localDb, "OpaqueRef:NULL", config.get("bind"), secret).bind(table);
        certificates = new org.xapijava.server.pool.PoolCertificates(
                localDb, "OpaqueRef:NULL", "OpaqueRef:NULL", poolTls, config, false, null);
        certificates.serving(() -> https, () -> null, "");
        certificates.bind(table);
        Rbac rbac = Rbac.of(dm);
        dispatcher = new Dispatcher(localDb, sessions, tasks, table, new RbacAuthorizer(rbac, db));
        dispatcher.setRoleGate(gate);
        Set<Connector> localRoot = buildConnectors();
        handlers = new HttpHandlerTable(
                HttpAction.all(dm), new HttpAuthentication(sessions, secret, rbac, tasks), localRoot, false);
        new RpcHandler(dispatcher).register(handlers);
        new CliHandler(ServerCliHost.of(dispatcher, role, null, config.integer("http-port"), db)).register(handlers);
        jetty.setHandler(handlers);
        jetty.start();
        if (role.isSlave()) {
            timers = HostTimers.emergencyRetry(this::requestRestart, config.integer("emergency-retry-seconds"));
        }
        LOG.warn("xapi started in emergency mode: {}", error.getMessage());
    }

    /** The master-change calls ({@code pool.designate_new_master}, {@code recover_slaves}, {@code host.*_new_master}). */
    private MasterTransition masterTransition(org.xapijava.db.Db data, String host, String address, PoolSecret secret) {
        return new MasterTransition(
                data, host, address, role, peerCalls(secret), config.path("pool-conf"), clock, this::requestRestart);
    }

    /** Calls to the other hosts of the pool under their local sessions, over the pool's transport. */
    private PeerCalls peerCalls(PoolSecret secret) {
        return new PeerCalls(
                config.integer("http-port"),
                secret::value,
                Duration.ofSeconds(config.integer("master-call-timeout-seconds")),
                poolTls);
    }

    /** Asks {@link Main} to stop this host and start it again (a new role, or the master lost). */
    public void requestRestart() {
        restart.complete(null);
    }

    /** Asks the launcher to stop this host and not start it again ({@code host.shutdown_agent}). */
    public void requestStop() {
        stop.complete(null);
        restart.complete(null);
    }

    /** Completed when this host asks to be stopped for good; {@link #restartRequested()} completes with it. */
    public java.util.concurrent.CompletableFuture<Void> stopRequested() {
        return stop;
    }

    /** Completed when this host asks to be restarted. */
    public java.util.concurrent.CompletableFuture<Void> restartRequested() {
        return restart;
    }

    /** A member's reading of its master's config files: over its link, or the in-process master's; null on a master. */
    private org.xapijava.server.pool.ConfigFileSync.Master masterConfigFiles(MemberConnection link) {
        if (role.isMaster()) return null;
        if (link != null) {
            Duration wait = Duration.ofSeconds(config.integer("master-call-timeout-seconds"));
            return () -> link.link().get(org.xapijava.server.pool.ConfigFileSync.PATH, wait);
        }
        XapiServer m = master;
        return m == null ? null : () -> m.configSync.files();
    }

    /** A member's view of its master's blobs: over its link, or the in-process master's directory; null on a master. */
    private BlobSync.Source masterBlobs(MemberConnection link, XapiConfig config) {
        if (role.isMaster()) return null;
        if (link != null)
            return BlobSync.over(link.link(), Duration.ofSeconds(config.integer("master-call-timeout-seconds")));
        return master == null ? null : BlobSync.of(master.blobStore);
    }

    /** This host's pool role. */
    public PoolRole role() {
        return role;
    }

    /** Whether this host is in emergency mode. */
    public boolean inEmergencyMode() {
        return (services == null && dispatcher != null) || (memberGate != null && memberGate.inEmergency());
    }

    /** The bound HTTPS port, or -1 when HTTPS is off. */
    public int httpsPort() {
        return https == null ? -1 : https.getLocalPort();
    }

    /** xapi's storage socket, or null when not served. */
    public org.xapijava.server.storage.rpc.StorageSocket storageSocket() {
        return xenopsd == null ? null : xenopsd.storageSocket();
    }

    /** The snapshot    /** xapi's side of xenopsd. */
    /** The snapshot schedule timer (null on a member, which leaves schedules to its master). */
    public org.xapijava.server.vm.VmssTimer vmssTimer() {
        return vmssTimer;
    }

    /** This host's simulated bridges (network attach). */
    public org.xapijava.server.network.HostBridges bridges() {
        return bridges;
    }

    /** xcp-rrdd's part: the RRDs, their sampler and handlers (null before start and after close). */
    public org.xapijava.server.rrd.Statistics statistics() {
        return statistics;
    }

    /** xapi's side of xenopsd (null before start and after close). */
    public XenopsService xenops() {
        return xenopsd == null ? null : xenopsd.service();
    }

    /** The in-process xenopsd simulator, or null when xenopsd is external. */
    public EmbeddedXenopsd embeddedXenopsd() {
        return xenopsd == null ? null : xenopsd.embedded();
    }

    private List<Messages> modules(Rbac rbac) {
        return List.of(
                new SessionMessages(services.sessions(), configSync::pushToAll),
                new TaskMessages(services.tasks(), rbac),
                new RoleMessages(rbac),
                new AlertMessages(services.alerts()),
                new SubjectMessages(rbac),
                events);
    }

    /** This host's storage (SMAPIv2 over its drivers). */
    public org.xapijava.server.storage.StorageBackends storageBackends() {
        return storage.backends();
    }

    /** The sessions storage plugins call back with ({@code __sm__backend}). */
    public org.xapijava.server.sm.SmSessions smSessions() {
        return storage == null ? null : storage.smSessions();
    }

    public Services services() {
        return services;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    public MessageTable messageTable() {
        return table;
    }

    /** The remote database access handler (its operations can take more request kinds); null on a member. */
    public org.xapijava.server.remotedb.RemoteDbHandler remoteDb() {
        return master == null ? remoteDb : null;
    }

    /** The HTTP handler table: where the HTTP actions' handlers are registered. */
    public HttpHandlerTable httpHandlers() {
        return handlers;
    }

    /** The TCP HTTP connector (tests watch its connections). */
    public ServerConnector httpConnector() {
        return http;
    }

    /** The bound HTTP port (useful with port 0). */
    public int httpPort() {
        return http.getLocalPort();
    }

    public String bindAddress() {
        return config.get("bind");
    }

    /** The root password of a development host (password file), or null with PAM or once it is the pool master's. */
    public String rootPassword() {
        return rootPassword.get();
    }

    /** Whether root's password is PAM's (the system's), not the development password file's. */
    public boolean usesPam() {
        return pamAuth;
    }

    /** Stops accepting calls, stops Jetty, then flushes and closes the database. Idempotent. */
    @Override
    public synchronized void close() throws Exception {
        if (replicaHandler != null) replicaHandler.close();
        if (jetty != null) {
            try {
                jetty.stop();
            } catch (Exception e) {
                LOG.warn("stopping Jetty", e);
            }
            jetty = null;
        }
        if (timers != null) timers.close();
        if (memberAgent != null) {
            memberAgent.close(!restart.isDone());
            memberAgent = null;
        }
        if (vmssTimer != null) {
            vmssTimer.close();
            vmssTimer = null;
        }
        if (statistics != null) {
            statistics.close();
            statistics = null;
        }
        if (xenopsd != null) {
            xenopsd.close();
            xenopsd = null;
        }
        if (alerts != null) {
            alerts.close();
            alerts = null;
        }
        if (auditLog != null) {
            auditLog.close();
            auditLog = null;
        }
        if (hostClients != null) {
            hostClients.close();
            hostClients = null;
        }
        if (database != null) {
            database.close();
            database = null;
        }
    }
}
