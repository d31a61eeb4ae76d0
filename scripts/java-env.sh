#!/usr/bin/env bash
# Sourced by the project's scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Order: $JAVA_HOME if it is new enough, then every JDK under /usr/lib/jvm (newest first).
xapi_java_major() {
  # Prints the feature version of the JDK at $1 (e.g. 25), or nothing.
  local v
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  echo "${v%%.*}"
}
xapi_find_jdk() {
  local cand major
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(xapi_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for cand in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    cand=${cand%/}
    [ -L "$cand" ] && continue
    major=$(xapi_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$cand"; return 0; fi
  done
  return 1
}
if ! JAVA_HOME=$(xapi_find_jdk); then
  echo "error: xapi-java needs a JDK >= 21 (virtual threads). Set JAVA_HOME to one, or install one under /usr/lib/jvm (e.g. 'apt-get install openjdk-21-jdk-headless' or Temurin 21+)." >&2
  return 1 2>/dev/null || exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
