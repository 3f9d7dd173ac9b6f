#!/bin/sh
# Start-up of the launcher on the default board, against a bare JVM, run by hand:
#
#   bench/startup.sh [JAR] [RUNS]        (defaults: launcher/target/iommulab.jar, 10)
#   JVM_OPTIONS="-Diommulab.relaunch=false" bench/startup.sh     (options for the launcher's JVM)
#
# Each round runs, one after the other: `java -version`; the launcher with --verbose, which prints
# "board default probed X s after JVM start" (the figure the issue sets at 1.0 s); the launcher bare,
# timed from the outside until it exited. Prints each round, then the medians and the ratios to
# `java -version`, and the load average before and after (the machine is shared: a loaded one slows
# the launcher, which starts several threads, far more than `java -version`). Runs in a temporary
# folder, so that no ./deploy of the caller's is picked up.
set -eu
JAR=$(cd "$(dirname "${1:-launcher/target/iommulab.jar}")" && pwd)/$(basename "${1:-launcher/target/iommulab.jar}")
RUNS=${2:-10}
JAVA=${JAVA:-java}
JVM_OPTIONS=${JVM_OPTIONS:-}
[ -f "$JAR" ] || { echo "startup.sh: no launcher jar at $JAR (mvn -B -o -q package -DskipTests)" >&2; exit 2; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round  java -version ms  probed ms (--verbose)  bare run ms"
i=1
while [ "$i" -le "$RUNS" ]; do
    t0=$(ms); "$JAVA" -version 2>/dev/null; t1=$(ms)
    # shellcheck disable=SC2086 # JVM_OPTIONS: several words
    probed=$("$JAVA" $JVM_OPTIONS -jar "$JAR" --verbose 2>&1 >/dev/null | sed -n 's/^iommulab: board default probed \([0-9.]*\) s after JVM start$/\1/p')
    [ -n "$probed" ] || { echo "startup.sh: no start-up line from $JAR --verbose" >&2; exit 1; }
    probed=$(awk -v s="$probed" 'BEGIN { printf "%d", s * 1000 }')
    # shellcheck disable=SC2086
    t2=$(ms); "$JAVA" $JVM_OPTIONS -jar "$JAR" >/dev/null 2>&1; t3=$(ms)
    printf '%5d  %16d  %21d  %11d\n' "$i" $((t1 - t0)) "$probed" $((t3 - t2))
    echo "$((t1 - t0)) $probed $((t3 - t2))" >> rounds
    i=$((i + 1))
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
v=$(cut -d' ' -f1 rounds | median); p=$(cut -d' ' -f2 rounds | median); b=$(cut -d' ' -f3 rounds | median)
echo "median: java -version $v ms; board probed $p ms after JVM start ($(awk -v a="$p" -v b="$v" 'BEGIN { printf "%.1f", a / b }') x java -version); bare run to its exit $b ms ($(awk -v a="$b" -v b="$v" 'BEGIN { printf "%.1f", a / b }') x)"
