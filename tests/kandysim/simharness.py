"""Start kandysim for a test: a fresh test CA and server certificate made
with openssl, a users file, a free loopback port; a small curl-based
HTTPS client; and a coturn that takes kandysim's TURN credentials."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time


def make_ca(d):
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "ca.key", "-out", "ca.crt", "-days", "2", "-subj",
        "/CN=kandysim test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key",
        "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "basicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey",
        "ca.key", "-CAcreateserial", "-out", "srv.crt", "-days", "2",
        "-extfile", "ext")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Sim:
    def __init__(self, d, port):
        self.d = d
        self.port = port
        self.base = "https://127.0.0.1:%d" % port
        self.ca = os.path.join(d, "ca.crt")
        self.sslctx = ssl.create_default_context(cafile=self.ca)

    def http(self, method, path, body=None, token=None, form=None,
             raw=None, ctype="application/json"):
        """One request with curl; returns (status, parsed JSON or text)."""
        args = ["curl", "-s", "--cacert", self.ca, "-X", method,
                "-o", "-", "-w", "\n%{http_code}", "--max-time", "10",
                "-H", "Accept: application/json"]
        if token:
            args += ["-H", "Authorization: Bearer " + token]
        data = None
        if form is not None:
            data = form
            args += ["-H", "Content-Type: application/x-www-form-urlencoded"]
        elif body is not None or raw is not None:
            data = raw if raw is not None else json.dumps(body)
            args += ["-H", "Content-Type: " + ctype]
        if data is not None:
            args += ["--data-binary", "@-"]
        out = subprocess.run(args + [self.base + path], input=(data or
                             "").encode(), capture_output=True).stdout
        text, _, code = out.decode(errors="replace").rpartition("\n")
        try:
            val = json.loads(text) if text else None
        except ValueError:
            val = text
        return int(code or 0), val

    def ws(self, path, token):
        import websockets
        uri = "wss://127.0.0.1:%d%s?access_token=%s" % (self.port, path,
                                                        token)
        return websockets.connect(uri, ssl=self.sslctx, max_size=None,
                                  ping_interval=None)


def start_kandysim(binary, turn_secret, domain, extra_users="", args=()):
    """Returns (Sim, process, log path); the server answers when it returns."""
    d = tempfile.mkdtemp(prefix="kandysim-")
    make_ca(d)
    with open(os.path.join(d, "users"), "w") as f:
        f.write("user alice alicepw\nuser bob bobpw\n"
                "client PRIV-bridge s3cret bridge\n" + extra_users)
    port = free_port()
    sim = Sim(d, port)
    logpath = os.path.join(d, "kandysim.log")
    with open(logpath, "w") as logf:
        proc = subprocess.Popen([binary, "-dv", "-l", "127.0.0.1:%d" % port,
                                 "-c", os.path.join(d, "srv.crt"), "-k",
                                 os.path.join(d, "srv.key"), "-u",
                                 os.path.join(d, "users"), "-s", turn_secret,
                                 "-D", domain] + list(args), stderr=logf)
    for _ in range(100):
        if sim.http("GET", "/_sim/status")[0] == 200:
            break
        if proc.poll() is not None:
            raise RuntimeError("kandysim exited: see " + logpath)
        time.sleep(0.1)
    return sim, proc, logpath


def start_coturn(tdir, port, secret, realm, verbose=False):
    """A real coturn on 127.0.0.1:port (UDP and TCP, no TLS) that checks
    TURN REST credentials made with secret (use-auth-secret), relaying on
    loopback to loopback peers; its files in tdir (its log: turn*.log,
    with sessions and their refreshes when verbose).  Returns the process
    once it listens, or None without turnserver."""
    turnserver = shutil.which("turnserver")
    if turnserver is None:
        return None
    extra = ["-v"] if verbose else []
    proc = subprocess.Popen(
        [turnserver, "-n", "--listening-ip", "127.0.0.1",
         "--listening-port", str(port), "--relay-ip", "127.0.0.1",
         "--use-auth-secret", "--static-auth-secret", secret,
         "--realm", realm, "--allow-loopback-peers",
         "--no-tls", "--no-dtls", "--no-cli",
         "--db", os.path.join(tdir, "turndb"),
         "--pidfile", os.path.join(tdir, "turn.pid"),
         "--log-file", os.path.join(tdir, "turn.log"),
         "--min-port", "49152", "--max-port", "65535"] + extra,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc
