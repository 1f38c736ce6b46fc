# SPDX-License-Identifier: Apache-2.0
"""Get-me-a-network: Neutron's auto-allocated-topology and Nova's "auto".

On the fake virt driver and the fake data plane (records only):
- without a default external network, or without a default subnet pool,
  the requirements check (?fields=dry-run) is Neutron's 409
  AutoAllocationFailure and a server create with "networks": "auto" is
  Nova's 400;
- is_default marks one external network at most (409 for a second), and
  shows on external networks only;
- with both, GET /v2.0/auto-allocated-topology/{project} makes the
  project's network, a subnet from the default pool and a router to the
  external network, once; a project reaches only its own (403), "None"
  is the caller's, and bad ids and fields are 400s;
- a server created with "auto" by a project without networks gets a port
  on that topology; DELETE is refused while the server has it, and then
  takes the network, subnet and router away; deleting them by hand makes
  the next request build a new one;
- the openstack CLI's `network auto allocated topology create/delete`.
"""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from compute_cloud import NANO, Nova
from gureum_cloud import Cloud


@pytest.fixture(scope="module")
def cloud():
    c = Cloud()
    try:
        yield c
    finally:
        c.close()


class Project:
    """A project with a member, and the calls the tests make as either it or the admin."""

    def __init__(self, cloud, admin):
        self.cloud = cloud
        self.admin = admin
        self.name = "gureum-test-auto-" + uuid.uuid4().hex[:6]
        _, project, self.token = cloud.make_user(self.name)
        self.id = project["id"]
        self.nova = Nova(cloud, self.token)

    def neutron(self, method, path, expect=None, token=None, **kw):
        r = requests.request(method, self.cloud.url + "/network/v2.0" + path,
                             headers={"X-Auth-Token": token or self.token}, **kw)
        if expect:
            assert r.status_code == expect, r.text
        return r

    def topology(self, expect=200, project=None, **params):
        return self.neutron("GET", "/auto-allocated-topology/" + (project or self.id), expect, params=params)

    def owned(self, plural):
        return self.neutron("GET", "/" + plural, 200, token=self.admin,
                            params={"project_id": self.id}).json()[plural]

    def cli_env(self):
        env = self.cloud.env()
        env.update(OS_USERNAME=self.name, OS_PASSWORD="pw-" + self.name, OS_PROJECT_NAME=self.name + "-p")
        return env


@pytest.fixture(scope="module")
def admin(cloud):
    token, _ = cloud.token()
    return token


def neutron_error(r):
    return r.json()["NeutronError"]


