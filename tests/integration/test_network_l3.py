# SPDX-License-Identifier: Apache-2.0
#
# Routers and floating IPs (issue 10): the openstack CLI and openstacksdk
# flows, and raw requests for Neutron's exact shapes and errors: gateways
# on external networks (and who may choose SNAT or the address),
# interfaces by subnet or port with the overlap and in-use checks, extra
# routes, floating IPs associated through a router, and quotas.
import ipaddress
import uuid

import openstack
import pytest
import requests

from gureum_cloud import Cloud


def net(cloud, method, path, token, **kw):
    return requests.request(method, cloud.url + "/network/v2.0" + path, headers={"X-Auth-Token": token}, **kw)


def ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json() if r.text else None


def error(r, status, kind=None, text=None):
    assert r.status_code == status, r.text
    err = r.json()["NeutronError"]
    assert set(err) == {"type", "message", "detail"}
    if kind:
        assert err["type"] == kind, err
    if text:
        assert text in err["message"], err
    return err


def make(cloud, token, kind, **attrs):
    return ok(net(cloud, "POST", "/%ss" % kind, token, json={kind: attrs}), 201)[kind]


def tenant_net(cloud, token, name, cidr, **subnet):
    network = make(cloud, token, "network", name=name)
    sub = make(cloud, token, "subnet", network_id=network["id"], ip_version=ipaddress.ip_network(cidr).version,
               cidr=cidr, name=name, **subnet)
    return network, sub


def iface(cloud, token, router_id, action, **info):
    return net(cloud, "PUT", "/routers/%s/%s_router_interface" % (router_id, action), token, json=info)


@pytest.fixture(scope="module")
def ext(cloud):
    """The external network (flat, on physnet "public") and its subnet, made by the admin."""
    admin, _ = cloud.token()
    network = make(cloud, admin, "network", name="gureum-test-ext", **{"router:external": True,
                   "provider:network_type": "flat", "provider:physical_network": "public"})
    sub = make(cloud, admin, "subnet", network_id=network["id"], ip_version=4, cidr="198.51.100.0/24",
               name="gureum-test-ext", enable_dhcp=False)
    return network, sub


@pytest.fixture(scope="module")
def user(cloud):
    """A member of a project of its own: (user, project, token)."""
    return cloud.make_user("gureum-test-l3-" + uuid.uuid4().hex[:6])


ROUTER_KEYS = {"id", "name", "description", "admin_state_up", "status", "external_gateway_info", "routes",
               "project_id", "tenant_id", "tags", "revision_number", "created_at", "updated_at"}
FIP_KEYS = {"id", "floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address", "router_id", "status",
            "description", "project_id", "tenant_id", "tags", "revision_number", "created_at", "updated_at"}


