# SPDX-License-Identifier: Apache-2.0
#
# The compute service's resources beside servers (issue 9): flavors and
# their extra specs and access lists, key pairs, quota sets and limits,
# availability zones, hypervisors, services and tenant usage.  Driven by
# Debian's openstack CLI and openstacksdk where a user would, and by raw
# requests for exact shapes (checked against tempest's response schemas
# of each microversion), status codes and every 4xx.  The fake driver
# plays two compute hosts.
import base64
import hashlib
import importlib
import os
import re
import subprocess
import time

import openstack
import pytest
import requests
from tempest.lib.common import jsonschema_validator

from gureum_cloud import Cloud, wait_for

SCHEMAS = "tempest.lib.api_schema.response.compute."


def check_schema(version, module, name, response):
    """Validates a response as tempest does: its status and its body."""
    schema = getattr(importlib.import_module(SCHEMAS + version + "." + module), name)
    assert response.status_code in schema["status_code"], (response.status_code, response.text)
    if "response_body" in schema:
        validator = jsonschema_validator.JSONSCHEMA_VALIDATOR(schema["response_body"],
                                                               format_checker=jsonschema_validator.FORMAT_CHECKER)
        validator.validate(response.json())
    else:
        assert response.content == b"", response.content


class Nova:
    """Raw requests to the compute API as one caller, at a microversion."""

    def __init__(self, cloud, token):
        self.url = cloud.url + "/compute/v2.1"
        self.token = token

    def __call__(self, method, path, version=None, **kw):
        headers = kw.pop("headers", {})
        headers["X-Auth-Token"] = self.token
        if version:
            headers["OpenStack-API-Version"] = "compute " + version
        return requests.request(method, self.url + path, headers=headers, **kw)


def error(r, status, fragment=None):
    """r is Nova's error of status, whose message holds fragment."""
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    (fault,) = body.values()
    assert fault["code"] == status
    if fragment:
        assert fragment in fault["message"], fault["message"]
    return fault["message"]


@pytest.fixture(scope="module")
def cloud():
    c = Cloud(extra_config="fake_hosts = 2\n")
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def admin(cloud):
    token, body = cloud.token()
    nova = Nova(cloud, token)
    nova.project_id = body["project"]["id"]
    nova.user_id = body["user"]["id"]
    return nova


@pytest.fixture(scope="module")
def member(cloud):
    user, project, token = cloud.make_user("gureum-test-res-member")
    nova = Nova(cloud, token)
    nova.project_id = project["id"]
    nova.user_id = user["id"]
    return nova


@pytest.fixture(scope="module")
def image(cloud):
    """A small public raw image the fake driver boots."""
    token, _ = cloud.token()
    r = cloud.image_api("POST", "/images", token, json={"name": "gureum-test-res-image", "disk_format": "raw",
                                                         "container_format": "bare", "visibility": "public"})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = cloud.image_api("PUT", "/images/%s/file" % image_id, token, data=b"gureum" * 100,
                        headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id


def boot(nova, image, name, flavor="42", count=1):
    r = nova("POST", "/servers", json={"server": {"name": name, "imageRef": image, "flavorRef": flavor,
                                                  "min_count": count}})
    assert r.status_code == 202, r.text
    return r


def wait_active(nova, name_prefix, count):
    def ready():
        servers = nova("GET", "/servers/detail").json()["servers"]
        mine = [s for s in servers if s["name"].startswith(name_prefix)]
        if len(mine) == count and all(s["status"] == "ACTIVE" and not s["OS-EXT-STS:task_state"] for s in mine):
            return mine
        return None
    return wait_for(ready, timeout=120, what="servers %s* to become ACTIVE" % name_prefix)


def delete_servers(nova, name_prefix):
    for s in nova("GET", "/servers").json()["servers"]:
        if s["name"].startswith(name_prefix):
            nova("DELETE", "/servers/" + s["id"])
    wait_for(lambda: not [s for s in nova("GET", "/servers").json()["servers"] if s["name"].startswith(name_prefix)],
             timeout=120, what="servers %s* to go" % name_prefix)


# ---------------------------------------------------------------- flavors

def test_flavors_cli(cloud, name):
    env = cloud.env()
    listed = cloud.openstack("flavor", "list", "-f", "json", env=env)
    assert {"m1.tiny", "m1.nano", "m1.small"} <= {f["Name"] for f in listed}

    f = cloud.openstack("flavor", "create", "--ram", "96", "--vcpus", "2", "--disk", "3", "--ephemeral", "1",
                        "--swap", "64", "--property", "hw:cpu_policy=shared", name, "-f", "json", env=env)
    assert f["ram"] == 96 and f["vcpus"] == 2 and f["disk"] == 3 and f["swap"] == 64
    assert f["OS-FLV-EXT-DATA:ephemeral"] == 1 and f["os-flavor-access:is_public"] is True
    shown = cloud.openstack("flavor", "show", name, "-f", "json", env=env)
    assert shown["id"] == f["id"] and shown["properties"] == {"hw:cpu_policy": "shared"}

    cloud.openstack("flavor", "set", "--property", "quota:cpu_shares=512", name, env=env)
    cloud.openstack("flavor", "unset", "--property", "hw:cpu_policy", name, env=env)
    shown = cloud.openstack("flavor", "show", name, "-f", "json", env=env)
    assert shown["properties"] == {"quota:cpu_shares": "512"}
    cloud.openstack("flavor", "set", "--description", "small and shared", "--os-compute-api-version", "2.55", name,
                    env=env)
    shown = cloud.openstack("flavor", "show", "--os-compute-api-version", "2.55", name, "-f", "json", env=env)
    assert shown["description"] == "small and shared"
    cloud.openstack("flavor", "delete", name, env=env)
    p = cloud.openstack("flavor", "show", name, env=env, check=False)
    assert p.returncode != 0

    # A private flavor, offered to a project and withdrawn.
    project = cloud.openstack("project", "create", name + "-p", "-f", "json", env=env)
    private = cloud.openstack("flavor", "create", "--ram", "64", "--vcpus", "1", "--disk", "0", "--private",
                              "--project", project["id"], name + "-private", "-f", "json", env=env)
    assert private["os-flavor-access:is_public"] is False
    shown = cloud.openstack("flavor", "show", private["id"], "-f", "json", env=env)
    assert shown["access_project_ids"] == [project["id"]]
    assert name + "-private" not in {f["Name"] for f in cloud.openstack("flavor", "list", "-f", "json", env=env)}
    assert name + "-private" in {f["Name"] for f in
                                 cloud.openstack("flavor", "list", "--private", "-f", "json", env=env)}
    cloud.openstack("flavor", "unset", "--project", project["id"], private["id"], env=env)
    shown = cloud.openstack("flavor", "show", private["id"], "-f", "json", env=env)
    assert shown["access_project_ids"] == []
    cloud.openstack("flavor", "delete", private["id"], env=env)
    cloud.openstack("project", "delete", project["id"], env=env)


def test_flavors_sdk(cloud, name):
    conn = openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    try:
        f = conn.compute.create_flavor(name=name, ram=128, vcpus=1, disk=1, id=name + "-id")
        assert f.id == name + "-id"
        got = conn.compute.get_flavor(f.id)
        assert got.name == name and got.ram == 128 and got.is_public
        assert name in {x.name for x in conn.compute.flavors()}
        conn.compute.create_flavor_extra_specs(f, {"k1": "v1"})
        assert conn.compute.fetch_flavor_extra_specs(f).extra_specs == {"k1": "v1"}
        conn.compute.delete_flavor(f)
        assert conn.compute.find_flavor(name) is None
    finally:
        conn.close()


def test_flavor_shapes(admin, name):
    listed = admin("GET", "/flavors")
    check_schema("v2_1", "flavors", "list_flavors", listed)
    detail = admin("GET", "/flavors/detail")
    check_schema("v2_1", "flavors", "list_flavors_details", detail)
    shown = admin("GET", "/flavors/1")
    check_schema("v2_1", "flavors", "create_update_get_flavor_details", shown)
    flavor = shown.json()["flavor"]
    # What tempest's test_list_flavors and test_list_flavors_with_detail compare.
    assert {k: flavor[k] for k in ("id", "links", "name")} in listed.json()["flavors"]
    assert flavor in detail.json()["flavors"]
    assert flavor["swap"] == "" and flavor["rxtx_factor"] == 1.0 and flavor["id"] == "1"
    assert flavor["links"][0]["href"].endswith("/compute/v2.1/flavors/1")
    assert flavor["links"][1] == {"rel": "bookmark", "href": flavor["links"][0]["href"].replace("/v2.1", "")}
    assert "description" not in flavor and "extra_specs" not in flavor

    check_schema("v2_55", "flavors", "list_flavors", admin("GET", "/flavors", "2.55"))
    check_schema("v2_55", "flavors", "list_flavors_details", admin("GET", "/flavors/detail", "2.55"))
    check_schema("v2_55", "flavors", "create_update_get_flavor_details", admin("GET", "/flavors/1", "2.55"))
    check_schema("v2_61", "flavors", "list_flavors_details", admin("GET", "/flavors/detail", "2.61"))
    check_schema("v2_61", "flavors", "create_update_get_flavor_details", admin("GET", "/flavors/1", "2.61"))
    assert admin("GET", "/flavors/1", "2.61").json()["flavor"]["extra_specs"] == {}
    # From 2.75 no swap is 0, not "".
    assert admin("GET", "/flavors/1", "2.75").json()["flavor"]["swap"] == 0

    r = admin("POST", "/flavors", "2.61", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0,
                                                          "id": name, "description": "d"}})
    check_schema("v2_61", "flavors", "create_update_get_flavor_details", r)
    assert r.json()["flavor"]["extra_specs"] == {} and r.json()["flavor"]["description"] == "d"
    r = admin("PUT", "/flavors/" + name, "2.55", json={"flavor": {"description": None}})
    check_schema("v2_55", "flavors", "create_update_get_flavor_details", r)
    assert r.json()["flavor"]["description"] is None
    r = admin("DELETE", "/flavors/" + name)
    check_schema("v2_1", "flavors", "delete_flavor", r)


