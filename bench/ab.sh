#!/usr/bin/env bash
# bench/ab.sh: one benchmark, two builds, taking turns in one run, so that a
# change is judged against the build before it on the same machine at the
# same time (the spread between turns of one build is the noise).
#   bench/ab.sh OLD_BIN_DIR NEW_BIN_DIR TURNS BENCH [ARGS...]
# e.g. bench/ab.sh /tmp/old/build/bin build/bin 3 bench/http/run.sh 8
# Each turn runs BENCH with BENCH_BIN_DIR set to each build, the order
# alternating (A B, B A, ...); every output line is prefixed with its build
# and turn. From the repository root, after both builds.
set -euo pipefail
[[ $# -ge 4 ]] || { sed -n 2,10p "$0" >&2; exit 64; }
OLD=$1; NEW=$2; TURNS=$3; shift 3
for turn in $(seq 1 "$TURNS"); do
    if (( turn % 2 )); then order=(old new); else order=(new old); fi
    for which in "${order[@]}"; do
        dir=$OLD; [[ $which == new ]] && dir=$NEW
        # A bench that exits non-zero (a peer's failure counts) does not end the turns.
        BENCH_BIN_DIR=$dir "$@" 2>&1 | sed "s/^/[$which $turn] /" || echo "[$which $turn] exit status $?"
    done
done
