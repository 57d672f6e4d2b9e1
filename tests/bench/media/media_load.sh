#!/bin/sh
# mediad and rtpengine under the same N G.711 calls, RUNS times each,
# alternating (mediad, rtpengine, mediad, ...), then per step the median
# and min-max over the runs of each figure, the ratio mediad/rtpengine of
# the medians, and the highest step each carried, as a Markdown table.
#	[RUNS=5] media_load.sh BUILDDIR SECONDS N...
b=$1; shift
runs=${RUNS:-5}
out=${TMPDIR:-/tmp}/media_load.$$
trap 'rm -f "$out".*' EXIT
echo "commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)," \
    "$(nproc) CPUs, $(uname -r), $(uptime)"
echo "$runs runs per peer, $1 s per step, steps: $(shift; echo "$@")"
# Instruction counts beside CPU time need a PMU the host lets us read.
if command -v perf >/dev/null 2>&1; then
	echo "perf stat -e instructions: $(perf stat -x, -e instructions \
	    -- true 2>&1 | tail -1 | cut -d, -f1,3)"
else
	echo "perf stat -e instructions: no perf"
fi
peer=1
r=1
while [ $r -le "$runs" ]; do
	echo "== run $r: mediad"
	"$b/tests/bench/media/mediad_load" "$b/mediad/mediad" "$@" |
	    tee "$out.m$r"
	echo "== run $r: rtpengine (userspace, RTP <-> SRTP/SDES)"
	"$b/tests/bench/media/rtpengine_load" /usr/bin/rtpengine "$@" |
	    tee "$out.r$r"
	grep -q '^SKIP' "$out.r$r" && peer=0
	r=$((r + 1))
done
echo "load after: $(uptime)"
[ $peer -eq 0 ] && echo "no ratio: rtpengine missing"
# Step lines only (first field a number), tagged m or r.
for f in "$out".[mr]*; do
	p=$(basename "$f" | sed 's/.*\.\([mr]\)[0-9]*$/\1/')
	awk -v p="$p" '$1 ~ /^[0-9]+$/ && NF >= 15 { print p, $0 }' "$f"
done > "$out.all"
echo
echo "Medians of $runs runs (min-max), $1 s per step; ratio = mediad / rtpengine of the medians."
echo
awk -v runs="$runs" '
function med(k,   n, i, j, t, a) {
	n = cnt[k]
	for (i = 1; i <= n; i++)
		a[i] = v[k, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	lo[k] = a[1]; hi[k] = a[n]
	return (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
}
function cell(p, s, f, fmt,   k, few) {
	k = p SUBSEP s SUBSEP f
	if (!cnt[k])
		return ("-")
	m[k] = med(k)
	few = ""
	if (cnt[k] < runs)
		few = sprintf(" [%d runs]", cnt[k])
	return (sprintf(fmt " (" fmt "-" fmt ")%s", m[k], lo[k], hi[k], few))
}
function ratio(s, f,   a, b) {
	a = m["m", s, f]; b = m["r", s, f]
	if (!cnt["m", s, f] || !cnt["r", s, f] || b <= 0)
		return ("")
	return (sprintf("%.2f", a / b))
}
function row(s, name, f, fmt,   a, b) {
	a = cell("m", s, f, fmt); b = cell("r", s, f, fmt)
	printf("| %d | %s | %s | %s | %s |\n", s, name, a, b, ratio(s, f))
}
{
	# p calls up loss>far loss>pbx p50 p99 p99< max cpu/cs cpu/pk KiB/call
	# idle/cs late99 latemax gen% anon/call
	s = $2; steps[s] = 1
	put($1, s, "pk", $11); put($1, s, "cs", $10 / 1000)
	put($1, s, "kib", $12); put($1, s, "lf", $4); put($1, s, "lp", $5)
	put($1, s, "d50", $6); put($1, s, "d99", $7); put($1, s, "b99", $8)
	put($1, s, "late", $14)
	if (NF >= 17)
		put($1, s, "anon", $17)
}
function put(p, s, f, x,   k) {
	k = p SUBSEP s SUBSEP f
	v[k, ++cnt[k]] = x
}
END {
	ns = 0
	for (s in steps)
		st[++ns] = s + 0
	for (i = 2; i <= ns; i++)
		for (j = i; j > 1 && st[j - 1] > st[j]; j--) {
			t = st[j]; st[j] = st[j - 1]; st[j - 1] = t
		}
	print "| calls | figure | mediad | rtpengine | ratio |"
	print "|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) {
		s = st[i]
		row(s, "CPU per relayed packet, µs", "pk", "%.1f")
		row(s, "CPU per call-second, ms", "cs", "%.2f")
		row(s, "RSS per call, KiB", "kib", "%.0f")
		row(s, "private memory (RssAnon) per call, KiB", "anon", "%.0f")
		row(s, "loss to far end, %", "lf", "%.3f")
		row(s, "loss to PBX, %", "lp", "%.3f")
		row(s, "one-way delay to far end p50, µs", "d50", "%.0f")
		row(s, "one-way delay p99 to far end, µs", "d99", "%.0f")
		row(s, "one-way delay p99 to PBX, µs", "b99", "%.0f")
		row(s, "generator send lateness p99, µs", "late", "%.0f")
	}
	# Calls carried: the highest step where, in the medians of all
	# runs, loss < 0.1 % and p99 < 1 ms both ways.
	for (pi = 1; pi <= 2; pi++) {
		p = pi == 1 ? "m" : "r"
		best[p] = 0
		for (i = 1; i <= ns; i++) {
			s = st[i]
			if (cnt[p, s, "lf"] == runs &&
			    m[p, s, "lf"] < 0.1 && m[p, s, "lp"] < 0.1 &&
			    m[p, s, "d99"] < 1000 && m[p, s, "b99"] < 1000)
				best[p] = s
		}
	}
	printf("| | calls carried (< 0.1 %% loss, p99 < 1 ms, median) | %d | %d | |\n",
	    best["m"], best["r"])
}' "$out.all"
