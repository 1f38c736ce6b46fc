# SPDX-License-Identifier: Apache-2.0
#
# Networking core resources (Neutron v2.0) against the real daemon with
# the fake data plane: networks, subnets, ports, subnet pools, tags,
# quotas, revisions and If-Match, filters, sorting and paging, with raw
# requests for exact shapes and codes, and the openstack CLI and
# openstacksdk for the flows users run.  Every bad input named by issue 10
# gets Neutron's 400/404/409, never a 5xx.
import ipaddress
import uuid

import pytest
import requests

from gureum_cloud import eui64


class Net:
    """Raw requests to /network/v2.0 with one token; remembers what it
    creates and deletes it (newest first) on cleanup, also on failure."""

    def __init__(self, cloud, token):
        self.cloud, self.token, self.made = cloud, token, []

    def req(self, method, path, body=None, headers=None, token=None):
        h = {"X-Auth-Token": token or self.token}
        h.update(headers or {})
        r = requests.request(method, self.cloud.url + "/network/v2.0" + path, json=body, headers=h)
        assert r.status_code < 500, "%s %s answered %d: %s" % (method, path, r.status_code, r.text)
        return r

    def ok(self, method, path, body=None, status=200, **kw):
        r = self.req(method, path, body, **kw)
        assert r.status_code == status, "%s %s: %d %s" % (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def make(self, kind, status=201, **fields):
        r = self.req("POST", "/%ss" % kind, {kind: fields})
        if r.status_code == 201:
            self.made.append((kind, r.json()[kind]["id"]))
        assert r.status_code == status, r.text
        return r.json()[kind] if status == 201 else r.json()

    def error(self, r, status, type_=None, text=None):
        assert r.status_code == status, "%d, wanted %d: %s" % (r.status_code, status, r.text)
        e = r.json()["NeutronError"]
        assert set(e) == {"type", "message", "detail"}
        if type_:
            assert e["type"] == type_, e
        if text:
            assert text in e["message"], e
        return e

    def cleanup(self):
        order = {"port": 0, "subnet": 1, "network": 2, "subnetpool": 3}
        for kind, rid in sorted(reversed(self.made), key=lambda m: order[m[0]]):
            self.req("DELETE", "/%ss/%s" % (kind, rid))


@pytest.fixture
def net(cloud):
    admin, _ = cloud.token()
    n = Net(cloud, admin)
    try:
        yield n
    finally:
        n.cleanup()


@pytest.fixture(scope="module")
def member(cloud):
    """A member of a project of its own: (user, project, token)."""
    return cloud.make_user("gureum-test-netuser-" + uuid.uuid4().hex[:6])


def network_with_subnet(net, cidr="10.40.0.0/24", **subnet):
    n = net.make("network", name="gureum-test-net")
    s = net.make("subnet", network_id=n["id"], ip_version=ipaddress.ip_network(cidr).version, cidr=cidr, **subnet)
    return n, s


# ---- discovery ---------------------------------------------------------------

def test_versions_resources_and_extensions(cloud, net):
    r = requests.get(cloud.url + "/network")
    v = r.json()["versions"][0]
    assert r.status_code == 200 and v["id"] == "v2.0" and v["status"] == "CURRENT" and v["links"]
    names = {x["name"] for x in net.ok("GET", "/")["resources"]}
    assert {"network", "subnet", "port", "subnetpool"} <= names
    exts = net.ok("GET", "/extensions")["extensions"]
    aliases = {e["alias"] for e in exts}
    for a in ("standard-attr-tag", "subnet_allocation", "quotas", "quota_details", "revision-if-match",
              "pagination", "sorting", "fields", "filter-validation", "default-subnetpools"):
        assert a in aliases, a
    for e in exts:
        assert set(e) == {"alias", "name", "description", "updated", "links"}
        assert net.ok("GET", "/extensions/" + e["alias"])["extension"] == e
    net.error(net.req("GET", "/extensions/gureum-test-none"), 404)


# ---- networks ----------------------------------------------------------------

def test_network_shapes_fields_and_revisions(net):
    n = net.make("network", name="gureum-test-shape", description="d1")
    for key in ("id", "name", "status", "admin_state_up", "shared", "router:external", "mtu", "subnets", "tags",
                "project_id", "tenant_id", "revision_number", "created_at", "updated_at", "port_security_enabled",
                "availability_zones", "availability_zone_hints", "provider:network_type"):
        assert key in n, key
    assert n["status"] == "ACTIVE" and n["revision_number"] == 0 and n["subnets"] == []
    got = net.ok("GET", "/networks/%s?fields=id&fields=name&fields=mtu" % n["id"])["network"]
    assert sorted(got) == ["id", "mtu", "name"]
    s = net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.41.0.0/24")
    shown = net.ok("GET", "/networks/" + n["id"])["network"]
    assert shown["subnets"] == [s["id"]] and shown["revision_number"] == 1
    up = net.ok("PUT", "/networks/" + n["id"], {"network": {"name": "gureum-test-shape2"}})["network"]
    assert up["name"] == "gureum-test-shape2" and up["revision_number"] == 2
    net.req("DELETE", "/subnets/" + s["id"])
    assert net.ok("GET", "/networks/" + n["id"])["network"]["revision_number"] == 3
    net.error(net.req("GET", "/networks/" + str(uuid.uuid4())), 404, "NetworkNotFound")
    net.error(net.req("PUT", "/networks/" + n["id"], {"network": {"bogus": 1}}), 400)


def test_if_match_revision_constraints(net):
    n = net.make("network", name="gureum-test-ifmatch")
    rev = n["revision_number"]
    e = net.error(net.req("PUT", "/networks/" + n["id"], {"network": {"name": "x"}},
                          headers={"If-Match": "revision_number=%d" % (rev + 5)}), 412)
    assert e["message"] == "Constrained to %d, but current revision is %d" % (rev + 5, rev)
    up = net.ok("PUT", "/networks/" + n["id"], {"network": {"name": "gureum-test-ifm2"}},
                headers={"If-Match": "revision_number=%d" % rev})["network"]
    assert up["revision_number"] == rev + 1
    net.error(net.req("PUT", "/networks/" + n["id"], {"network": {"name": "y"}},
                      headers={"If-Match": "revision_number=abc"}), 400)
    net.error(net.req("DELETE", "/networks/" + n["id"], headers={"If-Match": "revision_number=%d" % rev}), 412)
    assert net.ok("GET", "/networks/" + n["id"])["network"]["name"] == "gureum-test-ifm2"
    net.ok("DELETE", "/networks/" + n["id"], headers={"If-Match": 'W/"x", revision_number=%d' % (rev + 1)},
           status=204)


def test_network_delete_takes_subnets_and_dhcp_port_but_not_ports(net):
    n, s = network_with_subnet(net, "10.42.0.0/24")
    dhcp = net.ok("GET", "/ports?network_id=%s&device_owner=network:dhcp" % n["id"])["ports"]
    assert len(dhcp) == 1 and dhcp[0]["fixed_ips"][0]["ip_address"] == "10.42.0.2"
    p = net.make("port", network_id=n["id"])
    net.error(net.req("DELETE", "/networks/" + n["id"]), 409, "NetworkInUse",
              "There are one or more ports still in use on the network")
    net.ok("DELETE", "/ports/" + p["id"], status=204)
    net.ok("DELETE", "/networks/" + n["id"], status=204)
    net.error(net.req("GET", "/subnets/" + s["id"]), 404, "SubnetNotFound")
    assert net.ok("GET", "/ports?network_id=" + n["id"])["ports"] == []


# ---- subnets: the bad input of issue 10 -----------------------------------------

def test_subnet_bad_input(net):
    n = net.make("network", name="gureum-test-badsub")
    def sub(status, text=None, type_=None, **f):
        body = {"network_id": n["id"], "ip_version": 4, "cidr": "10.43.0.0/24"}
        body.update(f)
        r = net.req("POST", "/subnets", {"subnet": body})
        if r.status_code == 201:
            net.made.append(("subnet", r.json()["subnet"]["id"]))
        return net.error(r, status, type_, text)

    sub(400, "is not a valid IP subnet", cidr="10.43.0.300/24")
    sub(400, "is not a valid IP subnet", cidr="not-a-cidr")
    sub(400, "isn't a recognized IP subnet cidr, '10.43.0.5/32' is recommended", cidr="10.43.0.5")
    sub(400, "does not match the ip_version", cidr="fd00::/64")
    sub(400, "0 is not allowed as CIDR prefix length", cidr="0.0.0.0/0")
    sub(409, "Gateway ip 10.43.0.5 conflicts with allocation pool 10.43.0.2-10.43.0.20", gateway_ip="10.43.0.5",
        allocation_pools=[{"start": "10.43.0.2", "end": "10.43.0.20"}])
    sub(409, "Found overlapping allocation pools: 10.43.0.10-10.43.0.20 10.43.0.15-10.43.0.30",
        allocation_pools=[{"start": "10.43.0.10", "end": "10.43.0.20"}, {"start": "10.43.0.15", "end": "10.43.0.30"}])
    sub(400, "spans beyond the subnet cidr", allocation_pools=[{"start": "10.43.0.10", "end": "10.43.1.20"}])
    sub(400, "spans beyond the subnet cidr", allocation_pools=[{"start": "10.43.0.10", "end": "10.43.0.255"}])
    sub(400, "is not valid", allocation_pools=[{"start": "10.43.0.20", "end": "10.43.0.10"}])
    sub(400, "is not a valid IP address", allocation_pools=[{"start": "10.43.0.x", "end": "10.43.0.10"}])
    sub(400, "Gateway is not valid on subnet", gateway_ip="10.43.0.255")
    sub(400, "is not a valid IP address", gateway_ip="10.43.0.1000")
    sub(400, "The number of DNS nameservers exceeds the limit 5",
        dns_nameservers=["10.0.0.%d" % i for i in range(1, 7)])
    sub(400, "Duplicate nameserver", dns_nameservers=["8.8.8.8", "8.8.8.8"])
    sub(400, "is not a valid nameserver", dns_nameservers=["8.8.8"])
    sub(400, "The number of host routes exceeds the limit 20",
        host_routes=[{"destination": "10.9.%d.0/24" % i, "nexthop": "10.43.0.1"} for i in range(21)])
    sub(400, "Invalid route", host_routes=[{"destination": "10.9.0.0/33", "nexthop": "10.43.0.1"}])
    sub(400, "incompatible with DHCP service enabled", cidr="10.43.0.0/31")
    sub(400, "ipv6_ra_mode is not valid when ip_version is 4", ipv6_ra_mode="slaac")
    sub(400, "ip_version", ip_version=5)
    net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.43.0.0/24")
    sub(400, "overlaps with another subnet", cidr="10.43.0.128/25")
    r = net.req("POST", "/subnets", {"subnet": {"network_id": str(uuid.uuid4()), "ip_version": 4, "cidr": "10.1.1.0/24"}})
    net.error(r, 404, "NetworkNotFound")


def test_subnet_defaults_and_update(net):
    n = net.make("network", name="gureum-test-subupd")
    s = net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.44.0.7/24", dns_nameservers=["8.8.4.4"],
                 host_routes=[{"destination": "10.20.0.0/32", "nexthop": "10.100.1.1"}])
    assert s["cidr"] == "10.44.0.0/24" and s["gateway_ip"] == "10.44.0.1" and s["enable_dhcp"] is True
    assert s["allocation_pools"] == [{"start": "10.44.0.2", "end": "10.44.0.254"}]
    assert s["subnetpool_id"] is None and s["ipv6_ra_mode"] is None
    up = net.ok("PUT", "/subnets/" + s["id"], {"subnet": {
        "gateway_ip": "10.44.0.254", "allocation_pools": [{"start": "10.44.0.2", "end": "10.44.0.200"}],
        "dns_nameservers": ["7.8.8.8", "7.8.4.4"], "enable_dhcp": False,
        "host_routes": [{"destination": "10.20.0.0/32", "nexthop": "10.100.1.2"}]}})["subnet"]
    assert up["gateway_ip"] == "10.44.0.254" and up["dns_nameservers"] == ["7.8.8.8", "7.8.4.4"]
    assert up["enable_dhcp"] is False and up["host_routes"][0]["nexthop"] == "10.100.1.2"
    # The new gateway may not sit inside the pools.
    net.error(net.req("PUT", "/subnets/" + s["id"], {"subnet": {"gateway_ip": "10.44.0.9"}}), 409,
              text="conflicts with allocation pool")
    up = net.ok("PUT", "/subnets/" + s["id"], {"subnet": {"gateway_ip": None}})["subnet"]
    assert up["gateway_ip"] is None
    net.error(net.req("PUT", "/subnets/" + s["id"], {"subnet": {"cidr": "10.45.0.0/24"}}), 400)
    v = net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.46.0.0/24", gateway_ip=None)
    assert v["gateway_ip"] is None and v["allocation_pools"] == [{"start": "10.46.0.1", "end": "10.46.0.254"}]


