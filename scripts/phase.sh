#!/usr/bin/env bash
# Runs one named phase of a build and says how long it took: `phase.sh NAME COMMAND...`.
set -uo pipefail
name=$1
shift
start=$(date +%s)
echo "==> $name"
"$@"
status=$?
echo "==> $name: $(($(date +%s) - start)) s (exit $status)"
exit $status
