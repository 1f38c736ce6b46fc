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
  409, one port for several servers a 400 — and nothing is left made;
- a server's security groups: in its views, added to and removed from all
  its ports (addSecurityGroup, removeSecurityGroup, with Nova's errors),
  listed in Nova's shape (os-security-groups, tempest's schema), by the
  openstack CLI too.
"""
import uuid

import jsonschema
import pytest
import requests
from tempest.lib.api_schema.response.compute.v2_1 import security_groups as tempest_groups

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
        self.member_name = "gureum-test-nic-" + suffix
        _, self.project, self.member = cloud.make_user(self.member_name)
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


def test_add_and_remove_security_groups_of_a_server(env, cloud):
    net = env.network("gureum-test-nic-sgx", "10.77.10.0/24")
    r = env.boot("gureum-test-nic-sgx1", networks=[{"uuid": net["id"]}])
    assert r.json()["server"]["security_groups"] == [{"name": "default"}]     # Nova echoes the default
    server = env.nova.wait(r.json()["server"]["id"], "ACTIVE", timeout=60)
    sid = server["id"]
    assert server["security_groups"] == [{"name": "default"}]
    web = env.neutron("POST", "/security-groups", expect=201,
                      json={"security_group": {"name": "gureum-test-nic-ssh"}}).json()["security_group"]
    env.neutron("POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": web["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
        "port_range_max": 22}})
    env.neutron("POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": web["id"], "direction": "ingress", "protocol": "icmp",
        "remote_group_id": web["id"]}})
    (port,) = env.ports(device_id=sid)

    r = env.nova.call("POST", "/servers/%s/action" % sid, {"addSecurityGroup": {"name": "gureum-test-nic-ssh"}})
    assert r.status_code == 202, r.text
    (after,) = env.ports(device_id=sid)
    assert web["id"] in after["security_groups"] and after["revision_number"] > port["revision_number"]
    shown = env.nova.call("GET", "/servers/" + sid).json()["server"]
    assert sorted(g["name"] for g in shown["security_groups"]) == ["default", "gureum-test-nic-ssh"]
    listed = [s for s in env.nova.call("GET", "/servers/detail").json()["servers"] if s["id"] == sid]
    assert listed[0]["security_groups"] == shown["security_groups"]
    r = env.nova.call("GET", "/servers/%s/os-security-groups" % sid)
    jsonschema.validate(r.json(), tempest_groups.list_security_groups["response_body"])   # tempest's shape
    groups = r.json()["security_groups"]
    (mine,) = [g for g in groups if g["id"] == web["id"]]
    assert mine["name"] == "gureum-test-nic-ssh" and mine["tenant_id"] == env.project["id"]
    rules = sorted(mine["rules"], key=lambda rule: rule["ip_protocol"])   # ingress only: no egress rules
    assert [(x["ip_protocol"], x["from_port"], x["to_port"]) for x in rules] == [("icmp", -1, -1), ("tcp", 22, 22)]
    assert rules[0]["group"] == {"name": "gureum-test-nic-ssh", "tenant_id": env.project["id"]}
    assert rules[0]["ip_range"] == {} and rules[1]["ip_range"] == {"cidr": "0.0.0.0/0"}
    assert all(x["parent_group_id"] == web["id"] for x in rules)

    # Nova's errors: there already, no such group, two of that name, a server with no port, not there.
    def action(body, status, text):
        r = env.nova.call("POST", "/servers/%s/action" % body.pop("server", sid), body)
        assert r.status_code == status, r.text
        assert text in r.text, r.text
    action({"addSecurityGroup": {"name": web["id"]}}, 400, "is already associated with the instance")
    action({"addSecurityGroup": {"name": "gureum-test-nic-nosuch"}}, 404, "not found")
    action({"addSecurityGroup": {"name": ""}}, 400, "")
    action({"addSecurityGroup": {}}, 400, "")
    dup = [env.neutron("POST", "/security-groups", expect=201, json={"security_group": {
        "name": "gureum-test-nic-dup"}}).json()["security_group"] for _ in range(2)]
    action({"addSecurityGroup": {"name": "gureum-test-nic-dup"}}, 409, "Multiple security_group matches")
    r = env.boot("gureum-test-nic-sgx2", version="2.37", networks="none")
    bare = r.json()["server"]["id"]
    env.nova.wait(bare, "ACTIVE", timeout=60)
    action({"server": bare, "addSecurityGroup": {"name": "default"}}, 404, "could not be found as device id")
    open_net = env.neutron("POST", "/networks", expect=201, json={"network": {
        "name": "gureum-test-nic-open", "port_security_enabled": False}}).json()["network"]
    env.neutron("POST", "/subnets", expect=201, json={"subnet": {
        "network_id": open_net["id"], "cidr": "10.77.11.0/24", "ip_version": 4}})
    unfiltered = env.active("gureum-test-nic-sgx3", networks=[{"uuid": open_net["id"]}])["id"]
    action({"server": unfiltered, "addSecurityGroup": {"name": "gureum-test-nic-ssh"}}, 400,
           "requires port_security_enabled")
    env.gone(unfiltered)
    assert "security_groups" not in env.nova.call("GET", "/servers/" + bare).json()["server"]

    r = env.nova.call("POST", "/servers/%s/action" % sid, {"removeSecurityGroup": {"name": "gureum-test-nic-ssh"}})
    assert r.status_code == 202, r.text
    assert web["id"] not in env.ports(device_id=sid)[0]["security_groups"]
    action({"removeSecurityGroup": {"name": "gureum-test-nic-ssh"}}, 400, "not associated with the instance")
    # Another project sees no such server.
    r = Nova(cloud, env.other).call("POST", "/servers/%s/action" % sid, {"addSecurityGroup": {"name": "default"}})
    assert r.status_code == 404, r.text

    # Nova's proxy of the project's groups, before 2.36: ids only, as Nova.
    listed = env.nova.call("GET", "/os-security-groups").json()["security_groups"]
    assert web["id"] in [g["id"] for g in listed] and all(g["tenant_id"] == env.project["id"] for g in listed)
    assert len(env.nova.call("GET", "/os-security-groups?limit=1&offset=1").json()["security_groups"]) == 1
    r = env.nova.call("GET", "/os-security-groups/" + web["id"])
    assert r.status_code == 200 and r.json()["security_group"]["name"] == "gureum-test-nic-ssh", r.text
    jsonschema.validate(r.json(), tempest_groups.get_security_group["response_body"])
    assert env.nova.call("GET", "/os-security-groups/gureum-test-nic-ssh").status_code == 400
    assert env.nova.call("GET", "/os-security-groups/" + str(uuid.uuid4())).status_code == 404
    assert Nova(cloud, env.other).call("GET", "/os-security-groups/" + web["id"]).status_code == 404
    assert env.nova.call("GET", "/os-security-groups", version="2.36").status_code == 404

    # The openstack CLI, as the project's member: by id (it looks a name up in that proxy, which takes ids).
    cli = cloud.env()
    cli.update(OS_USERNAME=env.member_name, OS_PASSWORD="pw-" + env.member_name, OS_PROJECT_NAME=env.member_name + "-p")
    cloud.openstack("server", "add", "security", "group", sid, web["id"], env=cli)
    shown = cloud.openstack("server", "show", sid, "-f", "json", env=cli)
    assert "gureum-test-nic-ssh" in str(shown["security_groups"])
    cloud.openstack("server", "remove", "security", "group", sid, web["id"], env=cli)
    assert web["id"] not in env.ports(device_id=sid)[0]["security_groups"]
    for g in dup:
        env.neutron("DELETE", "/security-groups/" + g["id"], expect=204)
    env.gone(sid)
    env.gone(bare)


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
