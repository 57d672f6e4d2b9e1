#!/bin/sh
# mediad and rtpengine under the same N G.711 calls, one after the other in
# the same run, then the ratio of their CPU per relayed packet at each N.
#	media_load.sh BUILDDIR SECONDS N...
b=$1; shift
out=${TMPDIR:-/tmp}/media_load.$$
trap 'rm -f "$out".*' EXIT
echo "commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)," \
    "$(nproc) CPUs, $(uname -r), $(uptime)"
echo "== mediad"
"$b/tests/bench/media/mediad_load" "$b/mediad/mediad" "$@" | tee "$out.m" ||
    exit 1
echo "== rtpengine (userspace, RTP <-> SRTP/SDES)"
"$b/tests/bench/media/rtpengine_load" /usr/bin/rtpengine "$@" | tee "$out.r"
rc=$?
[ $rc -eq 77 ] && { echo "no ratio: rtpengine missing"; exit 0; }
[ $rc -ne 0 ] && exit $rc
echo "== CPU per relayed packet, mediad / rtpengine"
awk 'FNR == 1 { f++ } $1 ~ /^[0-9]+$/ { c[f, $1] = $10; n[$1] = 1 }
    END { for (k in n) if (c[1, k] && c[2, k])
	printf "%6d calls: %.2f\n", k, c[1, k] / c[2, k] }' "$out.m" "$out.r" |
    sort -n
echo "load after: $(uptime)"
