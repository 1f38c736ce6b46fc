# SPDX-License-Identifier: Apache-2.0
#
# Security groups and rules (issue 10): the openstack CLI and openstacksdk
# flows, and raw requests for Neutron's exact shapes and errors: the
# default group made on first list, Neutron's rule checks (protocols,
# ports, ICMP type/code, ethertypes, prefixes) and canonical forms, the
# 409 on a duplicate rule, groups in use, visibility across projects and
# quotas.
import threading
import uuid

import openstack
import pytest
import requests

from gureum_cloud import Cloud


def net(cloud, method, path, token, **kw):
    return requests.request(method, cloud.url + "/network/v2.0" + path, headers={"X-Auth-Token": token}, **kw)


def error(r, status, kind=None, text=None):
    assert r.status_code == status, r.text
    err = r.json()["NeutronError"]
    assert set(err) == {"type", "message", "detail"}
    if kind:
        assert err["type"] == kind, err
    if text:
        assert text in err["message"], err
    return err


def group(cloud, token, name, **extra):
    r = net(cloud, "POST", "/security-groups", token, json={"security_group": dict(name=name, **extra)})
    assert r.status_code == 201, r.text
    return r.json()["security_group"]


def rule(cloud, token, group_id, **attrs):
    attrs.setdefault("direction", "ingress")
    return net(cloud, "POST", "/security-group-rules", token,
               json={"security_group_rule": dict(security_group_id=group_id, **attrs)})


@pytest.fixture(scope="module")
def user(cloud):
    """A member of a project of its own: (user, project, token)."""
    return cloud.make_user("gureum-test-sg-" + uuid.uuid4().hex[:6])


RULE_KEYS = {"id", "project_id", "tenant_id", "security_group_id", "direction", "ethertype", "protocol",
             "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id", "normalized_cidr",
             "description", "tags", "revision_number", "created_at", "updated_at"}


def test_default_group_made_on_first_list(cloud, user):
    _, project, token = user
    groups = net(cloud, "GET", "/security-groups", token).json()["security_groups"]
    assert [g["name"] for g in groups] == ["default"]
    default = groups[0]
    assert default["project_id"] == default["tenant_id"] == project["id"]
    assert default["description"] == "Default security group" and default["stateful"] is True
    assert set(default) == {"id", "name", "description", "stateful", "project_id", "tenant_id", "security_group_rules",
                            "tags", "revision_number", "created_at", "updated_at"}
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"]) for r in default["security_group_rules"]}
    assert rules == {("egress", "IPv4", None), ("egress", "IPv6", None),
                     ("ingress", "IPv4", default["id"]), ("ingress", "IPv6", default["id"])}
    # Listed again, still one; the rules list shows the same four.
    assert len(net(cloud, "GET", "/security-groups", token).json()["security_groups"]) == 1
    listed = net(cloud, "GET", "/security-group-rules", token).json()["security_group_rules"]
    assert sorted(r["id"] for r in listed) == sorted(r["id"] for r in default["security_group_rules"])
    assert set(listed[0]) == RULE_KEYS


def test_default_group_is_protected(cloud, user, name):
    _, project, token = user
    default = net(cloud, "GET", "/security-groups?name=default", token).json()["security_groups"][0]
    error(net(cloud, "DELETE", "/security-groups/" + default["id"], token), 409, "SecurityGroupInUse",
          "Insufficient rights for removing default security group.")
    error(net(cloud, "PUT", "/security-groups/" + default["id"], token, json={"security_group": {"name": "x"}}), 409,
          None, "Updating default security group not allowed.")
    r = net(cloud, "PUT", "/security-groups/" + default["id"], token, json={"security_group": {"description": "d"}})
    assert r.status_code == 200 and r.json()["security_group"]["description"] == "d"
    for n in ("default", "DEFAULT", "Default"):
        error(net(cloud, "POST", "/security-groups", token, json={"security_group": {"name": n}}), 409,
              "SecurityGroupDefaultAlreadyExists", "Default security group already exists.")
    other = group(cloud, token, name)
    error(net(cloud, "PUT", "/security-groups/" + other["id"], token, json={"security_group": {"name": "default"}}),
          409, "SecurityGroupDefaultAlreadyExists")
    assert net(cloud, "DELETE", "/security-groups/" + other["id"], token).status_code == 204
    # An admin may delete it; the project's next list makes a new one.
    admin, _ = cloud.token()
    assert net(cloud, "DELETE", "/security-groups/" + default["id"], admin).status_code == 204
    again = net(cloud, "GET", "/security-groups?name=default", token).json()["security_groups"]
    assert len(again) == 1 and again[0]["id"] != default["id"]