# ---- ports ---------------------------------------------------------------------

def test_port_shape_and_defaults(net, member, cloud):
    n, s = network_with_subnet(net, "10.47.0.0/24")
    p = net.make("port", network_id=n["id"], name="gureum-test-port")
    for key in ("id", "name", "network_id", "mac_address", "fixed_ips", "device_id", "device_owner", "status",
                "admin_state_up", "security_groups", "allowed_address_pairs", "port_security_enabled",
                "binding:host_id", "binding:vif_type", "binding:vnic_type", "tags", "revision_number",
                "project_id", "tenant_id", "extra_dhcp_opts", "created_at", "updated_at"):
        assert key in p, key
    assert p["status"] == "DOWN" and p["admin_state_up"] is True and p["binding:vif_type"] == "unbound"
    assert p["mac_address"].startswith("fa:16:3e:") and len(p["security_groups"]) == 1
    assert p["fixed_ips"] == [{"subnet_id": s["id"], "ip_address": "10.47.0.3"}]
    assert sorted(net.ok("GET", "/ports/%s?fields=id&fields=mac_address" % p["id"])["port"]) == ["id", "mac_address"]
    # A member sees no binding details (admin only), but does see vnic_type.
    mnet = Net(cloud, member[2])
    try:
        mn = mnet.make("network", name="gureum-test-mine")
        mp = mnet.make("port", network_id=mn["id"])
        for hidden in ("binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile"):
            assert hidden not in mp
        assert mp["binding:vnic_type"] == "normal"
        mnet.error(mnet.req("POST", "/ports", {"port": {"network_id": mn["id"], "binding:host_id": "h1"}}), 403)
        mnet.error(mnet.req("PUT", "/ports/" + mp["id"], {"port": {"binding:host_id": "h1"}}), 403)
        bound = net.ok("PUT", "/ports/" + mp["id"], {"port": {"binding:host_id": "gureum-test-host"}})["port"]
        assert bound["binding:host_id"] == "gureum-test-host" and bound["binding:vif_type"] != "unbound"
        # A bound port keeps its MAC (409); an unbound one may change it.
        mnet.error(mnet.req("PUT", "/ports/" + mp["id"], {"port": {"mac_address": "fa:16:3e:00:00:01"}}), 409,
                   text="port is already bound")
        mp2 = mnet.make("port", network_id=mn["id"])
        ch = mnet.ok("PUT", "/ports/" + mp2["id"], {"port": {"mac_address": "FA:16:3E:AB:CD:EF"}})["port"]
        assert ch["mac_address"] == "fa:16:3e:ab:cd:ef"
    finally:
        mnet.cleanup()


