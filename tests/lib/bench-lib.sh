# SPDX-License-Identifier: GPL-2.0
#
# The host side of tests/bench.sh that needs no guest: turning what a
# guest printed into CSV rows, and the report (table, ratio lines, target
# lines, summary.csv, the plot) from those CSV files.  bash and awk only.
#
# Files of a run directory (Documentation/benchmark.rst):
#   results.csv  one row per memtouch pass of every backend run
#   rdma.csv     one row per perftest run
#   latency.csv  ipmem's read latency histogram of every ipmem run
#   sizes.csv    request sizes issued to the swap device (block_rq_issue)
#   summary.csv  medians, ratios and targets (written by bench_report)
#   summary.txt  what bench_report printed
#   bench.png    pages/s per backend and pass, medians and every round

BENCH_RESULTS_HDR=setup,round,slot,backend,status,pass,kind,pages,mismatches,pages_per_s,seconds,swapin_pages,swapout_pages,dev_read_bytes,dev_write_bytes,lat_reads,lat_p50_us,lat_p99_us,events
BENCH_RDMA_HDR=setup,round,slot,test,size,iters,status,p50_us,p99_us,mib_per_s
# the swap backends in the order of the table, each once with one
# faulting process and once with four (BACKEND-4p)
BENCH_SWAP_BASE="ipmem ipmem-clear ipmem-dr0 nvme-rdma nvme-tcp brd"
BENCH_SWAP_BACKENDS="$BENCH_SWAP_BASE $(printf '%s-4p ' $BENCH_SWAP_BASE)"

bench_csv_headers() {
	echo "$BENCH_RESULTS_HDR" >"$1/results.csv"
	echo "$BENCH_RDMA_HDR" >"$1/rdma.csv"
	echo setup,round,bound_us,count >"$1/latency.csv"
	echo setup,round,backend,dir,bytes,count >"$1/sizes.csv"
}

# bench_status OUTPUT: what became of a run, from bench_swap_run's output
#   ok        memtouch exited 0 and every page matched
#   mismatch  a page read back differed (a verification failure)
#   lost      memtouch died of SIGBUS: a page could not be swapped in
#   oom       the cgroup's OOM killer killed memtouch (swap-out could not
#             keep up with memory.max)
#   timeout   BENCH_RUN_TIMEOUT passed; memtouch was killed
#   error     anything else (swapon failed, memtouch could not start)
# (bench.sh adds "hung": the guest stopped answering.)
bench_status() {
	printf '%s\n' "$1" | awk '
		/^error / { err = 1 }
		/^pass / && $7 != 0 { bad = 1 }
		/^total mismatches / { total = 1; if ($3 != 0) bad = 1 }
		/^rc / { rc = $2 }
		/^dmesg / && / invoked oom-killer|Memory cgroup out of memory/ { oom = 1 }
		END {
			if (bad || rc == 1) print "mismatch"
			else if (rc == 135) print "lost"
			else if (oom && rc != 0) print "oom"
			else if (rc == 124 || rc == 137) print "timeout"
			else if (err || rc == "" || rc != 0 || !total) print "error"
			else print "ok"
		}'
}

# bench_pass_summary: "seq 1234 rand 567 pages/s" from bench_swap_run's output
bench_pass_summary() {
	awk '/^pass / { printf "%s %s ", $3, $9 } END { print "pages/s" }'
}

# bench_hist_pct FILE Q: the Q (0..1) quantile of a log2 histogram given
# as lines "BOUND COUNT", bucket BOUND holding values in [BOUND/2, BOUND)
# (BOUND 1: value 0); linear inside the bucket.
# awk function text, shared by the recorder and the report
BENCH_AWK_PCT='
function pct(n, lo, hi, cnt, q,    tot, i, want, cum, l) {
	tot = 0
	for (i = 1; i <= n; i++) tot += cnt[i]
	if (tot == 0) return ""
	want = q * tot
	cum = 0
	for (i = 1; i <= n; i++) {
		if (cnt[i] > 0 && cum + cnt[i] >= want) {
			l = lo[i]
			return l + (hi[i] - l) * (want - cum) / cnt[i]
		}
		cum += cnt[i]
	}
	return hi[n]
}'

