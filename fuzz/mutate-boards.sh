#!/usr/bin/env bash
# Mutates the real Apple boards (../shared/boards/*.dtb, read in place, never copied) and our
# fixture trees (BoardMutator), runs the launcher jar on each mutant with --quiet and a few commands
# that read what booted, and counts the runs whose stdout or stderr shows a Java stack trace
# ("\tat " lines, "Exception in thread", "Caused by"). Those are listed with their first trace line.
#
#   fuzz/mutate-boards.sh [COUNT_PER_BOARD] [SEED]      (defaults 27 and 14: 12 boards, 324 runs)
#
# Needs the build (mvn -B -o -q package -DskipTests, then mvn -B -o -q test-compile -pl fuzz -am).
# Prints: runs, how they ended (exit 0 booted and ran, 1 a command failed, 2 board refused, other),
# and the runs with a stack trace. Exit status 1 if any run printed one. Work files: $OUT (default
# a temporary folder), mutations.txt there says what each mutant changed. JAR=... runs another
# launcher jar on the same mutants (a build of an older commit, to compare).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
COUNT=${1:-27}
SEED=${2:-14}
OUT=${OUT:-$(mktemp -d -t iommulab-mutants-XXXXXX)}
JAR=${JAR:-launcher/target/iommulab.jar}
M2=${M2_REPO:-$HOME/.m2/repository}
CP=fuzz/target/test-classes:machine/target/classes:api/target/classes:testkit/target/classes
CP=$CP:$M2/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar:$M2/org/osgi/osgi.core/8.0.0/osgi.core-8.0.0.jar
[ -f "$JAR" ] || { echo "no $JAR: build first" >&2; exit 2; }

boards=()
for f in ../shared/boards/*.dtb; do [ -f "$f" ] && boards+=("$f"); done
boards+=(boards/testkit.dts boards/iommulab-t6000.dts boards/iommulab-t8112.dts boards/iommulab-t6020.dts
         boards/iommulab-t6002.dts boards/iommulab-t6022.dts boards/default.dts boards/iommulab-fuzz.dts)
java -cp "$CP" io.iommulab.fuzz.BoardMutator "$OUT/boards" "$COUNT" "$SEED" "${boards[@]}" >&2

runs=0; traced=0; declare -A exits=()
for b in "$OUT"/boards/*.dts; do
  log="$OUT/$(basename "$b" .dts).log"
  set +e
  timeout 120 java -jar "$JAR" --deploy "$OUT/deploy" --board "$b" --quiet \
      -c "iommu:devices; machine:irqs; machine:power; dart:darts; smmu:smmus" >"$log" 2>&1 </dev/null
  code=$?
  set -e
  runs=$((runs + 1)); exits[$code]=$(( ${exits[$code]:-0} + 1 ))
  if grep -q -E $'^\tat |Exception in thread|Caused by' "$log"; then
    traced=$((traced + 1))
    echo "TRACE exit $code $(basename "$b"): $(grep -m1 -E 'Exception|Error' "$log" | cut -c1-200)"
  fi
done
echo "runs: $runs; exits: $(for k in "${!exits[@]}"; do printf '%s=%s ' "$k" "${exits[$k]}"; done)"
echo "runs with a stack trace: $traced of $runs (logs in $OUT)"
[ "$traced" -eq 0 ]
