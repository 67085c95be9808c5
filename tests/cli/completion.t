#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bash completion of ipmemctl (completion/ipmemctl): what TAB offers after
# each part of a command line, the module's values included (here from a
# stand-in ipmemctl that prints what the real one would).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tests/lib/tap.sh"

# a stand-in for the module's lists, in ipmemctl's text format
cat >"$tmp/ipmemctl" <<'EOF'
#!/bin/sh
case "$*" in
"grant list") echo "fd69:706d:656d:a4d:1::/118 borrower 0a4d:0003 rights rw confirmed blocks 1024" ;;
"route list") echo "fd69:706d:656d:a4d:1::/80 via fd00:77::1 port 7471" ;;
"map list") echo "ipmem0 extents 0-1023 copy 0 blocks fd69:706d:656d:a4d:1:: +1024 via fd00:77::1 rw ok" ;;
"host-key list") echo "0a4d:0002 $(printf '%064d' 0)" ;;
esac
EOF
chmod +x "$tmp/ipmemctl"
export IPMEMCTL=$tmp/ipmemctl

# shellcheck source=/dev/null
. "$top/completion/ipmemctl"

# offers LINE: what TAB offers at the end of LINE, sorted, one line
offers() {
	local line=$1
	read -r -a COMP_WORDS <<<"$line"
	# a line that ends in a space completes a new, empty word
	[ "${line% }" != "$line" ] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_ipmemctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
}
# expect LINE WANT
expect() {
	local got
	got=$(offers "$1")
	[ "$got" = "$2" ]
	ok $? "'$1<TAB>' offers: $2"
	[ "$got" = "$2" ] || echo "#   got: $got"
}

echo "1..15"
expect "ipmemctl " "--version borrow disk grant help host host-key key lend lender map monitor peer release route status"
expect "ipmemctl ho" "host host-key"
expect "ipmemctl lend " "destroy drain help resume shrink"
expect "ipmemctl lend shrink " ""
expect "ipmemctl -j ma" "map"
expect "ipmemctl map " "add del help list"
expect "ipmemctl map add fd69:706d:656d:a4d:1::/118 " "disk extent replica"
expect "ipmemctl map del " "fd69:706d:656d:a4d:1::/118"
expect "ipmemctl grant del " "fd69:706d:656d:a4d:1::/118"
expect "ipmemctl grant del fd69:706d:656d:a4d:1::/118 " "force"
expect "ipmemctl route del " "fd69:706d:656d:a4d:1::/80"
expect "ipmemctl grant add fd69:706d:656d:a4d:1::/120 borrower 0a4d:0003 rights " "ro rw"
expect "ipmemctl disk create 1G encrypt " "off on"
expect "ipmemctl host-key del " "0a4d:0002"
expect "ipmemctl release " "all$(for d in /sys/block/ipmem*; do [ -e "$d" ] && printf ' %s' "${d##*/}"; done)"
