#!/bin/sh
# Stops what up.sh started.  Usage: down.sh RUNDIR
set -u
RUN=$1
if [ ! -f "$RUN/bridged.pid" ]; then
	echo "demo not running"
	exit 0
fi
pid=$(cat "$RUN/bridged.pid")
kill -TERM "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
rm -f "$RUN/bridged.pid"
if [ -f "$RUN/kandysim.pid" ]; then
	kill -TERM "$(cat "$RUN/kandysim.pid")" 2>/dev/null
	rm -f "$RUN/kandysim.pid"
fi
echo "demo stopped"
