#!/usr/bin/env bash
# Builds the comparison's HTML report for each board, renders it in headless Chromium and checks the
# layout as the browser lays it out (compare/README.md, "Checking the report in a browser"):
#   - the page does not scroll sideways in a 1280x900 window, and every picture fits the window;
#   - no text of a picture overflows the picture or the box it labels, and no two texts overlap;
#   - no table cell overflows.
# Writes per board DIR/<board>/report.html, check.txt (the page's findings) and report.png (a
# screenshot of the whole page, 1280 px wide, to look at).
#
# usage: compare/check-report.sh [-o DIR] [BOARD...]
#   BOARD  .dtb or .dts files; default: the built-in board, our fixture trees
#          (testkit/src/main/resources/boards/iommulab-*.dts) and ../shared/boards/*.dtb
#   -o DIR where to write (default target/report-check)
# Needs launcher/target/iommulab.jar (mvn -B -o -q package -DskipTests) and chromium (Debian:
# apt-get install chromium; or CHROMIUM=/path/to/chrome). Exit status 1 if any board fails a check.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/report-check
if [ "${1:-}" = "-o" ]; then
    out=$2
    shift 2
fi
jar=launcher/target/iommulab.jar
check_js=compare/src/test/resources/io/iommulab/compare/report/layout-check.js
width=1280
height=900
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[ -f "$jar" ] || { echo "no $jar: run mvn -B -o -q package -DskipTests first" >&2; exit 2; }
[ -n "$chromium" ] || { echo "no chromium found: apt-get install chromium, or set CHROMIUM" >&2; exit 2; }

boards=("$@")
if [ ${#boards[@]} -eq 0 ]; then
    boards=(default testkit/src/main/resources/boards/iommulab-*.dts)
    for f in ../shared/boards/*.dtb; do
        [ -f "$f" ] && boards+=("$f")
    done
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
browse() { # browse ARGS... URL: one headless Chromium run (flags as the issue asks; a throwaway profile)
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --user-data-dir="$profile" "$@" 2>/dev/null
}

failed=0
declare -A used
for board in "${boards[@]}"; do
    name=$(basename "$board")
    name=${name%.*}
    # the same file name from two folders (../shared/boards and an upstream build): keep both
    base=$name
    for ((k = 2; ${used[$name]:-0}; k++)); do
        name=$base-$k
    done
    used[$name]=1
    dir=$out/$name
    rm -rf "$dir"
    mkdir -p "$dir"
    opts=()
    [ "$board" = default ] || opts=(--board "$board")
    if ! java -jar "$jar" "${opts[@]}" --compare --report "$dir" >"$dir/compare.txt" 2>"$dir/compare.err"; then
        echo "$name: FAIL: the comparison did not run (see $dir/compare.err)"
        failed=1
        continue
    fi
    # the page with the check appended; the report itself stays as written
    { sed '/<\/body>/,$d' "$dir/report.html"; printf '<script>\n'; cat "$check_js"; printf '</script>\n</body>\n</html>\n'; } \
        >"$dir/check.html"
    browse --window-size=$width,$height --dump-dom "file://$dir/check.html" \
        | sed -n '/<pre id="layout-check">/,/END<\/pre>/p' \
        | sed -e 's/.*<pre id="layout-check">//' -e 's/<\/pre>//' -e 's/&lt;/</g' -e 's/&gt;/>/g' \
              -e 's/&quot;/"/g' -e 's/&amp;/\&/g' >"$dir/check.txt"
    if ! grep -q '^END$' "$dir/check.txt"; then
        echo "$name: FAIL: the check did not run in the browser (see $dir/check.txt)"
        failed=1
        continue
    fi
    page_h=$(sed -n 's/^page [0-9]*x\([0-9]*\) .*/\1/p' "$dir/check.txt")
    browse --window-size=$width,"${page_h:-$height}" --screenshot="$dir/report.png" "file://$dir/report.html" >/dev/null
    problems=$(grep -c '^FAIL' "$dir/check.txt" || true)
    pictures=$(sed -n 's/^svg "topology: \([^"]*\)" \([0-9.]*\)x.*/\1 \2 px/p' "$dir/check.txt" | paste -sd';' - | sed 's/;/, /g')
    if [ "$problems" -gt 0 ]; then
        echo "$name: FAIL: $problems layout problem(s):"
        grep '^FAIL' "$dir/check.txt" | sed 's/^/  /'
        failed=1
    else
        echo "$name: ok (topology pictures: $pictures; screenshot $dir/report.png)"
    fi
done
exit $failed