# bench_record_run DIR SETUP ROUND SLOT BACKEND STATUS OUTPUT
bench_record_run() {
	local dir=$1 setup=$2 round=$3 slot=$4 be=$5 status=$6 out=$7

	printf '%s\n' "$out" | awk -v setup="$setup" -v round="$round" \
		-v slot="$slot" -v be="$be" -v status="$status" \
		-v res="$dir/results.csv" -v lat="$dir/latency.csv" \
		-v sizes="$dir/sizes.csv" "$BENCH_AWK_PCT"'
		/^start / { pin = $3; pout = $4; prb = $6; pwb = $7; next }
		/^pass / {
			np++
			secs = ($9 > 0) ? $5 / $9 : 0
			row[np] = sprintf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.3f,%d,%d,%d,%d",
				setup, round, slot, be, status, $2, $3, $5, $7, $9,
				secs, $11 - pin, $12 - pout, $14 - prb, $15 - pwb)
			pin = $11; pout = $12; prb = $14; pwb = $15
			next
		}
		/^latb [a-z0-9]+ </ { b = substr($3, 2); before[b] += $4; next }
		/^lata [a-z0-9]+ </ {
			b = substr($3, 2); after[b] += $4
			if (!(b in seen)) { seen[b] = 1; nb++; bound[nb] = b }
			next
		}
		/^hist / {
			# hist { rwbs: WS      , bytes:      65536 } hitcount:  12
			line = $0
			sub(/^hist \{ rwbs: */, "", line)
			rwbs = line; sub(/ *,.*/, "", rwbs)
			n = split(line, f, /[ :}]+/)
			bytes = ""; hits = ""
			for (i = 1; i < n; i++) {
				if (f[i] == "bytes") bytes = f[i + 1]
				if (f[i] == "hitcount") hits = f[i + 1]
			}
			if (rwbs ~ /D/) d = "discard"
			else if (rwbs ~ /W/) d = "write"
			else if (rwbs ~ /R/) d = "read"
			else d = "other"
			if (bytes != "" && hits != "")
				sz[d "," bytes] += hits
			next
		}
		/^ipstat_b / { ipr0 = $2; ipw0 = $3; next }
		/^ipstat_a / { ipr1 = $2; ipw1 = $3; ipst = 1; next }
		/^dmesg / && tolower($0) ~ /nvme|rxe|rdma|ipmem|i\/o error|blk_/ &&
			tolower($0) ~ /timeout|timed out|reset|reconnect|error|fail|not free|hung|stall/ { ev++ }
		END {
			p50 = p99 = ""; reads = ""
			if (nb) {
				reads = 0
				for (i = 1; i <= nb; i++) {
					cnt[i] = after[bound[i]] - before[bound[i]]
					hi[i] = bound[i] + 0
					lo[i] = (i == 1) ? 0 : hi[i - 1]	# every bucket is printed, in order
					reads += cnt[i]
					printf "%s,%s,%s,%d\n", setup, round, bound[i], cnt[i] >> lat
				}
				p50 = pct(nb, lo, hi, cnt, 0.5)
				p99 = pct(nb, lo, hi, cnt, 0.99)
				if (p50 != "") p50 = sprintf("%.1f", p50)
				if (p99 != "") p99 = sprintf("%.1f", p99)
			}
			# ipmem reads the tracepoint did not see: 4 KiB swap-ins
			# served by ->rw_page, straight from the fault
			if (ipst) {
				seen_r = 0
				for (k in sz) if (k ~ /^read,/) seen_r += sz[k]
				if (ipr1 - ipr0 - seen_r > 0)
					sz["read_direct,4096"] = ipr1 - ipr0 - seen_r
			}
			for (k in sz) printf "%s,%s,%s,%s,%d\n", setup, round, be, k, sz[k] >> sizes
			if (!np)
				printf "%s,%s,%s,%s,%s,,,,,,,,,,,,,,%d\n", setup, round,
					slot, be, status, ev >> res
			for (i = 1; i <= np; i++)
				printf "%s,%s,%s,%s,%d\n", row[i], reads, p50, p99, ev >> res
		}'
}

