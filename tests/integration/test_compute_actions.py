# SPDX-License-Identifier: Apache-2.0
"""Server actions beyond power (issue 9): rebuild, resize with confirm and
revert, createImage and Nova's image proxy, changePassword, rescue and
unrescue, shelve, shelveOffload and unshelve, os-resetState.

The first part runs on the fake virt driver: every state transition, the
answers' shapes (tempest's own response schemas) per microversion, and
every 400/403/404/409.  The second part (TestLibvirt) boots real guests of
the test image under libvirt for the flows that touch disks, driven with
the openstack CLI, and reads the guests' console logs for their
GUEST-READY lines; run scripts/start-libvirt first.
"""
import json
import os
import subprocess
import tempfile
import uuid

import jsonschema
import pytest
import requests

from gureum_cloud import Cloud, wait_for
from tempest.lib.api_schema.response.compute.v2_1 import images as images_v21
from tempest.lib.api_schema.response.compute.v2_1 import servers as servers_v21
from tempest.lib.api_schema.response.compute.v2_45 import images as images_v245
from tempest.lib.api_schema.response.compute.v2_57 import servers as servers_v257
from tempest.lib.api_schema.response.compute.v2_75 import servers as servers_v275
from tempest.lib.common import jsonschema_validator

OCTET = {"Content-Type": "application/octet-stream"}
NANO, MICRO, TINY, SMALL = "42", "84", "1", "2"   # flavors of migration 0004 (disk 1, 1, 1, 20 GB)


def conforms(schema, body):
    """Validates an answer against one of tempest's response schemas, as tempest does."""
    jsonschema.validate(body, schema["response_body"], cls=jsonschema_validator.JSONSCHEMA_VALIDATOR,
                        format_checker=jsonschema_validator.FORMAT_CHECKER)


class Compute:
    """The compute API of a cloud as one caller (a token) sees it."""

    def __init__(self, cloud, token):
        self.cloud, self.token = cloud, token
        self.base = cloud.url + "/compute/v2.1"

    def __call__(self, method, path, version=None, **kw):
        headers = kw.pop("headers", {})
        headers["X-Auth-Token"] = self.token
        if version:
            headers["OpenStack-API-Version"] = "compute " + version
        return requests.request(method, self.base + path, headers=headers, **kw)

    def action(self, sid, body, version=None):
        return self("POST", "/servers/%s/action" % sid, version, json=body)

    def server(self, sid, version=None):
        r = self("GET", "/servers/" + sid, version)
        assert r.status_code == 200, r.text
        return r.json()["server"]

    def boot(self, name, image, flavor=NANO, wait=True, **extra):
        body = {"server": dict(name=name, imageRef=image, flavorRef=flavor, **extra)}
        r = self("POST", "/servers", json=body)
        assert r.status_code == 202, r.text
        sid = r.json()["server"]["id"]
        if wait:
            self.wait(sid, "ACTIVE")
        return sid

    def wait(self, sid, status, timeout=60):
        """Waits until the server shows status with no task state, as tempest's waiter does."""
        def done():
            s = self.server(sid)
            if s["status"] == "ERROR" and status != "ERROR":
                raise AssertionError("server %s went to ERROR: %s" % (sid, s.get("fault")))
            return s if s["status"] == status and s["OS-EXT-STS:task_state"] is None else None
        return wait_for(done, timeout, "server %s to be %s" % (sid, status))

    def delete(self, sid):
        self("DELETE", "/servers/" + sid)
        wait_for(lambda: self("GET", "/servers/" + sid).status_code == 404, 60, "server %s to go" % sid)

    def conflict(self, sid, body, message=None, version=None):
        r = self.action(sid, body, version)
        assert r.status_code == 409, r.text
        if message:
            assert r.json()["conflictingRequest"]["message"] == message, r.text
        return r


def image_upload(cloud, token, name, path, **fields):
    body = dict(name=name, disk_format="qcow2", container_format="bare", visibility="public", **fields)
    r = cloud.image_api("POST", "/images", token, json=body)
    assert r.status_code == 201, r.text
    img = r.json()["id"]
    with open(path, "rb") as f:
        r = cloud.image_api("PUT", "/images/%s/file" % img, token, data=f.read(), headers=OCTET)
    assert r.status_code == 204, r.text
    return img


def glance(cloud, token, image_id):
    return cloud.image_api("GET", "/images/" + image_id, token)


def instance_dir(cloud, sid):
    return os.path.join(cloud.state, "instances", sid)


# ---------------------------------------------------------------------------
# The fake driver: states, shapes and refusals.

@pytest.fixture(scope="module")
def env(cloud):
    """Two public qcow2 images, an admin and a member of a project of their own."""
    admin, _ = cloud.token()
    with tempfile.TemporaryDirectory(prefix="gureum-test-") as d:
        paths = []
        for size in ("16M", "32M"):
            p = os.path.join(d, size + ".qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", p, size], check=True)
            paths.append(p)
        image = image_upload(cloud, admin, "gureum-test-base", paths[0], hw_disk_bus="virtio")
        alt = image_upload(cloud, admin, "gureum-test-alt", paths[1])
    user, project, token = cloud.make_user("gureum-test-actions")
    return type("Env", (), dict(image=image, alt=alt, admin=Compute(cloud, admin), user=Compute(cloud, token),
                                token=token, admin_token=admin, project=project, user_id=user["id"]))


