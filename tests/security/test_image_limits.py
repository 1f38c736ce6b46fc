# SPDX-License-Identifier: Apache-2.0
#
# Limits of the image service that a tenant must not get around: the byte
# quota with uploads in flight (F4); the number and length of properties,
# tags and members (F6); tags and member ids that are empty or hold control
# characters (F11).
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gureum_cloud import Cloud, RawUpload, wait_for

MIB = 1 << 20
QUOTA_BYTES = 3 * MIB
SMALL_QUOTA = 8
OCTET = {"Content-Type": "application/octet-stream"}
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


@pytest.fixture(scope="module")
def limited():
    c = Cloud(extra_config="\n[image]\nquota_bytes = %d\n" % QUOTA_BYTES)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def small_quotas():
    c = Cloud(extra_config="\n[image]\nimage_property_quota = %d\nimage_tag_quota = %d\nimage_member_quota = %d\n"
                           % (SMALL_QUOTA, SMALL_QUOTA, SMALL_QUOTA))
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


def patch(cloud, token, image_id, ops):
    return cloud.image_api("PATCH", "/images/" + image_id, token, json=ops, headers=PATCH)


def test_property_quota_and_lengths(cloud, name):
    """F6: 480 properties of 64 KB each were accepted on one image, a 31 MB
    record served to every tenant listing community images.  Glance's
    image_property_quota (128) holds on create and on patch (413); names are
    at most 255 characters and values 65535 bytes (400)."""
    _, _, token = cloud.make_user(name)
    props = {"p%03d" % i: "v" for i in range(129)}
    r = cloud.image_api("POST", "/images", token, json=props)
    assert r.status_code == 413, r.text
    assert "Attempted: 129, Maximum: 128" in r.json()["message"]
    del props["p128"]
    img = create(cloud, token, **props)
    r = patch(cloud, token, img["id"], [{"op": "add", "path": "/one_more", "value": "x"}])
    assert r.status_code == 413, r.text
    # At the quota, changing and removing still work, and a removal makes room.
    assert patch(cloud, token, img["id"], [{"op": "replace", "path": "/p000", "value": "y"}]).status_code == 200
    r = patch(cloud, token, img["id"], [{"op": "remove", "path": "/p001"},
                                        {"op": "add", "path": "/one_more", "value": "x"}])
    assert r.status_code == 200, r.text
    shown = cloud.image_api("GET", "/images/" + img["id"], token).json()
    assert "p001" not in shown and shown["one_more"] == "x" and shown["p000"] == "y"
    # Lengths: a name of 256 characters, a value of 65536 bytes (in 32768 two-byte characters too).
    for body in ({"n" * 256: "v"}, {"ok": "v" * 65536}, {"ok": "\u00e9" * 32768}, {"": "v"}):
        r = cloud.image_api("POST", "/images", token, json=body)
        assert r.status_code == 400, (list(body)[0][:10], r.text)
        r = patch(cloud, token, img["id"], [{"op": "replace", "path": "/p000", "value": "v"},
                                            {"op": "add", "path": "/" + list(body)[0], "value": list(body.values())[0]}])
        assert r.status_code == 400, r.text
    # The limits themselves are accepted; lengths count characters, as Glance's do.
    long_name = "\u00e9" * 255
    img2 = create(cloud, token, **{long_name: "v" * 65535, "n" * 255: "w"})
    assert img2[long_name] == "v" * 65535


def test_tag_quota(cloud, name):
    """F6: image_tag_quota (128) on create, on patch and on PUT .../tags (413)."""
    _, _, token = cloud.make_user(name)
    tags = ["t%03d" % i for i in range(129)]
    r = cloud.image_api("POST", "/images", token, json={"tags": tags})
    assert r.status_code == 413, r.text
    img = create(cloud, token, tags=tags[:128])
    assert len(img["tags"]) == 128
    assert cloud.image_api("PUT", "/images/%s/tags/one-more" % img["id"], token).status_code == 413
    # A tag the image has costs nothing at the quota; a set with duplicates counts each tag once.
    assert cloud.image_api("PUT", "/images/%s/tags/t000" % img["id"], token).status_code == 204
    assert patch(cloud, token, img["id"], [{"op": "replace", "path": "/tags", "value": tags}]).status_code == 413
    r = patch(cloud, token, img["id"], [{"op": "replace", "path": "/tags", "value": tags[:128] + tags[:5]}])
    assert r.status_code == 200 and len(r.json()["tags"]) == 128
    assert len(cloud.image_api("GET", "/images/" + img["id"], token).json()["tags"]) == 128