def test_flavor_list_filters(admin, member, name):
    admin("POST", "/flavors", json={"flavor": {"name": name + "-a", "ram": 100000, "vcpus": 1, "disk": 500,
                                               "id": name + "-a"}})
    admin("POST", "/flavors", json={"flavor": {"name": name + "-b", "ram": 100001, "vcpus": 1, "disk": 1,
                                               "id": name + "-b", "os-flavor-access:is_public": False}})
    try:
        ids = lambda r: [f["id"] for f in r.json()["flavors"]]  # noqa: E731
        assert ids(admin("GET", "/flavors", params={"minRam": 100000})) == [name + "-a"]
        assert ids(admin("GET", "/flavors", params={"minRam": 100000, "is_public": "none"})) == [name + "-a",
                                                                                                 name + "-b"]
        assert ids(admin("GET", "/flavors", params={"minRam": 100000, "is_public": "false"})) == [name + "-b"]
        assert ids(admin("GET", "/flavors", params={"minDisk": 400})) == [name + "-a"]
        # Non-admins see only public flavors, whatever they ask.
        assert ids(member("GET", "/flavors", params={"minRam": 100000, "is_public": "none"})) == [name + "-a"]
        error(member("GET", "/flavors/" + name + "-b"), 404, "Flavor %s-b could not be found." % name)
        by_ram = ids(admin("GET", "/flavors", params={"sort_key": "memory_mb", "sort_dir": "desc"}))
        assert by_ram[0] == name + "-a"
        # Paging: a full page links to the next one.
        page = admin("GET", "/flavors", params={"limit": 2})
        assert len(page.json()["flavors"]) == 2
        nxt = page.json()["flavors_links"][0]
        assert nxt["rel"] == "next" and "marker=" in nxt["href"]
        second = requests.get(nxt["href"], headers={"X-Auth-Token": admin.token})
        assert second.status_code == 200 and ids(second)[0] not in ids(page)
        rest = ids(admin("GET", "/flavors", params={"marker": ids(page)[1]}))
        assert rest == ids(admin("GET", "/flavors"))[2:]
        error(admin("GET", "/flavors", params={"marker": "nope"}), 400, "marker [nope] not found")
        error(admin("GET", "/flavors", params={"limit": "-1"}), 400)
        error(admin("GET", "/flavors", params={"limit": "x"}), 400)
        error(admin("GET", "/flavors", params={"minRam": "x"}), 400, "Invalid minRam filter [x]")
        error(admin("GET", "/flavors", params={"minDisk": "1.5"}), 400, "Invalid minDisk filter")
        error(admin("GET", "/flavors", params={"is_public": "maybe"}), 400, "Invalid is_public filter [maybe]")
        error(admin("GET", "/flavors", params={"sort_key": "bogus"}), 400)
        error(admin("GET", "/flavors", params={"sort_dir": "up"}), 400)
        # Unknown parameters are ignored until 2.75.
        assert admin("GET", "/flavors", params={"bogus": "1"}).status_code == 200
        error(admin("GET", "/flavors", "2.75", params={"bogus": "1"}), 400, "bogus")
    finally:
        admin("DELETE", "/flavors/" + name + "-a")
        admin("DELETE", "/flavors/" + name + "-b")


def test_flavor_create_errors(admin, member, name):
    base = {"name": name, "ram": 64, "vcpus": 1, "disk": 0, "id": name}
    r = admin("POST", "/flavors", json={"flavor": base})
    assert r.status_code == 200, r.text
    try:
        error(admin("POST", "/flavors", json={"flavor": dict(base, name=name + "-x")}), 409,
              "Flavor with ID %s already exists." % name)
        error(admin("POST", "/flavors", json={"flavor": dict(base, id=name + "-x")}), 409,
              "Flavor with name %s already exists." % name)
        error(member("POST", "/flavors", json={"flavor": dict(base, id=name + "-m", name=name + "-m")}), 403)
        bad = [
            {"ram": 0}, {"vcpus": 0}, {"ram": "x"}, {"ram": "1.5"}, {"ram": 1.5}, {"disk": -1}, {"swap": -1},
            {"OS-FLV-EXT-DATA:ephemeral": -1}, {"ram": 2 ** 31}, {"rxtx_factor": 0}, {"rxtx_factor": "x"},
            {"os-flavor-access:is_public": "maybe"}, {"id": ""}, {"id": "a/b"}, {"id": " lead"}, {"id": ".."},
            {"id": "x" * 256}, {"name": " lead"}, {"name": ""}, {"name": "x" * 256}, {"bogus": 1},
            {"description": "only from 2.55"},
        ]
        for change in bad:
            body = dict(base, id=name + "-bad", name=name + "-bad")
            body.update(change)
            error(admin("POST", "/flavors", json={"flavor": body}), 400)
        for missing in ("name", "ram", "vcpus", "disk"):
            body = dict(base, id=name + "-bad", name=name + "-bad")
            del body[missing]
            error(admin("POST", "/flavors", json={"flavor": body}), 400, missing)
        error(admin("POST", "/flavors", json={}), 400)
        # Accepted odd forms: numbers as strings, a numeric id, a generated id.
        r = admin("POST", "/flavors", json={"flavor": {"name": name + "-s", "ram": "64", "vcpus": "2", "disk": "0",
                                                      "rxtx_factor": "2.5", "id": 12345678,
                                                      "os-flavor-access:is_public": "False"}})
        assert r.status_code == 200, r.text
        f = r.json()["flavor"]
        assert (f["id"], f["ram"], f["vcpus"], f["rxtx_factor"]) == ("12345678", 64, 2, 2.5)
        assert f["os-flavor-access:is_public"] is False
        admin("DELETE", "/flavors/12345678")
        r = admin("POST", "/flavors", json={"flavor": {"name": name + "-u", "ram": 64, "vcpus": 1, "disk": 0}})
        generated = r.json()["flavor"]["id"]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", generated)
        admin("DELETE", "/flavors/" + generated)
        # Update exists from 2.55 only, and for admins.
        error(admin("PUT", "/flavors/" + name, "2.54", json={"flavor": {"description": "x"}}), 404)
        error(member("PUT", "/flavors/" + name, "2.55", json={"flavor": {"description": "x"}}), 403)
        error(admin("PUT", "/flavors/nope", "2.55", json={"flavor": {"description": "x"}}), 404,
              "Flavor nope could not be found.")
        error(admin("PUT", "/flavors/" + name, "2.55", json={"flavor": {"name": "x"}}), 400)
        error(member("DELETE", "/flavors/" + name), 403)
    finally:
        r = admin("DELETE", "/flavors/" + name)
        assert r.status_code == 202 and r.content == b""
    error(admin("DELETE", "/flavors/" + name), 404, "Flavor %s could not be found." % name)
    error(admin("GET", "/flavors/" + name), 404)


