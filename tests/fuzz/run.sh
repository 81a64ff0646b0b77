#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang++-14, ASan + UBSan) in
# build-fuzz/, replays each target's corpus and regression inputs, then
# fuzzes each target for a bounded time. Fails on any crash, failed check,
# leak, UBSan report, slow input or memory blow-up; the input that caused it
# is saved under build-fuzz/fuzz-artifacts/ (copy it into the target's
# regressions/ folder once the bug is fixed).
#
#   tests/fuzz/run.sh                     every target, FUZZ_SECONDS (18) each
#   FUZZ_SECONDS=300 tests/fuzz/run.sh csv   one target, five minutes
#   FUZZ_SECONDS=0 tests/fuzz/run.sh      replay only
#
# One fuzzing process at a time, on one core. New inputs the fuzzer finds go
# to build-fuzz/fuzz-corpus/<target>/ and are reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/../.."

all_targets=(http_head http_chunked tftp_packet identify csv inventory_import json_decode import_upload)
targets=("${all_targets[@]}")
[[ $# -gt 0 ]] && targets=("$@")
seconds=${FUZZ_SECONDS:-18}
build=${FUZZ_BUILD_DIR:-build-fuzz}
cxx=${FUZZ_CXX:-clang++-14}

if ! command -v "$cxx" >/dev/null; then
    echo "fuzz: $cxx is not installed (deploy/install-deps.sh --test installs it)" >&2
    exit 1
fi

# -O1 without NDEBUG: fast enough, and the code's asserts stay on.
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DPROVISIONER_FUZZ=ON -DBUILD_TESTING=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" >/dev/null
cmake --build "$build" -j2 --target fuzz_targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# 10 s for one input, or one allocation of 512 MiB, is far beyond what any
# parser here needs on a few KiB: hitting either is a finding, not a slow
# machine. The process as a whole (ASan's quarantine and shadow, the corpus)
# stays near 500 MiB; 2 GiB is libFuzzer's own default.
limits=(-timeout=10 -malloc_limit_mb=512 -rss_limit_mb=2048)
logs=$build/fuzz-logs
artifacts=$build/fuzz-artifacts
mkdir -p "$logs" "$artifacts"

failed=()
fail() {  # target, what, log
    failed+=("$1 ($2)")
    echo "fuzz: $1: $2 failed; the end of $3:" >&2
    tail -n 60 "$3" >&2
}

for t in "${targets[@]}"; do
    bin=$build/fuzz/fuzz_$t
    src=tests/fuzz/$t
    if [[ ! -x $bin || ! -d $src/corpus ]]; then
        echo "fuzz: no target '$t' (known: ${all_targets[*]})" >&2
        exit 2
    fi
    dirs=("$src/corpus")
    [[ -d $src/regressions ]] && dirs+=("$src/regressions")
    dict=()
    [[ -f $src/$t.dict ]] && dict=(-dict="$src/$t.dict")

    # Replay: each seed and each input that once crashed, run once.
    mapfile -t inputs < <(find "${dirs[@]}" -type f | sort)
    log=$logs/$t-replay.log
    if "$bin" "${limits[@]}" "${inputs[@]}" >"$log" 2>&1; then
        echo "== fuzz $t: ${#inputs[@]} corpus and regression inputs pass"
    else
        fail "$t" replay "$log"
        continue
    fi

    [[ $seconds -gt 0 ]] || continue
    work=$build/fuzz-corpus/$t
    mkdir -p "$work"
    log=$logs/$t.log
    # The first folder gets the new inputs; the repository's are only read.
    if "$bin" "${limits[@]}" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$artifacts/$t-" "$work" "${dirs[@]}" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
        echo "== fuzz $t: ${seconds}s, ${runs:-?} inputs, ${cov:-cov: ?}, nothing found"
    else
        fail "$t" "fuzzing" "$log"
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: FAILED: ${failed[*]}; inputs in $artifacts/" >&2
    exit 1
fi