def test_new_group_lets_everything_out(cloud, user, name):
    _, project, token = user
    g = group(cloud, token, name, description="desc")
    assert g["name"] == name and g["description"] == "desc" and g["project_id"] == project["id"]
    assert {(r["direction"], r["ethertype"], r["protocol"], r["remote_ip_prefix"], r["remote_group_id"])
            for r in g["security_group_rules"]} == {("egress", "IPv4", None, None, None),
                                                   ("egress", "IPv6", None, None, None)}
    shown = net(cloud, "GET", "/security-groups/" + g["id"], token).json()["security_group"]
    assert shown == g
    fields = net(cloud, "GET", "/security-groups/%s?fields=id&fields=name" % g["id"], token).json()["security_group"]
    assert fields == {"id": g["id"], "name": name}
    r = net(cloud, "PUT", "/security-groups/" + g["id"], token,
            json={"security_group": {"name": name + "-2", "description": "new"}})
    assert r.status_code == 200
    assert r.json()["security_group"]["name"] == name + "-2" and r.json()["security_group"]["revision_number"] == 1
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204
    error(net(cloud, "GET", "/security-groups/" + g["id"], token), 404, "SecurityGroupNotFound")
    # Its rules went with it.
    assert net(cloud, "GET", "/security-group-rules?security_group_id=" + g["id"], token).json() == \
        {"security_group_rules": []}


@pytest.mark.parametrize("attrs, expect", [
    ({"protocol": "tcp", "port_range_min": 77, "port_range_max": 77},
     {"protocol": "tcp", "port_range_min": 77, "port_range_max": 77, "ethertype": "IPv4"}),
    ({"protocol": 17}, {"protocol": "17"}),
    ({"protocol": "TCP", "port_range_min": "80", "port_range_max": "81"},
     {"protocol": "tcp", "port_range_min": 80, "port_range_max": 81}),
    ({"protocol": "any"}, {"protocol": None}),
    ({"protocol": "udp", "port_range_min": 1, "port_range_max": 65535},
     {"protocol": "udp", "port_range_min": None, "port_range_max": None}),
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}, {"port_range_min": 8, "port_range_max": 0}),
    ({"protocol": "icmp", "port_range_min": 11}, {"port_range_min": 11, "port_range_max": None}),
    ({"protocol": "icmp", "ethertype": "IPv6"}, {"protocol": "ipv6-icmp", "ethertype": "IPv6"}),
    ({"protocol": "icmpv6", "ethertype": "ipv6"}, {"protocol": "ipv6-icmp", "ethertype": "IPv6"}),
    ({"protocol": "1", "ethertype": "IPv6"}, {"protocol": "58"}),
    ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.5/24"},
     {"remote_ip_prefix": "10.0.0.5/24", "normalized_cidr": "10.0.0.0/24"}),
    ({"protocol": "tcp", "remote_ip_prefix": "192.168.1.10"},
     {"remote_ip_prefix": "192.168.1.10/32", "normalized_cidr": "192.168.1.10/32"}),
    ({"protocol": "tcp", "ethertype": "IPv6", "remote_ip_prefix": "2001:DB8:0::/32"},
     {"remote_ip_prefix": "2001:db8::/32", "normalized_cidr": "2001:db8::/32"}),
    ({"protocol": "tcp", "remote_ip_prefix": ""}, {"remote_ip_prefix": None, "normalized_cidr": None}),
    ({"direction": "egress", "protocol": "gre", "description": "tunnels"},
     {"direction": "egress", "protocol": "gre", "description": "tunnels"}),
])
def test_rule_canonical_form(cloud, user, name, attrs, expect):
    _, project, token = user
    g = group(cloud, token, name)
    r = rule(cloud, token, g["id"], **attrs)
    assert r.status_code == 201, r.text
    created = r.json()["security_group_rule"]
    assert set(created) == RULE_KEYS
    assert created["project_id"] == project["id"] and created["security_group_id"] == g["id"]
    for key, value in expect.items():
        assert created[key] == value, (key, created)
    shown = net(cloud, "GET", "/security-group-rules/" + created["id"], token).json()["security_group_rule"]
    assert shown == created
    inside = net(cloud, "GET", "/security-groups/" + g["id"], token).json()["security_group"]["security_group_rules"]
    assert created in inside
    assert net(cloud, "DELETE", "/security-group-rules/" + created["id"], token).status_code == 204
    error(net(cloud, "GET", "/security-group-rules/" + created["id"], token), 404, "SecurityGroupRuleNotFound")
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204