def test_flavor_in_use_can_be_deleted(admin, image, name):
    admin("POST", "/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 1, "id": name}})
    boot(admin, image, name, flavor=name)
    server = wait_active(admin, name, 1)[0]
    assert admin("DELETE", "/flavors/" + name).status_code == 202
    # The server keeps its copy of the flavor.
    shown = admin("GET", "/servers/" + server["id"], "2.47").json()["server"]
    assert shown["flavor"]["original_name"] == name and shown["flavor"]["ram"] == 64
    delete_servers(admin, name)


def test_extra_specs(admin, member, name):
    admin("POST", "/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0, "id": name}})
    path = "/flavors/%s/os-extra_specs" % name
    try:
        r = admin("POST", path, json={"extra_specs": {"hw:cpu_policy": "dedicated"}})
        check_schema("v2_1", "flavors_extra_specs", "set_get_flavor_extra_specs", r)
        # The answer is the request as it came, numbers and all; the stored values are strings.
        r = admin("POST", path, json={"extra_specs": {"hw:numa_nodes": 2}})
        assert r.status_code == 200 and r.json() == {"extra_specs": {"hw:numa_nodes": 2}}
        r = admin("GET", path)
        check_schema("v2_1", "flavors_extra_specs", "set_get_flavor_extra_specs", r)
        assert r.json() == {"extra_specs": {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"}}
        r = admin("PUT", path + "/hw:numa_nodes", json={"hw:numa_nodes": "1"})
        check_schema("v2_1", "flavors_extra_specs", "set_get_flavor_extra_specs_key", r)
        r = admin("GET", path + "/hw:numa_nodes")
        check_schema("v2_1", "flavors_extra_specs", "set_get_flavor_extra_specs_key", r)
        assert r.json() == {"hw:numa_nodes": "1"}
        # Members read them, in the flavor too from 2.61; only admins write.
        assert member("GET", path).json()["extra_specs"]["hw:cpu_policy"] == "dedicated"
        assert member("GET", "/flavors/" + name, "2.61").json()["flavor"]["extra_specs"] == {
            "hw:cpu_policy": "dedicated", "hw:numa_nodes": "1"}
        assert "extra_specs" not in member("GET", "/flavors/" + name, "2.60").json()["flavor"]
        error(member("POST", path, json={"extra_specs": {"a": "b"}}), 403)
        error(member("PUT", path + "/a", json={"a": "b"}), 403)
        error(member("DELETE", path + "/hw:numa_nodes"), 403)
        # Nova's 400s and 404s.
        error(admin("PUT", path + "/a", json={"b": "c"}), 400, "Request body and URI mismatch")
        error(admin("PUT", path + "/a", json={"a": "b", "c": "d"}), 400)
        error(admin("PUT", path + "/a", json={}), 400)
        error(admin("POST", path, json={"extra_specs": {"bad/key": "v"}}), 400)
        error(admin("POST", path, json={"extra_specs": {"k" * 256: "v"}}), 400)
        error(admin("POST", path, json={"extra_specs": {"k": "v" * 256}}), 400)
        error(admin("POST", path, json={"extra_specs": {"k": 10 ** 300}}), 400)
        error(admin("POST", path, json={"extra_specs": {"k": True}}), 400)
        error(admin("POST", path, json={"extra_specs": {"k": None}}), 400)
        error(admin("POST", path, json={"specs": {}}), 400)
        error(admin("GET", path + "/nope"), 404, "Flavor %s has no extra specs with key nope." % name)
        error(admin("DELETE", path + "/nope"), 404, "Flavor %s has no extra specs with key nope." % name)
        error(admin("GET", "/flavors/nope/os-extra_specs"), 404, "Flavor nope could not be found.")
        error(admin("POST", "/flavors/nope/os-extra_specs", json={"extra_specs": {"a": "b"}}), 404)
        r = admin("DELETE", path + "/hw:numa_nodes")
        assert r.status_code == 200 and r.content == b""
        assert admin("GET", path).json() == {"extra_specs": {"hw:cpu_policy": "dedicated"}}
    finally:
        admin("DELETE", "/flavors/" + name)


def test_flavor_access(admin, member, name):
    admin("POST", "/flavors", json={"flavor": {"name": name, "ram": 64, "vcpus": 1, "disk": 0, "id": name,
                                               "os-flavor-access:is_public": False}})
    action = "/flavors/%s/action" % name
    try:
        r = admin("GET", "/flavors/%s/os-flavor-access" % name)
        check_schema("v2_1", "flavors_access", "add_remove_list_flavor_access", r)
        assert r.json() == {"flavor_access": []}
        error(admin("GET", "/flavors/1/os-flavor-access"), 404, "Access list not available for public flavors.")
        error(member("GET", "/flavors/%s/os-flavor-access" % name), 403)
        # A member cannot see the private flavor until its project is offered it.
        error(member("GET", "/flavors/" + name), 404)
        assert name not in [f["id"] for f in member("GET", "/flavors").json()["flavors"]]
        r = admin("POST", action, json={"addTenantAccess": {"tenant": member.project_id}})
        check_schema("v2_1", "flavors_access", "add_remove_list_flavor_access", r)
        assert r.json() == {"flavor_access": [{"flavor_id": name, "tenant_id": member.project_id}]}
        assert member("GET", "/flavors/" + name).status_code == 200
        assert name in [f["id"] for f in member("GET", "/flavors").json()["flavors"]]
        error(admin("POST", action, json={"addTenantAccess": {"tenant": member.project_id}}), 409,
              "Flavor access already exists for flavor %s and project %s combination." % (name, member.project_id))
        error(admin("POST", action, json={"addTenantAccess": {"tenant": "no-such-project"}}), 400,
              "Project ID no-such-project is not a valid project.")
        error(admin("POST", "/flavors/nope/action", json={"addTenantAccess": {"tenant": member.project_id}}), 404)
        error(member("POST", action, json={"removeTenantAccess": {"tenant": member.project_id}}), 403)
        error(admin("POST", action, json={"addTenantAccess": {}}), 400)
        error(admin("POST", action, json={"bogus": {"tenant": "x"}}), 400)
        error(admin("POST", action, json={"addTenantAccess": {"tenant": "x"}, "removeTenantAccess": {"tenant": "x"}}),
              400)
        r = admin("POST", action, json={"removeTenantAccess": {"tenant": member.project_id}})
        assert r.status_code == 200 and r.json() == {"flavor_access": []}
        error(admin("POST", action, json={"removeTenantAccess": {"tenant": member.project_id}}), 404,
              "Flavor access not found for %s / %s combination." % (name, member.project_id))
        error(member("GET", "/flavors/" + name), 404)
        # Public flavors: offering one is a no-op before 2.7 and a 409 from 2.7.
        assert admin("POST", "/flavors/1/action", "2.6",
                     json={"addTenantAccess": {"tenant": member.project_id}}).status_code == 200
        admin("POST", "/flavors/1/action", json={"removeTenantAccess": {"tenant": member.project_id}})
        error(admin("POST", "/flavors/1/action", "2.7", json={"addTenantAccess": {"tenant": member.project_id}}),
              409, "Can not add access to a public flavor.")
    finally:
        admin("DELETE", "/flavors/" + name)


# ---------------------------------------------------------------- key pairs

def ssh_key(tmp_path, kind, bits):
    path = tmp_path / ("key-%s-%s" % (kind, bits))
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-b", str(bits), "-N", "", "-C", "gureum test", "-f", str(path)],
                   check=True)
    public = (tmp_path / (path.name + ".pub")).read_text().strip()
    out = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(path) + ".pub"], check=True,
                         capture_output=True, text=True).stdout
    return public, re.search(r"MD5:([0-9a-f:]+)", out).group(1)


def test_keypairs_cli(cloud, name, tmp_path):
    env = cloud.env()
    p = cloud.openstack("keypair", "create", name, env=env)
    assert "-----BEGIN RSA PRIVATE KEY-----" in p.stdout
    public, fingerprint = ssh_key(tmp_path, "ed25519", 256)
    (tmp_path / "imported.pub").write_text(public + "\n")
    imported = cloud.openstack("keypair", "create", "--public-key", str(tmp_path / "imported.pub"), name + "-i",
                               "-f", "json", env=env)
    assert imported["fingerprint"] == fingerprint
    listed = {k["Name"]: k for k in cloud.openstack("keypair", "list", "-f", "json", env=env)}
    assert listed[name + "-i"]["Fingerprint"] == fingerprint and name in listed
    shown = cloud.openstack("keypair", "show", name + "-i", "-f", "json", env=env)
    assert shown["fingerprint"] == fingerprint
    p = cloud.openstack("keypair", "show", "--public-key", name + "-i", env=env)
    assert p.stdout.strip() == public
    cloud.openstack("keypair", "delete", name, name + "-i", env=env)
    assert cloud.openstack("keypair", "show", name, env=env, check=False).returncode != 0
    # The private key was generated in a directory of its own that is gone.
    assert not [f for f in os.listdir(cloud.state) if f.startswith("keygen-")]


def test_keypairs_sdk(cloud, name):
    conn = openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    try:
        kp = conn.compute.create_keypair(name=name)
        assert kp.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert kp.public_key.startswith("ssh-rsa ")
        got = conn.compute.get_keypair(name)
        assert got.fingerprint == kp.fingerprint and got.type == "ssh"
        assert name in {k.name for k in conn.compute.keypairs()}
        conn.compute.delete_keypair(name)
        assert conn.compute.find_keypair(name) is None
    finally:
        conn.close()


def test_keypair_generated_private_key_matches(admin, name, tmp_path):
    r = admin("POST", "/os-keypairs", json={"keypair": {"name": name}})
    check_schema("v2_1", "keypairs", "create_keypair", r)
    kp = r.json()["keypair"]
    assert kp["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    priv = tmp_path / "priv"
    priv.write_text(kp["private_key"])
    priv.chmod(0o600)
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(priv)], check=True, capture_output=True,
                             text=True).stdout.split()
    assert derived[:2] == kp["public_key"].split()[:2]
    blob = base64.b64decode(kp["public_key"].split()[1])
    assert kp["fingerprint"] == ":".join(re.findall("..", hashlib.md5(blob).hexdigest()))
    # The private key is shown once: never again.
    shown = admin("GET", "/os-keypairs/" + name).json()["keypair"]
    assert "private_key" not in shown and shown["public_key"] == kp["public_key"]
    admin("DELETE", "/os-keypairs/" + name)