@pytest.fixture
def server(env, name):
    """An ACTIVE server of the member, deleted afterwards."""
    sid = env.user.boot(name, env.image)
    yield sid
    env.user.delete(sid)


def test_rebuild(cloud, env, server, name):
    u = env.user
    body = {"rebuild": {"imageRef": env.alt, "name": name + "-re", "metadata": {"rebuild": "server"},
                        "adminPass": "rebuildPassw0rd"}}
    r = u.action(server, body)
    assert r.status_code == 202, r.text
    conforms(servers_v21.rebuild_server_with_admin_pass, r.json())
    s = r.json()["server"]
    assert s["adminPass"] == "rebuildPassw0rd" and s["image"]["id"] == env.alt and s["name"] == name + "-re"
    assert s["status"] == "REBUILD" and s["metadata"] == {"rebuild": "server"}
    assert r.headers["Location"].endswith("/compute/v2.1/servers/" + server)
    s = u.wait(server, "ACTIVE")
    assert s["image"]["id"] == env.alt and s["name"] == name + "-re" and s["OS-EXT-STS:power_state"] == 1
    # A made-up password comes back when none is given.
    r = u.action(server, {"rebuild": {"imageRef": env.image}})
    assert r.status_code == 202 and len(r.json()["server"]["adminPass"]) == 12
    u.wait(server, "ACTIVE")


def test_rebuild_stopped_stays_stopped(env, server):
    u = env.user
    assert u.action(server, {"os-stop": None}).status_code == 202
    u.wait(server, "SHUTOFF")
    assert u.action(server, {"rebuild": {"imageRef": env.alt}}).status_code == 202
    s = u.wait(server, "SHUTOFF")
    assert s["image"]["id"] == env.alt and s["OS-EXT-STS:power_state"] == 4


def test_rebuild_microversions(cloud, env, server):
    u = env.user
    ud = "IyEvYmluL3NoCmVjaG8gaGk="
    r = u.action(server, {"rebuild": {"imageRef": env.image, "user_data": ud, "key_name": None,
                                      "description": "d"}}, "2.57")
    assert r.status_code == 202, r.text
    conforms(servers_v257.rebuild_server_with_admin_pass, r.json())
    assert r.json()["server"]["user_data"] == ud and r.json()["server"]["key_name"] is None
    u.wait(server, "ACTIVE")
    r = u.action(server, {"rebuild": {"imageRef": env.image}}, "2.75")
    assert r.status_code == 202, r.text
    conforms(servers_v275.rebuild_server_with_admin_pass, r.json())
    conforms(servers_v275.update_server, {"server": u.server(server, "2.75")})
    assert r.json()["server"]["OS-EXT-STS:task_state"] == "rebuilding"
    u.wait(server, "ACTIVE")
    # user_data is unknown before 2.57, description before 2.19.
    assert u.action(server, {"rebuild": {"imageRef": env.image, "user_data": ud}}, "2.56").status_code == 400
    assert u.action(server, {"rebuild": {"imageRef": env.image, "description": "d"}}).status_code == 400
    # An admin's 2.75 answer has no OS-EXT-SRV-ATTR:user_data, only user_data.
    r = env.admin.action(server, {"rebuild": {"imageRef": env.image}}, "2.75")
    assert r.status_code == 202 and "OS-EXT-SRV-ATTR:user_data" not in r.json()["server"]
    assert "OS-EXT-SRV-ATTR:host" in r.json()["server"]
    u.wait(server, "ACTIVE")


def test_rebuild_refusals(cloud, env, server):
    u = env.user
    missing = str(uuid.uuid4())
    assert u.action(missing, {"rebuild": {"imageRef": env.image}}).status_code == 404
    r = u.action(server, {"rebuild": {"imageRef": missing}})
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Cannot find image for rebuild"
    for body in ({"rebuild": {}}, {"rebuild": {"imageRef": "not-a-uuid"}}, {"rebuild": {"imageRef": env.image, "x": 1}},
                 {"rebuild": {"imageRef": env.image, "name": ""}}, {"rebuild": {"imageRef": env.image, "accessIPv4": "1"}},
                 {"rebuild": {"imageRef": env.image, "metadata": {"a": 1}}}):
        assert u.action(server, body).status_code == 400, body
    # Another project's server is not there; a key pair that is not there is a 400.
    _, _, other = cloud.make_user("gureum-test-actions-other")
    assert Compute(cloud, other).action(server, {"rebuild": {"imageRef": env.image}}).status_code == 404
    r = u.action(server, {"rebuild": {"imageRef": env.image, "key_name": "gureum-test-nokey"}}, "2.54")
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == "Invalid key_name provided."
    # Paused servers cannot be rebuilt; locked ones cannot be by their owner.
    assert u.action(server, {"pause": None}).status_code == 202
    u.wait(server, "PAUSED")
    u.conflict(server, {"rebuild": {"imageRef": env.image}},
               "Cannot 'rebuild' instance %s while it is in vm_state paused" % server)
    assert u.action(server, {"unpause": None}).status_code == 202
    u.wait(server, "ACTIVE")
    assert u.action(server, {"lock": None}).status_code == 202
    u.conflict(server, {"rebuild": {"imageRef": env.image}}, "Instance %s is locked" % server)
    assert u.action(server, {"unlock": None}).status_code == 202