def test_member_quota_and_ids(cloud, name):
    """F6: 200 members with made-up project ids were accepted.  Glance's
    image_member_quota (128) holds (413); member ids are 1 to 255 characters
    without control characters (400)."""
    _, _, token = cloud.make_user(name)
    img = create(cloud, token, visibility="shared")
    path = "/images/%s/members" % img["id"]
    for i in range(128):
        r = cloud.image_api("POST", path, token, json={"member": "project-%03d" % i})
        assert r.status_code == 200, r.text
    r = cloud.image_api("POST", path, token, json={"member": "project-128"})
    assert r.status_code == 413, r.text
    assert len(cloud.image_api("GET", path, token).json()["members"]) == 128
    other = create(cloud, token, visibility="shared")
    path = "/images/%s/members" % other["id"]
    for bad in ("", "a\u0001b", "tab\there", "new\nline", "del\u007f", "c1\u0085", "x" * 256):
        r = cloud.image_api("POST", path, token, json={"member": bad})
        assert r.status_code == 400, (bad, r.text)
    assert cloud.image_api("GET", path, token).json()["members"] == []
    assert cloud.image_api("POST", path, token, json={"member": "\u00e9" * 255}).status_code == 200


def test_regression_empty_and_control_character_tags(cloud, name):
    """F11: '%2500' as a tag created an empty tag (the double URL decoding is
    another fix).  Tags that are empty or hold control characters are
    refused (400) on create, on patch and on PUT .../tags/{tag}."""
    _, _, token = cloud.make_user(name)
    for bad in ("", "a\u0000b", "a\u0001b", "tab\there", "del\u007f", "c1\u0085", " \n"):
        r = cloud.image_api("POST", "/images", token, json={"tags": [bad]})
        assert r.status_code == 400, (bad, r.text)
    img = create(cloud, token, tags=["ok"])
    for bad in ("", "a\u0001b", "c1\u0085"):
        r = patch(cloud, token, img["id"], [{"op": "replace", "path": "/tags", "value": ["fine", bad]}])
        assert r.status_code == 400, (bad, r.text)
    for bad in ("%01", "a%09b", "%7F", "%C2%85", "%0A"):
        r = cloud.image_api("PUT", "/images/%s/tags/%s" % (img["id"], bad), token)
        assert r.status_code == 400, (bad, r.text)
    # Whatever '%2500' decodes to, it is never an empty tag.
    r = cloud.image_api("PUT", "/images/%s/tags/%%2500" % img["id"], token)
    assert r.status_code in (204, 400), r.text
    tags = cloud.image_api("GET", "/images/" + img["id"], token).json()["tags"]
    assert "" not in tags and all(t.isprintable() for t in tags), tags
    assert cloud.image_api("PUT", "/images/%s/tags/%s" % (img["id"], "caf%C3%A9"), token).status_code == 204


def test_quotas_hold_under_concurrent_requests(small_quotas, name):
    """The count and the write are one transaction: twenty concurrent adds
    of tags, members or properties leave exactly the quota (8 here, from
    image_tag_quota, image_member_quota and image_property_quota)."""
    cloud = small_quotas
    _, _, token = cloud.make_user(name)
    img = create(cloud, token, visibility="shared")["id"]

    def tag(i):
        return cloud.image_api("PUT", "/images/%s/tags/tag-%02d" % (img, i), token).status_code

    def member(i):
        return cloud.image_api("POST", "/images/%s/members" % img, token, json={"member": "m-%02d" % i}).status_code

    def prop(i):
        return patch(cloud, token, img, [{"op": "add", "path": "/prop_%02d" % i, "value": "v"}]).status_code

    for fn, ok in ((tag, 204), (member, 200), (prop, 200)):
        with ThreadPoolExecutor(10) as pool:
            codes = list(pool.map(fn, range(20)))
        assert sorted(codes) == sorted([ok] * SMALL_QUOTA + [413] * (20 - SMALL_QUOTA)), (fn.__name__, codes)
    shown = cloud.image_api("GET", "/images/" + img, token).json()
    assert len(shown["tags"]) == SMALL_QUOTA
    assert len([k for k in shown if k.startswith("prop_")]) == SMALL_QUOTA
    assert len(cloud.image_api("GET", "/images/%s/members" % img, token).json()["members"]) == SMALL_QUOTA