BAD_RULES = [
    ({"protocol": "bad_protocol_name"}, "Security group rule protocol bad_protocol_name not supported."),
    ({"protocol": 256}, "not supported"),
    ({"protocol": "-1"}, "not supported"),
    ({"protocol": True}, None),
    ({"protocol": "udp", "ethertype": "bad_ethertype"}, "Security group rule for ethertype 'bad_ethertype' not supported"),
    ({"protocol": "udp", "ethertype": None}, "not supported"),
    ({"protocol": "tcp", "remote_ip_prefix": "192.168.1./24"}, "Invalid CIDR 192.168.1./24 given as IP prefix."),
    ({"protocol": "tcp", "remote_ip_prefix": "192.168.1.1/33"}, "Invalid CIDR"),
    ({"protocol": "tcp", "remote_ip_prefix": "bad_prefix"}, "Invalid CIDR"),
    ({"protocol": "tcp", "remote_ip_prefix": "256"}, "Invalid CIDR"),
    ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/8 "}, "Invalid CIDR"),
    ({"protocol": "tcp", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/24"},
     "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/24"),
    ({"protocol": "tcp", "ethertype": "IPv4", "remote_ip_prefix": "2001:db8::/64"}, "Conflicting value ethertype IPv4"),
    ({"protocol": "tcp", "port_range_min": -16, "port_range_max": 80}, "Invalid value for port -16"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 79}, "port_range_min must be <= port_range_max"),
    ({"protocol": "tcp", "port_range_min": 80, "port_range_max": 65536}, "Invalid value for port 65536"),
    ({"protocol": "tcp", "port_range_max": 6}, "port_range_min must be <= port_range_max"),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 6}, "Invalid value for port 0"),
    ({"protocol": "tcp", "port_range_min": "eighty"}, "Invalid value for port eighty"),
    ({"protocol": "icmp", "port_range_min": 1, "port_range_max": 256}, "Invalid value for ICMP code"),
    ({"protocol": "icmp", "port_range_min": -1, "port_range_max": 25}, "Invalid value"),
    ({"protocol": "icmp", "port_range_max": 6}, "ICMP type (port-range-min) is missing"),
    ({"protocol": "icmp", "port_range_min": 300, "port_range_max": 1}, "Invalid value for ICMP type"),
    ({"port_range_min": 22, "port_range_max": 22}, "Must also specify protocol if port range is given."),
    ({"protocol": "gre", "port_range_min": 22, "port_range_max": 22}, "Ports cannot be specified for protocol 47."),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv4"}, "Invalid ethertype IPv4 for protocol ipv6-icmp."),
    ({"protocol": "58"}, "Invalid ethertype IPv4 for protocol 58."),
    ({"direction": "sideways"}, "Invalid input for direction"),
    ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "SELF"},
     "Only one of remote_ip_prefix or remote_group_id"),
    ({"port_range_min": {"a": 1}}, None),
    ({"remote_address_group_id": "x"}, None),
]


@pytest.mark.parametrize("attrs, message", BAD_RULES)
def test_rule_bad_input_400(cloud, user, name, attrs, message):
    _, _, token = user
    g = group(cloud, token, name)
    if attrs.get("remote_group_id") == "SELF":
        attrs = dict(attrs, remote_group_id=g["id"])
    error(rule(cloud, token, g["id"], **attrs), 400, None, message)
    # Nothing was stored: the group still has its two egress rules only.
    assert len(net(cloud, "GET", "/security-group-rules?security_group_id=" + g["id"], token)
               .json()["security_group_rules"]) == 2
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204


