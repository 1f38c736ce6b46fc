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

import requests

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
        # The fake data plane: a real one would make the production-named (gr-) tables before the bind fails.
        with open(os.path.join(state, "gureum.conf"), "a") as f:
            f.write("\n[network]\ndataplane = fake\n")
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


def _auth_body(cloud, password=None):
    return json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": password or cloud.password}}}}}).encode()


def test_json_body_needs_a_json_content_type(cloud, name):
    """F11: a JSON body sent as text/plain is refused as the real services
    refuse it: Keystone with 400, Glance with 415, each in its own error
    shape; application/json (with parameters) and any +json type pass."""
    r = requests.post(cloud.identity + "/auth/tokens", data=_auth_body(cloud),
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == 400 and "Content-Type" in r.json()["error"]["message"]
    for ok in ("application/json", "application/json; charset=UTF-8", "Application/JSON",
               "application/vnd.openstack.identity-v3+json"):
        r = requests.post(cloud.identity + "/auth/tokens", data=_auth_body(cloud), headers={"Content-Type": ok})
        assert r.status_code == 201, (ok, r.text)
    token, _ = cloud.token()
    image = json.dumps({"name": name, "disk_format": "raw", "container_format": "bare"})
    r = cloud.image_api("POST", "/images", token, data=image, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    assert r.json()["code"] == 415 and "title" in r.json()
    r = cloud.image_api("POST", "/images", token, data=image, headers={"Content-Type": "application/json;charset=utf-8"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    try:
        patch = json.dumps([{"op": "replace", "path": "/name", "value": name + "-2"}])
        for bad in ("application/json", "text/plain"):
            r = cloud.image_api("PATCH", "/images/" + image_id, token, data=patch, headers={"Content-Type": bad})
            assert r.status_code == 415, (bad, r.text)
        r = cloud.image_api("PATCH", "/images/" + image_id, token, data=patch,
                            headers={"Content-Type": "application/openstack-images-v2.1-json-patch; charset=utf-8"})
        assert r.status_code == 200 and r.json()["name"] == name + "-2", r.text
    finally:
        assert cloud.image_api("DELETE", "/images/" + image_id, token).status_code == 204


def test_json_body_without_content_type_is_read_as_keystone_does(cloud):
    """F11: Keystone reads a body that comes without any Content-Type as
    JSON (keystone/server/flask/request_processing/json_body.py); so do we,
    so clients that omit the header keep working."""
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=30) as s:
        body = _auth_body(cloud)
        s.sendall(b"POST /identity/v3/auth/tokens HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert s.recv(64).startswith(b"HTTP/1.1 201")


def test_unsupported_transfer_encoding_gets_501_promptly(cloud):
    """F11: libmicrohttpd 0.9.75 decodes only chunked bodies and would read
    any other coding until the client closes (the client then hangs); such
    a request gets 501 in the service's error shape as soon as its headers
    are in, and the connection is closed."""
    for te in (b"gzip", b"identity", b"gzip, chunked"):
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", cloud.port), timeout=30) as s:
            s.sendall(b"POST /identity/v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: " + te + b"\r\n\r\n\x1f\x8b\x08\x00")
            raw = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                raw += chunk
        assert time.monotonic() - started < 10, te
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 501"), (te, raw)
        assert json.loads(body)["error"]["code"] == 501
    # chunked is decoded as before
    r = requests.post(cloud.identity + "/auth/tokens", data=iter([_auth_body(cloud)]),
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