def test_router_gateway(cloud, ext, user, name):
    _, project, token = user
    admin, _ = cloud.token()
    extnet, extsub = ext
    router = make(cloud, token, "router", name=name, external_gateway_info={"network_id": extnet["id"]},
                  admin_state_up=False)
    assert set(router) == ROUTER_KEYS
    assert router["status"] == "ACTIVE" and router["admin_state_up"] is False and router["routes"] == []
    assert router["project_id"] == router["tenant_id"] == project["id"]
    gw = router["external_gateway_info"]
    assert gw["network_id"] == extnet["id"] and gw["enable_snat"] is True
    [fixed] = gw["external_fixed_ips"]
    assert fixed["subnet_id"] == extsub["id"]
    assert ipaddress.ip_address(fixed["ip_address"]) in ipaddress.ip_network(extsub["cidr"])
    # The gateway port is the router's, on no project: an admin sees it, the project does not.
    [port] = ok(net(cloud, "GET", "/ports?device_id=" + router["id"], admin))["ports"]
    assert port["device_owner"] == "network:router_gateway" and port["project_id"] == ""
    assert port["fixed_ips"] == [fixed] and port["network_id"] == extnet["id"]
    assert ok(net(cloud, "GET", "/ports?device_id=" + router["id"], token))["ports"] == []
    error(net(cloud, "DELETE", "/ports/" + port["id"], admin), 409, "PortInUse")
    # Only admins choose SNAT or the address.
    for info in ({"network_id": extnet["id"], "enable_snat": False},
                 {"network_id": extnet["id"], "external_fixed_ips": [{"subnet_id": extsub["id"]}]}):
        error(net(cloud, "PUT", "/routers/" + router["id"], token, json={"router": {"external_gateway_info": info}}),
              403)
        error(net(cloud, "POST", "/routers", token, json={"router": {"name": name, "external_gateway_info": info}}),
              403)
    r = ok(net(cloud, "PUT", "/routers/" + router["id"], admin,
               json={"router": {"external_gateway_info": {"network_id": extnet["id"], "enable_snat": False}}}))
    assert r["router"]["external_gateway_info"]["enable_snat"] is False
    assert r["router"]["external_gateway_info"]["external_fixed_ips"] == [fixed]  # same network, same port
    # The same network without enable_snat keeps it; a chosen address moves the gateway there.
    r = ok(net(cloud, "PUT", "/routers/" + router["id"], admin, json={"router": {"external_gateway_info": {
        "network_id": extnet["id"], "external_fixed_ips": [{"ip_address": "198.51.100.200"}]}}}))
    gw = r["router"]["external_gateway_info"]
    assert gw["enable_snat"] is False
    assert gw["external_fixed_ips"] == [{"subnet_id": extsub["id"], "ip_address": "198.51.100.200"}]
    error(net(cloud, "PUT", "/routers/" + router["id"], admin, json={"router": {"external_gateway_info": {
        "network_id": extnet["id"], "external_fixed_ips": [{"ip_address": extsub["gateway_ip"]}]}}}), 400, None,
        "is the same as the gateway IP")
    # Removed with {} (openstack router unset --external-gateway) or null.
    r = ok(net(cloud, "PUT", "/routers/" + router["id"], token, json={"router": {"external_gateway_info": {}}}))
    assert r["router"]["external_gateway_info"] is None
    assert ok(net(cloud, "GET", "/ports?device_id=" + router["id"], admin))["ports"] == []
    r = ok(net(cloud, "PUT", "/routers/" + router["id"], token,
               json={"router": {"external_gateway_info": {"network_id": extnet["id"]}, "admin_state_up": True}}))
    assert r["router"]["external_gateway_info"]["enable_snat"] is True and r["router"]["admin_state_up"] is True
    r = ok(net(cloud, "PUT", "/routers/" + router["id"], token, json={"router": {"external_gateway_info": None}}))
    assert r["router"]["external_gateway_info"] is None
    assert net(cloud, "DELETE", "/routers/" + router["id"], token).status_code == 204
    error(net(cloud, "GET", "/routers/" + router["id"], token), 404, "RouterNotFound")


def test_router_gateway_errors(cloud, ext, user, name):
    _, _, token = user
    extnet, _ = ext
    private, _ = tenant_net(cloud, token, name, "10.20.0.0/24")
    router = make(cloud, token, "router", name=name)
    for body, status, kind, text in [
        ({"network_id": private["id"]}, 400, None, "Network %s is not an external network" % private["id"]),
        ({"network_id": router["id"]}, 404, "NetworkNotFound", None),
        ({"network_id": "not-a-uuid"}, 400, None, None),
        ({"enable_snat": True}, 400, None, None),
        ({"network_id": extnet["id"], "bogus": 1}, 400, None, None),
        ("public", 400, None, None),
    ]:
        error(net(cloud, "PUT", "/routers/" + router["id"], token,
                  json={"router": {"external_gateway_info": body}}), status, kind, text)
        error(net(cloud, "POST", "/routers", token, json={"router": {"name": name, "external_gateway_info": body}}),
              status, kind, text)
    assert [r["id"] for r in ok(net(cloud, "GET", "/routers?name=" + name, token))["routers"]] == [router["id"]]
    # Another project's network, external or not, is not found (or not external).
    _, _, other = cloud.make_user(name + "-o")
    error(net(cloud, "PUT", "/routers/" + router["id"], other, json={"router": {"name": "x"}}), 404, "RouterNotFound")
    error(net(cloud, "DELETE", "/routers/" + router["id"], other), 404, "RouterNotFound")
    for missing in (str(uuid.uuid4()), "non_exist_router"):
        error(net(cloud, "GET", "/routers/" + missing, token), 404, "RouterNotFound")
        error(net(cloud, "PUT", "/routers/" + missing, token, json={"router": {"name": "x"}}), 404, "RouterNotFound")
        error(net(cloud, "DELETE", "/routers/" + missing, token), 404, "RouterNotFound")
    error(net(cloud, "POST", "/routers", token, json={"router": {"name": name, "routes": []}}), 400)
    error(net(cloud, "POST", "/routers", token, json={"router": {"name": name, "distributed": True}}), 400)
    assert net(cloud, "DELETE", "/routers/" + router["id"], token).status_code == 204


