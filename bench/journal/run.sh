#!/bin/bash
# Metric lines on a trial's stdout: how much the trial runner (parse, the
# journal's checksummed appends, group-committed fsync) slows a trial that
# prints LINES lines (default 1,000,000) as fast as it can.  Prints the
# program's own time (stdout to a pipe read by cat) and the trial's
# runtime_s under `hpo run` (from the start of the program until the
# runner has written and fsync'd every line to the journal), and the ratio.
# Run by hand: bench/journal/run.sh [LINES]; asserts nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lines=${1:-1000000}
hpo=${HPO:-$root/bin/hpo}
work=$(mktemp -d "${TMPDIR:-/tmp}/hpo-bench-journal.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/spew" "$here/spew.c"
t0=$(date +%s.%N)
"$work/spew" "$lines" | cat > /dev/null
t1=$(date +%s.%N)
own=$(echo "$t1 - $t0" | bc)
cat > "$work/spec.yaml" <<YAML
name: spew
command: [./spew, "$lines", "{x}"]
space:
  x: {type: float, low: 0, high: 1}
objective: {metric: loss}
budget: {max_trials: 1}
YAML
(cd "$work" && "$hpo" run spec.yaml --exp "$work/exp" --quiet > /dev/null)
runtime=$("$hpo" export "$work/exp" --csv | /usr/bin/python3 -c '
import csv, sys
r = next(csv.DictReader(sys.stdin))
print(r["runtime_s"])')
echo "$lines lines: program alone ${own}s, as an hpo trial ${runtime}s, ratio $(echo "scale=2; $runtime / $own" | bc)"
