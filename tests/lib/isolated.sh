#!/bin/sh
# Runs a command in a network namespace of its own, with loopback and a
# veth pair, one end on a documentation address (192.0.2.1/24).  For peers
# such as Chromium that will not use loopback: their traffic then stays
# inside the namespace and never touches the host's real addresses.
# Skips (77) where namespaces cannot be made.
set -u
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
    ! command -v ip >/dev/null; then
	echo "SKIP: needs root, unshare and ip for a network namespace"
	exit 77
fi
exec unshare --net sh -c '
	ip link set lo up &&
	ip link add kbtest0 type veth peer name kbtest1 &&
	ip addr add 192.0.2.1/24 dev kbtest0 &&
	ip link set kbtest0 up && ip link set kbtest1 up ||
	    { echo "SKIP: cannot set up the namespace"; exit 77; }
	exec "$@"' sh "$@"
