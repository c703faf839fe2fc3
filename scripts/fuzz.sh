#!/bin/sh
# Run each libFuzzer harness: first replay its regressions (inputs that
# crashed it once, fuzz/regressions/NAME/), then fuzz for SECONDS from its
# committed seeds (fuzz/corpus/NAME/) plus what earlier runs found
# (DIR/corpus/NAME/, not committed). A crash's input lands in DIR/crashes/:
# fix the bug, then commit the input to fuzz/regressions/NAME/.
# Usage: fuzz.sh DIR SECONDS NAME...
set -u
dir=$1 seconds=$2; shift 2
cd "$(dirname "$0")/.."
failed=""
for name in "$@"; do
  bin="$dir/bin/fuzz-$name"
  mkdir -p "$dir/corpus/$name" "$dir/crashes" "fuzz/corpus/$name"
  if [ -d "fuzz/regressions/$name" ] && [ -n "$(ls -A "fuzz/regressions/$name")" ]; then
    if ! "$bin" -runs=1 fuzz/regressions/"$name"/* >"$dir/$name.replay.log" 2>&1; then
      echo "fuzz: $name: a regression input crashes it again (see $dir/$name.replay.log)" >&2
      failed="$failed $name"
      continue
    fi
  fi
  echo "fuzz: $name for ${seconds}s" >&2
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: a leak or bomb.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$dir/crashes/$name-" "$dir/corpus/$name" "fuzz/corpus/$name" >"$dir/$name.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+ *DONE' "$dir/$name.log" | tail -n 1 >&2
  else
    tail -n 40 "$dir/$name.log" >&2
    echo "fuzz: $name crashed (input in $dir/crashes/, log $dir/$name.log)" >&2
    failed="$failed $name"
  fi
done
[ -z "$failed" ] || { echo "fuzz: failed:$failed" >&2; exit 1; }
echo "fuzz: $# harnesses, ${seconds}s each, no crash" >&2
