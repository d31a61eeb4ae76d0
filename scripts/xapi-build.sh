# Sourced by scripts/xapi and scripts/pool (after java-env.sh): xapi_build_if_needed builds the host's jar
# and its libraries when they are missing or older than a main source file. One build at a time: a pool's
# hosts started side by side, or two scripts/xapi at once, would otherwise compile into the same target
# directories together and leave truncated class files. Expects $root (the checkout).
xapi_jar="$root/xapi-server/target/xapi-server-0.1.0-SNAPSHOT.jar"

xapi_build_needed() {
    [[ ! -f "$xapi_jar" || ! -d "$root/xapi-server/target/lib" ]] ||
        [[ -n "$(find "$root" -path '*/src/main/*' -newer "$xapi_jar" -print -quit 2>/dev/null)" ]]
}

xapi_build_if_needed() {
    xapi_build_needed || return 0
    local lock="${TMPDIR:-/tmp}/xapi-java-build-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
    (
        flock 9
        # another build may have finished while this one waited for the lock
        if xapi_build_needed; then
            echo "building xapi-server (first run or sources changed)..." >&2
            cd "$root" && ./mvnw -B -q -ntp -pl xapi-server -am -DskipTests package >&2
        fi
    ) 9>"$lock"
}