def test_keypair_shapes_by_version(admin, name, tmp_path):
    public, fingerprint = ssh_key(tmp_path, "ecdsa", 384)
    # 2.1: 200 and 202, no type.
    r = admin("POST", "/os-keypairs", json={"keypair": {"name": name, "public_key": public}})
    check_schema("v2_1", "keypairs", "create_keypair", r)
    assert r.json()["keypair"]["fingerprint"] == fingerprint and "type" not in r.json()["keypair"]
    assert "private_key" not in r.json()["keypair"]
    r = admin("GET", "/os-keypairs/" + name)
    check_schema("v2_1", "keypairs", "get_keypair", r)
    kp = r.json()["keypair"]
    assert kp["deleted"] is False and kp["updated_at"] is None and kp["deleted_at"] is None
    assert isinstance(kp["id"], int) and kp["user_id"] == admin.user_id
    check_schema("v2_1", "keypairs", "list_keypairs", admin("GET", "/os-keypairs"))
    r = admin("DELETE", "/os-keypairs/" + name)
    check_schema("v2_1", "keypairs", "delete_keypair", r)
    assert r.status_code == 202

    # 2.2: 201 and 204, with type; x509 generated and imported.
    r = admin("POST", "/os-keypairs", "2.2", json={"keypair": {"name": name, "type": "x509"}})
    check_schema("v2_2", "keypairs", "create_keypair", r)
    assert r.status_code == 201 and r.headers["OpenStack-API-Version"] == "compute 2.2"
    cert = r.json()["keypair"]
    assert cert["type"] == "x509" and cert["public_key"].startswith("-----BEGIN CERTIFICATE-----")
    # The private key is the key and the certificate as base64 PKCS#12, as Nova's.
    base64.b64decode(cert["private_key"], validate=True)
    (tmp_path / "cert.pem").write_text(cert["public_key"])
    out = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-fingerprint", "-sha1"],
                         check=True, capture_output=True, text=True).stdout
    assert cert["fingerprint"] == out.split("=", 1)[1].strip().lower()
    r = admin("GET", "/os-keypairs/" + name, "2.2")
    check_schema("v2_2", "keypairs", "get_keypair", r)
    assert r.json()["keypair"]["type"] == "x509"
    r = admin("GET", "/os-keypairs", "2.2")
    check_schema("v2_2", "keypairs", "list_keypairs", r)
    assert {"keypair": {"name": name, "type": "x509", "public_key": cert["public_key"],
                        "fingerprint": cert["fingerprint"]}} in r.json()["keypairs"]
    r = admin("POST", "/os-keypairs", "2.2", json={"keypair": {"name": name + "-imp", "type": "x509",
                                                              "public_key": cert["public_key"]}})
    assert r.status_code == 201 and r.json()["keypair"]["fingerprint"] == cert["fingerprint"]
    error(admin("POST", "/os-keypairs", "2.2", json={"keypair": {"name": name + "-bad", "type": "x509",
                                                                "public_key": public}}), 400,
          "Keypair data is invalid")
    for n in (name, name + "-imp"):
        r = admin("DELETE", "/os-keypairs/" + n, "2.2")
        check_schema("v2_2", "keypairs", "delete_keypair", r)
        assert r.status_code == 204
    # type is unknown at 2.1.
    error(admin("POST", "/os-keypairs", json={"keypair": {"name": name, "type": "ssh"}}), 400)


def test_keypair_errors(admin, member, name, tmp_path):
    public, _ = ssh_key(tmp_path, "rsa", 2048)
    assert admin("POST", "/os-keypairs", json={"keypair": {"name": name, "public_key": public}}).status_code == 200
    try:
        error(admin("POST", "/os-keypairs", json={"keypair": {"name": name, "public_key": public}}), 409,
              "Key pair '%s' already exists." % name)
        error(admin("POST", "/os-keypairs", json={"keypair": {"name": name}}), 409,
              "Key pair '%s' already exists." % name)
        # Another user may use the same name.
        assert member("POST", "/os-keypairs", json={"keypair": {"name": name, "public_key": public}}).status_code == 200
        member("DELETE", "/os-keypairs/" + name)
        blob = public.split()[1]
        for bad in ("", "ssh-rsa", "ssh-rsa AAAA", "ssh-dss " + blob, "ssh-ed25519 " + blob, " " + public,
                    "ssh-rsa " + blob[:-8], "ssh-rsa " + blob[:40] + "!" + blob[41:], "-----BEGIN CERTIFICATE-----"):
            error(admin("POST", "/os-keypairs", json={"keypair": {"name": name + "-bad", "public_key": bad}}), 400,
                  "Keypair data is invalid")
        for bad_name in ("", "a/b", "a" * 256, " lead", "trail ", "dot.ted", "at@sign", "tab\tname", "ünï"):
            error(admin("POST", "/os-keypairs", json={"keypair": {"name": bad_name, "public_key": public}}), 400)
        ok = admin("POST", "/os-keypairs", json={"keypair": {"name": "in ner_sp-ace", "public_key": public}})
        assert ok.status_code == 200, ok.text
        admin("DELETE", "/os-keypairs/in ner_sp-ace")
        for body in ({}, {"keypair": {}}, {"keypair": {"name": name + "-x", "bogus": 1}},
                     {"keypair": {"name": 5}}, {"keypair": {"name": name + "-x", "public_key": 5}}):
            error(admin("POST", "/os-keypairs", json=body), 400)
        error(admin("POST", "/os-keypairs", "2.2", json={"keypair": {"name": name + "-x", "type": "gpg"}}), 400)
        error(admin("GET", "/os-keypairs/nope"), 404, "Keypair nope not found for user %s" % admin.user_id)
        error(admin("DELETE", "/os-keypairs/nope"), 404)
        error(admin("DELETE", "/os-keypairs/nope", "2.2"), 404)
        # A member does not see the admin's pairs.
        error(member("GET", "/os-keypairs/" + name), 404)
        assert name not in [k["keypair"]["name"] for k in member("GET", "/os-keypairs").json()["keypairs"]]
    finally:
        admin("DELETE", "/os-keypairs/" + name)


