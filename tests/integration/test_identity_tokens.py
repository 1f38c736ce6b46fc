# SPDX-License-Identifier: Apache-2.0
#
# Token lifecycle across restarts and key rotation, and an authentic but
# expired token: made here with the cloud's own key (PyNaCl, the same
# XChaCha20-Poly1305 construction), so only the expiry is wrong.
import base64
import hashlib
import os
import re
import struct
import subprocess
import time

import nacl.bindings as sodium

from gureum_cloud import GUREUM


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def forge_token(state, user_id, project_id, issued, expires):
    keydir = os.path.join(state, "keys", "token")
    primary = max(int(n) for n in os.listdir(keydir) if n.isdigit())
    key = b64url_decode(open(os.path.join(keydir, str(primary))).read().strip())
    key_id = hashlib.blake2b(key, digest_size=32).digest()[:4]
    header = b"G\x01" + key_id

    def s(v):
        v = (v or "").encode()
        return bytes([len(v)]) + v
    payload = bytes([1]) + struct.pack(">qq", issued, expires) + os.urandom(16) + b"\0" * 16 + \
        s(user_id) + s(project_id) + s(None)
    nonce = os.urandom(24)
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, header, nonce, key)
    return base64.urlsafe_b64encode(header + nonce + sealed).decode().rstrip("=")


def test_forged_with_real_key_works_until_expiry(fresh_cloud):
    cloud = fresh_cloud
    token, body = cloud.token()
    now = int(time.time() * 1e6)
    live = forge_token(cloud.state, body["user"]["id"], body["project"]["id"], now, now + 60_000_000)
    # Sanity: the construction is right, so the only difference below is the expiry.
    assert cloud.api("GET", "/projects", live).status_code == 200
    expired = forge_token(cloud.state, body["user"]["id"], body["project"]["id"], now - 7200_000_000,
                          now - 3600_000_000)
    r = cloud.api("GET", "/projects", expired)
    assert r.status_code == 401 and r.json()["error"]["message"] == "The token has expired."


def test_token_survives_restart(fresh_cloud):
    cloud = fresh_cloud
    token, _ = cloud.token()
    cloud.restart()
    assert cloud.api("GET", "/projects", token).status_code == 200
    # Revocations survive too.
    assert cloud.api("DELETE", "/auth/tokens", token, headers={"X-Subject-Token": token}).status_code == 204
    cloud.restart()
    assert cloud.api("GET", "/projects", token).status_code == 401


def test_key_rotation(fresh_cloud):
    cloud = fresh_cloud
    before, _ = cloud.token()
    subprocess.run([GUREUM, "token-key", "rotate", "--state-dir", cloud.state], check=True, capture_output=True)
    # The daemon notices the rotation by itself within seconds.
    deadline = time.time() + 15
    while True:
        after, _ = cloud.token()
        if after[2:8] != before[2:8] or time.time() > deadline:
            break
        time.sleep(0.5)
    assert after[2:8] != before[2:8], "new tokens still use the old primary key"
    assert cloud.api("GET", "/projects", before).status_code == 200
    assert cloud.api("GET", "/projects", after).status_code == 200
    # Rotating max_active_keys (3) times drops the key `before` was made with.
    for _ in range(3):
        subprocess.run([GUREUM, "token-key", "rotate", "--state-dir", cloud.state], check=True, capture_output=True)
    # Wait for the daemon to notice (a condition, not its poll interval).
    deadline = time.time() + 15
    while cloud.api("GET", "/projects", before).status_code != 401 and time.time() < deadline:
        time.sleep(0.2)
    assert cloud.api("GET", "/projects", before).status_code == 401


def test_disabled_user_loses_tokens(fresh_cloud):
    cloud = fresh_cloud
    admin, _ = cloud.token()
    u = cloud.api("POST", "/users", admin, json={"user": {"name": "gureum-test-dis", "password": "pw"}}).json()["user"]
    t, _ = cloud.token("gureum-test-dis", "pw", scope=False)
    assert cloud.api("GET", "/users/" + u["id"], t).status_code == 200
    cloud.api("PATCH", "/users/" + u["id"], admin, json={"user": {"enabled": False}})
    assert cloud.api("GET", "/users/" + u["id"], t).status_code == 401


def test_two_clouds_side_by_side(fresh_cloud):
    from gureum_cloud import Cloud
    other = Cloud(password="other-pw")
    try:
        t1, _ = fresh_cloud.token()
        t2, _ = other.token()
        # Each cloud has its own keys: a token of one is nothing to the other.
        assert other.api("GET", "/projects", t1).status_code == 401
        assert fresh_cloud.api("GET", "/projects", t2).status_code == 401
    finally:
        other.close()


def test_cli_commands(fresh_cloud):
    cloud = fresh_cloud
    out = subprocess.run([GUREUM, "db", "upgrade", "--state-dir", cloud.state], check=True, capture_output=True,
                         text=True).stdout
    assert re.search(r"at version [1-9][0-9]*\.", out)
    again = subprocess.run([GUREUM, "db", "upgrade", "--state-dir", cloud.state], check=True, capture_output=True,
                           text=True).stdout
    assert again == out  # a second upgrade is a no-op
    status = subprocess.run([GUREUM, "status", "--state-dir", cloud.state], capture_output=True, text=True)
    assert status.returncode == 0 and "(up)" in status.stdout and "problems:  0" in status.stdout
    again = subprocess.run([GUREUM, "init", "--state-dir", cloud.state], capture_output=True, text=True)
    assert again.returncode == 1 and "already initialised" in again.stderr
    cloud.stop()
    status = subprocess.run([GUREUM, "status", "--state-dir", cloud.state], capture_output=True, text=True)
    assert status.returncode == 1 and "NOT ANSWERING" in status.stdout


def test_sigterm_stops_cleanly(fresh_cloud):
    cloud = fresh_cloud
    proc = cloud.proc
    cloud.stop()
    assert proc.returncode == 0
    assert "stopped" in cloud.read_log()
