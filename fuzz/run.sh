#!/usr/bin/env bash
# Build the fuzz targets and run each for SECONDS (default 60), side by side, from its committed
# seeds, with a 10 s limit on any one input (a hang is a failure, as a panic is). New inputs go
# to a scratch corpus, so the committed seeds stay as they are. A failing input is left under
# fuzz/artifacts/TARGET/; `cargo fuzz run TARGET FILE` replays it (docs/fuzzing.md).
# `fuzz/run.sh --build-only` installs cargo-fuzz and builds the targets, and runs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case "$seconds" in
  --build-only) ;;
  *[!0-9]* | "" | 0) echo "usage: fuzz/run.sh [SECONDS | --build-only]" >&2; exit 2 ;;
esac

# cargo-fuzz from crates.io, built once per machine beside cargo's own caches (as Maven keeps its
# artifacts in ~/.m2), under a directory named for its version: a fresh clone finds it there.
tools=${CARGO_HOME:-$HOME/.cargo}/highwater-tools/cargo-fuzz-0.13.1
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --version 0.13.1 --locked --root "$tools"
fi
export PATH="$tools/bin:$PATH"
# cargo fuzz passes the compiler flags of libFuzzer's instrumentation, which a stable toolchain
# takes only this way. Every crate under test forbids unsafe code, so no sanitizer is built in.
export RUSTC_BOOTSTRAP=1

cargo fuzz build --sanitizer none --release
[ "$seconds" != --build-only ] || exit 0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The targets run side by side, each for SECONDS of wall time; libFuzzer's progress goes to a
# log per target, printed whole only for a target that fails.
pids=()
for target in $(cargo fuzz list); do
  seeds=(fuzz/corpus/"$target")
  # The trace decoder also starts from every trace this repository keeps.
  if [ "$target" = trace_replay ]; then seeds+=(traces/corpus traces/corpus/bugs); fi
  mkdir -p "$scratch/$target"
  cargo fuzz run --sanitizer none --release "$target" "$scratch/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -seed=1 -print_final_stats=1 \
    > "$scratch/$target.log" 2>&1 &
  pids+=("$target:$!")
done
failed=0
for entry in "${pids[@]}"; do
  target=${entry%%:*}
  if wait "${entry##*:}"; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$target.log" | grep -o '[0-9]*$' || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$scratch/$target.log" | grep -o '[0-9]*$' || true)
    echo "$target: no failure in $seconds s, $runs inputs ($rate a second)"
  else
    echo "$target: FAILED (the failing input is under fuzz/artifacts/$target/)"
    cat "$scratch/$target.log"
    failed=1
  fi
done
exit "$failed"