def test_keypair_other_users(admin, member, name, tmp_path):
    public, _ = ssh_key(tmp_path, "ed25519", 256)
    # From 2.10 an admin works on another user's pairs.
    r = admin("POST", "/os-keypairs", "2.10", json={"keypair": {"name": name, "public_key": public,
                                                               "user_id": member.user_id}})
    assert r.status_code == 201 and r.json()["keypair"]["user_id"] == member.user_id
    assert name in [k["keypair"]["name"] for k in member("GET", "/os-keypairs").json()["keypairs"]]
    r = admin("GET", "/os-keypairs", "2.10", params={"user_id": member.user_id})
    assert [k["keypair"]["name"] for k in r.json()["keypairs"]] == [name]
    assert admin("GET", "/os-keypairs/" + name, "2.10", params={"user_id": member.user_id}).status_code == 200
    # Before 2.10 user_id is ignored in queries and unknown in bodies.
    error(admin("GET", "/os-keypairs/" + name, params={"user_id": member.user_id}), 404)
    error(admin("POST", "/os-keypairs", "2.9", json={"keypair": {"name": name, "public_key": public,
                                                                "user_id": member.user_id}}), 400)
    # Members may not name another user.
    error(member("GET", "/os-keypairs", "2.10", params={"user_id": admin.user_id}), 403)
    error(member("GET", "/os-keypairs/" + name, "2.10", params={"user_id": admin.user_id}), 403)
    error(member("DELETE", "/os-keypairs/" + name, "2.10", params={"user_id": admin.user_id}), 403)
    error(member("POST", "/os-keypairs", "2.10", json={"keypair": {"name": name + "-x", "public_key": public,
                                                                  "user_id": admin.user_id}}), 403)
    assert member("GET", "/os-keypairs", "2.10", params={"user_id": member.user_id}).status_code == 200
    error(admin("POST", "/os-keypairs", "2.10", json={"keypair": {"name": name + "-x", "public_key": public,
                                                                 "user_id": "bad/user"}}), 400)
    assert admin("DELETE", "/os-keypairs/" + name, "2.10", params={"user_id": member.user_id}).status_code == 204
    error(member("GET", "/os-keypairs/" + name), 404)


def test_keypair_paging(admin, name, tmp_path):
    public, _ = ssh_key(tmp_path, "ed25519", 256)
    names = [name + "-%d" % i for i in range(5)]
    ids = []
    for n in names:
        ids.append(admin("POST", "/os-keypairs", json={"keypair": {"name": n, "public_key": public}}).status_code)
    try:
        seqs = [admin("GET", "/os-keypairs/" + n).json()["keypair"]["id"] for n in names]
        assert seqs == sorted(seqs) and len(set(seqs)) == 5
        mine = lambda r: [k["keypair"]["name"] for k in r.json()["keypairs"] if k["keypair"]["name"] in names]  # noqa
        r = admin("GET", "/os-keypairs", "2.35", params={"limit": 2, "marker": names[0]})
        assert mine(r) == names[1:3]
        nxt = r.json()["keypairs_links"][0]["href"]
        assert "marker=" + names[2] in nxt
        r = requests.get(nxt, headers={"X-Auth-Token": admin.token, "OpenStack-API-Version": "compute 2.35"})
        assert mine(r) == names[3:5]
        # Before 2.35 there is no paging: everything, whatever the query says.
        assert mine(admin("GET", "/os-keypairs", params={"limit": 1})) == names
        error(admin("GET", "/os-keypairs", "2.35", params={"marker": "nope"}), 400, "Marker nope could not be found.")
        error(admin("GET", "/os-keypairs", "2.35", params={"limit": "-1"}), 400)
        error(admin("GET", "/os-keypairs", "2.75", params={"bogus": "1"}), 400)
        error(admin("GET", "/os-keypairs/" + names[0], "2.75", params={"bogus": "1"}), 400)
    finally:
        for n in names:
            admin("DELETE", "/os-keypairs/" + n)


def test_keypair_quota(admin, member, name, tmp_path):
    public, _ = ssh_key(tmp_path, "ed25519", 256)
    assert admin("PUT", "/os-quota-sets/" + member.project_id, json={"quota_set": {"key_pairs": 2}}).status_code == 200
    try:
        for i in range(2):
            r = member("POST", "/os-keypairs", json={"keypair": {"name": "%s-%d" % (name, i), "public_key": public}})
            assert r.status_code == 200, r.text
        # The quota comes first: even a bad key or a taken name hears it.
        error(member("POST", "/os-keypairs", json={"keypair": {"name": name + "-2", "public_key": public}}), 403,
              "Quota exceeded, too many key pairs.")
        error(member("POST", "/os-keypairs", json={"keypair": {"name": name + "-2"}}), 403,
              "Quota exceeded, too many key pairs.")
        error(member("POST", "/os-keypairs", json={"keypair": {"name": name + "-2", "public_key": "junk"}}), 403)
        member("DELETE", "/os-keypairs/%s-0" % name)
        assert member("POST", "/os-keypairs", json={"keypair": {"name": name + "-2", "public_key": public}}
                      ).status_code == 200
    finally:
        for i in range(3):
            member("DELETE", "/os-keypairs/%s-%d" % (name, i))
        admin("DELETE", "/os-quota-sets/" + member.project_id)


# ---------------------------------------------------------------- quotas and limits

QUOTA_KEYS_21 = {"instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items", "key_pairs",
                 "security_groups", "security_group_rules", "injected_files", "injected_file_content_bytes",
                 "injected_file_path_bytes", "server_groups", "server_group_members"}
NETWORK_QUOTAS = {"floating_ips", "fixed_ips", "security_groups", "security_group_rules"}
FILE_QUOTAS = {"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"}


def test_quota_sets_shapes(admin, member):
    pid = member.project_id
    # What tempest's QuotasTestJSON does, as a member.
    for r in (member("GET", "/os-quota-sets/" + pid), member("GET", "/os-quota-sets/" + pid,
                                                               params={"user_id": member.user_id}),
              member("GET", "/os-quota-sets/%s/defaults" % pid)):
        check_schema("v2_1", "quotas", "get_quota_set", r)
        q = r.json()["quota_set"]
        assert q["id"] == pid and set(q) == QUOTA_KEYS_21 | {"id"}
    defaults = member("GET", "/os-quota-sets/%s/defaults" % pid).json()["quota_set"]
    assert (defaults["instances"], defaults["cores"], defaults["ram"], defaults["key_pairs"]) == (10, 20, 51200, 100)
    assert defaults["fixed_ips"] == -1 and defaults["injected_files"] == 5
    r = member("GET", "/os-quota-sets/%s/detail" % pid)
    check_schema("v2_1", "quotas", "get_quota_set_details", r)
    assert r.json()["quota_set"]["instances"] == {"in_use": 0, "limit": 10, "reserved": 0}
    # 2.36 drops the network quotas, 2.57 the injected files.
    for version, module, gone in (("2.36", "v2_36", NETWORK_QUOTAS), ("2.57", "v2_57", NETWORK_QUOTAS | FILE_QUOTAS)):
        r = member("GET", "/os-quota-sets/" + pid, version)
        check_schema(module, "quotas", "get_quota_set", r)
        assert set(r.json()["quota_set"]) == (QUOTA_KEYS_21 - gone) | {"id"}
        check_schema(module, "quotas", "get_quota_set", member("GET", "/os-quota-sets/%s/defaults" % pid, version))
        check_schema(module, "quotas", "get_quota_set_details", member("GET", "/os-quota-sets/%s/detail" % pid,
                                                                       version))
        r = admin("PUT", "/os-quota-sets/" + pid, version, json={"quota_set": {"instances": 10}})
        check_schema(module, "quotas", "update_quota_set", r)
        error(admin("PUT", "/os-quota-sets/" + pid, version, json={"quota_set": {sorted(gone)[0]: 1}}), 400)
    admin("DELETE", "/os-quota-sets/" + pid)