def test_rebuild_from_error(env, server):
    assert env.admin.action(server, {"os-resetState": {"state": "error"}}).status_code == 202
    assert env.user.server(server)["status"] == "ERROR"
    assert env.user.action(server, {"rebuild": {"imageRef": env.image}}).status_code == 202
    env.user.wait(server, "ACTIVE")


def test_resize_confirm(cloud, env, server):
    u = env.user
    r = u.action(server, {"resize": {"flavorRef": MICRO}})
    assert r.status_code == 202 and r.content in (b"", b"null"), r.text
    s = u.wait(server, "VERIFY_RESIZE")
    assert s["flavor"]["id"] == MICRO and s["OS-EXT-STS:vm_state"] == "resized"
    assert os.path.exists(os.path.join(instance_dir(cloud, server), "disk.resize-orig"))
    assert u.server(server, "2.47")["flavor"]["ram"] == 192
    # Only a confirm or a revert now.
    u.conflict(server, {"resize": {"flavorRef": TINY}},
               "Cannot 'resize' instance %s while it is in vm_state resized" % server)
    r = u.action(server, {"confirmResize": None})
    assert r.status_code == 204 and r.content == b"", r.text
    s = u.wait(server, "ACTIVE")
    assert s["flavor"]["id"] == MICRO and s["OS-EXT-STS:power_state"] == 1
    assert not os.path.exists(os.path.join(instance_dir(cloud, server), "disk.resize-orig"))
    u.conflict(server, {"confirmResize": None},
               "Cannot 'confirmResize' instance %s while it is in vm_state active" % server)
    u.conflict(server, {"revertResize": None},
               "Cannot 'revertResize' instance %s while it is in vm_state active" % server)


def test_resize_revert(cloud, env, server):
    u = env.user
    assert u.action(server, {"resize": {"flavorRef": int(TINY)}}).status_code == 202
    assert u.wait(server, "VERIFY_RESIZE")["flavor"]["id"] == TINY
    assert u.action(server, {"revertResize": {}}).status_code == 202
    s = u.wait(server, "ACTIVE")
    assert s["flavor"]["id"] == NANO and s["OS-EXT-STS:power_state"] == 1
    assert u.server(server, "2.47")["flavor"]["ram"] == 128
    assert not os.path.exists(os.path.join(instance_dir(cloud, server), "disk.resize-orig"))


def test_resize_stopped_stays_stopped(env, server):
    u = env.user
    assert u.action(server, {"os-stop": None}).status_code == 202
    u.wait(server, "SHUTOFF")
    assert u.action(server, {"resize": {"flavorRef": MICRO}}).status_code == 202
    assert u.wait(server, "VERIFY_RESIZE")["OS-EXT-STS:power_state"] == 4
    assert u.action(server, {"confirmResize": None}).status_code == 204
    assert u.wait(server, "SHUTOFF")["flavor"]["id"] == MICRO


def test_resize_refusals(env, server, name):
    u = env.user
    def bad(flavor, message=None):
        r = u.action(server, {"resize": {"flavorRef": flavor}})
        assert r.status_code == 400, r.text
        if message:
            assert r.json()["badRequest"]["message"] == message, r.text
    bad(NANO, "When resizing, instances must change flavor!")
    missing = str(uuid.uuid4())
    bad(missing, "Flavor %s could not be found." % missing)
    bad("")
    bad(None)
    r = u.action(server, {"resize": {}})
    assert r.status_code == 400
    assert u.action(str(uuid.uuid4()), {"resize": {"flavorRef": MICRO}}).status_code == 404
    # A disk never shrinks.
    big = u.boot(name + "-big", env.image, SMALL)
    try:
        r = u.action(big, {"resize": {"flavorRef": TINY}})
        assert r.status_code == 400 and r.json()["badRequest"]["message"] == (
            "Server disk was unable to be resized because: Unable to resize disk down.")
    finally:
        u.delete(big)


def test_resize_quota(env, name):
    """A resize that would pass the project's ram quota is a 403 with Nova's message (a cloud of its own)."""
    c = Cloud(extra_config="quota_ram = 200\n")
    try:
        admin, _ = c.token()
        with tempfile.TemporaryDirectory(prefix="gureum-test-") as d:
            p = os.path.join(d, "i.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", p, "16M"], check=True)
            image = image_upload(c, admin, "gureum-test-q", p)
        _, _, token = c.make_user(name)
        u = Compute(c, token)
        sid = u.boot(name, image)
        r = u.action(sid, {"resize": {"flavorRef": TINY}})
        assert r.status_code == 403, r.text
        assert r.json()["forbidden"]["message"] == \
            "Quota exceeded for ram: Requested 384, but already used 128 of 200 ram"
        assert u.action(sid, {"resize": {"flavorRef": MICRO}}).status_code == 202
        u.wait(sid, "VERIFY_RESIZE")
        u.delete(sid)
    finally:
        c.close()


def test_resize_without_room(name):
    """A host without room for the new flavor: the resize fails in its task and the server keeps its flavor."""
    c = Cloud(extra_config="ram_allocation_ratio = 0.001\n")   # 261 MB of memory to give
    try:
        admin, _ = c.token()
        with tempfile.TemporaryDirectory(prefix="gureum-test-") as d:
            p = os.path.join(d, "i.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", p, "16M"], check=True)
            image = image_upload(c, admin, "gureum-test-room", p)
        u = Compute(c, admin)
        sid = u.boot(name, image)
        assert u.action(sid, {"resize": {"flavorRef": TINY}}).status_code == 202
        s = u.wait(sid, "ACTIVE")
        assert s["flavor"]["id"] == NANO and not os.path.exists(os.path.join(instance_dir(c, sid), "disk.resize-orig"))
        # The server's own claim does not count against its new one: micro fits where nano was.
        assert u.action(sid, {"resize": {"flavorRef": MICRO}}).status_code == 202
        assert u.wait(sid, "VERIFY_RESIZE")["flavor"]["id"] == MICRO
        u.delete(sid)
    finally:
        c.close()


