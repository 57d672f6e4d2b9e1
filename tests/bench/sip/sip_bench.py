#!/usr/bin/python3
"""
SIP benchmarks for sipd's engine (tests/sip/sipd_harness with an in-process
backend) driven by SIPp over UDP on 127.0.0.1:

  register-rate   REGISTER with MD5 digest (REGISTER, 401, REGISTER, 200)
                  as fast as SIPp goes: registrations per second
  register-lat    the same at a fixed rate, one at a time from a small
                  Python client (sip_latency.py, microsecond clock):
                  REGISTER to 401 and REGISTER with credentials to 200
  invite-lat      calls at a fixed rate from that client: INVITE to 100
                  and INVITE to 180 (sent from within the backend's
                  call_new, where the daemon sends CALL_OUT to kandyd)

Each is run --runs times (3 by default); the median of the runs is shown.
When kamailio is installed, register-rate and register-lat are measured
against it too in the same runs (kamailio.cfg: a registrar with the same
digest challenge, one worker), as docs/performance.md asks.

usage: sip_bench.py [--runs N] [--quick] HARNESS [BENCH_DIR]
"""

import argparse
import glob
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sip_latency  # noqa: E402

PASSWORD = "s3cret-trunk"


def free_port():
    for _ in range(50):
        port = random.randint(20000, 60000)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    sys.exit("no free port")