@pytest.fixture(scope="module")
def image(cloud, admin):
    img = cloud.image_api("POST", "/images", admin, json={
        "name": "gureum-test-auto-image", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"}).json()
    r = cloud.image_api("PUT", "/images/%s/file" % img["id"], admin, data=b"\0" * 65536,
                        headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return img["id"]


def boot_auto(p, image, name, expect=202):
    r = p.nova.call("POST", "/servers", {"server": {"name": name, "imageRef": image, "flavorRef": NANO,
                                                    "networks": "auto"}}, version="2.37")
    assert r.status_code == expect, r.text
    return r


@pytest.fixture
def deployment(cloud, admin):
    """What the deployment provides: the default external network and the default pool; removed after."""
    def neutron(method, path, expect, **kw):
        r = requests.request(method, cloud.url + "/network/v2.0" + path, headers={"X-Auth-Token": admin}, **kw)
        assert r.status_code == expect, r.text
        return r
    ext = neutron("POST", "/networks", 201, json={"network": {
        "name": "gureum-test-auto-public", "router:external": True, "is_default": True}}).json()["network"]
    pool = None
    try:
        neutron("POST", "/subnets", 201, json={"subnet": {
            "network_id": ext["id"], "cidr": "198.51.100.0/24", "ip_version": 4, "enable_dhcp": False}})
        pool = neutron("POST", "/subnetpools", 201, json={"subnetpool": {
            "name": "gureum-test-auto-pool", "prefixes": ["10.90.0.0/16"], "default_prefixlen": 26,
            "shared": True, "is_default": True}}).json()["subnetpool"]
        yield ext
    finally:
        if pool:
            neutron("DELETE", "/subnetpools/" + pool["id"], 204)
        neutron("DELETE", "/networks/" + ext["id"], 204)


def test_without_defaults_nothing_is_made(cloud, admin, image):
    p = Project(cloud, admin)
    r = p.topology(409, fields="dry-run")
    assert neutron_error(r)["type"] == "AutoAllocationFailure"
    assert neutron_error(r)["message"] == "Deployment error: No default router:external network."
    r = boot_auto(p, image, "gureum-test-auto-none", expect=400)
    assert "Unable to automatically allocate a network for project %s" % p.id in r.text
    r = p.topology(409)
    assert p.owned("networks") == [] and p.owned("routers") == []
    # An external network that is the default, but no default pool.
    ext = p.neutron("POST", "/networks", 201, token=admin, json={"network": {
        "name": "gureum-test-auto-lone", "router:external": True, "is_default": True}}).json()["network"]
    try:
        r = p.topology(409, fields="dry-run")
        assert neutron_error(r)["message"] == "Deployment error: No default subnetpools defined."
        boot_auto(p, image, "gureum-test-auto-none", expect=400)
    finally:
        p.neutron("DELETE", "/networks/" + ext["id"], 204, token=admin)
    assert p.owned("networks") == []


def test_is_default_marks_one_external_network(cloud, admin, deployment):
    p = Project(cloud, admin)
    shown = p.neutron("GET", "/networks/" + deployment["id"], 200).json()["network"]
    assert shown["is_default"] is True
    r = p.neutron("POST", "/networks", 409, token=admin, json={"network": {
        "name": "gureum-test-auto-public2", "router:external": True, "is_default": True}})
    assert neutron_error(r)["type"] == "DefaultExternalNetworkExists"
    assert deployment["id"] in neutron_error(r)["message"]
    plain = p.neutron("POST", "/networks", 201, token=admin, json={"network": {
        "name": "gureum-test-auto-plain", "is_default": True}}).json()["network"]
    assert "is_default" not in plain
    p.neutron("DELETE", "/networks/" + plain["id"], 204, token=admin)
    second = p.neutron("POST", "/networks", 201, token=admin, json={"network": {
        "name": "gureum-test-auto-public3", "router:external": True}}).json()["network"]
    assert second["is_default"] is False
    p.neutron("PUT", "/networks/" + second["id"], 409, token=admin, json={"network": {"is_default": True}})
    p.neutron("DELETE", "/networks/" + second["id"], 204, token=admin)


def test_get_me_a_network(cloud, admin, image, deployment):
    ext = deployment
    p = Project(cloud, admin)
    r = p.topology(fields="dry-run").json()["auto_allocated_topology"]
    assert r["id"] == "dry-run=pass" and r["project_id"] == p.id
    assert p.owned("networks") == []

    # Asked for: made once, the project's, wired to the external network.
    topo = p.topology().json()["auto_allocated_topology"]
    assert topo["tenant_id"] == topo["project_id"] == p.id
    assert p.topology().json()["auto_allocated_topology"]["id"] == topo["id"]
    assert p.topology(project="None").json()["auto_allocated_topology"]["id"] == topo["id"]
    (net,) = p.owned("networks")
    assert net["id"] == topo["id"] and net["name"] == "auto_allocated_network" and net["admin_state_up"]
    (subnet,) = p.owned("subnets")
    assert subnet["network_id"] == net["id"] and subnet["name"] == "auto_allocated_subnet_v4"
    assert subnet["cidr"].startswith("10.90.") and subnet["cidr"].endswith("/26")
    (router,) = p.owned("routers")
    assert router["name"] == "auto_allocated_router"
    assert router["external_gateway_info"]["network_id"] == ext["id"]
    legs = p.neutron("GET", "/ports", 200, params={"device_id": router["id"],
                                                   "device_owner": "network:router_interface"}).json()["ports"]
    assert [leg["fixed_ips"][0]["subnet_id"] for leg in legs] == [subnet["id"]]

    # Not another project's; no other field; no odd ids.
    other = Project(cloud, admin)
    r = other.topology(403, project=p.id)
    assert neutron_error(r)["message"] == "Not authorized."
    other.neutron("DELETE", "/auto-allocated-topology/" + p.id, 403)
    r = p.neutron("GET", "/auto-allocated-topology/" + p.id, 200, token=admin)
    assert r.json()["auto_allocated_topology"]["id"] == topo["id"]
    p.topology(400, fields="id")
    p.topology(400, project="x'y")
    p.topology(400, project="a" * 65)

    # The server of a project that has no network boots on its topology.
    server = boot_auto(other, image, "gureum-test-auto-vm").json()["server"]
    server = other.nova.wait(server["id"], "ACTIVE", timeout=60)
    assert list(server["addresses"]) == ["auto_allocated_network"]
    mine = other.topology().json()["auto_allocated_topology"]["id"]
    (port,) = other.neutron("GET", "/ports", 200, params={"device_id": server["id"]}).json()["ports"]
    assert port["network_id"] == mine != topo["id"]
    # A second server takes the same network.
    second = boot_auto(other, image, "gureum-test-auto-vm2").json()["server"]
    second = other.nova.wait(second["id"], "ACTIVE", timeout=60)
    assert len(other.owned("networks")) == 1 and list(second["addresses"]) == ["auto_allocated_network"]

    # Taken down only once no server is on it, then all of it.
    r = other.neutron("DELETE", "/auto-allocated-topology/" + other.id, 409)
    assert neutron_error(r)["type"] == "NetworkInUse"
    assert len(other.owned("routers")) == 1
    for s in (server, second):
        other.nova.delete(s["id"])
        other.nova.wait_gone(s["id"], timeout=60)
    other.neutron("DELETE", "/auto-allocated-topology/" + other.id, 204)
    assert other.owned("networks") == other.owned("subnets") == other.owned("routers") == []
    other.neutron("DELETE", "/auto-allocated-topology/" + other.id, 204)   # none left: nothing to do

    # Taken apart by hand: the next request builds a new one.
    p.neutron("PUT", "/routers/%s/remove_router_interface" % router["id"], 200, json={"subnet_id": subnet["id"]})
    p.neutron("DELETE", "/routers/" + router["id"], 204)
    p.neutron("DELETE", "/networks/" + net["id"], 204)
    again = p.topology().json()["auto_allocated_topology"]["id"]
    assert again != topo["id"] and [n["id"] for n in p.owned("networks")] == [again]
    p.neutron("DELETE", "/auto-allocated-topology/" + p.id, 204)

    # The openstack CLI, as a project member.
    env = p.cli_env()
    shown = cloud.openstack("network", "auto", "allocated", "topology", "create", "-f", "json", env=env)
    assert shown["id"] == p.topology().json()["auto_allocated_topology"]["id"]
    # The requirements check succeeds (the CLI shows no column of Neutron's answer for it).
    cloud.openstack("network", "auto", "allocated", "topology", "create", "--check-resources", env=env)
    cloud.openstack("network", "auto", "allocated", "topology", "delete", env=env)
    assert p.owned("networks") == []


def test_the_extension_is_listed(cloud, admin):
    r = requests.get(cloud.url + "/network/v2.0/extensions/auto-allocated-topology", headers={"X-Auth-Token": admin})
    assert r.status_code == 200, r.text
    assert r.json()["extension"]["alias"] == "auto-allocated-topology"


def test_concurrent_requests_make_one_topology(cloud, admin, deployment):
    p = Project(cloud, admin)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: p.topology().json()["auto_allocated_topology"]["id"], range(8)))
    assert len(set(answers)) == 1
    assert [n["id"] for n in p.owned("networks")] == answers[:1]
    assert len(p.owned("routers")) == len(p.owned("subnets")) == 1
    p.neutron("DELETE", "/auto-allocated-topology/" + p.id, 204)