def test_port_bad_input(net):
    n, s = network_with_subnet(net, "10.48.0.0/28")
    def port(status, text=None, type_=None, **f):
        body = {"network_id": n["id"]}
        body.update(f)
        r = net.req("POST", "/ports", {"port": body})
        if r.status_code == 201:
            net.made.append(("port", r.json()["port"]["id"]))
        return net.error(r, status, type_, text)

    port(400, "is not a valid MAC address", mac_address="fa:16:3e:zz:00:01")
    port(400, "is not a valid MAC address", mac_address="01:00:5e:00:00:01")
    port(400, "is not a valid IP for the specified subnet", fixed_ips=[{"subnet_id": s["id"], "ip_address": "10.48.1.5"}])
    port(400, "is not a valid IP for any of the subnets", fixed_ips=[{"ip_address": "10.99.0.5"}])
    port(400, "is not a valid IP for the specified subnet", fixed_ips=[{"subnet_id": s["id"], "ip_address": "10.48.0.15"}])
    port(400, "is not a valid IP address", fixed_ips=[{"ip_address": "10.48.0.999"}])
    port(404, "could not be found", "SubnetNotFound", fixed_ips=[{"subnet_id": str(uuid.uuid4())}])
    port(400, "Exceeded maximum amount of fixed ips per port",
         fixed_ips=[{"subnet_id": s["id"]} for _ in range(6)])
    port(400, "The number of allowed address pair exceeds the maximum 10",
         allowed_address_pairs=[{"ip_address": "10.1.0.%d" % i} for i in range(11)])
    port(400, "is not a valid IP address", allowed_address_pairs=[{"ip_address": "10.1.0.999"}])
    port(400, "duplicate address pair", allowed_address_pairs=[{"ip_address": "10.1.0.1"}, {"ip_address": "10.1.0.1"}])
    port(409, "Port Security must be enabled in order to have allowed address pairs",
         port_security_enabled=False, allowed_address_pairs=[{"ip_address": "10.1.0.1"}])
    taken = net.make("port", network_id=n["id"], fixed_ips=[{"subnet_id": s["id"], "ip_address": "10.48.0.9"}])
    port(409, "10.48.0.9 already allocated", fixed_ips=[{"ip_address": "10.48.0.9"}])
    port(409, "The mac address %s is in use" % taken["mac_address"], mac_address=taken["mac_address"].upper())
    r = net.req("POST", "/ports", {"port": {"network_id": n["id"], "port_security_enabled": False,
                                            "security_groups": taken["security_groups"]}})
    net.error(r, 400, text="Port security must be enabled and port must have an IP address")
    net.error(net.req("POST", "/ports", {"port": {"network_id": str(uuid.uuid4())}}), 404, "NetworkNotFound")
    net.error(net.req("GET", "/ports/" + str(uuid.uuid4())), 404, "PortNotFound")


def test_port_fixed_ips_update_semantics(net):
    n = net.make("network", name="gureum-test-fixed")
    s1 = net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.49.1.0/24")
    s2 = net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.49.2.0/24")
    p = net.make("port", network_id=n["id"], fixed_ips=[{"subnet_id": s1["id"]}, {"subnet_id": s2["id"]}])
    a1, a2 = (f["ip_address"] for f in p["fixed_ips"])
    # The same subnet asked again keeps its address; the address no longer asked for is released.
    p = net.ok("PUT", "/ports/" + p["id"], {"port": {"fixed_ips": [{"subnet_id": s1["id"]}]}})["port"]
    assert p["fixed_ips"] == [{"subnet_id": s1["id"], "ip_address": a1}]
    other = net.make("port", network_id=n["id"], fixed_ips=[{"ip_address": a2}])
    assert other["fixed_ips"][0]["ip_address"] == a2
    # By address: kept when asked again, new ones claimed, in the order asked.
    p = net.ok("PUT", "/ports/" + p["id"], {"port": {"fixed_ips": [
        {"subnet_id": s2["id"], "ip_address": "10.49.2.77"}, {"ip_address": a1}]}})["port"]
    assert p["fixed_ips"] == [{"subnet_id": s2["id"], "ip_address": "10.49.2.77"},
                              {"subnet_id": s1["id"], "ip_address": a1}]
    net.error(net.req("PUT", "/ports/" + p["id"], {"port": {"fixed_ips": [{"ip_address": a2}]}}), 409,
              text="already allocated")
    # A failed update changed nothing.
    assert net.ok("GET", "/ports/" + p["id"])["port"]["fixed_ips"] == p["fixed_ips"]
    p = net.ok("PUT", "/ports/" + p["id"], {"port": {"fixed_ips": []}})["port"]
    assert p["fixed_ips"] == []
    # Filters over fixed_ips.
    got = net.ok("GET", "/ports?fixed_ips=ip_address%%3D%s" % a2)["ports"]
    assert [x["id"] for x in got] == [other["id"]]
    got = net.ok("GET", "/ports?network_id=%s&fixed_ips=subnet_id%%3D%s" % (n["id"], s2["id"]))["ports"]
    assert other["id"] in [x["id"] for x in got]
    got = net.ok("GET", "/ports?fixed_ips=ip_address_substr%%3D%s" % a2[:-1])["ports"]
    assert other["id"] in [x["id"] for x in got]
    net.error(net.req("GET", "/ports?fixed_ips=bogus%3D1"), 400)


def test_port_security_groups_and_pairs_interplay(net):
    n, _ = network_with_subnet(net, "10.50.0.0/24")
    p = net.make("port", network_id=n["id"], allowed_address_pairs=[{"ip_address": "10.50.0.200"},
                                                                      {"ip_address": "10.60.0.0/24",
                                                                       "mac_address": "fa:16:3e:11:22:33"}])
    assert p["allowed_address_pairs"] == [{"ip_address": "10.50.0.200", "mac_address": p["mac_address"]},
                                          {"ip_address": "10.60.0.0/24", "mac_address": "fa:16:3e:11:22:33"}]
    groups = p["security_groups"]
    # Port security cannot go while pairs or groups remain.
    net.error(net.req("PUT", "/ports/" + p["id"], {"port": {"port_security_enabled": False}}), 409,
              text="allowed address pairs")
    net.error(net.req("PUT", "/ports/" + p["id"], {"port": {"port_security_enabled": False,
                                                             "allowed_address_pairs": []}}), 409,
              text="Port has security group associated")
    off = net.ok("PUT", "/ports/" + p["id"], {"port": {"port_security_enabled": False, "allowed_address_pairs": [],
                                                         "security_groups": []}})["port"]
    assert off["port_security_enabled"] is False and off["security_groups"] == [] and off["allowed_address_pairs"] == []
    net.error(net.req("PUT", "/ports/" + p["id"], {"port": {"security_groups": groups}}), 400,
              text="Port security must be enabled")
    net.error(net.req("PUT", "/ports/" + p["id"], {"port": {"allowed_address_pairs": [{"ip_address": "1.2.3.4"}]}}),
              409)
    on = net.ok("PUT", "/ports/" + p["id"], {"port": {"port_security_enabled": True, "security_groups": groups}})["port"]
    assert on["security_groups"] == groups
    bare = net.make("port", network_id=n["id"], security_groups=[])
    assert bare["security_groups"] == []
    insecure = net.make("port", network_id=n["id"], port_security_enabled=False)
    assert insecure["security_groups"] == []
    net.error(net.req("PUT", "/ports/" + p["id"], {"port": {"security_groups": [str(uuid.uuid4())]}}), 404,
              "SecurityGroupNotFound")