class Harness:
    def __init__(self, path, work):
        self.port = free_port()
        self.out = open(os.path.join(work, "harness.out"), "w+")
        env = dict(os.environ, SIPD_TEST_PASSWORD=PASSWORD)
        self.proc = subprocess.Popen(
            [path, "-Q", "-u", "3cx", "-l", "sip:127.0.0.1:%d" % self.port],
            stdout=self.out, stderr=subprocess.DEVNULL, env=env)
        end = time.time() + 5
        while time.time() < end:
            self.out.seek(0)
            if "READY" in self.out.read():
                return
            time.sleep(0.05)
        sys.exit("harness did not start")

    def cpu(self):
        """User + system CPU seconds of the harness so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.out.close()


class Kamailio:
    """The peer: Kamailio as registrar (kamailio.cfg), in the foreground."""

    def __init__(self, path, bench_dir, work):
        self.port = free_port()
        with open(os.path.join(bench_dir, "kamailio.cfg")) as f:
            cfg = f.read().replace("@PORT@", str(self.port))
        conf = os.path.join(work, "kamailio.cfg")
        with open(conf, "w") as f:
            f.write(cfg)
        self.out = open(os.path.join(work, "kamailio.out"), "w+")
        self.proc = subprocess.Popen(
            [path, "-DD", "-E", "-f", conf, "-Y", work, "-w", work,
             "-m", "64", "-M", "8"], stdout=self.out,
            stderr=subprocess.STDOUT)
        end = time.time() + 10
        while time.time() < end and not self._workers():
            time.sleep(0.1)
        time.sleep(0.5)

    def _workers(self):
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(d))
        return pids

    def cpu(self):
        """User + system CPU seconds of Kamailio and its workers."""
        total = 0
        for pid in [self.proc.pid] + self._workers():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.out.close()


def sipp(work, port, scenario, service, rate, calls, limit):
    """Run SIPp; return (seconds from the first to the last completion,
    {rtd number: [ms, ...]}, failed)."""
    cmd = ["sipp", "127.0.0.1:%d" % port, "-sf", scenario, "-s", service,
           "-au", "3cx", "-ap", PASSWORD, "-i", "127.0.0.1",
           "-p", str(free_port()), "-t", "u1", "-m", str(calls),
           "-r", str(rate), "-l", str(limit), "-nostdin", "-trace_rtt",
           "-rtt_freq", "1", "-trace_stat", "-timeout", "120",
           "-max_recv_loops", "10000", "-max_sched_loops", "10000"]
    for f in glob.glob(os.path.join(work, "*.csv")):
        os.unlink(f)
    r = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=600)
    rtds, dates = {}, []
    for f in glob.glob(os.path.join(work, "*_rtt.csv")):
        with open(f) as fh:
            for line in fh:
                parts = line.strip().split(";")
                if len(parts) < 3 or not parts[0][:1].isdigit():
                    continue
                rtds.setdefault(parts[2], []).append(float(parts[1]))
                dates.append(float(parts[0]))
    span = (max(dates) - min(dates)) / 1000.0 if len(dates) > 1 else 1.0
    return span, rtds, r.returncode != 0


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true",
                    help="fewer calls, for a smoke run")
    ap.add_argument("harness")
    ap.add_argument("bench_dir", nargs="?",
                    default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()
    if shutil.which("sipp") is None:
        print("SKIP: sipp not installed")
        return 77
    scale = 10 if a.quick else 1
    reg_n, reg_lat_n, inv_n = 20000 // scale, 2000 // scale, 1000 // scale
    reg_rate, inv_cps = 200, 100
    results = {"register-rate": [], "register-lat": [], "invite-lat": []}
    kam = shutil.which("kamailio") or (
        "/usr/sbin/kamailio" if os.path.exists("/usr/sbin/kamailio")
        else None)
    peer = {"register-rate": [], "register-lat": []}
    work = tempfile.mkdtemp(prefix="sipbench-")
    try:
        for run in range(a.runs):
            # Registrations per second, SIPp pushing as fast as it can.
            h = Harness(os.path.abspath(a.harness), work)
            c0 = h.cpu()
            wall, rtds, failed = sipp(work, h.port, os.path.join(
                a.bench_dir, "register_bench.xml"), "3cx", 100000, reg_n,
                20)
            ok = len(rtds.get("1", []))
            # 20 at a time: with 200, a few datagrams are lost and by the
            # retransmission 500 ms later thousands of newer nonces have
            # pushed the old one out of the bounded table (401 stale).
            results["register-rate"].append({
                "rate": ok / wall, "ok": ok, "failed": ok < 0.99 * reg_n,
                "cpu_us": (h.cpu() - c0) / max(ok, 1) * 1e6})
            h.stop()
            # Registration latency at a fixed rate.
            h = Harness(os.path.abspath(a.harness), work)
            p = sip_latency.Probe(h.port, "3cx", PASSWORD)
            v = sip_latency.paced(p.register, reg_rate, reg_lat_n)
            c401 = [x[0] * 1e6 for x in v]
            c200 = [x[1] * 1e6 for x in v]
            results["register-lat"].append({
                "n": len(v), "401_p50": pct(c401, 50),
                "401_p90": pct(c401, 90), "401_p99": pct(c401, 99),
                "200_p50": pct(c200, 50), "200_p90": pct(c200, 90),
                "200_p99": pct(c200, 99), "failed": len(v) != reg_lat_n})
            h.stop()
            # Calls at a fixed rate.
            h = Harness(os.path.abspath(a.harness), work)
            p = sip_latency.Probe(h.port, "3cx", PASSWORD)
            v = sip_latency.paced(p.call, inv_cps, inv_n)
            v1 = [x[0] * 1e6 for x in v]
            v2 = [x[1] * 1e6 for x in v]
            results["invite-lat"].append({
                "n": len(v), "100_p50": pct(v1, 50), "100_p90": pct(v1, 90),
                "100_p99": pct(v1, 99), "new_p50": pct(v2, 50),
                "new_p90": pct(v2, 90), "new_p99": pct(v2, 99),
                "failed": len(v) != inv_n})
            h.stop()
            if kam:
                k = Kamailio(kam, a.bench_dir, work)
                c0 = k.cpu()
                wall, rtds, failed = sipp(work, k.port, os.path.join(
                    a.bench_dir, "register_bench.xml"), "3cx", 100000,
                    reg_n, 20)
                ok = len(rtds.get("1", []))
                peer["register-rate"].append({
                    "rate": ok / wall, "ok": ok,
                    "cpu_us": (k.cpu() - c0) / max(ok, 1) * 1e6})
                k.stop()
                k = Kamailio(kam, a.bench_dir, work)
                p = sip_latency.Probe(k.port, "3cx", PASSWORD)
                v = sip_latency.paced(p.register, reg_rate, reg_lat_n)
                c401 = [x[0] * 1e6 for x in v]
                c200 = [x[1] * 1e6 for x in v]
                peer["register-lat"].append({
                    "n": len(v), "401_p50": pct(c401, 50),
                    "401_p99": pct(c401, 99), "200_p50": pct(c200, 50),
                    "200_p99": pct(c200, 99)})
                k.stop()
            print("run %d: %r" % (run + 1, {k: v[-1] for k, v in
                                             results.items()}))
            if kam:
                print("run %d, Kamailio: %r" % (run + 1, {
                    k: v[-1] for k, v in peer.items()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    r = results["register-rate"]
    print("\nmedian of %d runs:" % a.runs)
    print("| benchmark | figure |")
    print("|---|---|")
    print("| REGISTER+digest, SIPp flat out, 20 at a time (%d) | "
          "%.0f registrations/s, "
          "%.0f us sipd CPU each, %.0f completed |" % (
              reg_n, median_of(r, "rate"), median_of(r, "cpu_us"),
              median_of(r, "ok")))
    r = results["register-lat"]
    print("| REGISTER to 401 at %d/s (%d), us | p50 %.0f, p90 %.0f, "
          "p99 %.0f |" % (reg_rate, reg_lat_n, median_of(r, "401_p50"),
                          median_of(r, "401_p90"), median_of(r, "401_p99")))
    print("| REGISTER with digest to 200 at %d/s, us | p50 %.0f, p90 %.0f, "
          "p99 %.0f |" % (reg_rate, median_of(r, "200_p50"),
                          median_of(r, "200_p90"), median_of(r, "200_p99")))
    r = results["invite-lat"]
    print("| INVITE to 100 at %d cps (%d calls), us | p50 %.0f, p90 %.0f, "
          "p99 %.0f |" % (inv_cps, inv_n, median_of(r, "100_p50"),
                          median_of(r, "100_p90"), median_of(r, "100_p99")))
    print("| INVITE to call_new (180) at %d cps, us | p50 %.0f, p90 %.0f, "
          "p99 %.0f |" % (inv_cps, median_of(r, "new_p50"),
                          median_of(r, "new_p90"), median_of(r, "new_p99")))
    if kam and peer["register-rate"]:
        r, q = results["register-rate"], peer["register-rate"]
        print("| Kamailio, same REGISTER+digest, flat out | "
              "%.0f registrations/s, %.0f us CPU each; sipd/Kamailio "
              "rate %.2f, CPU %.2f |" % (
                  median_of(q, "rate"), median_of(q, "cpu_us"),
                  median_of(r, "rate") / median_of(q, "rate"),
                  median_of(r, "cpu_us") / median_of(q, "cpu_us")))
        r, q = results["register-lat"], peer["register-lat"]
        print("| Kamailio, REGISTER to 401 / with digest to 200 at %d/s, us "
              "| 401 p50 %.0f, p99 %.0f; 200 p50 %.0f, p99 %.0f; sipd/"
              "Kamailio p50 %.2f / %.2f |" % (
                  reg_rate, median_of(q, "401_p50"), median_of(q, "401_p99"),
                  median_of(q, "200_p50"), median_of(q, "200_p99"),
                  median_of(r, "401_p50") / median_of(q, "401_p50"),
                  median_of(r, "200_p50") / median_of(q, "200_p50")))
    bad = [k for k, v in results.items() if any(x["failed"] for x in v)]
    if bad:
        print("SIPp reported failed calls in: %s" % ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
