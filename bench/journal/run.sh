#!/bin/bash
# What recording metrics costs a trial that makes LINES of them (default
# 1,000,000) as fast as it can, two ways:
#   stdout        spew.c prints "step=I loss=X" lines; the trial runner reads,
#                 parses and checksums them into the journal (group commit)
#   hpo_report()  reporter.c calls hpo_report() LINES times (group commit)
# Each is timed as an hpo trial: its runtime_s, from the start of the program
# until the runner has written and fsync'd every report.  Against the
# program's own time: spew alone, stdout to a pipe read by cat (the same
# reports, printed); also, for reference, spew | cat > a file beside the
# experiment (the log kept, as the runner keeps the trial's stdout).
# Each is run REPS times (default 5), alternating, on a shared machine:
# the lines give every ratio and their median.
# Run by hand: bench/journal/run.sh [LINES [REPS]]; asserts nothing.
# HPO=path/to/hpo and HPO_LIB=path/to/libhpo.a measure another build.
# Figures: bench/journal/RESULTS.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lines=${1:-1000000}
reps=${2:-5}
hpo=${HPO:-$root/bin/hpo}
lib=${HPO_LIB:-$root/lib/libhpo.a}
work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-journal.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/spew" "$here/spew.c"
libs="-ldeflate -lm"
nm "$lib" 2>/dev/null | grep -q ' U crc32$' && libs="-lz -lm"   # a build from before libdeflate
cc -O2 -I"$root/lib" -o "$work/reporter" "$here/reporter.c" "$lib" $libs

# wall seconds of a shell command
wall() { local t0 t1; t0=$(date +%s.%N); eval "$1"; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
# runtime_s of program PROG as the one trial of an hpo run
as_trial() {
    local exp=$work/exp-$1
    rm -rf "$exp"
    cat > "$work/spec-$1.yaml" <<YAML
name: $1
command: [$work/$1, "$lines", "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 1}
YAML
    (cd "$work" && "$hpo" run "spec-$1.yaml" --exp "$exp" --quiet > /dev/null)
    "$hpo" export "$exp" --csv | /usr/bin/python3 -c '
import csv, sys
print(next(csv.DictReader(sys.stdin))["runtime_s"])'
    rm -rf "$exp"
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: > "$work/r-stdout"; : > "$work/r-report"; : > "$work/r-file"
for i in $(seq 1 "$reps"); do
    own=$(wall '"$work/spew" "$lines" | cat > /dev/null')
    file=$(wall '"$work/spew" "$lines" | cat > "$work/out.txt"')
    t=$(as_trial spew)
    r=$(as_trial reporter)
    printf '%s: alone %.3fs (to a file %.3fs), stdout trial %.3fs ratio %.2f, hpo_report() trial %.3fs ratio %.2f\n' \
        "$i" "$own" "$file" "$t" "$(echo "$t / $own" | bc -l)" "$r" "$(echo "$r / $own" | bc -l)"
    echo "$t / $own" | bc -l >> "$work/r-stdout"
    echo "$r / $own" | bc -l >> "$work/r-report"
    echo "$t / $file" | bc -l >> "$work/r-file"
done
printf '%s lines, median of %s: stdout %.2fx the program alone (%.2fx against it writing its log to a file)\n' \
    "$lines" "$reps" "$(median < "$work/r-stdout")" "$(median < "$work/r-file")"
printf '%s hpo_report() calls, median of %s: %.2fx the program printing them alone\n' \
    "$lines" "$reps" "$(median < "$work/r-report")"
