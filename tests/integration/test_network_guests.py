# SPDX-License-Identifier: Apache-2.0
"""Real guests on real tenant networks: the libvirt driver and the linux
data plane together, driven through the Compute and Networking APIs.

- Two servers of one project on one network: each gets its address by
  DHCP from the network's dnsmasq, and one reaches the other by address
  and by its DNS name (the server's hostname), through the default
  security group (which admits its own members).
- A server of another project, on its own network with the same
  addresses, cannot reach them.
- The metadata service at 169.254.169.254 answers a guest with its own
  metadata (no config drive here, so the guest takes its user data from
  there).

Safety: the data plane of each cloud names everything with a prefix of
its own (g<hex>-) and takes VXLAN identifiers of its own (both clouds of
this module are alive at once, and the kernel lets one device hold a
VNI: gureum_cloud.dataplane_tag); the guests are gureum-<uuid> domains
of these clouds only.  Addresses live in the guests and the data plane's
namespaces; the root namespace gets none.  Everything is removed at the end, also when a
test fails: the guests (LibvirtCloud), then whatever carries the prefix
(net-tool teardown).  A few minutes under TCG.
"""
import base64
import subprocess
import time
import uuid

import pytest
import requests

from compute_cloud import NANO, LibvirtCloud, Nova, kill9, upload_test_image
from gureum_cloud import dataplane_tag

pytestmark = pytest.mark.guest

BOOT_TIMEOUT = 300   # TCG on 2 shared cores: generous


def user_data(script):
    return base64.b64encode(script.encode()).decode()


@pytest.fixture(scope="module")
def cloud():
    c = LibvirtCloud(dataplane="linux", extra_config="\nforce_config_drive = false\n")
    try:
        token, _ = c.token()
        c.image_id = upload_test_image(c, token, "gureum-test-net")
        yield c
    finally:
        c.close()


class Tenant:
    """A project with a member, a network and a subnet of its own."""

    def __init__(self, cloud, name, cidr):
        self.cloud = cloud
        _, self.project, self.token = cloud.make_user("gureum-test-%s-%s" % (name, uuid.uuid4().hex[:4]))
        self.nova = Nova(cloud, self.token)
        self.net = self.neutron("POST", "/networks", {"network": {"name": "gureum-test-" + name}})["network"]
        self.neutron("POST", "/subnets", {"subnet": {"network_id": self.net["id"], "cidr": cidr, "ip_version": 4}})

    def neutron(self, method, path, body=None):
        r = requests.request(method, self.cloud.url + "/network/v2.0" + path, json=body,
                             headers={"X-Auth-Token": self.token})
        assert r.status_code in (200, 201), r.text
        return r.json()

    def boot(self, name, script=None):
        extra = {"user_data": user_data(script)} if script else {}
        server = self.nova.create(name, self.cloud.image_id, NANO, networks=[{"uuid": self.net["id"]}], **extra)
        return server["server"]["id"]

    def address(self, sid):
        (entry,) = self.nova.get(sid)["addresses"][self.net["name"]]
        return entry["addr"]


