#!/bin/sh
# Back-to-back comparison on one machine: the C reference, the JMH benchmarks, the C reference again.
# The C reference is copied to a scratch directory (its own directory may be read-only) and never
# becomes part of this tree. Outputs: bench/target/compare/{c-before,jmh,c-after,footprint}.txt, jmh.json.
#   bench/compare.sh [extra JMH arguments]      (after: mvn -B -q -pl bench package)
set -e
cd "$(dirname "$0")/.."
REF=${CBASELINE:-../shared/reference/cbaseline}
SCRATCH=${CBASELINE_SCRATCH:-/tmp/cbaseline}
OUT=bench/target/compare
mkdir -p "$OUT" "$SCRATCH"
cp "$REF/dartpt.c" "$REF/run.sh" "$SCRATCH/"
chmod u+w "$SCRATCH"/*

# As run.sh: wait (up to ~2 min) until the machine has been <10 % busy for a second.
busy() {
	a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat); sleep 1
	b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
	echo "$a $b" | awk '{u=$3-$1; i=$4-$2; print int(100*u/(u+i+1))}'
}
quiet() { n=0; while [ "$(busy)" -ge 10 ] && [ $n -lt 40 ]; do sleep 2; n=$((n+1)); done; }

sh "$SCRATCH/run.sh" > "$OUT/c-before.txt"
quiet
java -cp bench/target/benchmarks.jar io.iommulab.bench.Footprint > "$OUT/footprint.txt"
java -jar bench/target/benchmarks.jar -f ${FORKS:-1} -wi 3 -i 5 -w 1s -r 1s -rf json -rff "$OUT/jmh.json" "$@" > "$OUT/jmh.txt"
sh "$SCRATCH/run.sh" > "$OUT/c-after.txt"
sed -n '/^== median/,$p' "$OUT/c-before.txt"
sed -n '/^Benchmark /,$p' "$OUT/jmh.txt"
sed -n '/^== median/,$p' "$OUT/c-after.txt"
cat "$OUT/footprint.txt"