def test_quota_sets_changes(admin, member, image, name):
    pid = member.project_id
    path = "/os-quota-sets/" + pid
    try:
        r = admin("PUT", path, json={"quota_set": {"instances": "15", "cores": 30, "ram": -1, "force": "False"}})
        check_schema("v2_1", "quotas", "update_quota_set", r)
        q = r.json()["quota_set"]
        assert "id" not in q and (q["instances"], q["cores"], q["ram"]) == (15, 30, -1)
        assert member("GET", path).json()["quota_set"]["instances"] == 15
        limits = member("GET", "/limits").json()["limits"]["absolute"]
        assert (limits["maxTotalInstances"], limits["maxTotalCores"], limits["maxTotalRAMSize"]) == (15, 30, -1)
        # Members may read their own quotas, never change them or read another project's.
        error(member("PUT", path, json={"quota_set": {"instances": 100}}), 403)
        error(member("DELETE", path), 403)
        error(member("GET", "/os-quota-sets/" + admin.project_id), 403)
        error(member("GET", "/os-quota-sets/%s/detail" % admin.project_id), 403)
        # Bad values and projects.
        for bad in ({"instances": -2}, {"instances": 2 ** 31}, {"instances": "ten"}, {"instances": 1.5},
                    {"bogus": 1}, {"force": "maybe"}, {"instances": None}):
            error(admin("PUT", path, json={"quota_set": bad}), 400)
        error(admin("PUT", path, json={"instances": 1}), 400)
        error(admin("GET", "/os-quota-sets/no-such-project"), 400, "Project ID no-such-project is not a valid project.")
        error(admin("GET", "/os-quota-sets/no-such-project/defaults"), 400)
        error(admin("PUT", "/os-quota-sets/no-such-project", json={"quota_set": {"instances": 1}}), 400)
        error(admin("PUT", path, params={"user_id": member.user_id}, json={"quota_set": {"instances": 1}}), 400)
        error(admin("GET", path, "2.75", params={"bogus": "1"}), 400)

        # A limit under what is used is refused unless forced.
        boot(member, image, name, count=2)
        wait_active(member, name, 2)
        detail = member("GET", path + "/detail").json()["quota_set"]
        assert detail["instances"]["in_use"] == 2 and detail["cores"]["in_use"] == 2
        assert detail["ram"]["in_use"] == 256 and detail["key_pairs"]["in_use"] == 0
        error(admin("PUT", path, json={"quota_set": {"instances": 1, "cores": 100}}), 400,
              "Quota limit 1 for instances must be greater than or equal to already used and reserved 2.")
        assert member("GET", path).json()["quota_set"]["cores"] == 30  # nothing was written
        r = admin("PUT", path, json={"quota_set": {"instances": 1, "force": True}})
        assert r.status_code == 200 and r.json()["quota_set"]["instances"] == 1
        error(member("POST", "/servers", json={"server": {"name": name + "-over", "imageRef": image,
                                                          "flavorRef": "42"}}), 403, "Quota exceeded for instances")
        # Back to the defaults.
        r = admin("DELETE", path)
        assert r.status_code == 202 and r.content == b""
        assert member("GET", path).json()["quota_set"]["instances"] == 10
    finally:
        delete_servers(member, name)
        admin("DELETE", path)


def test_quota_cli(cloud, member):
    env = cloud.env()
    cloud.openstack("quota", "set", "--instances", "12", "--key-pairs", "7", member.project_id, env=env)
    shown = cloud.openstack("quota", "show", member.project_id, "-f", "json", env=env)
    assert shown["instances"] == 12 and shown["key-pairs"] == 7
    default = cloud.openstack("quota", "show", "--default", member.project_id, "-f", "json", env=env)
    assert default["instances"] == 10
    cloud.openstack("quota", "set", "--instances", "10", "--key-pairs", "100", member.project_id, env=env)
    absolute = {x["Name"]: x["Value"] for x in cloud.openstack("limits", "show", "--absolute", "-f", "json", env=env)}
    assert absolute["maxTotalInstances"] == 10 and "totalRAMUsed" in absolute


def test_twenty_first_server_is_over_quota(admin, member, image, name):
    """A project with instances=20 gets its 20 servers and Nova's 403 for the 21st."""
    path = "/os-quota-sets/" + member.project_id
    assert admin("PUT", path, json={"quota_set": {"instances": 20, "cores": -1, "ram": -1}}).status_code == 200
    try:
        boot(member, image, name, count=20)
        wait_active(member, name, 20)
        r = member("POST", "/servers", json={"server": {"name": name + "-21", "imageRef": image, "flavorRef": "42"}})
        error(r, 403, "Quota exceeded for instances: Requested 1, but already used 20 of 20 instances")
        limits = member("GET", "/limits").json()["limits"]["absolute"]
        assert limits["totalInstancesUsed"] == 20 and limits["maxTotalInstances"] == 20
        assert limits["totalCoresUsed"] == 20 and limits["totalRAMUsed"] == 20 * 128
    finally:
        delete_servers(member, name)
        admin("DELETE", path)


def test_limits(admin, member):
    r = member("GET", "/limits")
    check_schema("v2_1", "limits", "get_limit", r)
    assert r.json()["limits"]["rate"] == []
    absolute = r.json()["limits"]["absolute"]
    assert absolute["maxImageMeta"] == absolute["maxServerMeta"] == 128
    for version, module in (("2.36", "v2_36"), ("2.39", "v2_39"), ("2.57", "v2_57")):
        check_schema(module, "limits", "get_limit", member("GET", "/limits", version))
    a236 = member("GET", "/limits", "2.36").json()["limits"]["absolute"]
    assert "maxTotalFloatingIps" not in a236 and "maxImageMeta" in a236 and "maxPersonality" in a236
    assert "maxImageMeta" not in member("GET", "/limits", "2.39").json()["limits"]["absolute"]
    a257 = member("GET", "/limits", "2.57").json()["limits"]["absolute"]
    assert "maxPersonality" not in a257 and "maxPersonalitySize" not in a257
    # Another project's limits are for admins.
    admin("PUT", "/os-quota-sets/" + member.project_id, json={"quota_set": {"cores": 33}})
    try:
        r = admin("GET", "/limits", params={"tenant_id": member.project_id})
        assert r.json()["limits"]["absolute"]["maxTotalCores"] == 33
        error(member("GET", "/limits", params={"tenant_id": admin.project_id}), 403)
        error(member("GET", "/limits", "2.75", params={"bogus": "1"}), 400)
    finally:
        admin("DELETE", "/os-quota-sets/" + member.project_id)


# ---------------------------------------------------------------- hosts

def hosts(admin):
    return admin("GET", "/os-hypervisors/detail").json()["hypervisors"]


def test_availability_zones(cloud, admin, member):
    r = member("GET", "/os-availability-zone")
    check_schema("v2_1", "availability_zone", "list_availability_zone_list", r)
    assert r.json()["availabilityZoneInfo"] == [{"zoneName": "nova", "zoneState": {"available": True},
                                                 "hosts": None}]
    r = admin("GET", "/os-availability-zone/detail")
    check_schema("v2_1", "availability_zone", "list_availability_zone_list_detail", r)
    (zone,) = r.json()["availabilityZoneInfo"]
    names = sorted(h["hypervisor_hostname"] for h in hosts(admin))
    assert sorted(zone["hosts"]) == names
    assert all(s["nova-compute"]["available"] and s["nova-compute"]["active"] for s in zone["hosts"].values())
    error(member("GET", "/os-availability-zone/detail"), 403)
    listed = cloud.openstack("availability", "zone", "list", "--compute", "--long", "-f", "json")
    assert {z["Host Name"] for z in listed} == set(names)

    # A zone whose hosts are all disabled is not available, and the detail hides the disabled host.
    try:
        for n in names:
            admin("PUT", "/os-services/disable", json={"host": n, "binary": "nova-compute"})
        assert member("GET", "/os-availability-zone").json()["availabilityZoneInfo"][0]["zoneState"] == {
            "available": False}
        admin("PUT", "/os-services/enable", json={"host": names[0], "binary": "nova-compute"})
        (zone,) = admin("GET", "/os-availability-zone/detail").json()["availabilityZoneInfo"]
        assert zone["zoneState"]["available"] and list(zone["hosts"]) == [names[0]]
    finally:
        for n in names:
            admin("PUT", "/os-services/enable", json={"host": n, "binary": "nova-compute"})


