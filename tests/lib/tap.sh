# SPDX-License-Identifier: GPL-2.0
#
# TAP for the tests that run on the build host (no guests), sourced:
#   ok STATUS DESC     point n: "ok" if STATUS is 0, else "not ok"
#   skip REASON        point n, skipped (counted as skipped, never passed)
n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() {
	n=$((n + 1))
	echo "ok $n # skip $1"
}
