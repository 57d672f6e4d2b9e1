"""The whole bridge for end-to-end tests: kandysim (the Kandy side) with a
fresh test CA, and bridged with its three sandboxed children configured to
use it, all on 127.0.0.1.  Needs root (bridged does)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kandysim"))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))

import simharness                                   # noqa: E402

TRUNK_USER = "3cx"
TRUNK_PASSWORD = "s3cret-trunk"   # siptest.PASSWORD
KANDY_USER = "bridge"          # simharness's users file: PRIV-bridge/s3cret
TURN_SECRET = "e2e-turn-secret"
DOMAIN = "e2e.example"


class Bridge:
    def __init__(self, build, conf_extra="", sip_extra="", media_extra="",
                 sim_config=None, turn=False, sim_misbehave=None):
        """turn: media through a real coturn (relay only), when installed;
        self.turn is its process or None.  sim_misbehave: (what, body)
        for kandysim's /_sim/misbehave/what before the bridge starts."""
        self.build = os.path.abspath(build)
        self.turn = None
        if turn:
            self.turndir = tempfile.mkdtemp(prefix="kb-e2e-turn-")
            tport = simharness.free_port()
            self.turn = simharness.start_coturn(self.turndir, tport,
                                                TURN_SECRET, DOMAIN,
                                                verbose=True)
            if self.turn is not None:
                conf_extra += ('ice {\n\tturn "turn:127.0.0.1:%d"\n'
                               '\trelay only yes\n}\n' % tport)
        self.simbin = os.path.join(self.build, "tests", "kandysim",
                                   "kandysim")
        self.sim, self.simproc, self.simlog = simharness.start_kandysim(
            self.simbin, TURN_SECRET, DOMAIN)
        if sim_config:
            st, r = self.sim.http("POST", "/_sim/config", sim_config)
            if st != 200:
                raise RuntimeError("kandysim config: %s %r" % (st, r))
        if sim_misbehave:
            st, r = self.sim.http("POST", "/_sim/misbehave/%s" %
                                  sim_misbehave[0], sim_misbehave[1])
            if st != 204:
                raise RuntimeError("kandysim misbehave: %s %r" % (st, r))
        self.d = tempfile.mkdtemp(prefix="kb-e2e-")
        self.sock = os.path.join(self.d, "bridged.sock")
        self.log = os.path.join(self.d, "bridged.log")
        self.sip_port = simharness.free_port()
        libexec = os.path.join(self.d, "libexec")
        os.mkdir(libexec)
        for p in ("sipd", "kandyd", "mediad"):
            os.symlink(os.path.join(self.build, p, p),
                       os.path.join(libexec, p))
        conf = os.path.join(self.d, "bridged.conf")
        with open(conf, "w") as f:
            f.write(CONF % {
                "sock": self.sock, "port": self.sip_port,
                "user": TRUNK_USER, "pw": TRUNK_PASSWORD,
                "kport": self.sim.port, "ca": self.sim.ca,
                "domain": DOMAIN, "sip_extra": sip_extra,
                "media_extra": media_extra} + conf_extra)
        os.chmod(conf, 0o600)
        env = dict(os.environ, KB_LIBEXECDIR=libexec)
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "bridged", "bridged"), "-dv", "-f",
             conf], stderr=self.logf, env=env)

    def ctl(self, *args):
        r = subprocess.run(
            [os.path.join(self.build, "bridgectl", "bridgectl"), "-s",
             self.sock] + list(args), capture_output=True, text=True,
            timeout=15)
        return r.returncode, r.stdout + r.stderr

    def wait_for(self, what, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            if self.proc.poll() is not None:
                raise RuntimeError("bridged exited; see " + self.log)
            time.sleep(0.1)
        raise RuntimeError("timed out waiting for " + what + "; see " +
                           self.log)

    def running(self):
        rc, out = self.ctl("show", "status")
        return rc == 0 and len(re.findall(
            r"^(sipd|kandyd|mediad) +\d+ running", out, re.M)) == 3

    def log_has(self, pattern):
        with open(self.log, errors="replace") as f:
            return re.search(pattern, f.read(), re.M) is not None

    def child_pid(self, name):
        rc, out = self.ctl("show", "status")
        m = re.search(r"^%s +(\d+) +running" % name, out, re.M)
        return int(m.group(1)) if m else None

    def stop_kandy(self):
        """Kandy goes away: kandysim ends, its port stays closed."""
        self.simproc.kill()
        self.simproc.wait(5)

    def start_kandy(self):
        """kandysim again on the same port, CA and users (new tokens)."""
        d = self.sim.d
        logf = open(self.simlog, "a")
        self.simproc = subprocess.Popen(
            [self.simbin, "-dv", "-l", "127.0.0.1:%d" % self.sim.port,
             "-c", os.path.join(d, "srv.crt"), "-k",
             os.path.join(d, "srv.key"), "-u", os.path.join(d, "users"),
             "-s", TURN_SECRET, "-D", DOMAIN], stderr=logf)
        logf.close()
        self.wait_for("kandysim back", lambda: self.sim.http(
            "GET", "/_sim/status")[0] == 200, 10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for p in (self.simproc, self.turn):
            if p is None:
                continue
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.logf.close()

    def cleanup(self):
        shutil.rmtree(self.d, ignore_errors=True)
        shutil.rmtree(self.sim.d, ignore_errors=True)
        if self.turn is not None:
            shutil.rmtree(self.turndir, ignore_errors=True)


CONF = """
control socket "%(sock)s"
log verbose
sip {
	listen on 127.0.0.1 port %(port)d transport udp
	listen on 127.0.0.1 port %(port)d transport tcp
	trunk user "%(user)s" password "%(pw)s"
	allow from 127.0.0.0/8
	invite auth no
%(sip_extra)s
}
outbound rule prefix "0" length 10 strip 1 prepend "971"
kandy {
	url "https://127.0.0.1:%(kport)d"
	client id "PRIV-bridge" secret "s3cret"
	domain "%(domain)s"
	ca file "%(ca)s"
}
media {
	rtp ports 31000-31999
	public address 127.0.0.1
%(media_extra)s
}
"""
