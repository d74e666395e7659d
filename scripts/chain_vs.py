#!/usr/bin/env python3
"""Two builds of `chain_bench` side by side: GPU ms of the effects chain, old and new, in one run.

Runs each binary's `chain_bench FRAMES` in turn for a few rounds (so a noisy shared machine
slows both alike), reads the chain total of every row of their Markdown tables, and prints the
medians over the rounds with the ratio old / new for each frame size and blur radius.

    # build the old chain_bench from an earlier commit (a worktree shares the target folder):
    git worktree add /tmp/old <commit> && (cd /tmp/old && cargo build --release --example chain_bench)
    cp "$CARGO_TARGET_DIR/release/examples/chain_bench" /tmp/chain_bench_old
    cargo build --release --example chain_bench   # this checkout's
    scripts/chain_vs.py /tmp/chain_bench_old "$CARGO_TARGET_DIR/release/examples/chain_bench"

A row is keyed by its frame size, refine method (when the table has that column; `–` for an
older table without it) and blur radius.
"""

import argparse
import statistics
import subprocess
import sys


def rows(output: str) -> dict[tuple[str, str, str], float]:
    """(frame, refine, radius) → chain total, from chain_bench's table."""
    lines = [l for l in output.splitlines() if l.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    found = {}
    for line in lines[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
        key = (cells["frame"], cells.get("refine", "–"), cells["blur radius"])
        found[key] = float(cells["chain total"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for round_number in range(args.rounds):
        for label, binary in (("old", args.old), ("new", args.new)):
            out = subprocess.run([binary, str(args.frames)], capture_output=True, text=True, check=True)
            runs[label].append(rows(out.stdout))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    def medians(label: str) -> dict:
        keys = runs[label][0].keys()
        return {k: statistics.median(r[k] for r in runs[label]) for k in keys}

    old, new = medians("old"), medians("new")
    print(f"\nChain GPU ms (timestamp medians of {args.frames} frames each), median of {args.rounds} "
          f"rounds, old and new alternating\n")
    print("| frame | blur radius | old chain | new, refine | new chain | old / new |")
    print("|---|---:|---:|---|---:|---:|")
    for (frame, old_refine, radius), old_ms in old.items():
        for (new_frame, refine, new_radius), new_ms in new.items():
            if (new_frame, new_radius) == (frame, radius):
                print(f"| {frame} | {radius} | {old_ms:.2f} | {refine} | {new_ms:.2f} | {old_ms / new_ms:.2f}× |")


if __name__ == "__main__":
    main()