def live_macs(server_id):
    """The MACs of the running guest's NICs, as libvirt has them now."""
    out = subprocess.run(["virsh", "-q", "-c", "qemu:///system", "domiflist", "gureum-" + server_id],
                         capture_output=True, text=True, check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def probe_script(target_ip, target_name):
    """User data that reports whether the guest reaches target by address and by name."""
    return """#!/bin/sh
ok=no
for i in $(seq 1 60); do
    if ping -c 1 -W 2 %(ip)s >/dev/null 2>&1; then ok=yes; break; fi
    sleep 1
done
echo "PING-IP %(ip)s $ok"
ok=no
for i in $(seq 1 20); do
    if ping -c 1 -W 2 %(name)s >/dev/null 2>&1; then ok=yes; break; fi
    sleep 1
done
echo "PING-NAME %(name)s $ok"
echo "METADATA-UUID $(wget -q -O - http://169.254.169.254/openstack/latest/meta_data.json | sed -n 's/.*"uuid": *"\\([^"]*\\)".*/\\1/p')"
echo "EC2-LOCAL-IPV4 $(wget -q -O - http://169.254.169.254/latest/meta-data/local-ipv4)"
""" % {"ip": target_ip, "name": target_name}


def test_guests_reach_each_other_and_not_another_project(cloud):
    blue = Tenant(cloud, "blue", "10.78.0.0/24")
    red = Tenant(cloud, "red", "10.78.0.0/24")          # the same addresses, another project
    red.neutron("POST", "/ports", {"port": {"network_id": red.net["id"], "name": "gureum-test-spare"}})
    a = blue.boot("gureum-test-a")
    a_ip = blue.address(a)
    b = blue.boot("gureum-test-b", probe_script(a_ip, "gureum-test-a"))
    c = red.boot("gureum-test-c", probe_script(a_ip, "gureum-test-a"))
    for nova, sid in ((blue.nova, a), (blue.nova, b), (red.nova, c)):
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)

    # The first guest got the address its port has, by DHCP.
    out = blue.nova.wait_console(a, r"GUEST-READY hostname=gureum-test-a ", timeout=BOOT_TIMEOUT)
    assert "ip=%s" % a_ip in out

    out = blue.nova.wait_console(b, r"USERDATA-EXIT", timeout=BOOT_TIMEOUT)
    assert "GUEST-DATASOURCE source=metadata-openstack" in out
    assert "USERDATA: PING-IP %s yes" % a_ip in out
    assert "USERDATA: PING-NAME gureum-test-a yes" in out
    assert "USERDATA: METADATA-UUID %s" % b in out          # its own metadata, not another guest's
    assert "USERDATA: EC2-LOCAL-IPV4 %s" % blue.address(b) in out

    out = red.nova.wait_console(c, r"USERDATA-EXIT", timeout=BOOT_TIMEOUT)
    c_ip = red.address(c)
    assert c_ip.startswith("10.78.0.")
    assert c_ip != a_ip                                      # the spare port took a's address there
    assert "USERDATA: PING-IP %s no" % a_ip in out
    assert "USERDATA: PING-NAME gureum-test-a no" in out
    assert "USERDATA: METADATA-UUID %s" % c in out
    assert "USERDATA: EC2-LOCAL-IPV4 %s" % c_ip in out

    # An interface hot-plugged into the running guest, and pulled out again.
    extra = blue.neutron("POST", "/networks", {"network": {"name": "gureum-test-blue2"}})["network"]
    blue.neutron("POST", "/subnets", {"subnet": {"network_id": extra["id"], "cidr": "10.78.9.0/24", "ip_version": 4}})
    r = blue.nova.call("POST", "/servers/%s/os-interface" % a, {"interfaceAttachment": {"net_id": extra["id"]}})
    assert r.status_code == 200, r.text
    mac = r.json()["interfaceAttachment"]["mac_addr"]
    assert mac in live_macs(a) and len(live_macs(a)) == 2
    r = blue.nova.call("DELETE", "/servers/%s/os-interface/%s" % (a, r.json()["interfaceAttachment"]["port_id"]))
    assert r.status_code == 202, r.text
    assert mac not in live_macs(a) and len(live_macs(a)) == 1

    # The ports are ACTIVE once their guests are wired.
    for t in (blue, red):
        ports = t.neutron("GET", "/ports?device_owner=compute:nova")["ports"]
        assert ports and all(p["status"] == "ACTIVE" for p in ports), ports

    for nova, sid in ((blue.nova, a), (blue.nova, b), (red.nova, c)):
        nova.delete(sid)
    for nova, sid in ((blue.nova, a), (blue.nova, b), (red.nova, c)):
        nova.wait_gone(sid, timeout=120)
    assert blue.neutron("GET", "/ports?device_owner=compute:nova")["ports"] == []


# ---- routers, floating IPs, security groups, anti-spoofing, recovery ----

