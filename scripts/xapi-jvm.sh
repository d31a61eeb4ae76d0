#!/usr/bin/env bash
# Sourced by scripts/xapi and by the benchmarks that drive a host as it runs in production: sets the array
# XAPI_JVM_OPTS, the JVM options of a xapi host, from one setting:
#
#   XAPI_HEAP_MIB   the most Java heap the host may use, in MiB (default 512; at least 128)
#
# Everything else follows from it: direct memory (Jetty's I/O buffers) is capped at a quarter of the heap,
# metaspace at 128 MiB and compiled code at 64 MiB; glibc keeps at most 2 malloc arenas (threads otherwise
# each grow their own). How the default was chosen and what the host's resident size is under load:
# docs/performance.md ("Footprint"). XAPI_GC overrides the collector (G1 or Z) for measurements.
xapi_heap_mib="${XAPI_HEAP_MIB:-512}"
if ! [[ "$xapi_heap_mib" =~ ^[0-9]+$ ]] || (( xapi_heap_mib < 128 )); then
    echo "error: XAPI_HEAP_MIB must be a whole number of MiB, at least 128 (got '$xapi_heap_mib')" >&2
    return 1 2>/dev/null || exit 1
fi
case "${XAPI_GC:-G1}" in
    G1) xapi_gc=(-XX:+UseG1GC -XX:MaxGCPauseMillis=50) ;;
    Z) xapi_gc=(-XX:+UseZGC) ;;
    *) echo "error: XAPI_GC must be G1 or Z" >&2; return 1 2>/dev/null || exit 1 ;;
esac
XAPI_JVM_OPTS=(
    "-Xmx${xapi_heap_mib}m"
    "-XX:MaxDirectMemorySize=$((xapi_heap_mib / 4))m"
    -XX:MaxMetaspaceSize=128m
    -XX:ReservedCodeCacheSize=64m
    "${xapi_gc[@]}"
    --enable-native-access=ALL-UNNAMED
    -Djdk.xml.totalEntitySizeLimit=0
)
export MALLOC_ARENA_MAX=2
