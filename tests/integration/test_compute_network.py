# SPDX-License-Identifier: Apache-2.0
"""Servers and their ports: compute asks networking for a server's NICs.

On the fake virt driver and the fake data plane (records only), through
the Compute and Networking APIs as a project member:
- a server booted on a network gets a port there (device compute:nova,
  bound to the server's host, named in DNS by the server's hostname), its
  address shows in "addresses" and is found by ?ip=, and deleting the
  server deletes the port;
- a port the user made is taken as it is and left behind, unbound, when
  the server goes;
- Nova's choice of network without "networks": the one network a project
  has (before 2.37), 409 with two, "none" and "auto" from 2.37;
- Nova's errors: an unknown or foreign network is a 400, a port in use a
  409, one port for several servers a 400 — and nothing is left made.
"""
import uuid

import pytest
import requests

from compute_cloud import NANO, Nova
from gureum_cloud import Cloud, wait_for


@pytest.fixture(scope="module")
def cloud():
    c = Cloud()
    try:
        yield c
    finally:
        c.close()


class Env:
    def __init__(self, cloud):
        self.cloud = cloud
        self.admin, _ = cloud.token()
        suffix = uuid.uuid4().hex[:6]
        _, self.project, self.member = cloud.make_user("gureum-test-nic-" + suffix)
        _, _, self.other = cloud.make_user("gureum-test-nic-other-" + suffix)
        self.nova = Nova(cloud, self.member)
        img = cloud.image_api("POST", "/images", self.admin, json={
            "name": "gureum-test-nic-image", "disk_format": "raw", "container_format": "bare",
            "visibility": "public"}).json()
        r = cloud.image_api("PUT", "/images/%s/file" % img["id"], self.admin, data=b"\0" * 65536,
                            headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        self.image = img["id"]

    def neutron(self, method, path, token=None, expect=None, **kw):
        r = requests.request(method, self.cloud.url + "/network/v2.0" + path,
                             headers={"X-Auth-Token": token or self.member}, **kw)
        if expect:
            assert r.status_code == expect, r.text
        return r

    def network(self, name, cidr, token=None):
        net = self.neutron("POST", "/networks", token, 201, json={"network": {"name": name}}).json()["network"]
        self.neutron("POST", "/subnets", token, 201, json={"subnet": {
            "network_id": net["id"], "cidr": cidr, "ip_version": 4}})
        return net

    def ports(self, **filters):
        return self.neutron("GET", "/ports", self.admin, 200, params=filters).json()["ports"]

    def boot(self, name, version="2.1", expect=202, **server):
        r = self.nova.call("POST", "/servers", {"server": dict(name=name, imageRef=self.image, flavorRef=NANO,
                                                               **server)}, version=version)
        assert r.status_code == expect, r.text
        return r

    def active(self, name, **server):
        sid = self.boot(name, **server).json()["server"]["id"]
        return self.nova.wait(sid, "ACTIVE", timeout=60)

    def gone(self, sid):
        self.nova.delete(sid)
        self.nova.wait_gone(sid, timeout=60)


@pytest.fixture(scope="module")
def env(cloud):
    return Env(cloud)


def test_a_server_gets_a_port_on_its_network(env):
    net = env.network("gureum-test-nic-a", "10.77.1.0/24")
    server = env.active("gureum-test-nic-vm1", networks=[{"uuid": net["id"]}])
    (port,) = env.ports(device_id=server["id"])
    assert port["network_id"] == net["id"]
    assert port["device_owner"] == "compute:nova"
    assert port["binding:host_id"] == server.get("OS-EXT-SRV-ATTR:host", port["binding:host_id"]) != ""
    assert port["dns_name"] == "gureum-test-nic-vm1"
    ip = port["fixed_ips"][0]["ip_address"]
    assert ip.startswith("10.77.1.")
    assert server["addresses"] == {"gureum-test-nic-a": [{
        "version": 4, "addr": ip, "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}]}
    # Nova's ip filter: a regex as clients send it, a substring of the address in effect.
    r = env.nova.call("GET", "/servers?ip=^%s$" % ip.replace(".", "\\."))
    assert [s["id"] for s in r.json()["servers"]] == [server["id"]]
    r = env.nova.call("GET", "/servers?ip=10.99.")
    assert r.json()["servers"] == []
    # PUT's answer before 2.75 has Nova's plain addresses, from 2.75 the full ones.
    r = env.nova.call("PUT", "/servers/" + server["id"], {"server": {"name": "gureum-test-nic-vm1"}})
    assert r.json()["server"]["addresses"] == {"gureum-test-nic-a": [{"version": 4, "addr": ip}]}
    r = env.nova.call("PUT", "/servers/" + server["id"], {"server": {"name": "gureum-test-nic-vm1"}}, version="2.75")
    assert r.json()["server"]["addresses"] == server["addresses"]
    listed = env.nova.call("GET", "/servers/detail").json()["servers"]
    assert [s["addresses"] for s in listed if s["id"] == server["id"]] == [server["addresses"]]
    env.gone(server["id"])
    assert env.ports(device_id=server["id"]) == []
    assert env.ports(network_id=net["id"], device_owner="compute:nova") == []


def test_a_users_port_is_kept_unbound(env):
    net = env.network("gureum-test-nic-b", "10.77.2.0/24")
    port = env.neutron("POST", "/ports", expect=201, json={"port": {"network_id": net["id"],
                                                                      "name": "gureum-test-nic-mine"}}).json()["port"]
    server = env.active("gureum-test-nic-vm2", networks=[{"port": port["id"]}])
    (bound,) = env.ports(device_id=server["id"])
    assert bound["id"] == port["id"]
    assert bound["binding:host_id"] != ""
    assert list(server["addresses"]) == ["gureum-test-nic-b"]
    # In use: another server cannot take it.
    r = env.boot("gureum-test-nic-vm3", expect=409, networks=[{"port": port["id"]}])
    assert "in use" in r.text
    env.gone(server["id"])
    kept = env.neutron("GET", "/ports/" + port["id"], env.admin, 200).json()["port"]
    assert kept["device_id"] == "" and kept["device_owner"] == "" and kept["binding:host_id"] == ""


def test_the_default_network_and_none_and_auto(cloud):
    # A project of its own: the choice depends on how many networks it has.
    e = Env(cloud)
    r = e.boot("gureum-test-nic-auto", version="2.37", expect=400, networks="auto")
    assert "Unable to automatically allocate a network" in r.text
    server = e.active("gureum-test-nic-nonet")                    # no network at all: no NIC
    assert server["addresses"] == {}
    net = e.network("gureum-test-nic-only", "10.77.3.0/24")
    server = e.active("gureum-test-nic-default")                  # the one network, before 2.37
    assert list(server["addresses"]) == ["gureum-test-nic-only"]
    sid = e.boot("gureum-test-nic-none", version="2.37", networks="none").json()["server"]["id"]
    assert e.nova.wait(sid, "ACTIVE", timeout=60)["addresses"] == {}
    assert e.ports(device_id=sid) == []
    sid = e.boot("gureum-test-nic-auto2", version="2.37", networks="auto").json()["server"]["id"]
    assert list(e.nova.wait(sid, "ACTIVE", timeout=60)["addresses"]) == ["gureum-test-nic-only"]
    e.network("gureum-test-nic-second", "10.77.4.0/24")
    r = e.boot("gureum-test-nic-two", expect=409)
    assert "Multiple possible networks found" in r.text
    # Several servers of one request each get their own port on it.
    r = e.boot("gureum-test-nic-many", min_count=3, max_count=3, networks=[{"uuid": net["id"]}])
    wait_for(lambda: len(e.ports(network_id=net["id"], device_owner="compute:nova")) == 5, 30, "five ports")
    ips = {p["fixed_ips"][0]["ip_address"] for p in e.ports(network_id=net["id"], device_owner="compute:nova")}
    assert len(ips) == 5


def test_bad_networks_leave_nothing_made(env, cloud):
    before = len(env.ports(device_owner="compute:nova"))
    servers_before = len(env.nova.call("GET", "/servers").json()["servers"])
    foreign = env.network("gureum-test-nic-foreign", "10.77.5.0/24", token=env.other)
    mine = env.network("gureum-test-nic-c", "10.77.6.0/24")
    cases = [
        ([{"uuid": str(uuid.uuid4())}], 400, "could not be found"),
        ([{"uuid": foreign["id"]}], 400, "could not be found"),
        ([{"uuid": "not-a-uuid"}], 400, "Bad networks format"),
        ([{"port": str(uuid.uuid4())}], 400, "could not be found"),
        ([{"uuid": mine["id"], "fixed_ip": "10.99.0.5"}], 400, None),
    ]
    for networks, status, text in cases:
        r = env.boot("gureum-test-nic-bad", expect=status, networks=networks)
        assert text is None or text in r.text, r.text
    port = env.neutron("POST", "/ports", expect=201, json={"port": {"network_id": mine["id"]}}).json()["port"]
    r = env.boot("gureum-test-nic-bad", expect=400, min_count=2, max_count=2, networks=[{"port": port["id"]}])
    assert "single configured port" in r.text
    assert len(env.ports(device_owner="compute:nova")) == before
    assert env.neutron("GET", "/ports/" + port["id"], expect=200).json()["port"]["device_id"] == ""
    assert len(env.nova.call("GET", "/servers").json()["servers"]) == servers_before


def test_security_groups_of_a_create_go_to_its_ports(env):
    net = env.network("gureum-test-nic-sg", "10.77.7.0/24")
    sg = env.neutron("POST", "/security-groups", expect=201,
                     json={"security_group": {"name": "gureum-test-nic-web"}}).json()["security_group"]
    server = env.active("gureum-test-nic-sg1", networks=[{"uuid": net["id"]}],
                        security_groups=[{"name": "gureum-test-nic-web"}, {"name": "default"}])
    (port,) = env.ports(device_id=server["id"])
    default = env.neutron("GET", "/security-groups?name=default").json()["security_groups"][0]["id"]
    assert sorted(port["security_groups"]) == sorted([sg["id"], default])
    r = env.boot("gureum-test-nic-sg2", expect=400, networks=[{"uuid": net["id"]}],
                 security_groups=[{"name": "gureum-test-nic-nosuch"}])
    assert "not found" in r.text
    env.neutron("POST", "/security-groups", expect=201, json={"security_group": {"name": "gureum-test-nic-web"}})
    r = env.boot("gureum-test-nic-sg3", expect=409, networks=[{"uuid": net["id"]}],
                 security_groups=[{"name": "gureum-test-nic-web"}])
    assert "Multiple security groups" in r.text
    env.gone(server["id"])


def test_os_interface_attach_and_detach(env):
    net = env.network("gureum-test-nic-if", "10.77.8.0/24")
    other = env.network("gureum-test-nic-if2", "10.77.9.0/24")
    server = env.active("gureum-test-nic-if1", networks=[{"uuid": net["id"]}])
    sid = server["id"]
    base = "/servers/%s/os-interface" % sid
    (first,) = env.nova.call("GET", base).json()["interfaceAttachments"]
    assert first["net_id"] == net["id"] and first["port_state"] in ("ACTIVE", "DOWN")
    assert set(first) == {"port_state", "fixed_ips", "port_id", "net_id", "mac_addr"}
    # A port made on another network, at a chosen address, with a tag (2.49; shown from 2.70).
    r = env.nova.call("POST", base, {"interfaceAttachment": {"net_id": other["id"], "tag": "second",
                                                             "fixed_ips": [{"ip_address": "10.77.9.50"}]}},
                      version="2.70")
    assert r.status_code == 200, r.text
    made = r.json()["interfaceAttachment"]
    assert made["fixed_ips"][0]["ip_address"] == "10.77.9.50" and made["tag"] == "second"
    # The user's own port.
    port = env.neutron("POST", "/ports", expect=201, json={"port": {"network_id": net["id"]}}).json()["port"]
    r = env.nova.call("POST", base, {"interfaceAttachment": {"port_id": port["id"]}})
    assert r.status_code == 200, r.text
    listed = env.nova.call("GET", base).json()["interfaceAttachments"]
    assert [a["port_id"] for a in listed] == [first["port_id"], made["port_id"], port["id"]]
    addresses = env.nova.get(sid)["addresses"]
    assert sorted(addresses) == ["gureum-test-nic-if", "gureum-test-nic-if2"]
    assert len(addresses["gureum-test-nic-if"]) == 2
    r = env.nova.call("GET", base + "/" + made["port_id"])
    assert r.status_code == 200 and r.json()["interfaceAttachment"]["net_id"] == other["id"]
    # Nova's refusals.
    for body, status in (({"interfaceAttachment": {"port_id": port["id"], "net_id": net["id"]}}, 400),
                         ({"interfaceAttachment": {"fixed_ips": [{"ip_address": "10.77.8.9"}]}}, 400),
                         ({"interfaceAttachment": {"port_id": port["id"]}}, 409),
                         ({"interfaceAttachment": {"net_id": str(uuid.uuid4())}}, 400),
                         ({"interfaceAttachment": {"net_id": net["id"], "tag": "x"}}, 400)):
        r = env.nova.call("POST", base, body)
        assert r.status_code == status, (body, r.text)
    assert env.nova.call("GET", base + "/" + str(uuid.uuid4())).status_code == 404
    assert env.nova.call("DELETE", base + "/" + str(uuid.uuid4())).status_code == 404
    # Detach: the made port goes, the user's stays, unbound.
    assert env.nova.call("DELETE", base + "/" + made["port_id"]).status_code == 202
    assert env.nova.call("DELETE", base + "/" + port["id"]).status_code == 202
    assert env.neutron("GET", "/ports/" + made["port_id"]).status_code == 404
    kept = env.neutron("GET", "/ports/" + port["id"], env.admin, 200).json()["port"]
    assert kept["device_id"] == "" and kept["binding:host_id"] == ""
    assert [a["port_id"] for a in env.nova.call("GET", base).json()["interfaceAttachments"]] == [first["port_id"]]
    actions = [a["action"] for a in env.nova.call("GET", "/servers/%s/os-instance-actions" % sid).json()["instanceActions"]]
    assert actions.count("attach_interface") == 2 and actions.count("detach_interface") == 2
    env.gone(sid)