def test_create_image(cloud, env, server, name):
    u = env.user
    r = u.action(server, {"createImage": {"name": name, "metadata": {"image_type": "test", "x": "y"}}})
    assert r.status_code == 202 and r.content in (b"", b"null"), r.text
    image_id = r.headers["Location"].rsplit("/", 1)[-1]
    assert r.headers["Location"] == cloud.url + "/image/v2/images/" + image_id
    wait_for(lambda: u("GET", "/images/" + image_id).json()["image"]["status"] == "ACTIVE", 60, "the snapshot")
    u.wait(server, "ACTIVE")
    r = u("GET", "/images/" + image_id)
    conforms(images_v21.get_image, r.json())
    img = r.json()["image"]
    assert img["name"] == name and img["progress"] == 100 and img["server"]["id"] == server
    assert img["metadata"]["image_type"] == "test" and img["metadata"]["x"] == "y"
    assert img["metadata"]["instance_uuid"] == server and img["metadata"]["base_image_ref"] == env.image
    assert img["metadata"]["user_id"] == env.user_id and img["metadata"]["hw_disk_bus"] == "virtio"
    assert img["minDisk"] == 1 and img["minRam"] == 0
    g = glance(cloud, env.token, image_id).json()
    assert g["owner"] == env.project["id"] and g["visibility"] == "private" and g["disk_format"] == "qcow2"
    # The data is a standalone qcow2 (no backing file) of the server's disk.
    with tempfile.NamedTemporaryFile(prefix="gureum-test-") as f:
        f.write(cloud.image_api("GET", "/images/%s/file" % image_id, env.token).content)
        f.flush()
        info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", f.name], check=True,
                                         capture_output=True, text=True).stdout)
    assert info["format"] == "qcow2" and "backing-filename" not in info and info["virtual-size"] == 1 << 30
    assert not os.path.exists(os.path.join(instance_dir(cloud, server), "disk.snapshot"))
    # The proxy lists it; its own project deletes it (204), and then it is gone.
    r = u("GET", "/images/detail?server=" + server)
    conforms(images_v21.list_images_details, r.json())
    assert [i["id"] for i in r.json()["images"]] == [image_id]
    r = u("GET", "/images?type=test")
    conforms(images_v21.list_images, r.json())
    assert [i["id"] for i in r.json()["images"]] == [image_id]
    r = u("DELETE", "/images/" + image_id)
    assert r.status_code == 204 and r.content == b""
    assert u("GET", "/images/" + image_id).status_code == 404
    assert u("DELETE", "/images/" + image_id).status_code == 404


def test_create_image_v245_and_states(cloud, env, server, name):
    u = env.user
    r = u.action(server, {"createImage": {"name": name + "-₡"}}, "2.45")
    assert r.status_code == 202 and "Location" not in r.headers
    conforms(images_v245.create_image, r.json())
    image_id = r.json()["image_id"]
    u.wait(server, "ACTIVE")
    assert glance(cloud, env.token, image_id).json()["name"] == name + "-₡"
    # Locked servers may be snapshotted (Nova checks no lock here); stopped ones too.
    assert u.action(server, {"lock": None}).status_code == 202
    assert u.action(server, {"os-stop": None}).status_code == 409
    assert env.admin.action(server, {"os-stop": None}).status_code == 202
    u.wait(server, "SHUTOFF")
    r = u.action(server, {"createImage": {"name": name + "-2"}}, "2.45")
    assert r.status_code == 202, r.text
    u.wait(server, "SHUTOFF")
    assert u.action(server, {"unlock": None}).status_code == 202
    for i in (image_id, r.json()["image_id"]):
        wait_for(lambda: glance(cloud, env.token, i).json()["status"] == "active", 60, "the snapshot")
        assert cloud.image_api("DELETE", "/images/" + i, env.token).status_code == 204


