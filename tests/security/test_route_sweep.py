# SPDX-License-Identifier: Apache-2.0
#
# Every route that takes an {id}, in every service, swept with traversal,
# encoded-slash, NUL and control-character payloads (issue 7, finding 1).
# The routes come from `gureumd --list-routes`, so a route added later is
# swept without touching this file.  Nothing may answer 2xx or 5xx, no
# file outside the state directory may change (a canary beside it), no
# file inside it may disappear, no resource named by a valid id followed
# by junk may be touched, and no payload may reach a response header.
import json
import os
import re
import socket
import subprocess
import time

import pytest
import requests

from gureum_cloud import GUREUMD

# Wire forms: what goes into the request line, percent-escapes and all.
# "{canary}" becomes the canary's file name (a sibling of the state dir).
WHOLE = [
    "../../{canary}",
    "..%2F..%2F{canary}",
    "..%252F..%252F{canary}",
    "%2e%2e%2f%2e%2e%2f{canary}",
    "..%5c..%5c{canary}",
    "..",
    "%2e%2e",
    ".",
    "%00",
    "%2500",
    "%0d%0aSet-Cookie:%20gureum-test=1",
    "%0aX-Injected:%201",
    "%01%02%03",
    "%7f",
    "%c0%af",
    "%ff%fe",
    "%",
    "%zz",
    "a" * 300,
    "b" * 5000,
]
# Appended to a valid id: the request must not act on that id.
SUFFIXES = ["%00junk", "%2500x", "%00", "%0a", "%250a", "/../x", "%2F..%2Fx", "%252F..", "%20", "%09"]

# Bodies that get a route past schema validation, so the handler sees the id.
BODIES = {
    ("PUT", "/identity/v3/regions/{region_id}"): {"region": {"description": "x"}},
    ("PATCH", "/identity/v3/regions/{region_id}"): {"region": {"description": "x"}},
    ("PATCH", "/identity/v3/projects/{project_id}"): {"project": {"description": "x"}},
    ("PATCH", "/identity/v3/users/{user_id}"): {"user": {"description": "x"}},
    ("PATCH", "/identity/v3/groups/{group_id}"): {"group": {"description": "x"}},
    ("PATCH", "/identity/v3/roles/{role_id}"): {"role": {"description": "x"}},
    ("PATCH", "/identity/v3/domains/{domain_id}"): {"domain": {"description": "x"}},
    ("PATCH", "/identity/v3/services/{service_id}"): {"service": {"description": "x"}},
    ("PATCH", "/identity/v3/endpoints/{endpoint_id}"): {"endpoint": {"url": "http://127.0.0.1:1/x"}},
    ("POST", "/identity/v3/users/{user_id}/password"): {"user": {"original_password": "pw", "password": "pw2"}},
    ("POST", "/image/v2/images/{image_id}/members"): {"member": "gureum-test-member"},
    ("PUT", "/image/v2/images/{image_id}/members/{member_id}"): {"status": "accepted"},
    # Reads a file named after the id: the sweep makes sure it never leaves the instance directory.
    ("POST", "/compute/v2.1/servers/{server_id}/action"): {"os-getConsoleOutput": {}},
    ("PUT", "/compute/v2.1/servers/{server_id}"): {"server": {"name": "x"}},
    ("POST", "/compute/v2.1/servers/{server_id}/metadata"): {"metadata": {"k": "x"}},
    ("PUT", "/compute/v2.1/servers/{server_id}/metadata"): {"metadata": {"k": "x"}},
    ("PUT", "/compute/v2.1/servers/{server_id}/metadata/{key}"): {"meta": {"k": "x"}},
    ("PUT", "/compute/v2.1/servers/{server_id}/tags"): {"tags": ["x"]},
    ("POST", "/compute/v2.1/flavors/{flavor_id}/os-extra_specs"): {"extra_specs": {"sweep": "x"}},
    ("PUT", "/compute/v2.1/flavors/{flavor_id}/os-extra_specs/{key}"): {"sweep": "x"},
    ("POST", "/compute/v2.1/flavors/{flavor_id}/action"): {"removeTenantAccess": {"tenant": "gureum-test-sweep"}},
    ("PUT", "/compute/v2.1/os-quota-sets/{project_id}"): {"quota_set": {"instances": 0}},
    ("PUT", "/compute/v2.1/os-services/{service_id}"): {"host": "gureum-test-sweep", "binary": "nova-compute"},
    ("PUT", "/network/v2.0/networks/{id}"): {"network": {"name": "x"}},
    ("PUT", "/network/v2.0/subnets/{id}"): {"subnet": {"name": "x"}},
    ("PUT", "/network/v2.0/ports/{id}"): {"port": {"name": "x"}},
    ("PUT", "/network/v2.0/subnetpools/{id}"): {"subnetpool": {"name": "x"}},
    ("PUT", "/network/v2.0/networks/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/networks/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/subnets/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/subnets/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/ports/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/ports/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/subnetpools/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/subnetpools/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/quotas/{project_id}"): {"quota": {"network": 1, "force": True}},
    ("PUT", "/network/v2.0/routers/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/routers/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/floatingips/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/floatingips/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/security-groups/{id}/tags"): {"tags": ["x"]},
    ("POST", "/network/v2.0/security-groups/{id}/tags"): {"tags": ["x"]},
    ("PUT", "/network/v2.0/security-groups/{id}"): {"security_group": {"description": "x"}},
    ("PUT", "/network/v2.0/security-group-rules/{id}"): {"security_group_rule": {"description": "x"}},
    ("PUT", "/network/v2.0/routers/{id}"): {"router": {"description": "x"}},
    ("PUT", "/network/v2.0/routers/{id}/add_router_interface"): {"subnet_id": "5f4c1bd6-2a31-4f2e-9d0c-3b8e7a6c5d41"},
    ("PUT", "/network/v2.0/routers/{id}/remove_router_interface"): {"subnet_id": "5f4c1bd6-2a31-4f2e-9d0c-3b8e7a6c5d41"},
    ("PUT", "/network/v2.0/routers/{id}/add_extraroutes"): {"router": {"routes": []}},
    ("PUT", "/network/v2.0/routers/{id}/remove_extraroutes"): {"router": {"routes": []}},
    ("PUT", "/network/v2.0/floatingips/{id}"): {"floatingip": {"description": "x"}},
    ("POST", "/compute/v2.1/images/{image_id}/metadata"): {"metadata": {"x": "y"}},
    ("PUT", "/compute/v2.1/images/{image_id}/metadata"): {"metadata": {"x": "y"}},
    ("PUT", "/compute/v2.1/images/{image_id}/metadata/{key}"): {"meta": {"x": "y"}},
}
# Routes that exist from a microversion on: swept at it.
VERSIONS = {
    "/compute/v2.1/servers/{server_id}/tags": "compute 2.26",
    "/compute/v2.1/servers/{server_id}/tags/{tag}": "compute 2.26",
}
HEADERS = {
    ("PATCH", "/image/v2/images/{image_id}"): "application/openstack-images-v2.1-json-patch",
    ("PUT", "/image/v2/images/{image_id}/file"): "application/octet-stream",
}