HOLD_TCP = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], 22), timeout=20)
print("BANNER", s.recv(64).split(b"\r\n")[0].decode(), flush=True)
sys.stdin.readline()                      # the test changes rules meanwhile
s.settimeout(20)
s.sendall(b"SSH-2.0-gureum-test\r\n")
data = s.recv(4096)                       # dropbear's key exchange: the connection lived
print("ALIVE", len(data) > 0, flush=True)
"""


class Outside:
    """The outside world: a namespace behind a veth into the provider bridge, 203.0.113.1/24, no way further out."""

    def __init__(self, tag):
        self.bridge, self.ns = "h%s-ext" % tag, "h%s-out" % tag
        self.veth, self.peer = "h%s-o0" % tag, "h%s-o1" % tag
        self.close()
        for cmd in (["ip", "link", "add", self.bridge, "type", "bridge"],
                    ["ip", "link", "set", self.bridge, "up"],
                    ["ip", "netns", "add", self.ns],
                    ["ip", "link", "add", self.veth, "type", "veth", "peer", "name", self.peer],
                    ["ip", "link", "set", self.veth, "master", self.bridge, "up"],
                    ["ip", "link", "set", self.peer, "netns", self.ns],
                    ["ip", "-n", self.ns, "addr", "add", "203.0.113.1/24", "dev", self.peer],
                    ["ip", "-n", self.ns, "link", "set", self.peer, "up"],
                    ["ip", "-n", self.ns, "link", "set", "lo", "up"]):
            subprocess.run(cmd, check=True, capture_output=True)

    def run(self, *cmd, timeout=30):
        return subprocess.run(["ip", "netns", "exec", self.ns, *cmd], capture_output=True, text=True, timeout=timeout)

    def ping(self, ip):
        return self.run("busybox", "ping", "-c", "1", "-W", "1", ip).returncode == 0

    def ssh_banner(self, ip):
        p = self.run("/usr/bin/python3", "-c", "import socket,sys; s=socket.create_connection((sys.argv[1],22),"
                     "timeout=3); print(s.recv(64).split(b'\\r\\n')[0].decode())", ip, timeout=10)
        return p.stdout if p.returncode == 0 else ""

    def hold(self, ip):
        return subprocess.Popen(["ip", "netns", "exec", self.ns, "/usr/bin/python3", "-c", HOLD_TCP, ip],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.veth], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def until(fn, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.5)
    raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))


@pytest.fixture(scope="module")
def routed():
    """A cloud whose external network "public" is the provider bridge of an outside namespace."""
    tag = dataplane_tag()
    outside = Outside(tag)
    c = None
    try:
        c = LibvirtCloud(dataplane="linux", net_tag=tag,
                         extra_config="\n[network]\nbridge_mappings = public:%s\n" % outside.bridge)
        c.outside = outside
        admin, _ = c.token()
        c.image_id = upload_test_image(c, admin, "gureum-test-net")
        h = {"X-Auth-Token": admin}
        net = requests.post(c.url + "/network/v2.0/networks", headers=h, json={"network": {
            "name": "public", "router:external": True, "provider:network_type": "flat",
            "provider:physical_network": "public"}}).json()["network"]
        r = requests.post(c.url + "/network/v2.0/subnets", headers=h, json={"subnet": {
            "network_id": net["id"], "cidr": "203.0.113.0/24", "ip_version": 4, "gateway_ip": "203.0.113.1",
            "enable_dhcp": False, "allocation_pools": [{"start": "203.0.113.10", "end": "203.0.113.99"}]}})
        assert r.status_code == 201, r.text
        c.public = net
        yield c
    finally:
        try:
            if c:
                c.close()
        finally:
            outside.close()


SPOOF_SCRIPT = """#!/bin/sh
ok=no
for i in $(seq 1 60); do
    if ping -c 1 -W 2 203.0.113.1 >/dev/null 2>&1; then ok=yes; break; fi
    sleep 1
done
echo "SNAT $ok"
ip=$(ip -4 -o addr show dev eth0 | sed -n 's/.* inet \\([0-9.]*\\)\\/.*/\\1/p' | head -n 1)
ip addr del $ip/24 dev eth0
ip addr add 10.79.0.250/24 dev eth0
ip route replace default via 10.79.0.1
ok=no
for i in 1 2 3 4 5; do
    if ping -c 1 -W 2 10.79.0.1 >/dev/null 2>&1; then ok=yes; break; fi