def test_create_image_refusals(cloud, env, server):
    u = env.user
    assert u.action(str(uuid.uuid4()), {"createImage": {"name": "x"}}).status_code == 404
    for body in ({"createImage": {}}, {"createImage": {"name": ""}}, {"createImage": {"name": "x", "metadata": []}},
                 {"createImage": {"name": "x", "bad": 1}}):
        assert u.action(server, body).status_code == 400, body
    # An image attribute is not metadata; the metadata quota applies before 2.39 only.
    assert u.action(server, {"createImage": {"name": "x", "metadata": {"visibility": "public"}}}).status_code == 400
    many = {"k%d" % i: "v" for i in range(129)}
    r = u.action(server, {"createImage": {"name": "x", "metadata": many}})
    assert r.status_code == 403 and r.json()["forbidden"]["message"] == "Image metadata limit exceeded"
    # Nothing was left behind by the refusals.
    mine = cloud.image_api("GET", "/images?owner=" + env.project["id"], env.token).json()["images"]
    assert [i for i in mine if i.get("instance_uuid") == server] == []
    # Paused and suspended servers are snapshotted in their state, and stay in it.
    assert u.action(server, {"pause": None}).status_code == 202
    u.wait(server, "PAUSED")
    r = u.action(server, {"createImage": {"name": "gureum-test-paused"}}, "2.45")
    assert r.status_code == 202
    assert u.wait(server, "PAUSED")["OS-EXT-STS:power_state"] == 3
    assert glance(cloud, env.token, r.json()["image_id"]).json()["status"] == "active"
    assert cloud.image_api("DELETE", "/images/" + r.json()["image_id"], env.token).status_code == 204
    assert u.action(server, {"unpause": None}).status_code == 202
    u.wait(server, "ACTIVE")
    assert u.action(server, {"suspend": None}).status_code == 202
    u.wait(server, "SUSPENDED")
    assert u.action(server, {"rescue": None}).status_code == 409
    r = u.action(server, {"createImage": {"name": "gureum-test-susp"}}, "2.45")
    assert r.status_code == 202
    u.wait(server, "SUSPENDED")
    assert cloud.image_api("DELETE", "/images/" + r.json()["image_id"], env.token).status_code == 204


def test_image_proxy(cloud, env):
    u = env.user
    r = u("GET", "/images/" + env.image)
    conforms(images_v21.get_image, r.json())
    img = r.json()["image"]
    assert img["status"] == "ACTIVE" and img["metadata"] == {"hw_disk_bus": "virtio"} and "server" not in img
    assert [l["rel"] for l in img["links"]] == ["self", "bookmark", "alternate"]
    assert img["OS-EXT-IMG-SIZE:size"] > 0
    # Paging, and the versions the proxy exists in.
    r = u("GET", "/images?limit=1")
    assert len(r.json()["images"]) == 1 and r.json()["images_links"][0]["rel"] == "next"
    marker = r.json()["images"][0]["id"]
    r = u("GET", "/images?marker=" + marker)
    assert marker not in [i["id"] for i in r.json()["images"]]
    assert u("GET", "/images?limit=x").status_code == 400
    assert u("GET", "/images/" + env.image, "2.35").status_code == 200
    assert u("GET", "/images/" + env.image, "2.36").status_code == 404
    assert u("GET", "/images", "2.36").status_code == 404
    assert u("GET", "/images/" + str(uuid.uuid4())).status_code == 404
    assert u("GET", "/images/not-an-id").status_code == 404
    # A public image of the admin's cannot be deleted by a member.
    assert u("DELETE", "/images/" + env.image).status_code == 403


def test_image_metadata_proxy(cloud, env, name):
    admin = env.admin
    r = cloud.image_api("POST", "/images", env.admin_token, json={"name": name, "a": "1", "b": "2"})
    image_id = r.json()["id"]
    try:
        path = "/images/%s/metadata" % image_id
        r = admin("GET", path)
        conforms(images_v21.image_metadata, r.json())
        assert r.json()["metadata"] == {"a": "1", "b": "2"}
        r = admin("POST", path, json={"metadata": {"b": "3", "c": "4"}})
        assert r.status_code == 200 and r.json()["metadata"] == {"a": "1", "b": "3", "c": "4"}
        r = admin("PUT", path, json={"metadata": {"d": "5"}})
        assert r.status_code == 200 and r.json()["metadata"] == {"d": "5"}
        assert admin("GET", path).json()["metadata"] == {"d": "5"}
        r = admin("PUT", path + "/e", json={"meta": {"e": "6"}})
        assert r.status_code == 200 and r.json() == {"meta": {"e": "6"}}
        assert admin("PUT", path + "/e", json={"meta": {"f": "6"}}).status_code == 400
        assert admin("PUT", path + "/e", json={"meta": {"e": "6", "f": "7"}}).status_code == 400
        r = admin("GET", path + "/e")
        conforms(images_v21.image_meta_item, r.json())
        assert r.json() == {"meta": {"e": "6"}}
        r = admin("DELETE", path + "/e")
        assert r.status_code == 204 and r.content == b""
        assert admin("GET", path + "/e").status_code == 404
        assert admin("DELETE", path + "/e").status_code == 404
        assert admin("GET", path, "2.38").status_code == 200
        assert admin("GET", path, "2.39").status_code == 404
        # A member of another project sees no such image.
        assert env.user("GET", path).status_code == 404
    finally:
        cloud.image_api("DELETE", "/images/" + image_id, env.admin_token)


def test_change_password(env, server):
    u = env.user
    u.conflict(server, {"changePassword": {"adminPass": "x"}}, "QEMU guest agent is not enabled")
    assert u.action(server, {"changePassword": {}}).status_code == 400
    assert u.action(str(uuid.uuid4()), {"changePassword": {"adminPass": "x"}}).status_code == 404
    assert u.action(server, {"os-stop": None}).status_code == 202
    u.wait(server, "SHUTOFF")
    u.conflict(server, {"changePassword": {"adminPass": "x"}},
               "Cannot 'changePassword' instance %s while it is in vm_state stopped" % server)


