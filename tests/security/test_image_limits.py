# SPDX-License-Identifier: Apache-2.0
#
# Limits of the image service that a tenant must not get around: the byte
# quota with uploads in flight (F4).
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gureum_cloud import Cloud, RawUpload, wait_for

MIB = 1 << 20
QUOTA_BYTES = 3 * MIB
OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
def limited():
    c = Cloud(extra_config="\n[image]\nquota_bytes = %d\n" % QUOTA_BYTES)
    try:
        yield c
    finally:
        c.close()


def create(cloud, token, **fields):
    body = {"disk_format": "raw", "container_format": "bare"}
    body.update(fields)
    r = cloud.image_api("POST", "/images", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def put(cloud, token, image_id, size, chunked):
    """Uploads size random bytes: chunked (two chunks, no Content-Length) or
    with Content-Length.  Returns the status code."""
    data = os.urandom(size)
    body = iter([data[:size // 2], data[size // 2:]]) if chunked else data
    r = requests.put(cloud.url + "/image/v2/images/%s/file" % image_id, data=body, timeout=120,
                     headers={"X-Auth-Token": token, **OCTET})
    return r.status_code


def temporary_bytes(cloud, image_id):
    """How many bytes the upload of image_id has written so far (0 if none)."""
    for f in cloud.store_files(image_id):
        if f.startswith(".tmp-"):
            try:
                return os.path.getsize(os.path.join(cloud.state, "images", f))
            except FileNotFoundError:
                pass
    return 0


def stored_bytes(cloud, token, project):
    images = cloud.image_api("GET", "/images?owner=%s&limit=1000" % project["id"], token).json()["images"]
    return sum(i["size"] or 0 for i in images)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_uploads_in_flight_count_against_the_byte_quota(limited, name, chunked):
    """F4: with a 3 MiB quota, five 2 MiB uploads started together all
    succeeded (10 MiB stored): the quota was checked when an upload began,
    without the uploads in flight.  One upload is held in flight with half
    its data written, four more run meanwhile: none may take the project
    past its quota, and only one of the five may succeed."""
    cloud = limited
    _, project, token = cloud.make_user(name)
    imgs = [create(cloud, token)["id"] for _ in range(5)]
    held = RawUpload(cloud, token, imgs[0], None if chunked else 2 * MIB)
    try:
        held.send(os.urandom(MIB))
        wait_for(lambda: temporary_bytes(cloud, imgs[0]) >= MIB, what="the held upload's first MiB")
        with ThreadPoolExecutor(4) as pool:
            others = list(pool.map(lambda i: put(cloud, token, i, 2 * MIB, chunked), imgs[1:]))
        held.send(os.urandom(MIB))
        status, body = held.response()
    finally:
        held.close()
    codes = [status] + others
    assert sorted(codes) == [204] + [413] * 4, codes
    if not chunked:
        # A declared length is reserved whole when the upload begins: the held one keeps its place.
        assert status == 204, body
    assert stored_bytes(cloud, token, project) == 2 * MIB
    for image_id, code in zip(imgs, codes):
        if code == 413:
            assert cloud.store_files(image_id) == []
            assert cloud.image_api("GET", "/images/" + image_id, token).json()["status"] == "queued"


def test_byte_quota_is_exact(limited, name):
    """Reservations refuse only what would really pass the quota: two 1 MiB
    uploads in flight together both fit a 3 MiB quota, the room of a deleted
    image is available again, and another project's uploads do not count."""
    cloud = limited
    _, project, token = cloud.make_user(name + "a")
    _, _, other = cloud.make_user(name + "b")
    a, b = create(cloud, token)["id"], create(cloud, token)["id"]
    held = RawUpload(cloud, token, a)
    try:
        held.send(os.urandom(MIB // 2))
        wait_for(lambda: temporary_bytes(cloud, a) >= MIB // 2, what="the held upload's first bytes")
        assert put(cloud, token, b, MIB, chunked=True) == 204
        # The other project has a quota of its own.
        assert put(cloud, other, create(cloud, other)["id"], 2 * MIB, chunked=False) == 204
        held.send(os.urandom(MIB // 2))
        status, body = held.response()
    finally:
        held.close()
    assert status == 204, body
    assert stored_bytes(cloud, token, project) == 2 * MIB
    # 1 MiB left: 2 MiB more is refused, before any byte with a Content-Length, on the way without.
    c = create(cloud, token)["id"]
    assert put(cloud, token, c, 2 * MIB, chunked=False) == 413
    assert put(cloud, token, c, 2 * MIB, chunked=True) == 413
    assert cloud.store_files(c) == []
    # Deleting an image gives its bytes back.
    assert cloud.image_api("DELETE", "/images/" + a, token).status_code == 204
    assert put(cloud, token, c, 2 * MIB, chunked=True) == 204
    assert stored_bytes(cloud, token, project) == QUOTA_BYTES