def routes():
    out = subprocess.run([GUREUMD, "--list-routes"], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split(" ", 1)) for line in out.splitlines() if "{" in line]


def raw_request(port, method, path, token, body=b"", content_type="application/json", version=None):
    """Sends bytes exactly as given (http.client would refuse control
    characters, and requests would re-encode); returns (status, headers, body)."""
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: %s\r\nConnection: close\r\n" % (method, path, token)
    if version:
        head += "OpenStack-API-Version: %s\r\n" % version
    if method in ("POST", "PUT", "PATCH"):
        head += "Content-Type: %s\r\nContent-Length: %d\r\n" % (content_type, len(body))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode("latin-1") + b"\r\n" + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
    return status, headers, rest


def state_files(state):
    """Every file in the state directory except those the daemon rewrites while running."""
    found = set()
    for dirpath, _, files in os.walk(state):
        for f in files:
            if f == "gureumd.log" or f.startswith("gureum.db"):
                continue
            found.add(os.path.relpath(os.path.join(dirpath, f), state))
    return found


@pytest.fixture(scope="module")
def victims(cloud):
    """One resource of each kind, whose ids the suffix payloads extend."""
    admin, _ = cloud.token()

    def make(path, key, body):
        r = cloud.api("POST", path, admin, json={key: body})
        assert r.status_code == 201, r.text
        return r.json()[key]["id"]

    ids = {
        "project_id": make("/projects", "project", {"name": "gureum-test-sweep"}),
        "user_id": make("/users", "user", {"name": "gureum-test-sweep", "password": "pw"}),
        "group_id": make("/groups", "group", {"name": "gureum-test-sweep"}),
        "role_id": make("/roles", "role", {"name": "gureum-test-sweep"}),
        "domain_id": make("/domains", "domain", {"name": "gureum-test-sweep", "enabled": False}),
        "region_id": make("/regions", "region", {"description": "sweep"}),
        "service_id": make("/services", "service", {"type": "gureum-test-sweep"}),
    }
    ids["endpoint_id"] = make("/endpoints", "endpoint", {"service_id": ids["service_id"], "interface": "public",
                                                         "url": "http://127.0.0.1:1/sweep"})
    ids["target_id"], ids["actor_id"] = ids["project_id"], ids["user_id"]
    r = cloud.image_api("POST", "/images", admin, json={"name": "gureum-test-sweep", "disk_format": "raw",
                                                        "container_format": "bare", "visibility": "shared",
                                                        "tags": ["t"]})
    assert r.status_code == 201, r.text
    ids["image_id"] = r.json()["id"]
    assert cloud.image_api("PUT", "/images/%s/file" % ids["image_id"], admin, data=b"sweep-data",
                           headers={"Content-Type": "application/octet-stream"}).status_code == 204
    ids["tag"] = "t"
    # Neutron's routes name their ids {id}: a network, tagged, stands for all of them.
    r = requests.post(cloud.url + "/network/v2.0/networks", headers={"X-Auth-Token": admin},
                      json={"network": {"name": "gureum-test-sweep"}})
    assert r.status_code == 201, r.text
    ids["id"] = r.json()["network"]["id"]
    assert requests.put(cloud.url + "/network/v2.0/networks/%s/tags/t" % ids["id"],
                        headers={"X-Auth-Token": admin}).status_code == 201
    ids["member_id"] = ids["project_id"]
    r = requests.post(cloud.url + "/compute/v2.1/servers", headers={"X-Auth-Token": admin},
                      json={"server": {"name": "gureum-test-sweep", "imageRef": ids["image_id"], "flavorRef": "42"}})
    assert r.status_code == 202, r.text
    ids["server_id"] = r.json()["server"]["id"]
    ids["request_id"] = r.headers["x-compute-request-id"]
    compute = cloud.url + "/compute/v2.1"
    r = requests.post(compute + "/flavors", headers={"X-Auth-Token": admin},
                      json={"flavor": {"name": "gureum-test-sweep", "id": "gureum-test-sweep", "ram": 64, "vcpus": 1,
                                       "disk": 0, "os-flavor-access:is_public": False}})
    assert r.status_code == 200, r.text
    ids["flavor_id"] = r.json()["flavor"]["id"]
    r = requests.post(compute + "/flavors/%s/os-extra_specs" % ids["flavor_id"], headers={"X-Auth-Token": admin},
                      json={"extra_specs": {"sweep": "kept"}})
    assert r.status_code == 200, r.text
    ids["key"] = "sweep"
    ids["hypervisor_id"] = str(requests.get(compute + "/os-hypervisors", headers={"X-Auth-Token": admin}
                                            ).json()["hypervisors"][0]["id"])
    # Built before the sweep's snapshot of the state directory: no files in the making.
    deadline = time.time() + 60
    while time.time() < deadline:
        s = requests.get(cloud.url + "/compute/v2.1/servers/" + ids["server_id"], headers={"X-Auth-Token": admin})
        if s.json()["server"]["status"] == "ACTIVE":
            break
        time.sleep(0.1)
    assert s.json()["server"]["status"] == "ACTIVE", s.text
    assert cloud.image_api("POST", "/images/%s/members" % ids["image_id"], admin,
                           json={"member": ids["project_id"]}).status_code == 200
    compute = cloud.url + "/compute/v2.1"
    r = requests.put(compute + "/servers/%s/metadata" % ids["server_id"], headers={"X-Auth-Token": admin},
                     json={"metadata": {"k": "v"}})
    assert r.status_code == 200, r.text
    ids["key"] = "k"
    r = requests.put(compute + "/servers/%s/tags/t" % ids["server_id"],
                     headers={"X-Auth-Token": admin, "OpenStack-API-Version": "compute 2.26"})
    assert r.status_code == 201, r.text
    r = requests.post(compute + "/os-server-groups", headers={"X-Auth-Token": admin},
                      json={"server_group": {"name": "gureum-test-sweep", "policies": ["affinity"]}})
    assert r.status_code == 200, r.text
    ids["server_group_id"] = r.json()["server_group"]["id"]
    # An interface on the network (with a subnet now), for os-interface/{port_id}.
    r = requests.post(cloud.url + "/network/v2.0/subnets", headers={"X-Auth-Token": admin},
                      json={"subnet": {"network_id": ids["id"], "cidr": "10.66.0.0/24", "ip_version": 4}})
    assert r.status_code == 201, r.text
    r = requests.post(compute + "/servers/%s/os-interface" % ids["server_id"], headers={"X-Auth-Token": admin},
                      json={"interfaceAttachment": {"net_id": ids["id"]}})
    assert r.status_code == 200, r.text
    ids["port_id"] = r.json()["interfaceAttachment"]["port_id"]
    return ids