def test_rescue_unrescue(cloud, env, server):
    u = env.user
    r = u.action(server, {"rescue": None})
    assert r.status_code == 200, r.text
    conforms(servers_v21.rescue_server_with_admin_pass, r.json())
    s = u.wait(server, "RESCUE")
    assert s["OS-EXT-STS:vm_state"] == "rescued" and s["OS-EXT-STS:power_state"] == 1
    assert os.path.exists(os.path.join(instance_dir(cloud, server), "disk.rescue"))
    u.conflict(server, {"rescue": None}, "Cannot 'rescue' instance %s while it is in vm_state rescued" % server)
    u.conflict(server, {"rebuild": {"imageRef": env.image}})
    assert u.action(server, {"unrescue": None}).status_code == 202
    s = u.wait(server, "ACTIVE")
    assert not os.path.exists(os.path.join(instance_dir(cloud, server), "disk.rescue"))
    u.conflict(server, {"unrescue": None}, "Cannot 'unrescue' instance %s while it is in vm_state active" % server)
    # With a password and another image; a stopped server may be rescued too.
    assert u.action(server, {"os-stop": None}).status_code == 202
    u.wait(server, "SHUTOFF")
    r = u.action(server, {"rescue": {"adminPass": "pw", "rescue_image_ref": env.alt}})
    assert r.status_code == 200 and r.json() == {"adminPass": "pw"}
    u.wait(server, "RESCUE")
    assert u.action(server, {"unrescue": {}}).status_code == 202
    u.wait(server, "ACTIVE")


def test_rescue_refusals(env, server):
    u = env.user
    missing = str(uuid.uuid4())
    r = u.action(server, {"rescue": {"rescue_image_ref": missing}})
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == \
        "Requested rescue image '%s' is not supported" % missing
    assert u.action(server, {"rescue": {"rescue_image_ref": "x"}}).status_code == 400
    assert u.action(server, {"rescue": {"other": 1}}).status_code == 400
    assert u.action(missing, {"rescue": None}).status_code == 404
    assert u.action(server, {"pause": None}).status_code == 202
    u.wait(server, "PAUSED")
    u.conflict(server, {"rescue": None}, "Cannot 'rescue' instance %s while it is in vm_state paused" % server)


def test_shelve_unshelve(cloud, env, server, name):
    u, admin = env.user, env.admin
    r = u.action(server, {"shelve": None})
    assert r.status_code == 202 and r.content in (b"", b"null")
    s = u.wait(server, "SHELVED_OFFLOADED")
    assert s["OS-EXT-STS:power_state"] == 4
    assert admin.server(server)["OS-EXT-SRV-ATTR:host"] is None and s["hostId"] == ""
    assert not os.path.exists(instance_dir(cloud, server))
    shelved = [i for i in cloud.image_api("GET", "/images", env.token).json()["images"] if i["name"] == name + "-shelved"]
    assert len(shelved) == 1 and shelved[0]["status"] == "active" and shelved[0]["instance_uuid"] == server
    u.conflict(server, {"shelve": None}, "Cannot 'shelve' instance %s while it is in vm_state shelved_offloaded" % server)
    u.conflict(server, {"shelveOffload": None},
               "Cannot 'shelveOffload' instance %s while it is in vm_state shelved_offloaded" % server)
    u.conflict(server, {"os-start": None})
    # 2.77: a zone that is not there is a 400; {} names no zone.
    r = u.action(server, {"unshelve": {"availability_zone": "gureum-test-nowhere"}}, "2.77")
    assert r.status_code == 400 and r.json()["badRequest"]["message"] == \
        "The requested availability zone is not available"
    assert u.action(server, {"unshelve": {}}, "2.77").status_code == 400
    r = u.action(server, {"unshelve": {"availability_zone": "nova"}}, "2.77")
    assert r.status_code == 202, r.text
    s = u.wait(server, "ACTIVE")
    assert s["OS-EXT-STS:power_state"] == 1 and s["image"]["id"] == env.image and s["hostId"] != ""
    assert admin.server(server)["OS-EXT-SRV-ATTR:host"] is not None
    assert glance(cloud, env.token, shelved[0]["id"]).status_code == 404
    assert os.path.exists(os.path.join(instance_dir(cloud, server), "disk"))
    u.conflict(server, {"unshelve": None}, "Cannot 'unshelve' instance %s while it is in vm_state active" % server)
    # A zone for a server that is not offloaded is a 409 (Nova's message).
    r = u.action(server, {"unshelve": {"availability_zone": "nova"}}, "2.77")
    assert r.status_code == 409


def test_shelve_stopped_then_unshelve(env, server):
    u = env.user
    assert u.action(server, {"os-stop": None}).status_code == 202
    u.wait(server, "SHUTOFF")
    assert u.action(server, {"shelve": {}}).status_code == 202
    u.wait(server, "SHELVED_OFFLOADED")
    assert u.action(server, {"unshelve": None}).status_code == 202
    assert u.wait(server, "ACTIVE")["OS-EXT-STS:power_state"] == 1


def test_reset_state(env, server):
    u, admin = env.user, env.admin
    r = u.action(server, {"os-resetState": {"state": "error"}})
    assert r.status_code == 403, r.text
    assert admin.action(server, {"os-resetState": {"state": "bad"}}).status_code == 400
    assert admin.action(str(uuid.uuid4()), {"os-resetState": {"state": "error"}}).status_code == 404
    r = admin.action(server, {"os-resetState": {"state": "error"}})
    assert r.status_code == 202 and r.content in (b"", b"null")
    s = u.server(server)
    assert s["status"] == "ERROR" and s["OS-EXT-STS:task_state"] is None
    assert admin.action(server, {"os-resetState": {"state": "active"}}).status_code == 202
    assert u.server(server)["status"] == "ACTIVE"