def test_hypervisors_shapes(admin):
    r = admin("GET", "/os-hypervisors")
    check_schema("v2_1", "hypervisors", "list_search_hypervisors", r)
    listed = r.json()["hypervisors"]
    assert len(listed) == 2 and all(isinstance(h["id"], int) for h in listed)
    assert {h["state"] for h in listed} == {"up"} and {h["status"] for h in listed} == {"enabled"}
    r = admin("GET", "/os-hypervisors/detail")
    check_schema("v2_1", "hypervisors", "list_hypervisors_detail", r)
    h = r.json()["hypervisors"][0]
    assert isinstance(h["cpu_info"], str) and h["hypervisor_type"] == "fake"
    assert h["free_ram_mb"] == h["memory_mb"] - h["memory_mb_used"]
    r = admin("GET", "/os-hypervisors/%d" % h["id"])
    check_schema("v2_1", "hypervisors", "get_hypervisor", r)
    assert r.json()["hypervisor"]["service"]["id"] == h["id"]
    check_schema("v2_28", "hypervisors", "get_hypervisor", admin("GET", "/os-hypervisors/%d" % h["id"], "2.28"))
    assert isinstance(admin("GET", "/os-hypervisors/%d" % h["id"], "2.28").json()["hypervisor"]["cpu_info"], dict)
    check_schema("v2_33", "hypervisors", "list_hypervisors_detail", admin("GET", "/os-hypervisors/detail", "2.33"))
    r = admin("GET", "/os-hypervisors/statistics")
    check_schema("v2_1", "hypervisors", "get_hypervisor_statistics", r)
    stats = r.json()["hypervisor_statistics"]
    assert stats["count"] == 2 and stats["vcpus"] == sum(x["vcpus"] for x in hosts(admin))
    r = admin("GET", "/os-hypervisors/%d/uptime" % h["id"])
    check_schema("v2_1", "hypervisors", "get_hypervisor_uptime", r)
    assert " up " in r.json()["hypervisor"]["uptime"] and "load average" in r.json()["hypervisor"]["uptime"]
    r = admin("GET", "/os-hypervisors/%s/search" % h["hypervisor_hostname"])
    check_schema("v2_1", "hypervisors", "list_search_hypervisors", r)
    assert [x["id"] for x in r.json()["hypervisors"]] == [h["id"]]
    check_schema("v2_1", "hypervisors", "get_hypervisors_servers",
                 admin("GET", "/os-hypervisors/%s/servers" % h["hypervisor_hostname"]))

    # 2.53: UUIDs, and search and servers as query parameters.
    r = admin("GET", "/os-hypervisors/detail", "2.53")
    check_schema("v2_53", "hypervisors", "list_hypervisors_detail", r)
    h53 = r.json()["hypervisors"][0]
    assert re.fullmatch(r"[0-9a-f-]{36}", h53["id"]) and re.fullmatch(r"[0-9a-f-]{36}", h53["service"]["id"])
    r = admin("GET", "/os-hypervisors/" + h53["id"], "2.53", params={"with_servers": "true"})
    check_schema("v2_53", "hypervisors", "get_hypervisor", r)
    r = admin("GET", "/os-hypervisors", "2.53", params={"hypervisor_hostname_pattern": h53["hypervisor_hostname"]})
    check_schema("v2_53", "hypervisors", "list_search_hypervisors", r)
    assert [x["id"] for x in r.json()["hypervisors"]] == [h53["id"]]
    # Paging from 2.33.
    r = admin("GET", "/os-hypervisors", "2.53", params={"limit": 1})
    assert len(r.json()["hypervisors"]) == 1 and "hypervisors_links" in r.json()
    r2 = requests.get(r.json()["hypervisors_links"][0]["href"],
                      headers={"X-Auth-Token": admin.token, "OpenStack-API-Version": "compute 2.53"})
    assert [x["id"] for x in r2.json()["hypervisors"]] != [x["id"] for x in r.json()["hypervisors"]]


def test_hypervisors_errors(admin, member):
    h = hosts(admin)[0]
    for path in ("/os-hypervisors", "/os-hypervisors/detail", "/os-hypervisors/statistics",
                 "/os-hypervisors/%d" % h["id"], "/os-hypervisors/%d/uptime" % h["id"],
                 "/os-hypervisors/%s/search" % h["hypervisor_hostname"], "/os-services", "/os-aggregates"):
        error(member("GET", path), 403)
    assert admin("GET", "/os-hypervisors/0%d" % h["id"]).json()["hypervisor"]["id"] == h["id"]
    error(admin("GET", "/os-hypervisors/999"), 404, "Hypervisor with ID '999' could not be found.")
    error(admin("GET", "/os-hypervisors/abc"), 404, "Hypervisor with ID 'abc' could not be found.")
    error(admin("GET", "/os-hypervisors/1", "2.53"), 400, "Invalid uuid 1")
    error(admin("GET", "/os-hypervisors/00000000-0000-0000-0000-000000000000", "2.53"), 404)
    error(admin("GET", "/os-hypervisors/999/uptime"), 404)
    error(admin("GET", "/os-hypervisors/no-such-host/search"), 404, "No hypervisor matching 'no-such-host'")
    error(admin("GET", "/os-hypervisors/no-such-host/servers"), 404)
    # The search routes are gone from 2.53; statistics and uptime from 2.88 (past our range).
    error(admin("GET", "/os-hypervisors/%s/search" % h["hypervisor_hostname"], "2.53"), 404)
    error(admin("GET", "/os-hypervisors", "2.53", params={"hypervisor_hostname_pattern": "nope"}), 404)
    error(admin("GET", "/os-hypervisors", "2.53", params={"hypervisor_hostname_pattern": "x", "limit": 1}), 400)
    error(admin("GET", "/os-hypervisors", "2.53", params={"with_servers": "maybe"}), 400)
    error(admin("GET", "/os-hypervisors", "2.33", params={"marker": "999"}), 400, "marker [999] not found")
    error(admin("GET", "/os-hypervisors", "2.33", params={"limit": "-1"}), 400)


def test_hypervisors_count_servers(admin, image, name):
    before = {h["hypervisor_hostname"]: h for h in hosts(admin)}
    boot(admin, image, name, count=2)
    servers = wait_active(admin, name, 2)
    try:
        after = {h["hypervisor_hostname"]: h for h in hosts(admin)}
        used = sum(after[n]["vcpus_used"] - before[n]["vcpus_used"] for n in after)
        ram = sum(after[n]["memory_mb_used"] - before[n]["memory_mb_used"] for n in after)
        vms = sum(after[n]["running_vms"] - before[n]["running_vms"] for n in after)
        assert (used, ram, vms) == (2, 256, 2)
        # The scheduler spreads them: one on each host.
        on = {s["OS-EXT-SRV-ATTR:host"] for s in servers}
        assert len(on) == 2
        host = sorted(on)[0]
        r = admin("GET", "/os-hypervisors/%s/servers" % host)
        (hv,) = r.json()["hypervisors"]
        assert {s["uuid"] for s in hv["servers"]} & {s["id"] for s in servers}
        stats = admin("GET", "/os-hypervisors/statistics").json()["hypervisor_statistics"]
        assert stats["running_vms"] >= 2
    finally:
        delete_servers(admin, name)


def test_hypervisors_cli(cloud, admin):
    env = cloud.env()
    listed = cloud.openstack("hypervisor", "list", "-f", "json", env=env)
    assert len(listed) == 2 and {h["State"] for h in listed} == {"up"}
    shown = cloud.openstack("hypervisor", "show", listed[0]["Hypervisor Hostname"], "-f", "json", env=env)
    assert shown["hypervisor_hostname"] == listed[0]["Hypervisor Hostname"] and shown["aggregates"] == []
    assert "load_average" in shown
    stats = cloud.openstack("hypervisor", "stats", "show", "-f", "json", env=env)
    assert stats["count"] == 2