def test_router_interfaces(cloud, ext, user, name):
    _, project, token = user
    admin, _ = cloud.token()
    extnet, _ = ext
    router = make(cloud, token, "router", name=name, external_gateway_info={"network_id": extnet["id"]})
    n1, s1 = tenant_net(cloud, token, name + "-1", "10.30.1.0/24")
    n2, s2 = tenant_net(cloud, token, name + "-2", "10.30.1.0/25")   # overlaps s1
    n3, s3 = tenant_net(cloud, token, name + "-3", "10.30.3.0/24", gateway_ip=None)
    n4, s4 = tenant_net(cloud, token, name + "-4", "10.30.4.0/24")
    n5, s5 = tenant_net(cloud, token, name + "-5", "198.51.100.0/25")  # overlaps the external subnet

    info = ok(iface(cloud, token, router["id"], "add", subnet_id=s1["id"]))
    assert set(info) == {"id", "project_id", "tenant_id", "port_id", "network_id", "subnet_id", "subnet_ids"}
    assert info["id"] == router["id"] and info["subnet_id"] == s1["id"] and info["subnet_ids"] == [s1["id"]]
    assert info["network_id"] == n1["id"] and info["project_id"] == project["id"]
    port = ok(net(cloud, "GET", "/ports/" + info["port_id"], token))["port"]
    assert port["device_owner"] == "network:router_interface" and port["device_id"] == router["id"]
    assert port["fixed_ips"] == [{"subnet_id": s1["id"], "ip_address": "10.30.1.1"}]
    assert port["security_groups"] == []

    error(iface(cloud, token, router["id"], "add", subnet_id=s1["id"]), 400, None,
          "Router already has a port on subnet %s" % s1["id"])
    error(iface(cloud, token, router["id"], "add", subnet_id=s2["id"]), 400, None,
          "Cidr 10.30.1.0/25 of subnet %s overlaps with cidr 10.30.1.0/24 of subnet %s" % (s2["id"], s1["id"]))
    error(iface(cloud, token, router["id"], "add", subnet_id=s5["id"]), 400, None, "overlaps")
    error(iface(cloud, token, router["id"], "add", subnet_id=s3["id"]), 400, None,
          "Subnet for router interface must have a gateway IP")
    error(iface(cloud, token, router["id"], "add", subnet_id=s4["id"], port_id=port["id"]), 400, None,
          "Cannot specify both subnet-id and port-id")
    error(iface(cloud, token, router["id"], "add"), 400, None, "Either subnet_id or port_id must be specified")
    error(iface(cloud, token, router["id"], "add", subnet_id="nope"), 400)
    error(iface(cloud, token, router["id"], "add", subnet_id=str(uuid.uuid4())), 404, "SubnetNotFound")
    error(iface(cloud, token, router["id"], "add", port_id=str(uuid.uuid4())), 404, "PortNotFound")
    error(iface(cloud, token, str(uuid.uuid4()), "add", subnet_id=s4["id"]), 404, "RouterNotFound")
    error(net(cloud, "PUT", "/routers/%s/add_router_interface" % router["id"], token, json={"subnet_id": s4["id"],
          "extra": 1}), 400)

    # By port: the caller's port is handed over; one in use or without addresses is refused.
    p4 = make(cloud, token, "port", network_id=n4["id"], name=name)
    bare = make(cloud, token, "port", network_id=n4["id"], name=name, fixed_ips=[])
    error(iface(cloud, token, router["id"], "add", port_id=bare["id"]), 400, None,
          "Router port must have at least one fixed IP")
    info4 = ok(iface(cloud, token, router["id"], "add", port_id=p4["id"]))
    assert info4["port_id"] == p4["id"] and info4["subnet_ids"] == [s4["id"]]
    attached = ok(net(cloud, "GET", "/ports/" + p4["id"], token))["port"]
    assert attached["device_id"] == router["id"] and attached["device_owner"] == "network:router_interface"
    other_router = make(cloud, token, "router", name=name + "-other")
    error(iface(cloud, token, other_router["id"], "add", port_id=p4["id"]), 409, "PortInUse")
    # The ports filter by device_id lists the interfaces (the gateway is no project's).
    listed = ok(net(cloud, "GET", "/ports?device_id=" + router["id"], token))["ports"]
    assert sorted(p["id"] for p in listed) == sorted([info["port_id"], p4["id"]])

    # In use: the router, the subnets and the interface ports stay.
    error(net(cloud, "DELETE", "/routers/" + router["id"], token), 409, "RouterInUse", "has ports still attached")
    error(net(cloud, "DELETE", "/subnets/" + s1["id"], token), 409, "SubnetInUse")
    error(net(cloud, "DELETE", "/networks/" + n1["id"], token), 409, "NetworkInUse")
    error(net(cloud, "DELETE", "/ports/" + info["port_id"], token), 409, "PortInUse")

    # Removal: what is not an interface is not found; a mismatched subnet is a bad request.
    error(iface(cloud, token, router["id"], "remove", subnet_id=s2["id"]), 404, "RouterInterfaceNotFoundForSubnet",
          "Router %s has no interface on subnet %s" % (router["id"], s2["id"]))
    error(iface(cloud, token, router["id"], "remove", port_id=bare["id"]), 404, "RouterInterfaceNotFound",
          "Router %s does not have an interface with id %s" % (router["id"], bare["id"]))
    error(iface(cloud, token, router["id"], "remove", port_id=p4["id"], subnet_id=s1["id"]), 400, None,
          "does not match the requested subnet")
    error(iface(cloud, token, router["id"], "remove"), 400)
    gone = ok(iface(cloud, token, router["id"], "remove", port_id=p4["id"], subnet_id=s4["id"]))
    assert gone["port_id"] == p4["id"] and gone["subnet_id"] == s4["id"]
    error(net(cloud, "GET", "/ports/" + p4["id"], token), 404, "PortNotFound")  # removed with the interface
    gone = ok(iface(cloud, token, router["id"], "remove", subnet_id=s1["id"]))
    assert gone["port_id"] == info["port_id"] and gone["subnet_ids"] == [s1["id"]]
    error(net(cloud, "GET", "/ports/" + info["port_id"], token), 404)
    # Now the overlapping subnet fits.
    ok(iface(cloud, token, router["id"], "add", subnet_id=s2["id"]))
    ok(iface(cloud, token, router["id"], "remove", subnet_id=s2["id"]))
    for r in (router, other_router):
        assert net(cloud, "DELETE", "/routers/" + r["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/ports/" + bare["id"], token).status_code == 204
    assert ok(net(cloud, "GET", "/ports?device_id=" + router["id"], admin))["ports"] == []
    for n in (n1, n2, n3, n4, n5):
        assert net(cloud, "DELETE", "/networks/" + n["id"], token).status_code == 204


def test_router_ipv6_interfaces(cloud, user, name):
    _, _, token = user
    router = make(cloud, token, "router", name=name)
    n, s1 = tenant_net(cloud, token, name, "2001:db8:1::/64")
    s2 = make(cloud, token, "subnet", network_id=n["id"], ip_version=6, cidr="2001:db8:2::/64")
    a = ok(iface(cloud, token, router["id"], "add", subnet_id=s1["id"]))
    b = ok(iface(cloud, token, router["id"], "add", subnet_id=s2["id"]))
    # Two prefixes of one network: one leg with both gateway addresses, as Neutron's.
    assert a["port_id"] == b["port_id"]
    port = ok(net(cloud, "GET", "/ports/" + a["port_id"], token))["port"]
    assert sorted(f["ip_address"] for f in port["fixed_ips"]) == ["2001:db8:1::1", "2001:db8:2::1"]
    ok(iface(cloud, token, router["id"], "remove", subnet_id=s1["id"]))
    port = ok(net(cloud, "GET", "/ports/" + a["port_id"], token))["port"]
    assert port["fixed_ips"] == [{"subnet_id": s2["id"], "ip_address": "2001:db8:2::1"}]
    ok(iface(cloud, token, router["id"], "remove", subnet_id=s2["id"]))
    error(net(cloud, "GET", "/ports/" + a["port_id"], token), 404)
    slaac = make(cloud, token, "subnet", network_id=n["id"], ip_version=6, cidr="2001:db8:3::/64",
                 ipv6_address_mode="slaac")
    error(iface(cloud, token, router["id"], "add", subnet_id=slaac["id"]), 400, None, "configured to receive RAs")
    assert net(cloud, "DELETE", "/routers/" + router["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/networks/" + n["id"], token).status_code == 204


def test_extra_routes(cloud, ext, user, name):
    _, _, token = user
    extnet, extsub = ext
    router = make(cloud, token, "router", name=name, external_gateway_info={"network_id": extnet["id"]})
    n, s = tenant_net(cloud, token, name, "10.40.0.0/24")
    ok(iface(cloud, token, router["id"], "add", subnet_id=s["id"]))

    def put(routes):
        return net(cloud, "PUT", "/routers/" + router["id"], token, json={"router": {"routes": routes}})

    routes = [{"destination": "10.41.0.0/24", "nexthop": "10.40.0.2"},
              {"destination": "0.0.0.0/0", "nexthop": "198.51.100.254"}]
    assert ok(put(routes))["router"]["routes"] == routes
    assert ok(net(cloud, "GET", "/routers/" + router["id"], token))["router"]["routes"] == routes
    error(put([{"destination": "10.42.0.0/24", "nexthop": "10.99.0.2"}]), 400, None,
          "Invalid format for routes: [{'destination': '10.42.0.0/24', 'nexthop': '10.99.0.2'}], "
          "the nexthop is not connected with router")
    error(put([{"destination": "10.42.0.0/24", "nexthop": "10.40.0.1"}]), 400, None, "the nexthop is used by router")
    error(put([{"destination": "10.42.0.1/24", "nexthop": "10.40.0.2"}]), 400, None, "isn't a recommended IP subnet")
    error(put([{"destination": "bogus", "nexthop": "10.40.0.2"}]), 400, None, "is not a valid IP subnet")
    error(put([{"destination": "10.42.0.0/24", "nexthop": "bogus"}]), 400, None, "is not a valid IP address")
    error(put([{"destination": "10.42.0.0/24"}]), 400)
    error(put([routes[0], routes[0]]), 400, None, "Duplicate")
    error(put([{"destination": "10.%d.0.0/16" % i, "nexthop": "10.40.0.2"} for i in range(31)]), 400, None,
          "The number of routes exceeds the maximum 30.")
    # A route needs its interface, and the gateway's routes the gateway.
    error(iface(cloud, token, router["id"], "remove", subnet_id=s["id"]), 409, None, "required by one or more routes")
    error(net(cloud, "PUT", "/routers/" + router["id"], token, json={"router": {"external_gateway_info": {}}}), 400,
          None, "the nexthop is not connected with router")
    # extraroute-atomic: add and remove one by one.
    r = ok(net(cloud, "PUT", "/routers/%s/add_extraroutes" % router["id"], token,
               json={"router": {"routes": [{"destination": "10.43.0.0/24", "nexthop": "10.40.0.3"}, routes[0]]}}))
    assert len(r["router"]["routes"]) == 3
    r = ok(net(cloud, "PUT", "/routers/%s/remove_extraroutes" % router["id"], token,
               json={"router": {"routes": routes + [{"destination": "10.44.0.0/24", "nexthop": "10.40.0.3"}]}}))
    assert r["router"]["routes"] == [{"destination": "10.43.0.0/24", "nexthop": "10.40.0.3"}]
    error(net(cloud, "PUT", "/routers/%s/add_extraroutes" % router["id"], token,
              json={"router": {"routes": [{"destination": "10.45.0.0/24", "nexthop": "10.9.9.9"}]}}), 400)
    assert ok(put(None))["router"]["routes"] == []
    ok(iface(cloud, token, router["id"], "remove", subnet_id=s["id"]))
    assert net(cloud, "DELETE", "/routers/" + router["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/networks/" + n["id"], token).status_code == 204


def test_floating_ips(cloud, ext, user, name):
    _, project, token = user
    admin, _ = cloud.token()
    extnet, extsub = ext
    n, s = tenant_net(cloud, token, name, "10.50.0.0/24")
    port = make(cloud, token, "port", network_id=n["id"], name=name)
    fixed = port["fixed_ips"][0]["ip_address"]

    fip = make(cloud, token, "floatingip", floating_network_id=extnet["id"], description="d")
    assert set(fip) == FIP_KEYS
    assert fip["status"] == "DOWN" and fip["port_id"] is None and fip["router_id"] is None
    assert fip["fixed_ip_address"] is None and fip["project_id"] == project["id"] and fip["description"] == "d"
    assert ipaddress.ip_address(fip["floating_ip_address"]) in ipaddress.ip_network(extsub["cidr"])
    [held] = ok(net(cloud, "GET", "/ports?device_id=" + fip["id"], admin))["ports"]
    assert held["device_owner"] == "network:floatingip" and held["project_id"] == ""
    assert held["fixed_ips"] == [{"subnet_id": extsub["id"], "ip_address": fip["floating_ip_address"]}]

    # No router connects the port's subnet to the external network yet.
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"port_id": port["id"]}}), 404,
          "ExternalGatewayForFloatingIPNotFound",
          "External network %s is not reachable from subnet %s.  Therefore, cannot associate Port %s with a Floating IP."
          % (extnet["id"], s["id"], port["id"]))
    router = make(cloud, token, "router", name=name)
    ok(iface(cloud, token, router["id"], "add", subnet_id=s["id"]))
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"port_id": port["id"]}}), 404,
          "ExternalGatewayForFloatingIPNotFound")
    ok(net(cloud, "PUT", "/routers/" + router["id"], token,
           json={"router": {"external_gateway_info": {"network_id": extnet["id"]}}}))

    got = ok(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"port_id": port["id"]}}))
    got = got["floatingip"]
    assert got["port_id"] == port["id"] and got["fixed_ip_address"] == fixed and got["router_id"] == router["id"]
    assert got["status"] == "ACTIVE" and got["revision_number"] == 1
    assert ok(net(cloud, "GET", "/floatingips?port_id=" + port["id"], token))["floatingips"] == [got]
    # One floating IP per fixed address.
    error(net(cloud, "POST", "/floatingips", token, json={"floatingip": {"floating_network_id": extnet["id"],
                                                                          "port_id": port["id"]}}),
          409, "FloatingIPPortAlreadyAssociated")
    # In use: the interface and the gateway stay, the router too.
    error(iface(cloud, token, router["id"], "remove", subnet_id=s["id"]), 409, None,
          "cannot be deleted, as it is required by one or more floating IPs.")
    error(net(cloud, "PUT", "/routers/" + router["id"], token, json={"router": {"external_gateway_info": None}}), 409,
          "RouterInUse", "since a gateway to external network %s is required by one or more floating IPs" % extnet["id"])
    error(net(cloud, "DELETE", "/routers/" + router["id"], token), 409, "RouterInUse")
    error(net(cloud, "DELETE", "/ports/" + held["id"], admin), 409, "PortInUse")

    # Disassociated with port_id null.
    got = ok(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"port_id": None}}))
    got = got["floatingip"]
    assert got["port_id"] is None and got["fixed_ip_address"] is None and got["router_id"] is None
    assert got["status"] == "DOWN"

    # A port with two addresses needs fixed_ip_address.
    two = make(cloud, token, "port", network_id=n["id"], name=name,
               fixed_ips=[{"ip_address": "10.50.0.100"}, {"ip_address": "10.50.0.101"}])
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"port_id": two["id"]}}), 400, None,
          "has multiple fixed IPv4 addresses")
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token,
              json={"floatingip": {"port_id": two["id"], "fixed_ip_address": "10.50.0.102"}}), 400, None,
          "does not have fixed ip 10.50.0.102")
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"fixed_ip_address": "10.50.0.100"}}),
          400, None, "fixed_ip_address cannot be specified without a port_id")
    got = ok(net(cloud, "PUT", "/floatingips/" + fip["id"], token,
                 json={"floatingip": {"port_id": two["id"], "fixed_ip_address": "10.50.0.101"}}))["floatingip"]
    assert got["fixed_ip_address"] == "10.50.0.101"
    got = ok(net(cloud, "PUT", "/floatingips/" + fip["id"], token,
                 json={"floatingip": {"port_id": two["id"], "fixed_ip_address": "10.50.0.100"}}))["floatingip"]
    assert got["fixed_ip_address"] == "10.50.0.100"
    # Deleting the port disassociates.
    assert net(cloud, "DELETE", "/ports/" + two["id"], token).status_code == 204
    got = ok(net(cloud, "GET", "/floatingips/" + fip["id"], token))["floatingip"]
    assert got["port_id"] is None and got["router_id"] is None and got["status"] == "DOWN"

    # Created associated, at an address an admin chose.
    error(net(cloud, "POST", "/floatingips", token, json={"floatingip": {"floating_network_id": extnet["id"],
                                                                          "floating_ip_address": "198.51.100.77"}}), 403)
    chosen = make(cloud, admin, "floatingip", floating_network_id=extnet["id"], floating_ip_address="198.51.100.77",
                  project_id=project["id"], port_id=port["id"], fixed_ip_address=fixed)
    assert chosen["floating_ip_address"] == "198.51.100.77" and chosen["router_id"] == router["id"]
    assert chosen["project_id"] == project["id"] and chosen["status"] == "ACTIVE"
    error(net(cloud, "POST", "/floatingips", admin, json={"floatingip": {"floating_network_id": extnet["id"],
                                                                          "floating_ip_address": "198.51.100.77"}}),
          409, "IpAddressInUse")
    for bad in ("198.51.101.1", "bogus", extsub["gateway_ip"]):
        r = net(cloud, "POST", "/floatingips", admin, json={"floatingip": {"floating_network_id": extnet["id"],
                                                                            "floating_ip_address": bad}})
        assert r.status_code in (400, 409), r.text
    assert net(cloud, "DELETE", "/floatingips/" + chosen["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/floatingips/" + fip["id"], token).status_code == 204
    error(net(cloud, "GET", "/floatingips/" + fip["id"], token), 404, "FloatingIPNotFound")
    # Their ports went with them.
    assert ok(net(cloud, "GET", "/ports?device_owner=network:floatingip", admin))["ports"] == []
    ok(iface(cloud, token, router["id"], "remove", subnet_id=s["id"]))
    assert net(cloud, "DELETE", "/routers/" + router["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/ports/" + port["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/networks/" + n["id"], token).status_code == 204


def test_floating_ip_errors(cloud, ext, user, name):
    _, _, token = user
    extnet, _ = ext
    private, _ = tenant_net(cloud, token, name, "10.60.0.0/24")
    admin, _ = cloud.token()
    empty = make(cloud, admin, "network", name=name + "-empty", **{"router:external": True})

    def create(**attrs):
        return net(cloud, "POST", "/floatingips", token, json={"floatingip": attrs})

    error(create(floating_network_id=private["id"]), 400, None,
          "Network %s is not a valid external network" % private["id"])
    error(create(floating_network_id=empty["id"]), 400, None,
          "Network %s does not contain any IPv4 subnet" % empty["id"])
    error(create(floating_network_id=str(uuid.uuid4())), 404, "NetworkNotFound")
    error(create(floating_network_id="not-a-uuid"), 400)
    error(create(), 400)
    error(create(floating_network_id=extnet["id"], fixed_ip_address="10.60.0.5"), 400, None,
          "fixed_ip_address cannot be specified without a port_id")
    error(create(floating_network_id=extnet["id"], port_id=str(uuid.uuid4())), 404, "PortNotFound")
    _, _, other = cloud.make_user(name + "-o")
    theirs = make(cloud, other, "network", name=name)
    their_port = make(cloud, other, "port", network_id=theirs["id"])
    error(create(floating_network_id=extnet["id"], port_id=their_port["id"]), 404, "PortNotFound")
    dhcp = [p for p in ok(net(cloud, "GET", "/ports?network_id=" + private["id"], admin))["ports"]
            if p["device_owner"] == "network:dhcp"]
    if dhcp:
        r = net(cloud, "POST", "/floatingips", admin,
                json={"floatingip": {"floating_network_id": extnet["id"], "port_id": dhcp[0]["id"]}})
        error(r, 400, None, "is unable to be assigned a floating IP")
    error(net(cloud, "GET", "/floatingips/" + str(uuid.uuid4()), token), 404, "FloatingIPNotFound")
    error(net(cloud, "DELETE", "/floatingips/" + str(uuid.uuid4()), token), 404, "FloatingIPNotFound")
    fip = make(cloud, token, "floatingip", floating_network_id=extnet["id"])
    error(net(cloud, "GET", "/floatingips/" + fip["id"], other), 404, "FloatingIPNotFound")
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token,
              json={"floatingip": {"floating_ip_address": "198.51.100.9"}}), 400)
    error(net(cloud, "PUT", "/floatingips/" + fip["id"], token, json={"floatingip": {"port_id": "bogus"}}), 400)
    assert fip["id"] not in [f["id"] for f in ok(net(cloud, "GET", "/floatingips", other))["floatingips"]]
    assert net(cloud, "DELETE", "/floatingips/" + fip["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/networks/" + empty["id"], admin).status_code == 204


def test_openstack_cli_router_and_floating_ip(cloud, ext, user, name):
    u, project, _ = user
    extnet, _ = ext
    env = cloud.env()
    env.update(OS_USERNAME=u["name"], OS_PASSWORD="pw-" + u["name"], OS_PROJECT_NAME=project["name"])
    cli = cloud.openstack
    cli("network", "create", name, env=env)
    cli("subnet", "create", "--network", name, "--subnet-range", "10.70.0.0/24", name, env=env)
    router = cli("router", "create", name, "-f", "json", env=env)
    assert router["status"] == "ACTIVE" and router["external_gateway_info"] is None
    cli("router", "set", "--external-gateway", extnet["name"], name, env=env)
    shown = cli("router", "show", name, "-f", "json", env=env)
    assert shown["external_gateway_info"]["network_id"] == extnet["id"]
    cli("router", "add", "subnet", name, name, env=env)
    shown = cli("router", "show", name, "-f", "json", env=env)
    assert [i["ip_address"] for i in shown["interfaces_info"]] == ["10.70.0.1"]
    cli("router", "set", "--route", "destination=10.71.0.0/24,gateway=10.70.0.9", name, env=env)
    assert cli("router", "show", name, "-f", "json", env=env)["routes"] == [
        {"destination": "10.71.0.0/24", "nexthop": "10.70.0.9"}]
    cli("router", "unset", "--route", "destination=10.71.0.0/24,gateway=10.70.0.9", name, env=env)
    cli("router", "add", "route", "--route", "destination=10.72.0.0/24,gateway=10.70.0.9", name, env=env)
    cli("router", "remove", "route", "--route", "destination=10.72.0.0/24,gateway=10.70.0.9", name, env=env)
    assert cli("router", "show", name, "-f", "json", env=env)["routes"] == []
    port = cli("port", "create", "--network", name, name, "-f", "json", env=env)

    fip = cli("floating", "ip", "create", extnet["name"], "-f", "json", env=env)
    assert fip["status"] == "DOWN" and fip["port_id"] is None
    cli("floating", "ip", "set", "--port", name, fip["floating_ip_address"], env=env)
    shown = cli("floating", "ip", "show", fip["id"], "-f", "json", env=env)
    assert shown["port_id"] == port["id"] and shown["router_id"] == router["id"] and shown["status"] == "ACTIVE"
    assert shown["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    listed = cli("floating", "ip", "list", "--port", name, "-f", "json", env=env)
    assert [f["ID"] for f in listed] == [fip["id"]]
    busy = cli("router", "remove", "subnet", name, name, env=env, check=False)
    assert busy.returncode != 0 and "required by one or more floating IPs" in busy.stderr
    cli("floating", "ip", "unset", "--port", fip["id"], env=env)
    assert cli("floating", "ip", "show", fip["id"], "-f", "json", env=env)["port_id"] is None
    cli("floating", "ip", "delete", fip["id"], env=env)
    assert cli("floating", "ip", "list", "-f", "json", env=env) == []

    busy = cli("router", "delete", name, env=env, check=False)
    assert busy.returncode != 0
    cli("router", "remove", "subnet", name, name, env=env)
    cli("router", "unset", "--external-gateway", name, env=env)
    assert cli("router", "show", name, "-f", "json", env=env)["external_gateway_info"] is None
    cli("router", "delete", name, env=env)
    cli("port", "delete", name, env=env)
    cli("network", "delete", name, env=env)
    assert cli("router", "list", "-f", "json", env=env) == []


def test_openstacksdk_router_and_floating_ip(cloud, ext, name):
    extnet, _ = ext
    conn = openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    network = conn.network.create_network(name=name)
    subnet = conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.80.0.0/24", name=name)
    router = conn.network.create_router(name=name, external_gateway_info={"network_id": extnet["id"]})
    port = conn.network.create_port(network_id=network.id, name=name)
    try:
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
        fip = conn.network.create_ip(floating_network_id=extnet["id"])
        fip = conn.network.update_ip(fip, port_id=port.id)
        assert fip.port_id == port.id and fip.router_id == router.id
        assert conn.network.find_ip(fip.floating_ip_address).id == fip.id
        conn.network.update_ip(fip, port_id=None)
        conn.network.delete_ip(fip)
        conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    finally:
        conn.network.delete_port(port)
        conn.network.delete_router(router)
        conn.network.delete_network(network)


def test_quotas_of_routers_and_floating_ips(name):
    # Appended to the [network] section the test cloud writes.
    c = Cloud(extra_config="\n[network]\nquota_router = 1\nquota_floatingip = 1\n")
    try:
        admin, _ = c.token()
        extnet = make(c, admin, "network", name=name, **{"router:external": True})
        make(c, admin, "subnet", network_id=extnet["id"], ip_version=4, cidr="203.0.113.0/24")
        _, _, token = c.make_user(name)
        make(c, token, "router", name=name)
        error(net(c, "POST", "/routers", token, json={"router": {"name": name}}), 409, "OverQuota",
              "Quota exceeded for resources: ['router'].")
        make(c, token, "floatingip", floating_network_id=extnet["id"])
        error(net(c, "POST", "/floatingips", token, json={"floatingip": {"floating_network_id": extnet["id"]}}), 409,
              "OverQuota", "['floatingip']")
        # The floating IP's own port counts against nobody's ports.
        assert net(c, "GET", "/ports?device_owner=network:floatingip", admin).json()["ports"][0]["project_id"] == ""
    finally:
        c.close()