def test_delete_while_shelved(cloud, env, name):
    u = env.user
    sid = u.boot(name, env.image)
    assert u.action(sid, {"shelve": None}).status_code == 202
    u.wait(sid, "SHELVED_OFFLOADED")
    shelved = [i for i in cloud.image_api("GET", "/images", env.token).json()["images"] if i["name"] == name + "-shelved"]
    assert len(shelved) == 1
    u.delete(sid)
    # The shelved snapshot goes with the server, as in Nova.
    assert glance(cloud, env.token, shelved[0]["id"]).status_code == 404


def test_delete_during_snapshot(cloud, env, name):
    """A server deleted while its snapshot is made leaves a complete image or none, never a queued one."""
    u = env.user
    sid = u.boot(name, env.image)
    r = u.action(sid, {"createImage": {"name": name}}, "2.45")
    assert r.status_code == 202
    u.delete(sid)
    img = glance(cloud, env.token, r.json()["image_id"])
    assert img.status_code == 404 or img.json()["status"] == "active", img.text
    cloud.image_api("DELETE", "/images/" + r.json()["image_id"], env.token)


# ---------------------------------------------------------------------------
# Real guests under libvirt, driven with the openstack CLI.

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEST_IMAGE = os.path.join(REPO, "build", "test-image.qcow2")
GUEST_TIMEOUT = 180
# Runs at every boot: which disks the guest has and how much memory (rescue and resize show in them).
USER_DATA = "#!/bin/sh\necho disks=$(ls /sys/block | grep vd | tr '\\n' ,) mem=$(grep MemTotal /proc/meminfo | tr -s ' ')\n"


def virsh(*args):
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], capture_output=True, text=True)


class Guests:
    """A libvirt cloud, the test image twice in Glance, a member's CLI
    environment, and the servers the tests boot (all deleted at the end,
    their domains checked gone)."""

    def __init__(self):
        subprocess.run([os.path.join(REPO, "tools", "build-test-image")], check=True, capture_output=True)
        subprocess.run([os.path.join(REPO, "scripts", "start-libvirt")], check=True)
        self.cloud = Cloud(virt="libvirt")
        self.servers = []
        try:
            os.chmod(self.cloud.state, 0o711)   # QEMU (libvirt-qemu) must reach the disks below
            admin, _ = self.cloud.token()
            self.image = image_upload(self.cloud, admin, "gureum-test-guest", TEST_IMAGE)
            self.alt = image_upload(self.cloud, admin, "gureum-test-guest-alt", TEST_IMAGE)
            name = "gureum-test-lv-" + uuid.uuid4().hex[:6]
            _, self.project, token = self.cloud.make_user(name)
            self.api = Compute(self.cloud, token)
            self.admin = Compute(self.cloud, admin)
            self.env = self.cloud.env()
            self.env.update(OS_USERNAME=name, OS_PASSWORD="pw-" + name, OS_PROJECT_NAME=name + "-p")
        except BaseException:
            self.close()
            raise

    def cli(self, *args):
        return self.cloud.openstack(*args, env=self.env)

    def boot(self, name, image=None, flavor=NANO):
        import base64
        sid = self.api.boot(name, image or self.image, flavor, wait=False, config_drive=True,
                            user_data=base64.b64encode(USER_DATA.encode()).decode())
        self.servers.append(sid)
        return sid

    def resize(self, sid, flavor):
        """openstack server resize, which looks the flavor up first: through the API while this
        tree has no flavors API (it comes with issue 9's resources part)."""
        if self.api("GET", "/flavors/" + flavor).status_code == 200:
            self.cli("server", "resize", "--flavor", flavor, sid)
        else:
            assert self.api.action(sid, {"resize": {"flavorRef": flavor}}).status_code == 202

    def console(self, sid):
        r = self.api.action(sid, {"os-getConsoleOutput": {"length": None}})
        assert r.status_code == 200, r.text
        return r.json()["output"]

    def lines(self, sid, prefix):
        return [l.strip() for l in self.console(sid).splitlines() if l.startswith(prefix)]

    def booted(self, sid, times, status="ACTIVE"):
        """Waits for the server's status and the end of its times-th boot (GUEST-READY, then the user
        data's USERDATA-EXIT); returns the lines the user data printed, one per boot."""
        self.api.wait(sid, status, GUEST_TIMEOUT)
        try:
            wait_for(lambda: len(self.lines(sid, "USERDATA-EXIT")) >= times, GUEST_TIMEOUT,
                     "boot %d of server %s" % (times, sid))
        except AssertionError as e:
            s = self.api.server(sid)
            raise AssertionError("%s: it is %s, power %s; its console ends with %r" % (
                e, s["status"], s["OS-EXT-STS:power_state"], self.console(sid)[-600:])) from None
        assert len(self.lines(sid, "GUEST-READY")) == times
        return self.lines(sid, "USERDATA: disks=")

    def close(self):
        try:
            for sid in self.servers:
                self.admin("DELETE", "/servers/" + sid)
            for sid in self.servers:
                wait_for(lambda: self.admin("GET", "/servers/" + sid).status_code == 404, 120, "server %s to go" % sid)
        finally:
            self.cloud.close()
            leftovers = [sid for sid in self.servers if sid in virsh("list", "--all", "--uuid").stdout]
            for sid in leftovers:
                virsh("destroy", "gureum-" + sid)
                virsh("undefine", "--managed-save", "gureum-" + sid)
            assert not leftovers, "domains left behind: %s" % leftovers