def test_services(cloud, admin, member):
    r = admin("GET", "/os-services")
    check_schema("v2_1", "services", "list_services", r)
    services = r.json()["services"]
    assert len(services) == 2 and {s["binary"] for s in services} == {"nova-compute"}
    assert all(s["state"] == "up" and s["status"] == "enabled" and s["zone"] == "nova" for s in services)
    check_schema("v2_11", "services", "list_services", admin("GET", "/os-services", "2.11"))
    r53 = admin("GET", "/os-services", "2.53")
    check_schema("v2_53", "services", "list_services", r53)
    host = services[0]["host"]
    assert [s["host"] for s in admin("GET", "/os-services", params={"host": host}).json()["services"]] == [host]
    assert admin("GET", "/os-services", params={"binary": "nova-scheduler"}).json()["services"] == []
    error(admin("GET", "/os-services", "2.75", params={"bogus": "1"}), 400)

    body = {"host": host, "binary": "nova-compute"}
    try:
        r = admin("PUT", "/os-services/disable", json=body)
        check_schema("v2_1", "services", "enable_disable_service", r)
        assert r.json()["service"]["status"] == "disabled"
        r = admin("PUT", "/os-services/disable-log-reason", json=dict(body, disabled_reason="maintenance"))
        check_schema("v2_1", "services", "disable_log_reason", r)
        shown = [s for s in admin("GET", "/os-services").json()["services"] if s["host"] == host][0]
        assert shown["status"] == "disabled" and shown["disabled_reason"] == "maintenance"
        stats = admin("GET", "/os-hypervisors/statistics").json()["hypervisor_statistics"]
        assert stats["count"] == 1  # statistics leave disabled hosts out
        r = admin("PUT", "/os-services/enable", json=body)
        check_schema("v2_1", "services", "enable_disable_service", r)
        r = admin("PUT", "/os-services/force-down", "2.11", json=dict(body, forced_down=True))
        check_schema("v2_11", "services", "update_forced_down", r)
        shown = [s for s in admin("GET", "/os-services", "2.11").json()["services"] if s["host"] == host][0]
        assert shown["forced_down"] is True and shown["state"] == "down"
        admin("PUT", "/os-services/force-down", "2.11", json=dict(body, forced_down=False))

        # 2.53: by the service's UUID.
        sid = [s for s in r53.json()["services"] if s["host"] == host][0]["id"]
        r = admin("PUT", "/os-services/" + sid, "2.53", json={"status": "disabled", "disabled_reason": "x"})
        check_schema("v2_53", "services", "update_service", r)
        assert r.json()["service"]["status"] == "disabled" and r.json()["service"]["disabled_reason"] == "x"
        r = admin("PUT", "/os-services/" + sid, "2.53", json={"status": "enabled"})
        assert r.json()["service"]["disabled_reason"] is None

        # Nova's errors.
        error(member("PUT", "/os-services/disable", json=body), 403)
        error(admin("PUT", "/os-services/disable", json={"host": "no-such-host", "binary": "nova-compute"}), 404,
              "Could not find binary nova-compute on host no-such-host.")
        error(admin("PUT", "/os-services/disable", json={"host": host, "binary": "nova-scheduler"}), 400,
              "Updating a nova-scheduler service is not supported.")
        error(admin("PUT", "/os-services/disable-log-reason", json=body), 400, "Missing disabled reason field")
        error(admin("PUT", "/os-services/reboot", json=body), 404, "Unknown action")
        error(admin("PUT", "/os-services/force-down", json=dict(body, forced_down=True)), 400)  # 2.11's
        error(admin("PUT", "/os-services/force-down", "2.11", json=body), 400, "Missing forced_down field")
        error(admin("PUT", "/os-services/disable", json={"host": host}), 400)
        error(admin("PUT", "/os-services/" + sid, "2.53", json={}), 400, "No updates were requested.")
        error(admin("PUT", "/os-services/" + sid, "2.53", json={"status": "enabled", "disabled_reason": "x"}), 400)
        error(admin("PUT", "/os-services/" + sid, "2.53", json={"status": "sleeping"}), 400)
        error(admin("PUT", "/os-services/not-a-uuid", "2.53", json={"status": "enabled"}), 400, "Invalid uuid")
        error(admin("PUT", "/os-services/00000000-0000-0000-0000-000000000000", "2.53", json={"status": "enabled"}),
              404, "Service 00000000-0000-0000-0000-000000000000 could not be found.")
    finally:
        admin("PUT", "/os-services/enable", json=body)
        admin("PUT", "/os-services/force-down", "2.11", json=dict(body, forced_down=False))

    env = cloud.env()
    cloud.openstack("compute", "service", "set", "--disable", "--disable-reason", "cli", host, "nova-compute", env=env)
    listed = cloud.openstack("compute", "service", "list", "--long", "-f", "json", env=env)
    row = [s for s in listed if s["Host"] == host][0]
    assert row["Status"] == "disabled" and row["Disabled Reason"] == "cli"
    cloud.openstack("compute", "service", "set", "--enable", host, "nova-compute", env=env)
    assert {s["Status"] for s in cloud.openstack("compute", "service", "list", "-f", "json", env=env)} == {"enabled"}


def test_disabled_host_gets_no_servers(admin, image, name):
    names = sorted(h["hypervisor_hostname"] for h in hosts(admin))
    admin("PUT", "/os-services/disable", json={"host": names[0], "binary": "nova-compute"})
    try:
        boot(admin, image, name, count=2)
        servers = wait_active(admin, name, 2)
        assert {s["OS-EXT-SRV-ATTR:host"] for s in servers} == {names[1]}
    finally:
        admin("PUT", "/os-services/enable", json={"host": names[0], "binary": "nova-compute"})
        delete_servers(admin, name)


# ---------------------------------------------------------------- usage

def test_usage(cloud, admin, image, name):
    # A project of its own: the other tests' servers, deleted or not, count in their projects' usage.
    user, project, token = cloud.make_user(name)
    member = Nova(cloud, token)
    member.project_id = project["id"]
    boot(member, image, name, count=2)
    servers = wait_active(member, name, 2)
    gone = servers[0]["id"]
    member("DELETE", "/servers/" + gone)
    wait_for(lambda: member("GET", "/servers/" + gone).status_code == 404, timeout=60, what="a server to go")
    time.sleep(1.1)  # some measurable usage
    start = "2020-01-01T00:00:00"
    try:
        r = admin("GET", "/os-simple-tenant-usage", params={"start": start, "detailed": "1"})
        check_schema("v2_1", "tenant_usages", "list_tenant_usage", r)
        (mine,) = [u for u in r.json()["tenant_usages"] if u["tenant_id"] == member.project_id]
        usages = {u["instance_id"]: u for u in mine["server_usages"]}
        assert set(usages) == {s["id"] for s in servers}
        assert usages[gone]["state"] == "terminated" and usages[gone]["ended_at"]
        live = usages[servers[1]["id"]]
        assert live["state"] == "active" and live["ended_at"] is None and live["flavor"] == "m1.nano"
        assert (live["vcpus"], live["memory_mb"], live["local_gb"]) == (1, 128, 1)
        assert live["hours"] > 0 and mine["total_hours"] >= live["hours"]
        assert abs(mine["total_memory_mb_usage"] - 128 * mine["total_hours"]) < 1e-6
        r = admin("GET", "/os-simple-tenant-usage", params={"start": start})
        assert all("server_usages" not in u for u in r.json()["tenant_usages"])

        r = member("GET", "/os-simple-tenant-usage/" + member.project_id, params={"start": start})
        check_schema("v2_1", "tenant_usages", "get_tenant_usage", r)
        assert len(r.json()["tenant_usage"]["server_usages"]) == 2
        # A period before the servers: nothing.
        r = member("GET", "/os-simple-tenant-usage/" + member.project_id,
                   params={"start": "2020-01-01T00:00:00", "end": "2020-02-01T00:00:00"})
        assert r.status_code == 200 and r.json() == {"tenant_usage": {}}
        # 2.40 pages over the servers.
        r = admin("GET", "/os-simple-tenant-usage/" + member.project_id, "2.40", params={"start": start, "limit": 1})
        assert len(r.json()["tenant_usage"]["server_usages"]) == 1
        nxt = r.json()["tenant_usage_links"][0]["href"]
        r2 = requests.get(nxt, headers={"X-Auth-Token": admin.token, "OpenStack-API-Version": "compute 2.40"})
        assert r2.json()["tenant_usage"]["server_usages"][0]["instance_id"] != \
            r.json()["tenant_usage"]["server_usages"][0]["instance_id"]
        error(admin("GET", "/os-simple-tenant-usage", "2.40", params={"start": start, "marker": "nope"}), 400)

        # Nova's 400s and 403s.
        error(member("GET", "/os-simple-tenant-usage", params={"start": start}), 403)
        error(member("GET", "/os-simple-tenant-usage/" + admin.project_id, params={"start": start}), 403)
        error(admin("GET", "/os-simple-tenant-usage", params={"start": "yesterday"}), 400,
              "Invalid datetime string")
        error(admin("GET", "/os-simple-tenant-usage", params={"start": "2030-01-01T00:00:00"}), 400,
              "The start time cannot occur after the end time.")
        error(admin("GET", "/os-simple-tenant-usage", params={"start": start, "end": "2019-01-01T00:00:00"}), 400)
        error(admin("GET", "/os-simple-tenant-usage/bad%20project"), 400)
        error(admin("GET", "/os-simple-tenant-usage", "2.75", params={"bogus": "1"}), 400)

        env = cloud.env()
        listed = cloud.openstack("usage", "list", "--start", "2020-01-01", "-f", "json", env=env)
        # As JSON the CLI shows the raw values: the project's id, the servers' usages.
        row = [u for u in listed if u["Project"] == member.project_id][0]
        assert len(row["Servers"]) == 2 and row["RAM MB-Hours"] > 0
        shown = cloud.openstack("usage", "show", "--project", member.project_id, "--start", "2020-01-01",
                                "-f", "json", env=env)
        assert len(shown["Servers"]) == 2 and shown["CPU Hours"] > 0
    finally:
        delete_servers(member, name)
