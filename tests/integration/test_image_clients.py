# SPDX-License-Identifier: Apache-2.0
#
# Images through Debian's openstack CLI and openstacksdk, with the test
# guest image when it has been built (tools/build-test-image), else a
# small qcow2 made here.
import hashlib
import os
import subprocess

import openstack

from gureum_cloud import ROOT

TEST_IMAGE = os.path.join(ROOT, "build", "test-image.qcow2")


def image_file(tmp_path):
    if not os.path.exists(TEST_IMAGE):
        subprocess.run([os.path.join(ROOT, "tools", "build-test-image")], check=True, capture_output=True)
    return TEST_IMAGE


def test_openstack_cli_image(cloud, name, tmp_path):
    env = cloud.env()
    path = image_file(tmp_path)
    data = open(path, "rb").read()
    img = cloud.openstack("image", "create", "--disk-format", "qcow2", "--container-format", "bare",
                          "--file", path, name, "-f", "json", env=env)
    token, _ = cloud.token()
    shown = cloud.image_api("GET", "/images/" + img["id"], token).json()
    assert shown["status"] == "active"
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["virtual_size"] > shown["size"] > 0

    out = tmp_path / "saved"
    cloud.openstack("image", "save", "--file", str(out), name, env=env)
    assert out.read_bytes() == data

    cloud.openstack("image", "set", "--property", "os_distro=gureum", "--tag", "blue", name, env=env)
    shown = cloud.openstack("image", "show", name, "-f", "json", env=env)
    assert shown["properties"]["os_distro"] == "gureum" and "blue" in shown["tags"]

    for flag, vis in (("--private", "private"), ("--public", "public"), ("--shared", "shared")):
        cloud.openstack("image", "set", flag, name, env=env)
        assert cloud.openstack("image", "show", name, "-f", "json", env=env)["visibility"] == vis

    other = cloud.openstack("project", "create", name + "-other", "-f", "json", env=env)
    member = cloud.openstack("image", "add", "project", name, other["id"], "-f", "json", env=env)
    assert member["status"] == "pending" and member["member_id"] == other["id"]
    members = cloud.openstack("image", "member", "list", name, "-f", "json", env=env)
    assert [m["Member ID"] for m in members] == [other["id"]]
    cloud.openstack("image", "remove", "project", name, other["id"], env=env)
    assert cloud.openstack("image", "member", "list", name, "-f", "json", env=env) == []

    listed = cloud.openstack("image", "list", "-f", "json", env=env)
    assert name in [i["Name"] for i in listed]
    cloud.openstack("image", "delete", name, env=env)
    cloud.openstack("project", "delete", other["id"], env=env)
    assert img["id"] not in cloud.store_files()


def test_openstacksdk_image(cloud, name):
    conn = openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    data = os.urandom(100_000)
    img = conn.image.create_image(name=name, data=data, disk_format="raw", container_format="bare",
                                  validate_checksum=False)
    try:
        img = conn.image.get_image(img.id)
        assert img.status == "active" and img.checksum == hashlib.md5(data).hexdigest()
        assert conn.image.download_image(img).content == data
        conn.image.update_image(img, name=name + "-renamed")
        assert conn.image.get_image(img.id).name == name + "-renamed"
        assert img.id in [i.id for i in conn.image.images()]
    finally:
        conn.image.delete_image(img)