def fill(route, values):
    return re.sub(r"\{(\w+)\}", lambda m: values(m.group(1)), route)


def check_response(method, route, path, status, headers, body):
    where = "%s %s (sent %r)" % (method, route, path)
    assert not 200 <= status < 300, "%s answered %d: %r" % (where, status, body[:200])
    assert status < 500, "%s answered %d: %r" % (where, status, body[:200])
    names = {h[0].strip().lower() for h in headers}
    assert "set-cookie" not in names and "x-injected" not in names, "%s: header injected: %r" % (where, headers)


def test_every_id_route_refuses_hostile_ids(cloud, canary, victims):
    admin, _ = cloud.token()
    before = state_files(cloud.state)
    canary_name = os.path.basename(canary)
    swept = 0
    for method, route in routes():
        body = json.dumps(BODIES.get((method, route), {})).encode()
        ctype = HEADERS.get((method, route), "application/json")
        if ctype == "application/octet-stream":
            body = b"x"
        elif "json-patch" in ctype:
            body = b"[]"
        params = re.findall(r"\{(\w+)\}", route)
        cases = [fill(route, lambda _: p.replace("{canary}", canary_name)) for p in WHOLE]
        # A suffix on a free-text parameter ({tag}) is just another tag; on an id it must name nothing.
        for target in (p for p in params if p == "id" or p.endswith("_id")):
            for suffix in SUFFIXES:
                cases.append(fill(route, lambda n: victims[n] + suffix if n == target else victims[n]))
        for path in cases:
            status, headers, resp = raw_request(cloud.port, method, path, admin, body, ctype, VERSIONS.get(route))
            check_response(method, route, path, status, headers, resp)
            swept += 1
    assert swept > 500
    assert cloud.proc.poll() is None, "gureumd died during the sweep"
    with open(canary, "rb") as f:
        assert f.read() == b"canary\n"
    assert before <= state_files(cloud.state), "files vanished: %s" % (before - state_files(cloud.state))
    # Every victim is still there, unchanged where it matters.
    for key, plural in (("project_id", "projects"), ("user_id", "users"), ("group_id", "groups"),
                        ("role_id", "roles"), ("domain_id", "domains"), ("region_id", "regions"),
                        ("service_id", "services"), ("endpoint_id", "endpoints")):
        assert cloud.api("GET", "/%s/%s" % (plural, victims[key]), admin).status_code == 200, key
    img = cloud.image_api("GET", "/images/" + victims["image_id"], admin).json()
    assert img["status"] == "active" and img["tags"] == ["t"] and "x" not in img
    assert cloud.image_api("GET", "/images/%s/file" % victims["image_id"], admin).content == b"sweep-data"
    members = cloud.image_api("GET", "/images/%s/members" % victims["image_id"], admin).json()["members"]
    assert [m["member_id"] for m in members] == [victims["project_id"]]
    server = requests.get(cloud.url + "/compute/v2.1/servers/" + victims["server_id"], headers={"X-Auth-Token": admin})
    assert server.status_code == 200 and server.json()["server"]["name"] == "gureum-test-sweep"
    assert server.json()["server"]["metadata"] == {"k": "v"}
    tags = requests.get(cloud.url + "/compute/v2.1/servers/%s/tags" % victims["server_id"],
                        headers={"X-Auth-Token": admin, "OpenStack-API-Version": "compute 2.26"})
    assert tags.json() == {"tags": ["t"]}
    group = requests.get(cloud.url + "/compute/v2.1/os-server-groups/" + victims["server_group_id"],
                         headers={"X-Auth-Token": admin})
    assert group.status_code == 200
    compute = cloud.url + "/compute/v2.1"
    specs = requests.get(compute + "/flavors/%s/os-extra_specs" % victims["flavor_id"], headers={"X-Auth-Token": admin})
    assert specs.status_code == 200 and specs.json() == {"extra_specs": {"sweep": "kept"}}
    quota = requests.get(compute + "/os-quota-sets/" + victims["project_id"], headers={"X-Auth-Token": admin})
    assert quota.json()["quota_set"]["instances"] == 10
    services = requests.get(compute + "/os-services", headers={"X-Auth-Token": admin}).json()["services"]
    assert {s["status"] for s in services} == {"enabled"}
    network = requests.get(cloud.url + "/network/v2.0/networks/" + victims["id"], headers={"X-Auth-Token": admin})
    assert network.status_code == 200 and network.json()["network"]["name"] == "gureum-test-sweep"
    assert network.json()["network"]["tags"] == ["t"]
    quotas = requests.get(cloud.url + "/network/v2.0/quotas", headers={"X-Auth-Token": admin}).json()["quotas"]
    assert victims["project_id"] not in [q["project_id"] for q in quotas]