@pytest.fixture(scope="class")
def guests(request):
    g = Guests()
    try:
        yield g
    finally:
        g.close()


@pytest.fixture(scope="class")
def booted(guests):
    """The servers of the tests, booted all at once (boots are the slow part)."""
    names = ("rebuild", "resize", "snapshot", "rescue", "shelve")
    ids = {n: guests.boot("gureum-test-%s-%s" % (n, uuid.uuid4().hex[:4])) for n in names}
    for sid in ids.values():
        guests.booted(sid, 1)
    return ids


@pytest.fixture(autouse=True)
def daemon_log(request):
    """Prints what gureumd logged during a libvirt test (not the access lines): pytest shows it if the test fails."""
    if "guests" not in request.fixturenames:
        yield
        return
    guests = request.getfixturevalue("guests")
    start = len(guests.cloud.read_log())
    yield
    print("\n".join(l for l in guests.cloud.read_log()[start:].splitlines() if "subsys=access" not in l))


@pytest.mark.usefixtures("booted")
@pytest.mark.guest
class TestLibvirt:
    def test_rebuild(self, guests, booted):
        sid = booted["rebuild"]
        name = "gureum-test-rebuilt-" + uuid.uuid4().hex[:4]
        out = guests.cli("server", "rebuild", "--image", guests.alt, "--name", name, "--password", "gureum-pw",
                         sid, "-f", "json")
        assert out["name"] == name and guests.alt in out["image"] and out["adminPass"] == "gureum-pw"
        assert len(guests.booted(sid, 2)) == 2
        s = guests.api.server(sid)
        assert s["image"]["id"] == guests.alt and s["name"] == name
        # The guest was made again from the image: its hostname stays the server's.
        assert guests.lines(sid, "GUEST-READY")[-1].startswith("GUEST-READY hostname=gureum-test-rebuild-")

    def test_resize_confirm_then_revert(self, guests, booted):
        sid = booted["resize"]
        guests.resize(sid, MICRO)
        mem = guests.booted(sid, 2, "VERIFY_RESIZE")
        assert mem[0] != mem[1], mem   # 192 MB of memory instead of 128
        # A run that finds the claim twice: the new one next to the old one until confirmed.
        guests.cli("server", "resize", "confirm", sid)
        s = guests.api.wait(sid, "ACTIVE", GUEST_TIMEOUT)
        assert s["flavor"]["id"] == MICRO
        guests.resize(sid, TINY)
        mem = guests.booted(sid, 3, "VERIFY_RESIZE")
        assert mem[2] != mem[1]
        guests.cli("server", "resize", "revert", sid)
        mem = guests.booted(sid, 4)
        assert mem[3] == mem[1], mem   # back to micro's memory
        assert guests.api.server(sid)["flavor"]["id"] == MICRO

    def test_create_image_and_boot_it(self, guests, booted):
        sid = booted["snapshot"]
        name = "gureum-test-snap-" + uuid.uuid4().hex[:4]
        img = guests.cli("server", "image", "create", "--name", name, sid, "-f", "json")
        assert img["name"] == name
        wait_for(lambda: glance(guests.cloud, guests.admin.token, img["id"]).json()["status"] == "active",
                 GUEST_TIMEOUT, "the snapshot")
        guests.api.wait(sid, "ACTIVE")
        # The snapshotted guest was saved and resumed, not booted again.
        assert len(guests.lines(sid, "GUEST-READY")) == 1 and guests.api.server(sid)["OS-EXT-STS:power_state"] == 1
        child = guests.boot(name + "-child", img["id"])
        guests.booted(child, 1)
        assert guests.lines(child, "GUEST-READY") == ["GUEST-READY hostname=%s-child ip=none" % name]
        assert "GUEST-READY" in guests.cli("console", "log", "show", child).stdout

    def test_rescue_unrescue(self, guests, booted):
        sid = booted["rescue"]
        out = guests.cli("server", "rescue", "--password", "rescue-pw", sid)
        disks = guests.booted(sid, 2, "RESCUE")
        assert "disks=vda,vdb," in disks[1], disks   # the rescue disk first, the server's own second
        assert "disk.rescue" in virsh("domblklist", "gureum-" + sid).stdout
        guests.cli("server", "unrescue", sid)
        disks = guests.booted(sid, 3)
        assert "disks=vda," in disks[2], disks
        assert "disk.rescue" not in virsh("domblklist", "gureum-" + sid).stdout
        assert out.returncode == 0

    def test_shelve_unshelve(self, guests, booted):
        sid = booted["shelve"]
        guests.cli("server", "shelve", "--wait", sid)
        s = guests.api.wait(sid, "SHELVED_OFFLOADED", GUEST_TIMEOUT)
        assert sid not in virsh("list", "--all", "--uuid").stdout
        assert not os.path.exists(instance_dir(guests.cloud, sid))
        guests.cli("server", "unshelve", "--wait", sid)
        # A new guest from the shelved image, with a console log of its own (the old one left with the host).
        guests.booted(sid, 1)
        assert s["OS-EXT-STS:power_state"] == 4 and guests.api.server(sid)["OS-EXT-STS:power_state"] == 1
        # Admins may set a state by hand (os-resetState).
        guests.cloud.openstack("server", "set", "--state", "error", sid)
        assert guests.api.server(sid)["status"] == "ERROR"
