#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Time-boxed libFuzzer runs (clang, ASan, UBSan) of what parses input
# from elsewhere: ipmemd's decoder of BGP routes (fuzz-route.c), its
# configuration parser (fuzz-conf.c) and the parsers of ipmemctl
# (fuzz-parse.c).  Each starts from its checked-in corpus
# (tests/fuzz/corpus/NAME/) and runs FUZZ_SECONDS (default 20); new
# inputs it finds stay in build/fuzz/corpus-NAME.  A crash, a sanitizer
# report or a broken invariant fails the point and leaves the input that
# did it in build/fuzz/ (run the target on that file to reproduce).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}/fuzz
secs=${FUZZ_SECONDS:-20}
targets="route conf parse"

echo "1..3"
# the targets run at once (each is one process): FUZZ_SECONDS of wall
# time for all three, not three times that
declare -A pid
for t in $targets; do
	bin=$build/fuzz-$t
	[ -x "$bin" ] || continue
	work=$build/corpus-$t
	mkdir -p "$work"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/crash-$t-" \
		"$work" "$top/tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1 &
	pid[$t]=$!
done
n=0
for t in $targets; do
	n=$((n + 1))
	bin=$build/fuzz-$t
	if [ -z "${pid[$t]:-}" ]; then
		echo "not ok $n - fuzz-$t: $bin is not built (make fuzz)"
		continue
	fi
	wait "${pid[$t]}"
	rc=$?
	log=$build/fuzz-$t.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -eq 0 ]; then
		echo "ok $n - fuzz-$t: ${runs:-?} inputs in $secs s, no crash, no sanitizer report"
	else
		echo "not ok $n - fuzz-$t: failed (exit $rc)"
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -n 10 | sed 's/^/# /'
	fi
done
