#!/usr/bin/env bash
# The gpu backend's and the effects chain's GPU figures on a real GPU, prepared for the `device`
# tool's machine (which cannot reach crates.io and takes at most 64 MiB of working tree):
#
#   scripts/device_bench.sh pack   here: builds the two benchmarks (release, stripped, gzipped)
#                                  into .device/ (ignored through .git/info/exclude)
#   scripts/device_bench.sh run    there (carry .device, and .gl for Vulkan's loader as the
#                                  device README says): prints both tables, and writes them to
#                                  $OUT/device-bench.md when $OUT is set
#
# The tables: examples/gpu_backend_bench (the network's pass per model, GPU ms from timestamp
# queries, beside the CPU engines) and examples/chain_bench --gpu-backend (the whole pipeline in
# the render graph — network, then the chain's passes — at 640×360 and 1280×720, per frame).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.device
case "${1:-}" in
  pack)
    grep -qx "/$dir/" .git/info/exclude 2>/dev/null || echo "/$dir/" >> .git/info/exclude
    cargo build --release --example gpu_backend_bench --example chain_bench
    target="${CARGO_TARGET_DIR:-target}/release/examples"
    mkdir -p "$dir"
    for bench in gpu_backend_bench chain_bench; do
      strip -o "$dir/$bench" "$target/$bench"
      gzip -9 -f "$dir/$bench"
    done
    # The photo gpu_backend_bench reads (../shared does not travel).
    photo=$(ls ../shared/media/*.jpg 2>/dev/null | head -n 1 || true)
    if [ -n "$photo" ]; then cp "$photo" "$dir/frame.jpg"; fi
    du -ch "$dir"/* | tail -n 1
    ;;
  run)
    for bench in gpu_backend_bench chain_bench; do
      gunzip -c "$dir/$bench.gz" > "/tmp/$bench"
      chmod +x "/tmp/$bench"
    done
    frame=()
    if [ -f "$dir/frame.jpg" ]; then frame=("$dir/frame.jpg"); fi
    report="${OUT:-/tmp}/device-bench.md"
    {
      echo "# gpu backend and chain on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || echo 'this GPU')"
      echo
      BEVY_ASSET_ROOT="$PWD" /tmp/gpu_backend_bench 30 "${frame[@]}"
      for model in landscape general; do
        echo
        BEVY_ASSET_ROOT="$PWD" /tmp/chain_bench --gpu-backend "$model" 60 18
      done
    } 2>"$report.stderr" | tee "$report"
    # Warnings and errors apart from the tables (the last lines, where something failed).
    tail -n 5 "$report.stderr"
    ;;
  *)
    echo "usage: $0 pack|run" >&2
    exit 2
    ;;
esac
