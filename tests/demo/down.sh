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
for d in kandysim turnserver; do
	if [ -f "$RUN/$d.pid" ]; then
		kill -TERM "$(cat "$RUN/$d.pid")" 2>/dev/null
		rm -f "$RUN/$d.pid"
	fi
done
rm -f "$RUN/turnserver.run.pid"
echo "demo stopped"
