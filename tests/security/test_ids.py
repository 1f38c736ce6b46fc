# SPDX-License-Identifier: Apache-2.0
#
# Issue 7, findings 1 and 10: client-chosen ids are validated as Glance and
# Keystone validate them, path segments are decoded exactly once, no file
# path is built from an unchecked id, and a disabled user cannot change its
# password.  The route sweep (test_route_sweep.py) covers every {id} route;
# these are the exact reproductions from the report.
import os

import requests

from test_route_sweep import raw_request


def test_image_id_must_be_a_uuid(cloud, canary):
    _, _, member = cloud.make_user("gureum-test-ids-m")
    name = os.path.basename(canary)
    bad_ids = ["../../" + name, "././././././././././../keys/token//1", "x" * 36,
               "0123456789abcdef0123456789abcdef0123", "00000000-0000-0000-0000-00000000000\n",
               "00000000-0000-0000-0000-000000000000/"]
    for bad in bad_ids:
        r = cloud.image_api("POST", "/images", member, json={"id": bad, "name": "gureum-test-t"})
        assert r.status_code == 400, (bad, r.status_code, r.text)
        assert "uuid" in r.json()["message"]
    # A well-formed id of the client's choice is fine, as in Glance.
    good = "6f1c1a5e-9d0b-4c5e-8a55-0123456789ab"
    r = cloud.image_api("POST", "/images", member, json={"id": good, "name": "gureum-test-t"})
    assert r.status_code == 201 and r.json()["id"] == good
    assert r.headers["Location"].endswith("/image/v2/images/" + good)
    assert cloud.image_api("DELETE", "/images/" + good, member).status_code == 204
    with open(canary, "rb") as f:
        assert f.read() == b"canary\n"
    assert os.listdir(os.path.join(cloud.state, "keys", "token"))


def test_path_is_decoded_once(cloud, canary):
    admin, _ = cloud.token()
    name = os.path.basename(canary)
    # %252F is "%2F" after the one decode: an id that names nothing.
    status, _, _ = raw_request(cloud.port, "DELETE", "/image/v2/images/..%252F..%252F" + name, admin)
    assert status == 404
    with open(canary, "rb") as f:
        assert f.read() == b"canary\n"
    img = cloud.image_api("POST", "/images", admin, json={"name": "gureum-test-once"}).json()
    for suffix, want in (("%00junk", 400), ("%00", 400), ("%2500x", 404), ("%2500", 404), ("%", 400), ("%4", 400),
                         ("%zz", 400)):
        status, _, body = raw_request(cloud.port, "DELETE", "/image/v2/images/%s%s" % (img["id"], suffix), admin)
        assert status == want, (suffix, status, body)
        assert cloud.image_api("GET", "/images/" + img["id"], admin).status_code == 200
    # In the query string too.
    status, _, _ = raw_request(cloud.port, "GET", "/image/v2/images?name=x%00y", admin)
    assert status == 400
    # A single encoding of an ordinary character still works.
    encoded = "".join("%%%02x" % ord(ch) if ch == "-" else ch for ch in img["id"])
    status, _, _ = raw_request(cloud.port, "GET", "/image/v2/images/" + encoded, admin)
    assert status == 200
    assert cloud.image_api("DELETE", "/images/" + img["id"], admin).status_code == 204


def test_tag_is_decoded_once(cloud):
    admin, _ = cloud.token()
    img = cloud.image_api("POST", "/images", admin, json={"name": "gureum-test-tag"}).json()
    status, _, _ = raw_request(cloud.port, "PUT", "/image/v2/images/%s/tags/%%2541" % img["id"], admin)
    assert status == 204
    assert cloud.image_api("GET", "/images/" + img["id"], admin).json()["tags"] == ["%41"]
    assert cloud.image_api("DELETE", "/images/" + img["id"], admin).status_code == 204


def test_region_ids(cloud):
    admin, _ = cloud.token()
    # PUT names the region by its URL, as in Keystone.
    r = cloud.api("PUT", "/regions/gureum-test-region", admin, json={"region": {"description": "d"}})
    assert r.status_code == 201 and r.json()["region"]["id"] == "gureum-test-region", r.text
    r = cloud.api("PUT", "/regions/gureum-test-r2", admin, json={"region": {"id": "other"}})
    assert r.status_code == 400
    for bad in ("a/b", "../x", "x\ny", "", "x" * 256):
        r = cloud.api("POST", "/regions", admin, json={"region": {"id": bad}})
        assert r.status_code == 400, (bad, r.text)
    assert cloud.api("DELETE", "/regions/gureum-test-region", admin).status_code == 204


def test_disabled_user_cannot_change_its_password(cloud, name):
    admin, _ = cloud.token()
    user, _, _ = cloud.make_user(name)
    assert cloud.api("PATCH", "/users/" + user["id"], admin, json={"user": {"enabled": False}}).status_code == 200
    r = requests.post(cloud.identity + "/users/%s/password" % user["id"],
                      json={"user": {"original_password": "pw-" + name, "password": "new-pw"}})
    assert r.status_code == 401, r.text
    assert cloud.api("PATCH", "/users/" + user["id"], admin, json={"user": {"enabled": True}}).status_code == 200
    r = requests.post(cloud.identity + "/users/%s/password" % user["id"],
                      json={"user": {"original_password": "pw-" + name, "password": "new-pw"}})
    assert r.status_code == 204, r.text