def test_rule_missing_groups_404(cloud, user, name):
    _, _, token = user
    g = group(cloud, token, name)
    for remote in ("bad_group_id", str(uuid.uuid4())):
        error(rule(cloud, token, g["id"], protocol="tcp", remote_group_id=remote), 404, "SecurityGroupNotFound",
              "Security group %s does not exist" % remote)
    error(rule(cloud, token, str(uuid.uuid4())), 404, "SecurityGroupNotFound")
    error(rule(cloud, token, "x" * 255), 404, "SecurityGroupNotFound")
    error(net(cloud, "POST", "/security-group-rules", token, json={"security_group_rule": {"direction": "ingress"}}), 400)
    error(net(cloud, "DELETE", "/security-group-rules/" + str(uuid.uuid4()), token), 404, "SecurityGroupRuleNotFound")
    error(net(cloud, "DELETE", "/security-groups/" + str(uuid.uuid4()), token), 404, "SecurityGroupNotFound")
    r = rule(cloud, token, g["id"], protocol="udp", port_range_min=50, port_range_max=55, remote_group_id=g["id"])
    assert r.status_code == 201 and r.json()["security_group_rule"]["remote_group_id"] == g["id"]
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204


def test_duplicate_rule_409(cloud, user, name):
    _, _, token = user
    g = group(cloud, token, name)
    first = rule(cloud, token, g["id"], protocol="tcp", port_range_min=66, port_range_max=67).json()["security_group_rule"]
    message = "Security group rule already exists. Rule id is %s." % first["id"]
    # The same rule, also spelt differently: protocol number, upper case, the whole address space as the prefix.
    for same in ({"protocol": "tcp"}, {"protocol": "6"}, {"protocol": 6}, {"protocol": "TCP", "ethertype": "ipv4"},
                 {"protocol": "tcp", "remote_ip_prefix": "0.0.0.0/0"}):
        error(rule(cloud, token, g["id"], port_range_min=66, port_range_max=67, **same), 409,
              "SecurityGroupRuleExists", message)
    # Another port range, direction or prefix is another rule.
    assert rule(cloud, token, g["id"], protocol="tcp", port_range_min=66, port_range_max=68).status_code == 201
    assert rule(cloud, token, g["id"], protocol="tcp", port_range_min=66, port_range_max=67,
                remote_ip_prefix="10.0.0.0/8").status_code == 201
    # The group's default egress rules are duplicates too.
    error(rule(cloud, token, g["id"], direction="egress"), 409, "SecurityGroupRuleExists")
    error(rule(cloud, token, g["id"], direction="egress", ethertype="IPv6", remote_ip_prefix="::/0"), 409)
    # A bulk create with a duplicate inside creates nothing.
    before = len(net(cloud, "GET", "/security-group-rules?security_group_id=" + g["id"], token)
                 .json()["security_group_rules"])
    one = {"security_group_id": g["id"], "direction": "ingress", "protocol": "udp", "port_range_min": 53,
           "port_range_max": 53}
    error(net(cloud, "POST", "/security-group-rules", token, json={"security_group_rules": [one, dict(one)]}), 409,
          "SecurityGroupRuleExists")
    assert len(net(cloud, "GET", "/security-group-rules?security_group_id=" + g["id"], token)
               .json()["security_group_rules"]) == before
    two = dict(one, protocol="tcp")
    r = net(cloud, "POST", "/security-group-rules", token, json={"security_group_rules": [one, two]})
    assert r.status_code == 201 and len(r.json()["security_group_rules"]) == 2
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204


def test_duplicate_rule_race(cloud, user, name):
    """The same rule from many clients at once: one is made, every other gets the 409."""
    _, _, token = user
    g = group(cloud, token, name)
    codes = []

    def post():
        with requests.Session() as s:
            r = s.post(cloud.url + "/network/v2.0/security-group-rules", headers={"X-Auth-Token": token}, timeout=120,
                       json={"security_group_rule": {"security_group_id": g["id"], "direction": "ingress",
                                                     "protocol": "tcp", "port_range_min": 443, "port_range_max": 443}})
            codes.append(r.status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] + [409] * 7
    rules = net(cloud, "GET", "/security-group-rules?security_group_id=%s&protocol=tcp" % g["id"], token).json()
    assert len(rules["security_group_rules"]) == 1
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204