def test_port_policy_on_other_projects_networks(cloud, net, member):
    shared = net.make("network", name="gureum-test-shared", shared=True)
    s = net.make("subnet", network_id=shared["id"], ip_version=4, cidr="10.51.0.0/24")
    private = net.make("network", name="gureum-test-private")
    mnet = Net(cloud, member[2])
    try:
        # A shared network's subnets are visible; a private network is not there at all.
        assert mnet.ok("GET", "/subnets/" + s["id"])["subnet"]["id"] == s["id"]
        mnet.error(mnet.req("GET", "/networks/" + private["id"]), 404)
        mnet.error(mnet.req("POST", "/ports", {"port": {"network_id": private["id"]}}), 404)
        p = mnet.make("port", network_id=shared["id"])
        assert p["project_id"] == member[1]["id"]
        # On someone else's network: no chosen address, MAC or network:* owner (403).
        mnet.error(mnet.req("POST", "/ports", {"port": {"network_id": shared["id"],
                                                        "fixed_ips": [{"ip_address": "10.51.0.99"}]}}), 403)
        mnet.error(mnet.req("POST", "/ports", {"port": {"network_id": shared["id"],
                                                        "mac_address": "fa:16:3e:00:11:22"}}), 403)
        mnet.error(mnet.req("POST", "/ports", {"port": {"network_id": shared["id"],
                                                        "device_owner": "network:router_interface"}}), 403)
        mnet.error(mnet.req("PUT", "/networks/" + shared["id"], {"network": {"name": "x"}}), 403)
        mnet.error(mnet.req("POST", "/subnets", {"subnet": {"network_id": shared["id"], "ip_version": 4,
                                                            "cidr": "10.52.0.0/24"}}), 403)
        # The admin's port on the shared network is not the member's to see.
        ap = net.make("port", network_id=shared["id"])
        mnet.error(mnet.req("GET", "/ports/" + ap["id"]), 404)
        assert ap["id"] not in [x["id"] for x in mnet.ok("GET", "/ports")["ports"]]
        # A network stays shared while another project's port is on it.
        net.error(net.req("PUT", "/networks/" + shared["id"], {"network": {"shared": False}}), 409,
                  text="Multiple projects are using it")
        mnet.ok("DELETE", "/ports/" + p["id"], status=204)
        assert net.ok("PUT", "/networks/" + shared["id"], {"network": {"shared": False}})["network"]["shared"] is False
    finally:
        mnet.cleanup()


def test_external_network_subnets_are_not_visible(cloud, net, member):
    ext = net.make("network", name="gureum-test-ext", **{"router:external": True,
                                                           "provider:network_type": "flat",
                                                           "provider:physical_network": "public"})
    s = net.make("subnet", network_id=ext["id"], ip_version=4, cidr="172.24.9.0/24", enable_dhcp=False)
    mnet = Net(cloud, member[2])
    listed = mnet.ok("GET", "/networks?router%3Aexternal=True")["networks"]
    assert ext["id"] in [x["id"] for x in listed] and all(x["router:external"] for x in listed)
    assert mnet.ok("GET", "/subnets?network_id=" + ext["id"])["subnets"] == []
    mnet.error(mnet.req("GET", "/subnets/" + s["id"]), 404)
    mnet.error(mnet.req("POST", "/ports", {"port": {"network_id": ext["id"]}}), 403)
    assert "provider:network_type" not in mnet.ok("GET", "/networks/" + ext["id"])["network"]


# ---- IPv6 ----------------------------------------------------------------------

