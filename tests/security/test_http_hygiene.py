# SPDX-License-Identifier: Apache-2.0
#
# HTTP-layer hygiene (issue 7, F5, F7, F11): one daemon per listen
# address, no header injection through values the API echoes, JSON bodies
# only with a JSON Content-Type, and a prompt 501 for transfer codings
# libmicrohttpd cannot decode.
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

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


def _raw_response(port, request, timeout=30):
    """Sends raw bytes and returns the raw response (until the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks)


def test_no_header_injection_through_an_echoed_value(cloud, name):
    """F7: an image id holding CR LF is echoed in the Location header of
    the create response; it must never become a header of its own.  The
    HTTP layer sends headers as whole (name, value) pairs and refuses one
    with control characters (500), whatever the image service accepts."""
    token, _ = cloud.token()
    tail = "\r\nX-Gureum-Injected: 1"
    evil = "0" * (36 - len(tail)) + tail
    body = json.dumps({"id": evil, "name": name, "disk_format": "raw", "container_format": "bare"}).encode()
    raw = _raw_response(cloud.port, b"POST /image/v2/images HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        b"X-Auth-Token: " + token.encode() + b"\r\nContent-Type: application/json\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    head, _, rest = raw.partition(b"\r\n\r\n")
    try:
        lines = head.split(b"\r\n")
        assert not any(line.lower().startswith(b"x-gureum-injected") for line in lines), head
        assert b"\n" not in head.replace(b"\r\n", b""), head
        status = int(lines[0].split()[1])
        assert status in (400, 500), head
        assert "code" in json.dumps(json.loads(rest)), rest
    finally:
        for img in cloud.image_api("GET", "/images?name=" + name, token).json()["images"]:
            cloud.image_api("DELETE", "/images/" + urllib.parse.quote(img["id"], safe=""), token)
        assert cloud.image_api("GET", "/images?name=" + name, token).json()["images"] == []