def test_group_in_use_409(cloud, user, name):
    _, _, token = user
    g = group(cloud, token, name)
    remote_user = group(cloud, token, name + "-r")
    assert rule(cloud, token, remote_user["id"], protocol="tcp", remote_group_id=g["id"]).status_code == 201
    network = net(cloud, "POST", "/networks", token, json={"network": {"name": name}}).json()["network"]
    port = net(cloud, "POST", "/ports", token,
               json={"port": {"network_id": network["id"], "security_groups": [g["id"]]}}).json()["port"]
    error(net(cloud, "DELETE", "/security-groups/" + g["id"], token), 409, "SecurityGroupInUse",
          "Security Group %s in use." % g["id"])
    error(net(cloud, "PUT", "/security-groups/" + g["id"], token, json={"security_group": {"stateful": False}}), 409,
          "SecurityGroupInUse")
    assert net(cloud, "DELETE", "/ports/" + port["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204
    # The rule naming it as the remote group went with it.
    left = net(cloud, "GET", "/security-groups/" + remote_user["id"], token).json()["security_group"]
    assert [r["remote_group_id"] for r in left["security_group_rules"]] == [None, None]
    assert net(cloud, "DELETE", "/security-groups/" + remote_user["id"], token).status_code == 204
    assert net(cloud, "DELETE", "/networks/" + network["id"], token).status_code == 204


def test_other_projects_groups_are_invisible(cloud, user, name):
    _, _, token = user
    _, _, other = cloud.make_user(name + "-o")
    g = group(cloud, token, name)
    theirs = group(cloud, other, name)
    error(net(cloud, "GET", "/security-groups/" + g["id"], other), 404, "SecurityGroupNotFound")
    error(net(cloud, "DELETE", "/security-groups/" + g["id"], other), 404)
    error(net(cloud, "PUT", "/security-groups/" + g["id"], other, json={"security_group": {"name": "x"}}), 404)
    error(rule(cloud, other, g["id"], protocol="tcp"), 404, "SecurityGroupNotFound")
    error(rule(cloud, token, g["id"], protocol="tcp", remote_group_id=theirs["id"]), 404, "SecurityGroupNotFound")
    rule_id = g["security_group_rules"][0]["id"]
    error(net(cloud, "GET", "/security-group-rules/" + rule_id, other), 404, "SecurityGroupRuleNotFound")
    error(net(cloud, "DELETE", "/security-group-rules/" + rule_id, other), 404)
    assert g["id"] not in [x["id"] for x in net(cloud, "GET", "/security-groups", other).json()["security_groups"]]
    assert rule_id not in [x["id"] for x in
                           net(cloud, "GET", "/security-group-rules", other).json()["security_group_rules"]]
    # A non-admin may not make a group or rule for another project.
    error(net(cloud, "POST", "/security-groups", token,
              json={"security_group": {"name": name, "project_id": theirs["project_id"]}}), 403)
    # An admin sees both and may add a rule to either; it belongs to the group's project.
    admin, _ = cloud.token()
    r = rule(cloud, admin, g["id"], protocol="tcp", port_range_min=1, port_range_max=2)
    assert r.status_code == 201 and r.json()["security_group_rule"]["project_id"] == g["project_id"]
    assert net(cloud, "GET", "/security-group-rules/" + r.json()["security_group_rule"]["id"], token).status_code == 200
    for t, x in ((token, g), (other, theirs)):
        assert net(cloud, "DELETE", "/security-groups/" + x["id"], t).status_code == 204


def test_rule_update_only_description(cloud, user, name):
    _, _, token = user
    g = group(cloud, token, name)
    rid = g["security_group_rules"][0]["id"]
    r = net(cloud, "PUT", "/security-group-rules/" + rid, token, json={"security_group_rule": {"description": "d"}})
    assert r.status_code == 200 and r.json()["security_group_rule"]["description"] == "d"
    error(net(cloud, "PUT", "/security-group-rules/" + rid, token, json={"security_group_rule": {"protocol": "tcp"}}),
          400)
    assert net(cloud, "DELETE", "/security-groups/" + g["id"], token).status_code == 204


def test_openstack_cli_security_groups(cloud, name):
    env = cloud.env()
    g = cloud.openstack("security", "group", "create", "--description", "cli", name, "-f", "json", env=env)
    assert g["name"] == name and g["description"] == "cli"
    ssh = cloud.openstack("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", name,
                          "-f", "json", env=env)
    assert ssh["protocol"] == "tcp" and ssh["port_range_min"] == 22 and ssh["port_range_max"] == 22
    assert ssh["remote_ip_prefix"] == "0.0.0.0/0" and ssh["direction"] == "ingress" and ssh["ether_type"] == "IPv4"
    ping = cloud.openstack("security", "group", "rule", "create", "--protocol", "icmp", "--icmp-type", "8",
                           "--icmp-code", "0", name, "-f", "json", env=env)
    assert ping["port_range_min"] == 8 and ping["port_range_max"] == 0
    v6 = cloud.openstack("security", "group", "rule", "create", "--ethertype", "IPv6", "--protocol", "ipv6-icmp",
                         "--remote-ip", "2001:db8::/64", name, "-f", "json", env=env)
    assert v6["protocol"] == "ipv6-icmp" and v6["remote_ip_prefix"] == "2001:db8::/64"
    web = cloud.openstack("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "80:443",
                          "--remote-group", name, name, "-f", "json", env=env)
    assert web["remote_group_id"] == g["id"] and web["port_range_max"] == 443
    dup = cloud.openstack("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", name,
                          env=env, check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr
    listed = cloud.openstack("security", "group", "rule", "list", name, "-f", "json", env=env)
    assert {r["ID"] for r in listed} >= {ssh["id"], ping["id"], v6["id"], web["id"]}
    assert len(listed) == 6  # and the two egress rules
    shown = cloud.openstack("security", "group", "show", name, "-f", "json", env=env)
    assert shown["id"] == g["id"] and len(shown["rules"]) == 6
    cloud.openstack("security", "group", "set", "--name", name + "-renamed", name, env=env)
    assert name + "-renamed" in [x["Name"] for x in cloud.openstack("security", "group", "list", "-f", "json", env=env)]
    cloud.openstack("security", "group", "rule", "delete", ssh["id"], env=env)
    assert len(cloud.openstack("security", "group", "rule", "list", name + "-renamed", "-f", "json", env=env)) == 5
    cloud.openstack("security", "group", "delete", name + "-renamed", env=env)
    gone = cloud.openstack("security", "group", "show", g["id"], env=env, check=False)
    assert gone.returncode != 0


def test_openstacksdk_security_groups(cloud, name):
    conn = openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    g = conn.network.create_security_group(name=name, description="sdk")
    try:
        r = conn.network.create_security_group_rule(security_group_id=g.id, direction="ingress", protocol="udp",
                                                    port_range_min=53, port_range_max=53, ethertype="IPv4")
        assert r.protocol == "udp" and r.port_range_min == 53
        assert r.id in [x.id for x in conn.network.security_group_rules(security_group_id=g.id)]
        assert conn.network.find_security_group(name).id == g.id
        assert len(conn.network.get_security_group(g.id).security_group_rules) == 3
        conn.network.delete_security_group_rule(r)
        assert "default" in [x.name for x in conn.network.security_groups()]
    finally:
        conn.network.delete_security_group(g)


def test_quotas_of_groups_and_rules(name):
    # Appended to the [network] section the test cloud writes.
    c = Cloud(extra_config="\n[network]\nquota_security_group = 3\nquota_security_group_rule = 9\n")
    try:
        _, _, token = c.make_user(name)
        # The default group and its 4 rules come first; each new group brings 2 egress rules.
        a = group(c, token, name + "-a")
        b = group(c, token, name + "-b")
        error(net(c, "POST", "/security-groups", token, json={"security_group": {"name": name + "-c"}}), 409,
              "OverQuota", "Quota exceeded for resources: ['security_group'].")
        assert rule(c, token, a["id"], protocol="tcp").status_code == 201
        error(rule(c, token, b["id"], protocol="tcp"), 409, "OverQuota", "['security_group_rule']")
    finally:
        c.close()
