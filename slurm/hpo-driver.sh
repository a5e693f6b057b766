#!/bin/bash
# The hpo driver job: starts (or resumes) a sweep on a Slurm cluster.
#
#   sbatch slurm/hpo-driver.sh EXP spec.yaml     # start; EXP is created from the spec
#   sbatch slurm/hpo-driver.sh EXP               # resume an existing experiment
#
# Each run of this job is one step: it ingests the finished round, plans and
# submits the next one as one array job, submits the next driver step to
# run after it (--dependency=afterany), and exits: nothing stays running
# between rounds.  Edit the defaults below for your site; the driver itself
# needs one CPU, no GPU and a few minutes.
#SBATCH --job-name=hpo-driver
#SBATCH --time=00:15:00
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --output=hpo-driver-%j.log
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: sbatch $0 EXP [SPEC]" >&2
    exit 2
fi
exp=$1
spec=${2:-}

# Slurm runs a copy of this script from its spool directory, so $0 says
# nothing about where hpo is: PATH first, then $HPO_BIN, then the bin/hpo
# of the directory the job was submitted from.
if command -v hpo >/dev/null 2>&1; then
    hpo=$(command -v hpo)
elif [ -n "${HPO_BIN:-}" ] && [ -x "$HPO_BIN" ]; then
    hpo=$HPO_BIN
elif [ -x "${SLURM_SUBMIT_DIR:-.}/bin/hpo" ]; then
    hpo=${SLURM_SUBMIT_DIR:-.}/bin/hpo
else
    echo "hpo-driver: cannot find hpo (not on PATH, no \$HPO_BIN, no \$SLURM_SUBMIT_DIR/bin/hpo)" >&2
    exit 1
fi

# The driver's log goes into the experiment: EXP/driver-<job id>.log.  The
# --output file above only catches what goes wrong before this point; once
# the log is redirected it is removed if empty, so nothing is left in the
# directory sbatch was run from.
mkdir -p "$exp"
if [ -n "${SLURM_JOB_ID:-}" ]; then
    exec >> "$exp/driver-$SLURM_JOB_ID.log" 2>&1
    early="${SLURM_SUBMIT_DIR:-.}/hpo-driver-$SLURM_JOB_ID.log"
    [ -f "$early" ] && [ ! -s "$early" ] && rm -f "$early"
fi
echo "hpo-driver: $(date -Is) job ${SLURM_JOB_ID:-none} on $(hostname): $hpo drive $exp"
if [ -n "$spec" ]; then
    exec "$hpo" drive "$exp" --spec "$spec"
fi
exec "$hpo" drive "$exp"
