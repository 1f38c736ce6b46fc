# SPDX-License-Identifier: Apache-2.0
#
# HTTP-layer hygiene (issue 7, F5, F7, F11): one daemon per listen
# address, no header injection through values the API echoes, JSON bodies
# only with a JSON Content-Type, and a prompt 501 for transfer codings
# libmicrohttpd cannot decode.
import os
import shutil
import socket
import subprocess
import tempfile
import time

from gureum_cloud import GUREUM, GUREUMD


def test_second_daemon_on_the_same_port_fails(cloud):
    """F5: without SO_REUSEPORT a second gureumd (another state dir, the
    same listen address) cannot bind: it exits non-zero and says why,
    instead of sharing the port and taking half the connections."""
    state = tempfile.mkdtemp(prefix="gureum-test-")
    proc = None
    try:
        subprocess.run([GUREUM, "init", "--state-dir", state, "--listen", "127.0.0.1:%d" % cloud.port,
                        "--admin-password", "pw"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log_path = os.path.join(state, "gureumd.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([GUREUMD, "--state-dir", state], stdout=log, stderr=log)
        deadline = time.time() + 60
        while proc.poll() is None and time.time() < deadline:
            with open(log_path, "rb") as f:
                assert b"listening on" not in f.read(), "the second daemon is serving the same port"
            time.sleep(0.05)
        assert proc.poll() is not None, "the second daemon neither failed nor served"
        with open(log_path, "rb") as f:
            log = f.read().decode(errors="replace")
        assert proc.returncode != 0
        assert "127.0.0.1:%d" % cloud.port in log and "in use" in log, log
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(state, ignore_errors=True)
    # The first daemon is untouched.
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=10) as s:
        s.sendall(b"GET /identity/v3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert s.recv(64).startswith(b"HTTP/1.1 200")