# bench_record_failure DIR SETUP ROUND SLOT BACKEND STATUS: a run that
# did not get as far as memtouch
bench_record_failure() {
	printf '%s,%s,%s,%s,%s,,,,,,,,,,,,,,\n' "$2" "$3" "$4" "$5" "$6" >>"$1/results.csv"
}

# bench_forget DIR SETUP ROUND BACKEND: drop what a run that is to be
# repeated (its guest died under it) left in the CSV files
bench_forget() {
	local f

	for f in results rdma sizes; do
		awk -F, -v s="$2" -v r="$3" -v b="$4" -v f="$f" '
			f == "rdma" && b == "raw" && $1 == s && $2 == r { next }
			f != "rdma" && $1 == s && $2 == r && ($4 == b || (f == "sizes" && $3 == b)) { next }
			{ print }' "$1/$f.csv" >"$1/$f.csv.tmp" && mv "$1/$f.csv.tmp" "$1/$f.csv"
	done
	[ "$4" = ipmem ] &&
		awk -F, -v s="$2" -v r="$3" '!($1 == s && $2 == r)' "$1/latency.csv" >"$1/latency.csv.tmp" &&
		mv "$1/latency.csv.tmp" "$1/latency.csv"
	return 0
}

# bench_record_perf DIR SETUP ROUND SLOT TEST SIZE ITERS STATUS OUTPUT
bench_record_perf() {
	local p50= p99= bw=

	case "$5" in
	*_lat)
		# #bytes #iterations t_min t_max t_typical t_avg t_stdev 99% 99.9%
		read -r p50 p99 < <(printf '%s\n' "$9" |
			awk -v s="$6" '$1 == s && NF >= 8 { print $5, $8; exit }')
		;;
	*_bw)
		# #bytes #iterations BW peak[MB/sec] BW average[MB/sec] MsgRate[Mpps]
		bw=$(printf '%s\n' "$9" | awk -v s="$6" '$1 == s && NF >= 5 { print $4; exit }')
		;;
	esac
	local status=$8
	# a number of 0 is perftest's failed clock calibration, not a result
	[ "$status" = ok ] && ! awk -v v="$p50$bw" 'BEGIN { exit !(v + 0 > 0) }' &&
		status=error
	echo "$2,$3,$4,$5,$6,$7,$status,$p50,$p99,$bw" >>"$1/rdma.csv"
}

# bench_perf_summary DIR SETUP ROUND: one line about a round's perftest
bench_perf_summary() {
	awk -F, -v s="$2" -v r="$3" '$1 == s && $2 == r {
		if ($4 ~ /_lat$/) printf "%s %s p50 %s us; ", $4, $5, ($7 == "ok") ? $8 : $7
		else printf "%s %s %s MiB/s; ", $4, $5, ($7 == "ok") ? $10 : $7
	}' "$1/rdma.csv"
}

# ----------------------------------------------------------------- report

# bench_report DIR: the table, ratio and target lines on stdout (and in
# DIR/summary.txt), DIR/summary.csv and DIR/bench.png
bench_report() {
	local dir=$1

	[ -s "$dir/results.csv" ] || { echo "bench: no $dir/results.csv" >&2; return 1; }
	echo setup,kind,name,pass,value,n >"$dir/summary.csv"
	{
		[ -s "$dir/params.txt" ] && sed 's/^/# /' "$dir/params.txt"
		awk -F, -v sumcsv="$dir/summary.csv" -v backends="$BENCH_SWAP_BACKENDS" \
			"$BENCH_AWK_PCT"'
		function isort(a, n,    i, j, t) {
			for (i = 2; i <= n; i++) {
				t = a[i]
				for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
				a[j + 1] = t
			}
		}
		# median of the values key -> "v1 v2 ..."
		function median(list,    a, n) {
			n = split(list, a, " ")
			if (!n) return ""
			isort(a, n)
			return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		function add(arr, k, v) { arr[k] = (k in arr) ? arr[k] " " v : v }
		function fmt(v) { return v == "" ? "n/a" : sprintf("%.0f", v) }
		function us(v) { return v == "" ? "n/a" : sprintf("%.0f us", v) }
		function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : a / b }
		function rfmt(r) { return r == "" ? "n/a" : sprintf("%.2fx", r) }
		# the ratio of A to B round by round: "n/total ok, min-max", and
		# "weak" when fewer than 3 rounds of either side are ok
		function spread(s, a, b, p,    r, n, lo, hi, q, na, nb2) {
			n = na = nb2 = 0
			for (r = 1; r <= maxround; r++) {
				if ((s, a, p, r) in rpps) na++
				if ((s, b, p, r) in rpps) nb2++
				if (!((s, a, p, r) in rpps) || !((s, b, p, r) in rpps) || rpps[s, b, p, r] == 0)
					continue
				q = rpps[s, a, p, r] / rpps[s, b, p, r]
				if (!n || q < lo) lo = q
				if (!n || q > hi) hi = q
				n++
			}
			return sprintf(" (%d/%d rounds ok, %s%s)", n, maxround,
				       n ? sprintf("%.2fx-%.2fx", lo, hi) : "no pair",
				       (na < 3 || nb2 < 3) ? ", weak: fewer than 3 ok rounds" : "")
		}
		function csv(kind, name, pass, v, n) {
			printf "%s,%s,%s,%s,%s,%s\n", cur, kind, name, pass, v, n >> sumcsv
		}
		# seconds per op of TEST for a message of S bytes: linear between
		# the measured sizes, constant bandwidth outside them
		function opsec(test, s,    i, n, sz, lo, hi, tl, th) {
			n = split(bwsizes[cur, test], sz, " ")
			if (!n) return ""
			isort(sz, n)
			if (s <= sz[1]) return s / (bw[cur, test, sz[1]] * 1048576)
			if (s >= sz[n]) return s / (bw[cur, test, sz[n]] * 1048576)
			for (i = 1; i < n; i++) if (s <= sz[i + 1]) break
			lo = sz[i]; hi = sz[i + 1]
			tl = lo / (bw[cur, test, lo] * 1048576)
			th = hi / (bw[cur, test, hi] * 1048576)
			return tl + (th - tl) * (s - lo) / (hi - lo)
		}
		FNR == 1 { file++; next }
		file == 1 {	# results.csv
			s = $1; be = $4
			if (!(s in hasset)) { hasset[s] = 1; nset++; sets[nset] = s }
			if (!((s, be, $2) in runseen)) {
				runseen[s, be, $2] = 1
				runs[s, be]++
				if ($5 == "ok") okruns[s, be]++
				else failed[++nfail] = sprintf("[%s] %s round %s: %s", s, be, $2, $5)
				if ($19 > 0) evs[++nev] = sprintf("[%s] %s round %s: %s kernel log lines about timeouts, resets or errors", s, be, $2, $19)
				if (be == "ipmem" && $5 == "ok" && $17 != "") { add(lat50, s, $17); add(lat99, s, $18) }
			}
			if ($5 != "ok" || $7 == "") next
			add(pps, s SUBSEP be SUBSEP $7, $10)
			# per round, for the spread of the ratios
			rpps[s, be, $7, $2] = $10
			if ($2 > maxround) maxround = $2
			if (be == "ipmem" && $11 > 0) {
				add(ibps, s SUBSEP $7, ($14 + $15) / $11)
				nip[s, $7]++
				ip_s[s, $7, nip[s, $7]] = $11
				ip_r[s, $7, nip[s, $7]] = $14
				ip_w[s, $7, nip[s, $7]] = $15
			}
			next
		}
		file == 2 {	# rdma.csv
			if ($7 != "ok") { rfail[++nrf] = sprintf("[%s] %s %s round %s: %s", $1, $4, $5, $2, $7); next }
			if ($4 ~ /_lat$/) { add(rlat, $1 SUBSEP $4 SUBSEP $5, $8); add(rlat99, $1 SUBSEP $4 SUBSEP $5, $9) }
			else add(rbw, $1 SUBSEP $4 SUBSEP $5, $10)
			next
		}
		file == 3 {	# sizes.csv
			if ($4 == "read_direct") { direct[$1] += $6; $4 = "read" }
			if ($3 == "ipmem") { k = $1 SUBSEP $4 SUBSEP $5; szc[k] += $6; if (!(k in szseen)) { szseen[k] = 1; szl[$1, $4] = szl[$1, $4] " " $5 } }
			next
		}
		END {
			nb = split(backends, B, " ")
			np = split("write seq rand", P, " ")
			print ""
			print "pages per second: median over rounds (runs ok/total)"
			printf "%-10s %-16s %10s %10s %10s %8s\n", "setup", "backend", "write", "seq", "rand", "ok/runs"
			for (si = 1; si <= nset; si++) {
				cur = sets[si]
				for (bi = 1; bi <= nb; bi++) {
					be = B[bi]
					if (!runs[cur, be]) continue
					line = sprintf("%-10s %-16s", cur, be)
					for (pi = 1; pi <= np; pi++) {
						k = cur SUBSEP be SUBSEP P[pi]
						m = (k in pps) ? median(pps[k]) : ""
						med[cur, be, P[pi]] = m
						line = line sprintf(" %10s", fmt(m))
						if (m != "") csv("pages_per_s", be, P[pi], m, split(pps[k], tmp, " "))
					}
					printf "%s %8s\n", line, (okruns[cur, be] + 0) "/" runs[cur, be]
				}
			}
			ntarget = nmet = 0
			for (si = 1; si <= nset; si++) {
				cur = sets[si]
				tag = "[" cur "]"
				print ""
				# ratios of ipmem to every other backend, one process
				# to one process and four to four
				for (ri = 1; ri <= 2; ri++) {
					ref = (ri == 1) ? "ipmem" : "ipmem-4p"
					if (!runs[cur, ref]) continue
					for (bi = 1; bi <= nb; bi++) {
						be = B[bi]
						if (be == ref || !runs[cur, be] || (be ~ /-4p$/) != (ref ~ /-4p$/)) continue
						for (pi = 2; pi <= np; pi++) {
							r = ratio(med[cur, ref, P[pi]], med[cur, be, P[pi]])
							rat[cur, be, P[pi]] = r
							printf "%s %s vs %s %s: %s%s\n", tag, ref, be, P[pi], rfmt(r),
								spread(cur, ref, be, P[pi])
							if (r != "") csv("ratio", ref "/" be, P[pi], sprintf("%.4f", r), "")
						}
					}
				}
				# four faulting processes against one, every backend
				for (bi = 1; bi <= nb; bi++) {
					be = B[bi]
					if (be ~ /-4p$/ || !runs[cur, be] || !runs[cur, be "-4p"]) continue
					for (pi = 2; pi <= np; pi++) {
						r = ratio(med[cur, be "-4p", P[pi]], med[cur, be, P[pi]])
						scale[cur, be, P[pi]] = r
						printf "%s %s four processes vs one %s: %s%s\n", tag, be, P[pi], rfmt(r),
							spread(cur, be "-4p", be, P[pi])
						if (r != "") csv("ratio", be "-4p/" be, P[pi], sprintf("%.4f", r), "")
					}
				}
				# latency
				l50 = median(lat50[cur]); l99 = median(lat99[cur])
				r50 = median(rlat[cur, "ib_read_lat", 4096])
				r99 = median(rlat99[cur, "ib_read_lat", 4096])
				if (l50 != "" || r50 != "") {
					printf "%s ipmem swap-in (read request) latency: p50 %s, p99 %s (12.5 %% buckets above 8 us); ib_read_lat 4096: p50 %s, p99 %s\n",
						tag, us(l50), us(l99), us(r50), us(r99)
					if (l50 != "") { csv("latency_us", "ipmem", "p50", l50, ""); csv("latency_us", "ipmem", "p99", l99, "") }
					if (r50 != "") { csv("latency_us", "ib_read_lat_4096", "p50", r50, ""); csv("latency_us", "ib_read_lat_4096", "p99", r99, "") }
					latr = ratio(l50, r50)
					printf "%s ipmem vs ib_read_lat p50: %s (latency: lower is better)\n", tag, rfmt(latr)
					if (latr != "") csv("ratio", "ipmem/ib_read_lat", "p50", sprintf("%.4f", latr), "")
				}
				# the raw floor
				line = ""
				for (k in rbw) {
					split(k, kk, SUBSEP)
					if (kk[1] != cur) continue
					v = median(rbw[k])
					bw[cur, kk[2], kk[3]] = v
					bwsizes[cur, kk[2]] = bwsizes[cur, kk[2]] " " kk[3]
					csv("mib_per_s", kk[2], kk[3], v, split(rbw[k], tmp, " "))
				}
				for (ti = 1; ti <= 2; ti++) {
					t = (ti == 1) ? "ib_read_bw" : "ib_write_bw"
					n = split(bwsizes[cur, t], sz, " ")
					if (!n) continue
					isort(sz, n)
					line = line sprintf("%s", t)
					for (i = 1; i <= n; i++) line = line sprintf(" %s: %.2f", sz[i], bw[cur, t, sz[i]])
					line = line " MiB/s; "
				}
				if (line != "") printf "%s raw RDMA: %s\n", tag, line
				# what ipmem issued, and its seconds per byte at raw speed
				cr = cw = ""
				for (di = 1; di <= 2; di++) {
					d = (di == 1) ? "read" : "write"
					t = (di == 1) ? "ib_read_bw" : "ib_write_bw"
					n = split(szl[cur, d], sz, " ")
					if (!n) continue
					isort(sz, n)
					tot = byt = fl = 0
					for (i = 1; i <= n; i++) tot += szc[cur, d, sz[i]]
					line = ""
					for (i = 1; i <= n; i++) {
						c = szc[cur, d, sz[i]]
						byt += c * sz[i]
						o = opsec(t, sz[i])
						if (o != "") fl += c * o
						if (c / tot >= 0.01) line = line sprintf(" %dK %.0f%%", sz[i] / 1024, 100 * c / tot)
					}
					printf "%s ipmem %s requests by size (share of requests >= 1%%):%s\n", tag, d, line
					if (d == "read" && direct[cur] > 0)
						printf "%s ipmem reads served directly (->rw_page, 4K, no block request): %.0f%% of reads\n", tag, 100 * direct[cur] / tot
					if (byt > 0 && fl > 0) { if (di == 1) cr = fl / byt; else cw = fl / byt }
				}
				for (pi = 2; pi <= np; pi++) {
					p = P[pi]
					f = ""; fb = ""
					fo = ""; fbo = ""
					if (cr != "" && cw != "" && nip[cur, p]) {
						fr = ""; fbl = ""; fro = ""; fblo = ""
						for (i = 1; i <= nip[cur, p]; i++) {
							tr = ip_r[cur, p, i] * cr; tw = ip_w[cur, p, i] * cw
							ft = tr + tw
							fto = (tr > tw) ? tr : tw
							fr = fr " " ft / ip_s[cur, p, i]
							fro = fro " " fto / ip_s[cur, p, i]
							if (ft > 0) fbl = fbl " " (ip_r[cur, p, i] + ip_w[cur, p, i]) / ft
							if (fto > 0) fblo = fblo " " (ip_r[cur, p, i] + ip_w[cur, p, i]) / fto
						}
						f = median(fr); fb = median(fbl)
						fo = median(fro); fbo = median(fblo)
					}
					ib = median(ibps[cur, p])
					if (ib != "" || fb != "")
						printf "%s ipmem bytes/s %s: %s MiB/s; raw RDMA floor for the same bytes and sizes: %s MiB/s one direction at a time, %s MiB/s with reads and writes overlapped (%s of that)\n",
							tag, p, ib == "" ? "n/a" : sprintf("%.2f", ib / 1048576),
							fb == "" ? "n/a" : sprintf("%.2f", fb / 1048576),
							fbo == "" ? "n/a" : sprintf("%.2f", fbo / 1048576), rfmt(fo)
					if (ib != "") csv("ipmem_mib_per_s", "ipmem", p, sprintf("%.4f", ib / 1048576), "")
					if (fb != "") csv("floor_mib_per_s", "serial", p, sprintf("%.4f", fb / 1048576), "")
					if (fbo != "") csv("floor_mib_per_s", "overlapped", p, sprintf("%.4f", fbo / 1048576), "")
					if (fo != "") csv("ratio", "ipmem/raw-rdma-floor-overlapped", p, sprintf("%.4f", fo), "")
					printf "%s ipmem vs raw-rdma-floor %s: %s\n", tag, p, rfmt(f)
					printf "%s ipmem vs raw-rdma-floor-overlapped %s: %s\n", tag, p, rfmt(fo)
					flr[cur, p] = f
					if (f != "") csv("ratio", "ipmem/raw-rdma-floor", p, sprintf("%.4f", f), "")
				}
				# targets (informational)
				print ""
				for (pi = 2; pi <= np; pi++) {
					p = P[pi]
					target(tag, "ipmem vs nvme-rdma " p, rat[cur, "nvme-rdma", p], 2.0, 1)
					target(tag, "ipmem vs nvme-tcp " p, rat[cur, "nvme-tcp", p], 1.2, 1)
					# what encryption costs: at most 20 % of pages/s
					target(tag, "ipmem vs ipmem-clear " p, rat[cur, "ipmem-clear", p], 0.8, 1)
				}
				target(tag, "ipmem vs ib_read_lat p50", latr, 1.2, 0)
				for (pi = 2; pi <= np; pi++)
					target(tag, "ipmem vs raw-rdma-floor " P[pi], flr[cur, P[pi]], 0.7, 1)
				# several faulting threads keep several reads in flight
				if (runs[cur, "ipmem-4p"])
					for (pi = 2; pi <= np; pi++)
						target(tag, "ipmem four processes vs one " P[pi], scale[cur, "ipmem", P[pi]], 1.8, 1)
			}
			print ""
			printf "targets met: %d of %d (informational: they do not set the exit status)\n", nmet, ntarget
			for (i = 1; i <= nfail; i++) print "run not ok: " failed[i]
			for (i = 1; i <= nrf; i++) print "perftest not ok: " rfail[i]
			for (i = 1; i <= nev; i++) print "kernel log: " evs[i]
		}
		function target(tag, what, v, want, atleast,    res) {
			ntarget++
			if (v == "") res = "MISS (no data)"
			else if (atleast ? v >= want : v <= want) { res = sprintf("PASS (%.2fx)", v); nmet++ }
			else res = sprintf("MISS (%.2fx)", v)
			printf "%s target %s %s %.2fx: %s\n", tag, what, atleast ? ">=" : "<=", want, res
			csv("target", what, atleast ? ">=" : "<=", want, res)
		}
		' "$dir/results.csv" "$dir/rdma.csv" "$dir/sizes.csv"
	} >"$dir/summary.txt" 2>&1
	local rc=$?
	cat "$dir/summary.txt"
	bench_plot "$dir"
	return $rc
}