def test_ipv6_modes_and_slaac_addresses(net):
    n = net.make("network", name="gureum-test-v6")
    v4 = net.make("subnet", network_id=n["id"], ip_version=4, cidr="10.53.0.0/24")
    slaac = net.make("subnet", network_id=n["id"], ip_version=6, cidr="2001:db8:53::/64",
                     ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    assert slaac["gateway_ip"] == "2001:db8:53::1"
    assert slaac["allocation_pools"] == [{"start": "2001:db8:53::2", "end": "2001:db8:53:0:ffff:ffff:ffff:ffff"}]
    p = net.make("port", network_id=n["id"])
    ips = {f["subnet_id"]: f["ip_address"] for f in p["fixed_ips"]}
    assert ips[slaac["id"]] == eui64(slaac["cidr"], p["mac_address"]) and v4["id"] in ips
    # Asking for the v4 subnet alone still gives the SLAAC address; any other v6 address there is refused.
    q = net.make("port", network_id=n["id"], fixed_ips=[{"subnet_id": v4["id"]}])
    assert {f["subnet_id"] for f in q["fixed_ips"]} == {v4["id"], slaac["id"]}
    net.error(net.req("POST", "/ports", {"port": {"network_id": n["id"], "fixed_ips": [
        {"subnet_id": slaac["id"], "ip_address": "2001:db8:53::99"}]}}), 400,
        text="cannot be directly assigned to a port on subnet")
    # A new MAC moves the SLAAC address with it; dropping the v4 address keeps the SLAAC one.
    q = net.ok("PUT", "/ports/" + q["id"], {"port": {"mac_address": "fa:16:3e:53:00:01"}})["port"]
    assert {f["ip_address"] for f in q["fixed_ips"] if f["subnet_id"] == slaac["id"]} == \
        {eui64(slaac["cidr"], "fa:16:3e:53:00:01")}
    q = net.ok("PUT", "/ports/" + q["id"], {"port": {"fixed_ips": []}})["port"]
    assert [f["subnet_id"] for f in q["fixed_ips"]] == [slaac["id"]]
    # A stateless subnet made later reaches the ports already there.
    stateless = net.make("subnet", network_id=n["id"], ip_version=6, cidr="2001:db8:54::/64",
                         ipv6_ra_mode="dhcpv6-stateless", ipv6_address_mode="dhcpv6-stateless")
    shown = net.ok("GET", "/ports/" + p["id"])["port"]
    assert eui64(stateless["cidr"], p["mac_address"]) in [f["ip_address"] for f in shown["fixed_ips"]]
    assert shown["revision_number"] > p["revision_number"]
    # Stateful: addresses from the pool, one per port by default.
    stateful = net.make("subnet", network_id=n["id"], ip_version=6, cidr="2001:db8:55::/64",
                        ipv6_ra_mode="dhcpv6-stateful", ipv6_address_mode="dhcpv6-stateful")
    r = net.make("port", network_id=n["id"])
    got = [f["ip_address"] for f in r["fixed_ips"] if f["subnet_id"] == stateful["id"]]
    assert len(got) == 1 and ipaddress.ip_address(got[0]) in ipaddress.ip_network(stateful["cidr"])
    # An auto-address subnet goes away with its ports still there (they lose that address); the network stays.
    net.ok("DELETE", "/subnets/" + slaac["id"], status=204)
    assert slaac["id"] not in [f["subnet_id"] for f in net.ok("GET", "/ports/" + p["id"])["port"]["fixed_ips"]]
    net.error(net.req("DELETE", "/networks/" + n["id"]), 409, text="one or more ports still in use")
    # A stateful subnet with ports cannot go.
    net.error(net.req("DELETE", "/subnets/" + stateful["id"]), 409, "SubnetInUse")


def test_ipv6_mode_errors(net):
    n = net.make("network", name="gureum-test-v6bad")
    def sub(text, **f):
        body = {"network_id": n["id"], "ip_version": 6, "cidr": "2001:db8:56::/64"}
        body.update(f)
        net.error(net.req("POST", "/subnets", {"subnet": body}), 400, text=text)
    sub("must be the same value", ipv6_ra_mode="slaac", ipv6_address_mode="dhcpv6-stateful")
    sub("requires the prefix to be /64", cidr="2001:db8:56::/80", ipv6_address_mode="slaac")
    sub("cannot be set when enable_dhcp is set to False", enable_dhcp=False, ipv6_address_mode="slaac")
    sub("is not supported", cidr="::/64")
    s = net.make("subnet", network_id=n["id"], ip_version=6, cidr="2001:db8:57::/64", ipv6_address_mode="slaac")
    net.error(net.req("PUT", "/subnets/" + s["id"], {"subnet": {"enable_dhcp": False}}), 400,
              text="Cannot disable enable_dhcp with ipv6 attributes set")


# ---- lists: filters, sorting, paging -------------------------------------------

def test_filters_sorting_and_paging(net):
    n, s = network_with_subnet(net, "10.58.0.0/24")
    dev = str(uuid.uuid4())
    ports = [net.make("port", network_id=n["id"], name="gureum-test-page-%d" % i, device_id=dev,
                      device_owner="compute:nova" if i % 2 else "gureum-test-owner") for i in range(5)]
    ids = [p["id"] for p in ports]
    got = net.ok("GET", "/ports?device_id=" + dev)["ports"]
    assert sorted(x["id"] for x in got) == sorted(ids)
    got = net.ok("GET", "/ports?device_id=%s&device_owner=compute:nova" % dev)["ports"]
    assert sorted(x["id"] for x in got) == sorted(ids[1::2])
    got = net.ok("GET", "/ports?id=%s&id=%s" % (ids[0], ids[3]))["ports"]
    assert sorted(x["id"] for x in got) == sorted([ids[0], ids[3]])
    assert net.ok("GET", "/ports?device_id=%s&name=" % dev)["ports"]  # an empty filter is dropped
    e = net.error(net.req("GET", "/ports?bogus=1"), 400)
    assert e["message"] == "['bogus'] is invalid attribute for filtering"
    net.error(net.req("GET", "/ports?sort_key=name"), 400, text="must be same")
    net.error(net.req("GET", "/ports?sort_key=bogus&sort_dir=asc"), 400, text="invalid attribute for sort_keys")
    net.error(net.req("GET", "/ports?sort_key=name&sort_dir=up"), 400, text="invalid value for sort_dirs")
    net.error(net.req("GET", "/ports?limit=-1"), 400)
    desc = net.ok("GET", "/ports?device_id=%s&sort_key=name&sort_dir=desc" % dev)["ports"]
    assert [x["name"] for x in desc] == ["gureum-test-page-%d" % i for i in range(4, -1, -1)]
    base = "/ports?device_id=%s&sort_key=name&sort_dir=asc&limit=2" % dev
    page = net.ok("GET", base)
    assert [x["name"] for x in page["ports"]] == ["gureum-test-page-0", "gureum-test-page-1"]
    links = {l["rel"]: l["href"] for l in page["ports_links"]}
    assert set(links) == {"next", "previous"} and "marker=" + page["ports"][1]["id"] in links["next"]
    nxt = requests.get(links["next"], headers={"X-Auth-Token": net.token}).json()
    assert [x["name"] for x in nxt["ports"]] == ["gureum-test-page-2", "gureum-test-page-3"]
    last = net.ok("GET", base + "&marker=" + nxt["ports"][1]["id"])
    assert [x["name"] for x in last["ports"]] == ["gureum-test-page-4"]
    assert {l["rel"] for l in last["ports_links"]} == {"previous"}
    prev_href = {l["rel"]: l["href"] for l in nxt["ports_links"]}["previous"]
    assert "page_reverse=True" in prev_href
    prev = requests.get(prev_href, headers={"X-Auth-Token": net.token}).json()
    assert [x["name"] for x in prev["ports"]] == ["gureum-test-page-0", "gureum-test-page-1"]
    assert "ports_links" not in net.ok("GET", "/ports?device_id=" + dev)
    fields = net.ok("GET", "/ports?device_id=%s&fields=id&fields=name" % dev)["ports"]
    assert all(sorted(x) == ["id", "name"] for x in fields)
    net.error(net.req("GET", "/ports?marker=" + str(uuid.uuid4())), 400)


# ---- tags ------------------------------------------------------------------------

def test_tags(net):
    n, s = network_with_subnet(net, "10.59.0.0/24")
    p = net.make("port", network_id=n["id"], tags=["gureum-test-a", "gureum-test-b"])
    assert p["tags"] == ["gureum-test-a", "gureum-test-b"]
    pool = net.make("subnetpool", name="gureum-test-tagpool", prefixes=["10.159.0.0/16"])
    for kind, rid in (("networks", n["id"]), ("subnets", s["id"]), ("ports", p["id"]), ("subnetpools", pool["id"])):
        rev = net.ok("GET", "/%s/%s" % (kind, rid))[kind[:-1]]["revision_number"]
        assert net.req("PUT", "/%s/%s/tags/gureum-test-red" % (kind, rid)).status_code == 201
        assert net.req("GET", "/%s/%s/tags/gureum-test-red" % (kind, rid)).status_code == 204
        net.error(net.req("GET", "/%s/%s/tags/gureum-test-none" % (kind, rid)), 404, text="could not be found")
        assert net.ok("GET", "/%s/%s" % (kind, rid))[kind[:-1]]["revision_number"] == rev + 1
        got = net.ok("PUT", "/%s/%s/tags" % (kind, rid), {"tags": ["gureum-test-x", "gureum-test-y"]})
        assert got == {"tags": ["gureum-test-x", "gureum-test-y"]}
        assert net.ok("GET", "/%s/%s/tags" % (kind, rid)) == got
        listed = net.ok("GET", "/%s?tags=gureum-test-x,gureum-test-y" % kind)[kind]
        assert rid in [x["id"] for x in listed]
        assert rid not in [x["id"] for x in net.ok("GET", "/%s?tags=gureum-test-x,gureum-test-z" % kind)[kind]]
        assert rid in [x["id"] for x in net.ok("GET", "/%s?tags-any=gureum-test-z,gureum-test-y" % kind)[kind]]
        assert rid not in [x["id"] for x in net.ok("GET", "/%s?not-tags=gureum-test-x" % kind)[kind]]
        assert rid in [x["id"] for x in net.ok("GET", "/%s?not-tags=gureum-test-x,gureum-test-z" % kind)[kind]]
        assert rid not in [x["id"] for x in net.ok("GET", "/%s?not-tags-any=gureum-test-z,gureum-test-y" % kind)[kind]]
        assert net.req("DELETE", "/%s/%s/tags/gureum-test-x" % (kind, rid)).status_code == 204
        net.error(net.req("DELETE", "/%s/%s/tags/gureum-test-x" % (kind, rid)), 404)
        assert net.req("DELETE", "/%s/%s/tags" % (kind, rid)).status_code == 204
        assert net.ok("GET", "/%s/%s/tags" % (kind, rid)) == {"tags": []}
    e = net.error(net.req("PUT", "/networks/%s/tags" % n["id"], {"tags": ["t%d" % i for i in range(51)]}), 400)
    assert e["message"] == "Bad networks request: The number of tags exceed the per-resource limit of 50."
    net.ok("PUT", "/networks/%s/tags" % n["id"], {"tags": ["t%d" % i for i in range(50)]})
    net.error(net.req("PUT", "/networks/%s/tags/t50" % n["id"]), 400, text="per-resource limit of 50")
    assert len(net.ok("GET", "/networks/%s/tags" % n["id"])["tags"]) == 50
    net.error(net.req("PUT", "/networks/%s/tags/%s" % (n["id"], "x" * 256)), 400)
    net.error(net.req("PUT", "/networks/%s/tags" % n["id"], {"tags": ["a", "a"]}), 400, text="Duplicate")
    net.error(net.req("PUT", "/networks/%s/tags" % n["id"], {"tags": ["a\nb"]}), 400)
    net.error(net.req("PUT", "/networks/%s/tags/x" % uuid.uuid4()), 404, "NetworkNotFound")


def test_tags_of_others_resources(cloud, net, member):
    shared = net.make("network", name="gureum-test-tagshared", shared=True)
    net.ok("PUT", "/networks/%s/tags" % shared["id"], {"tags": ["gureum-test-t"]})
    mnet = Net(cloud, member[2])
    assert mnet.ok("GET", "/networks/%s/tags" % shared["id"]) == {"tags": ["gureum-test-t"]}
    mnet.error(mnet.req("PUT", "/networks/%s/tags/x" % shared["id"]), 403)
    mnet.error(mnet.req("DELETE", "/networks/%s/tags" % shared["id"]), 403)


# ---- subnet pools ------------------------------------------------------------------

def test_subnetpools(cloud, net, member):
    pool = net.make("subnetpool", name="gureum-test-pool", prefixes=["10.61.0.0/24", "10.61.1.0/24", "10.62.0.0/16"],
                    default_prefixlen=26, min_prefixlen=20, max_prefixlen=28)
    assert pool["prefixes"] == ["10.61.0.0/23", "10.62.0.0/16"] and pool["ip_version"] == 4
    assert (pool["default_prefixlen"], pool["min_prefixlen"], pool["max_prefixlen"]) == (26, 20, 28)
    assert pool["shared"] is False and pool["is_default"] is False and pool["default_quota"] is None
    n = net.make("network", name="gureum-test-poolnet")
    got = [net.make("subnet", network_id=n["id"], ip_version=4, subnetpool_id=pool["id"]) for _ in range(3)]
    cidrs = [s["cidr"] for s in got]
    assert cidrs == ["10.61.0.0/26", "10.61.0.64/26", "10.61.0.128/26"]
    assert all(s["subnetpool_id"] == pool["id"] for s in got)
    s = net.make("subnet", network_id=n["id"], ip_version=4, subnetpool_id=pool["id"], prefixlen=20)
    assert s["cidr"] == "10.62.0.0/20" and s["gateway_ip"] == "10.62.0.1"
    s = net.make("subnet", network_id=n["id"], ip_version=4, subnetpool_id=pool["id"], cidr="10.62.64.0/24")
    assert s["cidr"] == "10.62.64.0/24"
    def sub(status, text, **f):
        body = {"network_id": n["id"], "ip_version": 4, "subnetpool_id": pool["id"]}
        body.update(f)
        return net.error(net.req("POST", "/subnets", {"subnet": body}), status, text=text)
    sub(409, "Cannot allocate requested subnet", cidr="10.61.0.64/26")
    sub(400, "Cannot allocate requested subnet", cidr="192.168.0.0/24")
    sub(400, "maximum allowed prefix is 28", prefixlen=29)
    sub(400, "minimum allowed prefix is 20", prefixlen=16)
    sub(400, "cidr and prefixlen must not be supplied together", cidr="10.62.65.0/24", prefixlen=24)
    sub(400, "Cannot allocate IPv6 subnet from IPv4 subnet pool", ip_version=6)
    sub(400, "allowed only for specific subnet requests",
        allocation_pools=[{"start": "10.61.0.2", "end": "10.61.0.9"}])
    n2 = net.make("network", name="gureum-test-poolnet2")
    net.make("subnet", network_id=n2["id"], ip_version=4, cidr="10.63.0.0/24")
    net.error(net.req("POST", "/subnets", {"subnet": {"network_id": n2["id"], "ip_version": 4,
                                                      "subnetpool_id": pool["id"]}}), 400,
              text="must be allocated from the same subnet pool")
    net.error(net.req("DELETE", "/subnetpools/" + pool["id"]), 400, text="Subnet pool has existing allocations")
    # Prefixes only grow.
    net.error(net.req("PUT", "/subnetpools/" + pool["id"], {"subnetpool": {"prefixes": ["10.61.0.0/24"]}}), 400,
              text="Existing prefixes must be a subset of the new prefixes")
    up = net.ok("PUT", "/subnetpools/" + pool["id"], {"subnetpool": {
        "prefixes": ["10.61.0.0/23", "10.62.0.0/16", "10.64.0.0/16"], "name": "gureum-test-pool2"}})["subnetpool"]
    assert up["prefixes"] == ["10.61.0.0/23", "10.62.0.0/16", "10.64.0.0/16"] and up["revision_number"] == 1
    net.error(net.req("PUT", "/subnetpools/" + pool["id"], {"subnetpool": {"min_prefixlen": 29}}), 400,
              text="Illegal prefix bounds")
    # Exhaustion of a small pool: 409, and no subnet overlaps another.
    small = net.make("subnetpool", name="gureum-test-small", prefixes=["10.65.0.0/27"], default_prefixlen=28)
    nets = [net.make("network", name="gureum-test-sm%d" % i) for i in range(3)]
    a = net.make("subnet", network_id=nets[0]["id"], ip_version=4, subnetpool_id=small["id"])
    b = net.make("subnet", network_id=nets[1]["id"], ip_version=4, subnetpool_id=small["id"])
    assert {a["cidr"], b["cidr"]} == {"10.65.0.0/28", "10.65.0.16/28"}
    net.error(net.req("POST", "/subnets", {"subnet": {"network_id": nets[2]["id"], "ip_version": 4,
                                                      "subnetpool_id": small["id"]}}), 409,
              text="Insufficient prefix space to allocate subnet size /28")
    net.ok("DELETE", "/subnets/" + a["id"], status=204)
    c = net.make("subnet", network_id=nets[2]["id"], ip_version=4, subnetpool_id=small["id"])
    assert c["cidr"] == "10.65.0.0/28"
    # Pool errors.
    for body, text in (({"prefixes": []}, "Empty subnet pool prefix list"),
                       ({"prefixes": ["10.0.0.0/8", "fd00::/8"]}, "Cannot mix IPv4 and IPv6"),
                       ({"prefixes": ["10.0.0.300/8"]}, "is not a valid IP subnet"),
                       ({"prefixes": ["10.0.0.1/8"]}, "'10.0.0.0/8' is recommended"),
                       ({"prefixes": ["10.0.0.0/8"], "min_prefixlen": 24, "max_prefixlen": 16},
                        "Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16"),
                       ({"prefixes": ["10.0.0.0/8"], "max_prefixlen": 33}, "ip_version_max=32"),
                       ({"prefixes": ["10.0.0.0/8"], "default_prefixlen": 4}, "default_prefixlen=4")):
        body["name"] = "gureum-test-bad"
        net.error(net.req("POST", "/subnetpools", {"subnetpool": body}), 400, text=text)
    # Visibility and admin-only attributes.
    mnet = Net(cloud, member[2])
    try:
        mnet.error(mnet.req("GET", "/subnetpools/" + pool["id"]), 404, "SubnetPoolNotFound")
        shared = net.make("subnetpool", name="gureum-test-sharedpool", prefixes=["10.66.0.0/16"], shared=True,
                          default_prefixlen=24)
        assert mnet.ok("GET", "/subnetpools/" + shared["id"])["subnetpool"]["shared"] is True
        mnet.error(mnet.req("POST", "/subnetpools", {"subnetpool": {"name": "gureum-test-x", "prefixes": ["10.67.0.0/16"],
                                                                    "shared": True}}), 403)
        mnet.error(mnet.req("POST", "/subnetpools", {"subnetpool": {"name": "gureum-test-x", "prefixes": ["10.67.0.0/16"],
                                                                    "is_default": True}}), 403)
        mine = mnet.make("network", name="gureum-test-mynet")
        ms = mnet.make("subnet", network_id=mine["id"], ip_version=4, subnetpool_id=shared["id"])
        assert ms["cidr"] == "10.66.0.0/24" and ms["project_id"] == member[1]["id"]
        mnet.error(mnet.req("PUT", "/subnetpools/" + shared["id"], {"subnetpool": {"name": "x"}}), 403)
    finally:
        mnet.cleanup()


def test_default_subnetpool_and_prefix_quota(net):
    # One default pool per IP version; use_default_subnetpool takes it.
    d6 = net.make("subnetpool", name="gureum-test-def6", prefixes=["fd00:68::/48"], is_default=True)
    assert d6["is_default"] is True and d6["default_prefixlen"] == 64 and d6["min_prefixlen"] == 64
    net.error(net.req("POST", "/subnetpools", {"subnetpool": {"name": "gureum-test-def6b", "prefixes": ["fd00:69::/48"],
                                                              "is_default": True}}), 400,
              text="A default subnetpool for this IP family has already been set")
    n = net.make("network", name="gureum-test-defnet")
    s = net.make("subnet", network_id=n["id"], ip_version=6, use_default_subnetpool=True,
                 ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    assert s["cidr"] == "fd00:68::/64" and s["subnetpool_id"] == d6["id"]
    net.error(net.req("POST", "/subnets", {"subnet": {"network_id": n["id"], "ip_version": 4,
                                                      "use_default_subnetpool": True}}), 400,
              text="No default subnetpool found for IPv4")
    net.error(net.req("POST", "/subnets", {"subnet": {"network_id": n["id"], "ip_version": 4}}), 400,
              text="a subnetpool must be specified in the absence of a cidr")
    # default_quota counts /32s: 64 addresses are two /27s.
    q = net.make("subnetpool", name="gureum-test-quota", prefixes=["10.70.0.0/16"], default_prefixlen=27,
                 default_quota=64)
    nets = [net.make("network", name="gureum-test-q%d" % i) for i in range(3)]
    net.make("subnet", network_id=nets[0]["id"], ip_version=4, subnetpool_id=q["id"])
    net.make("subnet", network_id=nets[1]["id"], ip_version=4, subnetpool_id=q["id"])
    net.error(net.req("POST", "/subnets", {"subnet": {"network_id": nets[2]["id"], "ip_version": 4,
                                                      "subnetpool_id": q["id"]}}), 409, "OverQuota",
              "Per-project subnet pool prefix quota exceeded")


# ---- quotas ------------------------------------------------------------------------

def test_quotas(cloud, net, member):
    user, project, mtoken = member
    pid = project["id"]
    q = net.ok("GET", "/quotas/" + pid)["quota"]
    assert set(q) == {"network", "subnet", "subnetpool", "port", "router", "floatingip", "security_group",
                      "security_group_rule"}
    assert net.ok("GET", "/quotas/%s/default" % pid)["quota"] == q
    up = net.ok("PUT", "/quotas/" + pid, {"quota": {"network": 2, "port": "3"}})["quota"]
    assert up["network"] == 2 and up["port"] == 3
    listed = net.ok("GET", "/quotas")["quotas"]
    mine = [x for x in listed if x["project_id"] == pid]
    assert mine and mine[0]["network"] == 2 and mine[0]["tenant_id"] == pid
    mnet = Net(cloud, mtoken)
    try:
        assert mnet.ok("GET", "/quotas/" + pid)["quota"]["network"] == 2
        mnet.error(mnet.req("GET", "/quotas/" + net.ok("GET", "/quotas/project")["project"]["project_id"]), 403)
        mnet.error(mnet.req("PUT", "/quotas/" + pid, {"quota": {"network": 50}}), 403)
        mnet.error(mnet.req("GET", "/quotas"), 403)
        a = mnet.make("network", name="gureum-test-q1")
        mnet.make("network", name="gureum-test-q2")
        e = mnet.error(mnet.req("POST", "/networks", {"network": {"name": "gureum-test-q3"}}), 409, "OverQuota")
        assert e["message"] == "Quota exceeded for resources: ['network']."
        # Bulk creates count as a whole: all or nothing.
        mnet.error(mnet.req("POST", "/ports", {"ports": [{"network_id": a["id"]}] * 4}), 409, "OverQuota")
        assert mnet.ok("GET", "/ports?network_id=" + a["id"])["ports"] == []
        d = mnet.ok("GET", "/quotas/%s/details.json" % pid)["quota"]
        assert d["network"] == {"limit": 2, "used": 2, "reserved": 0}
        net.error(net.req("PUT", "/quotas/" + pid, {"quota": {"network": 1}}), 400,
                  text="must be greater than or equal to already used 2")
        assert net.ok("PUT", "/quotas/" + pid, {"quota": {"network": 1, "force": True}})["quota"]["network"] == 1
        net.error(net.req("PUT", "/quotas/" + pid, {"quota": {"bogus": 1}}), 400, text="Unrecognized attribute(s) 'bogus'")
        net.error(net.req("PUT", "/quotas/" + pid, {"quota": {"network": -2}}), 400, text="not in range")
        net.error(net.req("PUT", "/quotas/" + pid, {"quota": {"network": "many"}}), 400)
        net.error(net.req("GET", "/quotas/bad%20id"), 400)
        net.ok("DELETE", "/quotas/" + pid, status=204)
        assert net.ok("GET", "/quotas/" + pid)["quota"] == q
        assert pid not in [x["project_id"] for x in net.ok("GET", "/quotas")["quotas"]]
    finally:
        mnet.cleanup()


# ---- the CLI and the SDK -------------------------------------------------------------

def test_cli_network_subnet_port_flows(cloud, name):
    os_ = cloud.openstack
    net = os_("network", "create", name, "--tag", "gureum-test-t1", "-f", "json")
    try:
        assert net["name"] == name and net["tags"] == ["gureum-test-t1"]
        os_("network", "set", net["id"], "--description", "gureum-test-desc", "--tag", "gureum-test-t2")
        shown = os_("network", "show", net["id"], "-f", "json")
        assert shown["description"] == "gureum-test-desc" and sorted(shown["tags"]) == ["gureum-test-t1", "gureum-test-t2"]
        os_("network", "unset", net["id"], "--tag", "gureum-test-t1")
        assert os_("network", "show", net["id"], "-f", "json")["tags"] == ["gureum-test-t2"]
        assert name in [n["Name"] for n in os_("network", "list", "--tags", "gureum-test-t2", "-f", "json")]
        sub = os_("subnet", "create", name + "-sub", "--network", net["id"], "--subnet-range", "10.71.0.0/24",
                  "--dns-nameserver", "8.8.8.8", "--allocation-pool", "start=10.71.0.10,end=10.71.0.20",
                  "--host-route", "destination=10.72.0.0/24,gateway=10.71.0.1", "-f", "json")
        assert sub["cidr"] == "10.71.0.0/24" and sub["gateway_ip"] == "10.71.0.1"
        os_("subnet", "set", sub["id"], "--dns-nameserver", "8.8.4.4", "--name", name + "-sub2")
        shown = os_("subnet", "show", sub["id"], "-f", "json")
        assert shown["name"] == name + "-sub2" and sorted(shown["dns_nameservers"]) == ["8.8.4.4", "8.8.8.8"]
        os_("subnet", "unset", sub["id"], "--dns-nameserver", "8.8.8.8")
        assert os_("subnet", "show", sub["id"], "-f", "json")["dns_nameservers"] == ["8.8.4.4"]
        assert name + "-sub2" in [s["Name"] for s in os_("subnet", "list", "--network", net["id"], "-f", "json")]
        port = os_("port", "create", name + "-port", "--network", net["id"], "--fixed-ip",
                   "subnet=%s,ip-address=10.71.0.15" % sub["id"], "-f", "json")
        assert port["fixed_ips"][0]["ip_address"] == "10.71.0.15"
        os_("port", "set", port["id"], "--fixed-ip", "subnet=%s" % sub["id"], "--allowed-address",
            "ip-address=10.71.0.200", "--description", "gureum-test-pd")
        shown = os_("port", "show", port["id"], "-f", "json")
        assert len(shown["fixed_ips"]) == 2 and shown["description"] == "gureum-test-pd"
        assert shown["allowed_address_pairs"][0]["ip_address"] == "10.71.0.200"
        # A pair given without a MAC has the port's, as in Neutron: unset names both.
        os_("port", "unset", port["id"], "--fixed-ip", "subnet=%s,ip-address=10.71.0.15" % sub["id"],
            "--allowed-address", "ip-address=10.71.0.200,mac-address=" + shown["mac_address"])
        shown = os_("port", "show", port["id"], "-f", "json")
        assert [f["ip_address"] for f in shown["fixed_ips"]] != ["10.71.0.15"] and len(shown["fixed_ips"]) == 1
        assert shown["allowed_address_pairs"] == []
        listed = os_("port", "list", "--network", net["id"], "--device-owner", "network:dhcp", "-f", "json")
        assert len(listed) == 1
        bad = os_("port", "create", name + "-bad", "--network", net["id"], "--mac-address", "zz:zz", check=False)
        assert bad.returncode != 0 and "not a valid MAC address" in bad.stderr
        os_("port", "delete", port["id"])
        os_("subnet", "delete", sub["id"])
    finally:
        os_("network", "delete", net["id"], check=False)
    gone = os_("network", "show", net["id"], check=False)
    assert gone.returncode != 0


def test_cli_subnet_pool_and_quota_flows(cloud, name):
    os_ = cloud.openstack
    pool = os_("subnet", "pool", "create", name, "--pool-prefix", "10.73.0.0/16", "--default-prefix-length", "24",
               "-f", "json")
    net = os_("network", "create", name, "-f", "json")
    try:
        assert pool["prefixes"] == ["10.73.0.0/16"] and int(pool["default_prefixlen"]) == 24
        os_("subnet", "pool", "set", pool["id"], "--pool-prefix", "10.74.0.0/16", "--name", name + "-2")
        shown = os_("subnet", "pool", "show", pool["id"], "-f", "json")
        assert sorted(shown["prefixes"]) == ["10.73.0.0/16", "10.74.0.0/16"] and shown["name"] == name + "-2"
        assert name + "-2" in [p["Name"] for p in os_("subnet", "pool", "list", "-f", "json")]
        sub = os_("subnet", "create", name + "-sub", "--network", net["id"], "--subnet-pool", pool["id"], "-f", "json")
        assert sub["cidr"] == "10.73.0.0/24"
        sub2 = os_("subnet", "create", name + "-sub2", "--network", net["id"], "--subnet-pool", pool["id"],
                   "--prefix-length", "26", "-f", "json")
        assert sub2["cidr"] == "10.73.1.0/26"
        os_("subnet", "delete", sub["id"], sub2["id"])
        project = cloud.env()["OS_PROJECT_NAME"]
        os_("quota", "set", "--networks", "77", "--subnetpools", "9", project)
        rows = {r["Resource"]: r for r in os_("quota", "list", "--network", "--detail", "--project", project,
                                               "-f", "json")}
        assert rows["networks"]["Limit"] == 77 and rows["networks"]["In Use"] >= 1
        assert rows["subnet_pools"]["Limit"] == 9
    finally:
        os_("network", "delete", net["id"], check=False)
        os_("subnet", "pool", "delete", pool["id"], check=False)
        admin, _ = cloud.token()
        pid = cloud.token()[1]["project"]["id"]
        requests.delete(cloud.url + "/network/v2.0/quotas/" + pid, headers={"X-Auth-Token": admin})


def test_sdk_quota_and_network_calls(cloud, name):
    import openstack
    env = cloud.env()
    conn = openstack.connect(auth_url=env["OS_AUTH_URL"], username=env["OS_USERNAME"], password=env["OS_PASSWORD"],
                             project_name=env["OS_PROJECT_NAME"], user_domain_name="Default",
                             project_domain_name="Default", region_name=env["OS_REGION_NAME"])
    pid = cloud.token()[1]["project"]["id"]
    n = conn.network.create_network(name=name)
    try:
        assert conn.network.get_network(n.id).name == name
        assert name in [x.name for x in conn.network.networks(name=name)]
        conn.network.set_tags(n, ["gureum-test-s1", "gureum-test-s2"])
        assert sorted(conn.network.get_network(n.id).tags) == ["gureum-test-s1", "gureum-test-s2"]
        q = conn.network.get_quota(pid)
        assert q.networks == conn.network.get_quota_default(pid).networks
        d = conn.network.get_quota(pid, details=True)
        assert d.networks["used"] >= 1
        conn.network.update_quota(pid, networks=55)
        assert conn.network.get_quota(pid).networks == 55
        conn.network.delete_quota(pid)
        s = conn.network.create_subnet(network_id=n.id, ip_version=4, cidr="10.75.0.0/24")
        p = conn.network.create_port(network_id=n.id)
        assert p.fixed_ips[0]["subnet_id"] == s.id
        assert len(list(conn.network.ports(network_id=n.id))) == 2
        conn.network.delete_port(p)
    finally:
        conn.network.delete_network(n.id, ignore_missing=True)
        conn.close()
