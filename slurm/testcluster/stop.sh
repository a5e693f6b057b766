#!/usr/bin/env bash
# Stops the test cluster that slurm/testcluster/start.sh started from DIR:
# the jobs still running on it, slurmd, slurmctld and munged, found by
# their pid files and then, to make sure they are gone, by their command
# lines (which name DIR).  Leaves DIR, logs included, for inspection;
# --clean removes it as well.
#
#   slurm/testcluster/stop.sh [--clean] DIR
#
# Safe to run when nothing is running (or DIR does not exist).
set -euo pipefail

die() { echo "stop.sh: error: $*" >&2; exit 1; }

clean=0 dir=
for a in "$@"; do
    case "$a" in
        --clean) clean=1 ;;
        -*) die "unknown option $a (usage: $0 [--clean] DIR)" ;;
        *) [ -z "$dir" ] || die "usage: $0 [--clean] DIR"; dir=$a ;;
    esac
done
[ -n "$dir" ] || die "usage: $0 [--clean] DIR"
[ -d "$dir" ] || exit 0
DIR=$(cd "$dir" && pwd -P)

# Is $1 a live process of ours: argv[0] named like $2 (slurmd, ...) and
# some argument containing $3 (a path under DIR)?  Guards against pid files
# whose pid has since been reused by something else.
is_ours() {
    local pid=$1 name=$2 needle=$3 argv a
    # No pipes into grep -q here: under pipefail a SIGPIPE could make a
    # match look like a miss.
    mapfile -d '' -t argv <"/proc/$pid/cmdline" 2>/dev/null || return 1
    [ ${#argv[@]} -gt 0 ] || return 1          # kernel thread or zombie
    a=${argv[0]##*/}
    case "$a" in "$name" | "$name"-*) ;; *) return 1 ;; esac
    for a in "${argv[@]:1}"; do
        case "$a" in *"$needle"*) return 0 ;; esac
    done
    return 1
}

# Pids of daemon $1 for this DIR: from its pid file, then any other process
# of that name whose command line names $2.
daemon_pids() {
    local name=$1 needle=$2 pidfile=$3 pid p
    {
        if [ -r "$pidfile" ]; then
            pid=$(tr -dc '0-9' <"$pidfile")
            [ -n "$pid" ] && is_ours "$pid" "$name" "$needle" && echo "$pid"
        fi
        for p in /proc/[0-9]*; do
            p=${p#/proc/}
            is_ours "$p" "$name" "$needle" && echo "$p"
        done
    } 2>/dev/null | sort -u
}

# All descendants of the given pids (by walking /proc/*/stat's ppid).
descendants() {
    local -A kids=()
    local stat pid ppid rest
    for stat in /proc/[0-9]*/stat; do
        read -r pid rest <"$stat" 2>/dev/null || continue
        # comm (field 2) may hold blanks; ppid is the 2nd field after ')'.
        rest=${rest##*) }
        read -r _ ppid _ <<<"$rest"
        kids[$ppid]+="$pid "
    done
    local queue=("$@") out=() p c
    while [ ${#queue[@]} -gt 0 ]; do
        p=${queue[0]}; queue=("${queue[@]:1}")
        for c in ${kids[$p]:-}; do out+=("$c"); queue+=("$c"); done
    done
    [ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

# Is pid $1 alive?  A zombie is not: where PID 1 is slow to reap (some
# container inits), an exited daemon lingers as one and kill -0 succeeds.
alive() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

# Kill pids with SIGTERM, wait up to $1 seconds, then SIGKILL what is left.
stop_pids() {
    local wait_s=$1; shift
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    local i p any
    for ((i = 0; i < wait_s * 10; i++)); do
        any=0
        for p in "$@"; do alive "$p" && any=1; done
        [ $any -eq 0 ] && return 0
        sleep 0.1
    done
    kill -KILL "$@" 2>/dev/null || true
    sleep 0.2
}

# 1. Running jobs.  Each step's slurmstepd keeps a unix socket in
# SlurmdSpoolDir; those sockets identify this cluster's stepds without
# guessing by name (slurmstepd daemonizes, so it is not slurmd's child).
# The jobs are their descendants (proctrack/linuxproc).  SIGKILL them all:
# the cluster is going away, there is nobody to report to.
stepds=()
if [ -d "$DIR/spool" ]; then
    inodes=$(awk -v d="$DIR/spool/" 'index($8, d) == 1 {print $7}' /proc/net/unix 2>/dev/null | sort -u)
    if [ -n "$inodes" ]; then
        for fd in /proc/[0-9]*/fd/*; do
            link=$(readlink "$fd" 2>/dev/null) || continue
            case "$link" in socket:\[*\]) ;; *) continue ;; esac
            ino=${link#socket:[}; ino=${ino%]}
            if grep -qx -- "$ino" <<<"$inodes"; then
                p=${fd#/proc/}; p=${p%%/*}
                [ "$p" != $$ ] && stepds+=("$p")
            fi
        done
    fi
fi
if [ ${#stepds[@]} -gt 0 ]; then
    mapfile -t stepds < <(printf '%s\n' "${stepds[@]}" | sort -u)
    mapfile -t jobs < <(descendants "${stepds[@]}")
    [ ${#jobs[@]} -eq 0 ] || kill -KILL "${jobs[@]}" 2>/dev/null || true
    kill -KILL "${stepds[@]}" 2>/dev/null || true
fi

# 2. The daemons: slurmd before slurmctld (so the controller does not mark
# the node down meanwhile), munged last (both use it while shutting down).
mapfile -t p < <(daemon_pids slurmd "$DIR/slurm.conf" "$DIR/run/slurmd.pid")
stop_pids 10 "${p[@]}"
mapfile -t p < <(daemon_pids slurmctld "$DIR/slurm.conf" "$DIR/run/slurmctld.pid")
stop_pids 10 "${p[@]}"
mapfile -t p < <(daemon_pids munged "$DIR/munge/munge.socket" "$DIR/run/munged.pid")
stop_pids 5 "${p[@]}"

# 3. Make sure.
left=()
for d in "slurmd $DIR/slurm.conf $DIR/run/slurmd.pid" \
         "slurmctld $DIR/slurm.conf $DIR/run/slurmctld.pid" \
         "munged $DIR/munge/munge.socket $DIR/run/munged.pid"; do
    # shellcheck disable=SC2086  # the three words are the arguments
    mapfile -t p < <(daemon_pids $d)
    [ ${#p[@]} -eq 0 ] || left+=("${d%% *}: ${p[*]}")
done
[ ${#left[@]} -eq 0 ] || die "still running after SIGKILL: ${left[*]}"
rm -f "$DIR"/run/*.pid

if [ $clean -eq 1 ]; then
    # Only a directory that start.sh made (or an empty one) is removed.
    if [ -e "$DIR/.hpo-testcluster" ] || [ -e "$DIR/env" ] || [ -z "$(ls -A "$DIR")" ]; then
        rm -rf "$DIR"
    else
        die "--clean: $DIR does not look like a test cluster directory; not removed"
    fi
fi