# bench_plot_points SETUP COND BE_COL PASS_COL VAL_COL CSV: the points of
# one setup's rows of CSV that match the awk condition COND, as
# "x backend-index pages/s"; x is pass group (write, seq, rand) *
# (backends + 1) + backend index
bench_plot_points() {
	awk -F, -v s="$1" -v backends="$BENCH_SWAP_BACKENDS" \
		-v cb="$3" -v cp="$4" -v cv="$5" '
		BEGIN { nb = split(backends, B, " "); for (i = 1; i <= nb; i++) bi[B[i]] = i - 1
			pg["write"] = 0; pg["seq"] = 1; pg["rand"] = 2 }
		NR > 1 && $1 == s && ('"$2"') && ($cp in pg) && ($cb in bi) {
			print pg[$cp] * (nb + 1) + bi[$cb], bi[$cb], $cv }' "$6"
}

# bench_plot DIR: DIR/bench.png: pages/s of every backend and pass, bars
# for the medians, points for the rounds; one panel per setup
bench_plot() {
	local dir=$1 term setups s

	command -v gnuplot >/dev/null || { echo "bench: no gnuplot, no plot" >&2; return 0; }
	if gnuplot -e 'set terminal pngcairo' 2>/dev/null; then
		term="pngcairo size 2000,600 font ',10'"
	else
		term="png size 2000,600"
	fi
	setups=$(awk -F, 'NR > 1 && !seen[$1]++ { printf "%s ", $1 }' "$dir/results.csv")
	[ -n "$setups" ] || return 0
	# pass group g's bars are at g * (nb + 1) .. g * (nb + 1) + nb - 1
	local nb mid
	nb=$(echo $BENCH_SWAP_BACKENDS | wc -w)
	mid=$(awk -v n="$nb" 'BEGIN { printf "%.1f", (n - 1) / 2 }')
	for s in $setups; do
		# results.csv: every ok round; summary.csv: the medians
		bench_plot_points "$s" '$5 == "ok"' 4 7 10 \
			"$dir/results.csv" >"$dir/plot-$s-rounds.dat"
		bench_plot_points "$s" '$2 == "pages_per_s"' 3 4 5 \
			"$dir/summary.csv" >"$dir/plot-$s-median.dat"
	done
	{
		echo "set terminal $term"
		echo "set output '$dir/bench.png'"
		echo "set multiplot layout 1,$(echo "$setups" | wc -w) title 'ipmem bench: pages/s per backend and pass (bars: median over rounds, dots: each round)'"
		echo "set logscale y"
		echo "set ylabel 'pages/s (log scale)'"
		echo "set style fill solid 0.6 border -1"
		echo "set boxwidth 0.8"
		echo "set xtics ('write' $mid, 'seq' $mid + $((nb + 1)), 'rand' $mid + $((2 * (nb + 1)))) scale 0"
		echo "set xrange [-1:$((3 * (nb + 1) - 1))]"
		echo "set grid ytics"
		echo "set key below horizontal"
		echo "names = '$BENCH_SWAP_BACKENDS'"
		for s in $setups; do
			echo "set title '$s'"
			# a backend's -4p row: its colour, hatched
			echo "plot for [i=0:$((nb / 2 - 1))] '$dir/plot-$s-median.dat' using (\$2 == i ? \$1 : 1/0):3 with boxes lc i+1 title word(names, i+1), \\"
			echo "     for [i=$((nb / 2)):$((nb - 1))] '$dir/plot-$s-median.dat' using (\$2 == i ? \$1 : 1/0):3 with boxes fs pattern 4 lc i-$((nb / 2 - 1)) title word(names, i+1), \\"
			echo "     '$dir/plot-$s-rounds.dat' using 1:3 with points pt 7 ps 0.8 lc rgb 'black' title 'rounds'"
		done
		echo "unset multiplot"
	} >"$dir/plot.gp"
	gnuplot "$dir/plot.gp" >"$dir/plot.log" 2>&1 ||
		{ echo "bench: gnuplot failed (see $dir/plot.log)" >&2; return 0; }
	echo "plot: $dir/bench.png"
}