done
echo "SPOOFED-IP $ok"
"""


# Waits for the EC2 metadata's public-ipv4: the floating IP, associated once
# both guests are ACTIVE, which may take minutes on a loaded machine.  No
# bound here: the test's wait for USERDATA-EXIT, which starts after the
# association, is the bound.  Then reports the IPv6 default route the
# router announces (radvd) and the SLAAC address the guest took.
TARGET_SCRIPT = """#!/bin/sh
while :; do
    v=$(wget -q -O - http://169.254.169.254/latest/meta-data/public-ipv4)
    if [ -n "$v" ]; then break; fi
    sleep 1
done
echo "EC2-PUBLIC-IPV4 $v"
r=""
for i in $(seq 1 120); do
    r=$(ip -6 route show default | grep "via fe80:" | head -n 1)
    if [ -n "$r" ]; then break; fi
    sleep 1
done
echo "IPV6-DEFAULT $r"
echo "IPV6-ADDR $(ip -6 -o addr show scope global | sed -n 's/.* inet6 \\([0-9a-f:]*\\)\\/.*/\\1/p' | head -n 1)"
"""


def test_router_floating_ip_security_groups_and_recovery(routed):
    cloud, outside = routed, routed.outside
    t = Tenant(cloud, "green", "10.79.0.0/24")
    router = t.neutron("POST", "/routers", {"router": {"name": "gureum-test-r",
                                                       "external_gateway_info": {"network_id": cloud.public["id"]}}})
    router = router["router"]
    t.neutron("PUT", "/routers/%s/add_router_interface" % router["id"], {"subnet_id": t.neutron(
        "GET", "/subnets?network_id=" + t.net["id"])["subnets"][0]["id"]})
    # An IPv6 SLAAC subnet behind the same router: the router announces it and is the guests' default router.
    v6 = t.neutron("POST", "/subnets", {"subnet": {"network_id": t.net["id"], "ip_version": 6, "cidr": "fd00:79::/64",
                                                   "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}})["subnet"]
    t.neutron("PUT", "/routers/%s/add_router_interface" % router["id"], {"subnet_id": v6["id"]})
    # The target's own group: SSH from anywhere, no ICMP yet.
    sg = t.neutron("POST", "/security-groups", {"security_group": {"name": "gureum-test-ssh"}})["security_group"]
    t.neutron("POST", "/security-group-rules", {"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
        "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}})
    target = t.nova.create("gureum-test-target", cloud.image_id, NANO, networks=[{"uuid": t.net["id"]}],
                           security_groups=[{"name": "gureum-test-ssh"}],
                           user_data=user_data(TARGET_SCRIPT))["server"]["id"]
    spoofer = t.boot("gureum-test-spoofer", SPOOF_SCRIPT)
    t.nova.wait(target, "ACTIVE", timeout=BOOT_TIMEOUT)
    t.nova.wait(spoofer, "ACTIVE", timeout=BOOT_TIMEOUT)
    (port,) = t.neutron("GET", "/ports?device_id=" + target)["ports"]
    fip = t.neutron("POST", "/floatingips", {"floatingip": {"floating_network_id": cloud.public["id"],
                                                            "port_id": port["id"]}})["floatingip"]
    fip_ip = fip["floating_ip_address"]
    t.nova.wait_console(target, r"GUEST-READY hostname=gureum-test-target ", timeout=BOOT_TIMEOUT)
    # The EC2 metadata has the floating IP as the guest's public-ipv4 once it is associated.
    out = t.nova.wait_console(target, r"USERDATA-EXIT", timeout=BOOT_TIMEOUT)
    assert "USERDATA: EC2-PUBLIC-IPV4 %s" % fip_ip in out
    assert "USERDATA: IPV6-DEFAULT default via fe80:" in out
    (slaac,) = [f["ip_address"] for f in port["fixed_ips"] if f["subnet_id"] == v6["id"]]
    assert "USERDATA: IPV6-ADDR %s\n" % slaac in out.replace("\r", "")

    # SNAT out, and anti-spoofing: a guest that takes another address is cut off.
    out = t.nova.wait_console(spoofer, r"USERDATA-EXIT", timeout=BOOT_TIMEOUT)
    assert "USERDATA: SNAT yes" in out
    assert "USERDATA: SPOOFED-IP no" in out

    # The outside reaches the guest's SSH port through the floating IP; ICMP waits for its rule.
    until(lambda: outside.ssh_banner(fip_ip).startswith("SSH-2.0-dropbear"), "SSH through the floating IP")
    assert not outside.ping(fip_ip)
    held = outside.hold(fip_ip)
    try:
        assert held.stdout.readline().startswith("BANNER SSH-2.0-dropbear")
        rule = t.neutron("POST", "/security-group-rules", {"security_group_rule": {
            "security_group_id": sg["id"], "direction": "ingress", "protocol": "icmp",
            "remote_ip_prefix": "0.0.0.0/0"}})["security_group_rule"]
        until(lambda: outside.ping(fip_ip), "ping once ICMP is allowed", 60)
        r = requests.delete(cloud.url + "/network/v2.0/security-group-rules/" + rule["id"],
                            headers={"X-Auth-Token": t.token})
        assert r.status_code == 204, r.text
        until(lambda: not outside.ping(fip_ip), "ping blocked again once the rule is gone", 60)
        # The SSH connection opened before both changes is still alive.
        held.stdin.write("go\n")
        held.stdin.flush()
        assert held.stdout.readline().strip() == "ALIVE True"
    finally:
        held.kill()
        held.wait()

    # kill -9 of gureumd, a bridge and a namespace deleted by hand: connectivity returns with no API call.
    kill9(cloud)
    bridges = subprocess.run(["ip", "-o", "link", "show", "type", "bridge"], capture_output=True, text=True).stdout
    ours = [line.split(": ")[1].split("@")[0] for line in bridges.splitlines()
            if line.split(": ")[1].startswith(cloud.net_prefix)]
    assert ours
    for br in ours:
        subprocess.run(["ip", "link", "del", br], check=True)
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    for ns in [n for n in namespaces if n.startswith(cloud.net_prefix)]:
        subprocess.run(["ip", "netns", "del", ns], check=True)
    assert not outside.ssh_banner(fip_ip)
    cloud.start()
    until(lambda: outside.ssh_banner(fip_ip).startswith("SSH-2.0-dropbear"), "SSH after the crash and the drift")

    # Once the floating IP lets go, the outside no longer reaches the guest.
    t.neutron("PUT", "/floatingips/" + fip["id"], {"floatingip": {"port_id": None}})
    until(lambda: not outside.ssh_banner(fip_ip), "the floating IP to stop answering", 60)

    for sid in (target, spoofer):
        t.nova.delete(sid)
    for sid in (target, spoofer):
        t.nova.wait_gone(sid, timeout=120)
