# SPDX-License-Identifier: Apache-2.0
#
# F5: the state directory belongs to one daemon, and a failure of the
# image store is the server's (5xx), never a 404/403/409/400 that tells the
# client its request was wrong.
import os

from gureum_cloud import RawUpload, wait_for

OCTET = {"Content-Type": "application/octet-stream"}


def create(cloud, token, **fields):
    body = {"disk_format": "raw", "container_format": "bare"}
    body.update(fields)
    r = cloud.image_api("POST", "/images", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def status_of(cloud, token, image_id):
    return cloud.image_api("GET", "/images/" + image_id, token).json()["status"]


def test_temporary_file_gone_mid_upload_is_a_server_error(cloud):
    """The temporary file of an upload in flight disappears (a second daemon's
    start-up recovery used to delete it): the rename into place fails with
    ENOENT, which the client got as 404 for an image that exists."""
    token, _ = cloud.token()
    img = create(cloud, token)
    up = RawUpload(cloud, token, img["id"], length=2 * 65536)
    try:
        up.send(os.urandom(65536))
        tmp = wait_for(lambda: cloud.store_files(img["id"]), what="the upload's temporary file")
        os.unlink(os.path.join(cloud.state, "images", tmp[0]))
        up.send(os.urandom(65536))
        status, body = up.response()
    finally:
        up.close()
    assert status == 500, body
    assert status_of(cloud, token, img["id"]) == "queued"
    assert cloud.store_files(img["id"]) == []
    # The image takes data again once the store is whole.
    r = cloud.image_api("PUT", "/images/%s/file" % img["id"], token, data=b"x" * 1000, headers=OCTET)
    assert r.status_code == 204


def test_missing_store_directory_is_a_server_error(fresh_cloud):
    """Creating the temporary file fails with ENOENT when the store
    directory is gone: 500, not 404."""
    cloud = fresh_cloud
    token, _ = cloud.token()
    img = create(cloud, token)
    store = os.path.join(cloud.state, "images")
    os.rename(store, store + ".gone")
    try:
        r = cloud.image_api("PUT", "/images/%s/file" % img["id"], token, data=b"x" * 1000, headers=OCTET)
    finally:
        os.rename(store + ".gone", store)
    assert r.status_code == 500, r.text
    assert status_of(cloud, token, img["id"]) == "queued"


def test_second_daemon_on_the_same_state_dir_exits(cloud):
    """A second gureumd on a state directory in use started silently (and
    its start-up recovery deleted the first one's upload in flight).  Now it
    exits non-zero, naming the directory and the pid that holds it, and the
    first daemon's upload completes."""
    from gureum_cloud import GUREUMD
    import subprocess
    token, _ = cloud.token()
    img = create(cloud, token)
    up = RawUpload(cloud, token, img["id"], length=2 * 65536)
    try:
        up.send(os.urandom(65536))
        wait_for(lambda: cloud.store_files(img["id"]), what="the upload's temporary file")
        second = subprocess.Popen([GUREUMD, "--state-dir", cloud.state], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        try:
            _, err = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
            raise AssertionError("a second gureumd kept running on the same state directory")
        assert second.returncode != 0
        assert os.path.realpath(cloud.state) in err and "pid %d" % cloud.proc.pid in err, err
        assert cloud.store_files(img["id"]), "the second daemon removed the upload in flight"
        up.send(os.urandom(65536))
        status, body = up.response()
    finally:
        up.close()
    assert status == 204, body
    assert status_of(cloud, token, img["id"]) == "active"
    with open(os.path.join(cloud.state, "gureumd.lock")) as f:
        assert f.read().strip() == str(cloud.proc.pid)
