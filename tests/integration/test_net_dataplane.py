# SPDX-License-Identifier: Apache-2.0
"""The linux data plane driver against the real kernel, nft and dnsmasq.

Drives build/tests/tools/net-tool (src/net through net.h) with NetStates
written as JSON, and plays the VMs with network namespaces: each "VM" is
a namespace whose eth0 is one end of a veth pair, and the other end is
named as the port's tap (net_name_tap), so the data plane wires it into
the bridge and filters it exactly as it would a libvirt tap.

What it proves: two VMs on a network reach each other; DHCP hands out the
reserved address and the routes, and dnsmasq answers the ports' names;
two networks are isolated (even with the same addresses); a security
group without ICMP blocks ping, adding the rule allows it, removing it
blocks it again, while an established TCP connection lives through every
change; a VM reaches an outside namespace through its router's SNAT, and
the outside reaches a VM's TCP port through a floating IP, and not after
the floating IP is gone; a VM that changes its IP or MAC is cut off;
hand-made drift (bridge, DHCP namespace, dnsmasq, flushed tables) is
undone by the next apply with no duplicate rules; a second apply changes
nothing; removal and teardown leave nothing with the prefix.

Safety: every device, namespace, nft table and process carries a prefix
of this run: g<hex>- for what the data plane makes (its NetConfig
prefix), h<hex>- for the test's own scaffolding (VMs, the outside world,
the provider bridge).  Addresses live only inside those namespaces; the
root namespace gets none (its bridges have no address, which a test
checks), and the "outside world" is a namespace with no route further
out.  Processes the test starts run in sessions of their own and are
killed by their process group id; the data plane's dnsmasqs by
net-tool teardown.  Everything is removed also when a test fails.

Run as root: /usr/bin/python3 -m pytest -v tests/integration/test_net_dataplane.py
"""

import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from gureum_cloud import dataplane_tag, eui64

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("GUREUM_BUILD", REPO / "build"))
NET_TOOL = BUILD / "tests" / "tools" / "net-tool"

DEADLINE = 60.0  # seconds for anything that should happen "at once" (generous: the machine is shared)
NO_LEASE = 10.0  # how long a VM that must get no lease keeps asking

EGRESS_ALL = [{"ingress": False, "ethertype": 4}, {"ingress": False, "ethertype": 6}]

UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
bound|renew)
    busybox ip addr flush dev "$interface"
    busybox ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$staticroutes" ]; then
        # RFC 3442: classless routes replace the router option; the default route is among them.
        set -- $staticroutes
        while [ $# -ge 2 ]; do busybox ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    elif [ -n "$router" ]; then
        busybox ip route replace default via "$router"
    fi
    echo "BOUND|ip=$ip|router=$router|dns=$dns|domain=$domain|mtu=$mtu|hostname=$hostname|staticroutes=$staticroutes"
    ;;
esac
exit 0
"""


def run(*cmd, check=True, timeout=60, input=None):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def wait_until(fn, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        if fn():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what}")
        time.sleep(0.05)


def ifname(prefix, kind, ident):
    """The data plane's interface name (net_name_if): prefix, kind letter, hex digits of the id."""
    digits = "".join(c for c in ident.lower() if c in "0123456789abcdef")
    return (prefix + kind + digits)[:15]


def new_id():
    return str(uuid.uuid4())


@pytest.fixture(scope="module")
def prerequisites():
    if os.geteuid() != 0:
        pytest.fail("the data plane tests need root (namespaces, bridges, nft)")
    if not NET_TOOL.exists():
        pytest.fail(f"{NET_TOOL} is missing: run make")
    for prog in ("ip", "nft", "dnsmasq", "busybox", "socat"):
        if not shutil.which(prog):
            pytest.fail(f"{prog} is missing: run scripts/install-deps")


class Host:
    """The data plane of one test (prefix g<hex>-) and its scaffolding (h<hex>-)."""

    def __init__(self):
        tag = dataplane_tag()  # no other cloud of the run, and no leftover, carries it
        self.prefix = "g" + tag + "-"
        self.scaffold = "h" + tag + "-"
        self.dir = Path(tempfile.mkdtemp(prefix="gureum-test-"))
        self.state_dir = self.dir / "net"
        self.procs = []
        self.script = self.dir / "udhcpc.sh"
        self.script.write_text(UDHCPC_SCRIPT)
        self.script.chmod(0o755)
        self.external_bridge = None

    # ---- the data plane ----

    def tool(self, *args, check=True, input=None):
        cmd = [NET_TOOL, "--prefix", self.prefix, "--state-dir", self.state_dir]
        if self.external_bridge:
            cmd += ["--external-bridge", self.external_bridge]
        return run(*cmd, *args, check=check, input=input, timeout=120)

    def apply(self, state, check=True):
        return self.tool("apply", "-", input=json.dumps(state), check=check)

    def serve(self):
        """A long-lived driver, as gureumd holds one (net-tool serve): it remembers what it made."""
        cmd = [str(NET_TOOL), "--prefix", self.prefix, "--state-dir", str(self.state_dir)]
        if self.external_bridge:
            cmd += ["--external-bridge", self.external_bridge]
        p = subprocess.Popen(cmd + ["serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.procs.append(p)

        def apply(state):
            p.stdin.write(json.dumps(state) + "\n")
            p.stdin.flush()
            ready, _, _ = select.select([p.stdout], [], [], 120)
            line = p.stdout.readline() if ready else ""
            assert line.strip().isdigit(), f"net-tool serve failed: {p.stderr.read() if not line else line}"
        return apply

    def teardown(self):
        return self.tool("teardown", check=False)

    def name(self, kind, ident):
        return ifname(self.prefix, kind, ident)

    def dhcp_ns(self, net_id):
        return self.prefix + "dhcp-" + net_id

    def router_ns(self, router_id):
        return self.prefix + "r-" + router_id

    # ---- scaffolding ----

    def ns(self, name):
        return self.scaffold + name

    def vm(self, name, port, mac=None):
        """A VM namespace whose eth0 is plugged where the port's tap would be."""
        ns = self.ns(name)
        tap = self.name("t", port["id"])
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", ns, "link", "set", "eth0", "address", mac or port["mac"], "up")
        return ns

    def set_ip(self, ns, cidr, gateway=None):
        run("ip", "-n", ns, "addr", "flush", "dev", "eth0")
        run("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0")
        if gateway:
            run("ip", "-n", ns, "route", "replace", "default", "via", gateway)

    def outside(self, *cidrs):
        """The outside world: a namespace with these addresses on a provider bridge, with no way further
        out; returns (bridge, namespace)."""
        bridge, ns, uplink = self.ns("ex"), self.ns("out"), self.ns("up")
        run("ip", "link", "add", bridge, "type", "bridge")
        Path(f"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6").write_text("1")
        run("ip", "link", "set", bridge, "up")
        run("ip", "netns", "add", ns)
        run("ip", "link", "add", uplink, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "link", "set", uplink, "master", bridge, "up")
        run("ip", "-n", ns, "link", "set", "lo", "up")
        run("ip", "-n", ns, "link", "set", "eth0", "up")
        for cidr in cidrs:
            run("ip", "-n", ns, "addr", "add", cidr, "dev", "eth0", *(["nodad"] if ":" in cidr else []))
        return bridge, ns

    def spawn(self, ns, *cmd):
        """A long-running process in ns, in a session of its own (killed by its group at the end)."""
        p = subprocess.Popen(["ip", "netns", "exec", ns, *map(str, cmd)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(p)
        return p

    def ping(self, ns, addr, src=None):
        cmd = ["ip", "netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "1"]
        if src:
            cmd += ["-I", src]
        return run(*cmd, addr, check=False).returncode == 0

    def wait_ping(self, ns, addr, ok=True, **kw):
        wait_until(lambda: self.ping(ns, addr, **kw) == ok,
                   f"ping {addr} from {ns} to {'succeed' if ok else 'fail'}")

    def never_ping(self, ns, addr, tries=3):
        for _ in range(tries):
            assert not self.ping(ns, addr), f"{ns} reached {addr}, which it must not"

    def dhcp(self, ns, timeout=DEADLINE):
        """Runs udhcpc in ns until it gets a lease (a dnsmasq just (re)started
        on a loaded machine may take a while to answer); returns the BOUND
        line's fields, or None when the deadline passes without one."""
        deadline = time.monotonic() + timeout
        while True:
            p = run("ip", "netns", "exec", ns, "busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "5",
                    "-T", "1", "-s", self.script, "-O", "staticroutes", "-O", "mtu", check=False, timeout=60)
            m = re.search(r"^BOUND\|(.*)$", p.stdout, re.M)
            if m:
                return dict(kv.split("=", 1) for kv in m.group(1).split("|"))
            if time.monotonic() > deadline:
                return None

    def tcp_request(self, ns, addr, port, timeout=3):
        p = run("ip", "netns", "exec", ns, "socat", "-T", str(timeout), "-", f"TCP:{addr}:{port},connect-timeout={timeout}",
                check=False, input="", timeout=timeout + 10)
        return p.stdout.strip() if p.returncode == 0 else None

    # ---- inspection ----

    def leftovers(self):
        """Everything with the data plane's prefix: devices, namespaces, tables, dnsmasqs."""
        links = [line.split()[0].split("@")[0] for line in run("ip", "-br", "link").stdout.splitlines()]
        nss = [line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines()]
        tables = [line for line in run("nft", "list", "tables").stdout.splitlines()]
        procs = [line for line in run("ps", "-eo", "pid,stat,args").stdout.splitlines()
                 if (("dnsmasq" in line and self.prefix + "dhcp-" in line) or
                     ("radvd" in line and self.prefix + "r-" in line)) and " Z" not in line]
        return ([x for x in links if x.startswith(self.prefix)] + [x for x in nss if x.startswith(self.prefix)] +
                [x for x in tables if " " + self.prefix in x] + procs)

    def dnsmasq_pid(self, net_id):
        f = self.state_dir / self.dhcp_ns(net_id) / "dnsmasq.pid"
        return int(f.read_text().strip()) if f.exists() else None

    def radvd_pid(self, router_id):
        f = self.state_dir / self.router_ns(router_id) / "radvd.pid"
        return int(f.read_text().strip()) if f.exists() else None

    # ---- cleanup, whatever happened ----

    def close(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)
        self.teardown()
        for line in run("ip", "netns", "list", check=False).stdout.splitlines():
            name = line.split()[0]
            if name.startswith(self.scaffold) or name.startswith(self.prefix):
                run("ip", "netns", "del", name, check=False)
        for line in run("ip", "-br", "link", check=False).stdout.splitlines():
            name = line.split()[0].split("@")[0]
            if name.startswith(self.scaffold) or name.startswith(self.prefix):
                run("ip", "link", "del", name, check=False)
        for line in run("nft", "list", "tables", check=False).stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].startswith(self.prefix):
                run("nft", "delete", "table", parts[1], parts[2], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def host(prerequisites):
    h = Host()
    try:
        yield h
    finally:
        h.close()


def network(net_id, cidr="10.0.0.0/24", gateway="10.0.0.1", dhcp_ip="10.0.0.2", vni=None, hosts=(),
            mac=None, metadata=False, net_type="vxlan", physical_bridge=None, dhcp=True):
    n = {
        "id": net_id, "type": net_type, "mtu": 1450,
        "subnets": [{"id": new_id(), "cidr": cidr, "gateway_ip": gateway, "enable_dhcp": dhcp}],
        "hosts": list(hosts), "dns_domain": "openstacklocal", "metadata": metadata,
    }
    if net_type == "vxlan":
        n["segmentation_id"] = vni or secrets.randbelow(1000000) + 1000
    if physical_bridge:
        n["physical_bridge"] = physical_bridge
    if dhcp:
        n["dhcp_mac"] = mac or "fa:16:3e:%02x:%02x:02" % (secrets.randbelow(256), secrets.randbelow(256))
        n["dhcp_ips"] = [dhcp_ip + "/" + cidr.split("/")[1]]
    return n


def port(net_id, mac, ip, rules=None, security=True, pairs=None):
    return {"id": new_id(), "network_id": net_id, "mac": mac, "ips": [ip],
            "port_security": security, "rules": EGRESS_ALL + list(rules or []), "pairs": pairs or []}


def allow_from(prefix="0.0.0.0/0", proto=None, port_min=None, port_max=None, ethertype=4):
    r = {"ingress": True, "ethertype": ethertype, "remote_prefix": prefix}
    if proto:
        r["protocol"] = proto
    if port_min is not None:
        r["port_min"] = port_min
        r["port_max"] = port_max if port_max is not None else port_min
    return r


ICMP_IN = allow_from(proto="icmp")


def two_vm_state(host, rules1=(), rules2=(), metadata=False):
    net_id = new_id()
    p1 = port(net_id, "fa:16:3e:00:10:0a", "10.0.0.10", rules1)
    p2 = port(net_id, "fa:16:3e:00:10:0b", "10.0.0.11", rules2)
    hosts = [{"mac": p1["mac"], "ip": "10.0.0.10", "hostname": "vm1"},
             {"mac": p2["mac"], "ip": "10.0.0.11", "hostname": "vm2"}]
    state = {"networks": [network(net_id, hosts=hosts, metadata=metadata)], "ports": [p1, p2]}
    return state, net_id, p1, p2


def test_two_vms_dhcp_dns_and_ping(host):
    """DHCP gives each VM its reservation, routes and MTU; DNS answers names; the VMs ping each other."""
    state, net_id, p1, p2 = two_vm_state(host, [ICMP_IN], [ICMP_IN], metadata=True)
    vm1, vm2 = host.vm("vm1", p1), host.vm("vm2", p2)
    host.apply(state)

    bridge = host.name("b", net_id)
    info = json.loads(run("ip", "-j", "addr", "show", "dev", bridge).stdout)[0]
    assert info["addr_info"] == [], "the root namespace must have no address on a tenant bridge"

    lease1, lease2 = host.dhcp(vm1), host.dhcp(vm2)
    assert lease1 and lease1["ip"] == "10.0.0.10", lease1
    assert lease2 and lease2["ip"] == "10.0.0.11", lease2
    assert lease1["router"] == "10.0.0.1"
    assert lease1["dns"] == "10.0.0.2"
    assert lease1["mtu"] == "1450"
    assert "169.254.169.254/32 10.0.0.2" in lease1["staticroutes"]
    assert "0.0.0.0/0 10.0.0.1" in lease1["staticroutes"]

    host.wait_ping(vm1, "10.0.0.11")
    host.wait_ping(vm2, "10.0.0.10")
    host.wait_ping(vm1, "169.254.169.254")  # the metadata address answers in the DHCP namespace

    for name, addr in (("vm2", "10.0.0.11"), ("vm2.openstacklocal", "10.0.0.11"), ("vm1", "10.0.0.10")):
        out = run("ip", "netns", "exec", vm1, "busybox", "nslookup", name, "10.0.0.2").stdout
        assert addr in out, f"{name}: {out}"


def test_apply_twice_changes_nothing(host):
    """A second apply keeps dnsmasq, devices and the ruleset as they were."""
    state, net_id, p1, p2 = two_vm_state(host)
    host.vm("vm1", p1)
    host.apply(state)
    pid = host.dnsmasq_pid(net_id)
    links = run("ip", "-j", "link").stdout
    ifindexes = {l["ifname"]: l["ifindex"] for l in json.loads(links) if l["ifname"].startswith(host.prefix)}
    rules = run("nft", "list", "table", "inet", host.prefix + "filter").stdout
    host.apply(state)
    assert host.dnsmasq_pid(net_id) == pid
    after = {l["ifname"]: l["ifindex"] for l in json.loads(run("ip", "-j", "link").stdout)
             if l["ifname"].startswith(host.prefix)}
    assert after == ifindexes
    assert run("nft", "list", "table", "inet", host.prefix + "filter").stdout == rules


def test_networks_are_isolated(host):
    """Two networks with the same addresses never see each other."""
    net_a, net_b = new_id(), new_id()
    pa = port(net_a, "fa:16:3e:00:20:0a", "10.0.0.10", [ICMP_IN])
    pb = port(net_b, "fa:16:3e:00:20:0b", "10.0.0.11", [ICMP_IN])
    pa2 = port(net_a, "fa:16:3e:00:20:0c", "10.0.0.12", [ICMP_IN])
    state = {"networks": [network(net_a), network(net_b)], "ports": [pa, pb, pa2]}
    va, vb, va2 = host.vm("a", pa), host.vm("b", pb), host.vm("a2", pa2)
    host.apply(state)
    host.set_ip(va, "10.0.0.10/24")
    host.set_ip(vb, "10.0.0.11/24")
    host.set_ip(va2, "10.0.0.12/24")
    host.wait_ping(va, "10.0.0.12")  # the same network works
    host.never_ping(va, "10.0.0.11")
    host.never_ping(vb, "10.0.0.10")
    # The other network's DHCP server is not reachable either: each DHCP port has 10.0.0.2.
    lease = host.dhcp(vb, timeout=NO_LEASE)
    assert lease is None, "a VM with no reservation in its own network must get no lease"


def test_security_group_changes_keep_connections(host):
    """No ICMP rule: no ping; add it: ping; remove it: no ping; a TCP connection lives through all of it."""
    tcp_in = allow_from(proto="tcp", port_min=5001)
    state, net_id, p1, p2 = two_vm_state(host, [], [tcp_in])
    vm1, vm2 = host.vm("vm1", p1), host.vm("vm2", p2)
    host.apply(state)
    host.set_ip(vm1, "10.0.0.10/24")
    host.set_ip(vm2, "10.0.0.11/24")

    host.spawn(vm2, "socat", "TCP-LISTEN:5001,reuseaddr,fork", "EXEC:cat")
    wait_until(lambda: host.tcp_request(vm1, "10.0.0.11", 5001) is not None, "the echo server in vm2")
    client = host.spawn(vm1, "socat", "-", "TCP:10.0.0.11:5001")

    def echo(word):
        client.stdin.write((word + "\n").encode())
        client.stdin.flush()
        ready, _, _ = select.select([client.stdout], [], [], DEADLINE)
        assert ready, f"no echo of {word} within {DEADLINE} s: the connection is gone"
        assert client.stdout.readline().decode().strip() == word

    echo("before")
    host.never_ping(vm1, "10.0.0.11")

    p2["rules"].append(ICMP_IN)
    host.apply(state)
    host.wait_ping(vm1, "10.0.0.11")
    echo("after-adding-icmp")

    p2["rules"].remove(ICMP_IN)
    host.apply(state)
    host.wait_ping(vm1, "10.0.0.11", ok=False)
    host.never_ping(vm1, "10.0.0.11")
    echo("after-removing-icmp")

    # New connections still follow the rules: TCP 5002 was never allowed.
    host.spawn(vm2, "socat", "TCP-LISTEN:5002,reuseaddr,fork", "SYSTEM:echo no")
    assert host.tcp_request(vm1, "10.0.0.11", 5002, timeout=2) is None


def test_anti_spoofing(host):
    """A VM that takes another IP or MAC is cut off; back to its own, it works again."""
    state, net_id, p1, p2 = two_vm_state(host, [ICMP_IN], [ICMP_IN])
    vm1, vm2 = host.vm("vm1", p1), host.vm("vm2", p2)
    host.apply(state)
    host.set_ip(vm1, "10.0.0.10/24")
    host.set_ip(vm2, "10.0.0.11/24")
    host.wait_ping(vm1, "10.0.0.11")

    host.set_ip(vm1, "10.0.0.50/24")
    run("ip", "-n", vm2, "neigh", "flush", "all")
    host.never_ping(vm1, "10.0.0.11")
    host.set_ip(vm1, "10.0.0.10/24")
    host.wait_ping(vm1, "10.0.0.11")

    run("ip", "-n", vm1, "link", "set", "eth0", "address", "fa:16:3e:00:10:99")
    run("ip", "-n", vm2, "neigh", "flush", "all")
    host.never_ping(vm1, "10.0.0.11")
    run("ip", "-n", vm1, "link", "set", "eth0", "address", p1["mac"])
    run("ip", "-n", vm2, "neigh", "flush", "all")
    host.wait_ping(vm1, "10.0.0.11")

    # An allowed address pair lets it use a second address.
    p1["pairs"] = [{"ip": "10.0.0.60"}]
    host.apply(state)
    run("ip", "-n", vm1, "addr", "add", "10.0.0.60/24", "dev", "eth0")
    host.wait_ping(vm1, "10.0.0.11", src="10.0.0.60")


def test_router_snat_and_floating_ip(host):
    """Out through the router's SNAT; in through a floating IP, and not once it is gone."""
    ext_id, net_id, router_id = new_id(), new_id(), new_id()
    ext_bridge, outside = host.outside("172.24.4.1/24")

    p1 = port(net_id, "fa:16:3e:00:30:0a", "10.0.0.10", [ICMP_IN, allow_from(proto="tcp", port_min=8080)])
    ext = network(ext_id, cidr="172.24.4.0/24", gateway="172.24.4.1", net_type="flat",
                  physical_bridge=ext_bridge, dhcp=False)
    tenant = network(net_id, hosts=[{"mac": p1["mac"], "ip": "10.0.0.10", "hostname": "vm1"}])
    router = {
        "id": router_id, "enable_snat": True, "gateway_nexthop": "172.24.4.1",
        "legs": [{"port_id": new_id(), "network_id": net_id, "mac": "fa:16:3e:00:30:01", "ips": ["10.0.0.1/24"]}],
        "gateway": {"port_id": new_id(), "network_id": ext_id, "mac": "fa:16:3e:00:30:ee", "ips": ["172.24.4.2/24"]},
        "floatings": [],
    }
    state = {"networks": [ext, tenant], "routers": [router], "ports": [p1]}
    vm1 = host.vm("vm1", p1)
    host.apply(state)
    lease = host.dhcp(vm1)
    assert lease and lease["ip"] == "10.0.0.10"

    # Out: the outside sees the router's gateway address.
    host.spawn(outside, "socat", "TCP-LISTEN:7000,reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERADDR")
    wait_until(lambda: host.tcp_request(vm1, "172.24.4.1", 7000) == "172.24.4.2", "SNAT to 172.24.4.2")
    host.wait_ping(vm1, "172.24.4.1")
    # The outside has no route into the tenant network.
    assert host.tcp_request(outside, "10.0.0.10", 8080, timeout=2) is None

    # In: a floating IP.
    host.spawn(vm1, "socat", "TCP-LISTEN:8080,reuseaddr,fork", "SYSTEM:echo hello-from-vm1")
    router["floatings"] = [{"floating_ip": "172.24.4.10", "fixed_ip": "10.0.0.10"}]
    host.apply(state)
    wait_until(lambda: host.tcp_request(outside, "172.24.4.10", 8080) == "hello-from-vm1",
               "the outside reaching vm1 through 172.24.4.10")
    # With a floating IP, the VM goes out as its floating IP.
    wait_until(lambda: host.tcp_request(vm1, "172.24.4.1", 7000) == "172.24.4.10", "SNAT to the floating IP")

    router["floatings"] = []
    host.apply(state)
    run("ip", "-n", outside, "neigh", "flush", "all")
    assert host.tcp_request(outside, "172.24.4.10", 8080, timeout=2) is None
    wait_until(lambda: host.tcp_request(vm1, "172.24.4.1", 7000) == "172.24.4.2", "SNAT back to 172.24.4.2")


def ipv6_network(net_id, prefix, ra_mode="slaac"):
    """A network with one IPv6 subnet and no DHCP: what its VMs learn, they learn from the router."""
    return {"id": net_id, "type": "vxlan", "mtu": 1450, "segmentation_id": secrets.randbelow(1000000) + 1000,
            "subnets": [{"id": new_id(), "ip_version": 6, "cidr": prefix, "gateway_ip": prefix.split("/")[0] + "1",
                         "enable_dhcp": False, "ipv6_ra_mode": ra_mode, "ipv6_address_mode": ra_mode}],
            "hosts": [], "dns_domain": "openstacklocal", "metadata": False}


def test_router_advertises_ipv6_subnets(host):
    """A router announces its SLAAC subnets: VMs of two IPv6 networks take their addresses and their
    default route from its advertisements and reach each other through it, and the outside through its
    IPv6 default route (routed, not NATed); a killed radvd comes back; a removed router leaves none."""
    router_id, ext_id = new_id(), new_id()
    ext_bridge, outside = host.outside("fd00:ff::1/64")
    run("ip", "-n", outside, "-6", "route", "add", "fd00:61::/64", "via", "fd00:ff::2")  # the upstream's route
    ext = network(ext_id, net_type="flat", physical_bridge=ext_bridge, dhcp=False)
    ext["subnets"] = [{"id": new_id(), "ip_version": 6, "cidr": "fd00:ff::/64", "gateway_ip": "fd00:ff::1",
                       "enable_dhcp": False}]
    router = {"id": router_id, "legs": [], "floatings": [], "enable_snat": False, "gateway_nexthop6": "fd00:ff::1",
              "gateway": {"port_id": new_id(), "network_id": ext_id, "mac": "fa:16:3e:00:60:ee",
                          "ips": ["fd00:ff::2/64"]}}
    state = {"networks": [ext], "ports": [], "routers": [router]}
    vms, addrs = [], []
    for i, prefix in enumerate(("fd00:61::/64", "fd00:62::/64")):
        net_id, mac = new_id(), "fa:16:3e:00:60:%02x" % (10 + i)
        addrs.append(eui64(prefix, mac))
        p = port(net_id, mac, addrs[-1], [allow_from("::/0", proto="icmpv6", ethertype=6)])
        state["networks"].append(ipv6_network(net_id, prefix))
        state["ports"].append(p)
        state["routers"][0]["legs"].append({"port_id": new_id(), "network_id": net_id,
                                            "mac": "fa:16:3e:00:60:%02x" % (1 + i), "ips": [prefix[:-3] + "1/64"]})
        vms.append(host.vm("vm%d" % (i + 1), p))
    host.apply(state)

    for vm, addr in zip(vms, addrs):
        wait_until(lambda: addr in run("ip", "-n", vm, "-6", "addr", "show", "dev", "eth0").stdout and
                   "proto ra" in run("ip", "-n", vm, "-6", "route", "show", "default").stdout,
                   f"{vm} to take {addr} and a default route from the router")
    host.wait_ping(vms[0], addrs[1])  # across the router
    host.wait_ping(vms[1], addrs[0])
    host.wait_ping(vms[0], "fd00:ff::1")  # out, by the router's IPv6 default route
    host.never_ping(vms[1], "fd00:ff::1")  # the upstream routes only fd00:61::/64 back

    pid = host.radvd_pid(router_id)
    assert pid
    os.kill(pid, signal.SIGKILL)
    host.apply(state)
    assert host.radvd_pid(router_id) not in (None, pid)
    assert any(f"radvd --config={host.state_dir}/{host.router_ns(router_id)}/" in x for x in host.leftovers())

    state["routers"] = []
    host.apply(state)
    assert not [x for x in host.leftovers() if "radvd" in x]


def test_drift_is_repaired(host):
    """Bridge, DHCP namespace and veth deleted, dnsmasq killed, tables flushed: the next apply restores all."""
    state, net_id, p1, p2 = two_vm_state(host, [], [])  # no ICMP allowed
    vm1, vm2 = host.vm("vm1", p1), host.vm("vm2", p2)
    host.apply(state)
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"
    host.set_ip(vm2, "10.0.0.11/24")
    tcp_in = allow_from(proto="tcp", port_min=5001)
    p2["rules"].append(tcp_in)
    host.apply(state)
    host.spawn(vm2, "socat", "TCP-LISTEN:5001,reuseaddr,fork", "SYSTEM:echo up")
    wait_until(lambda: host.tcp_request(vm1, "10.0.0.11", 5001) == "up", "vm2's server")

    # The bridge, deleted by hand: the taps come loose.
    run("ip", "link", "del", host.name("b", net_id))
    assert host.tcp_request(vm1, "10.0.0.11", 5001, timeout=2) is None
    host.apply(state)
    wait_until(lambda: host.tcp_request(vm1, "10.0.0.11", 5001) == "up", "connectivity after the bridge came back")

    # The DHCP namespace, deleted by hand: its name is gone, the namespace lives on in its dnsmasq.
    old = host.dnsmasq_pid(net_id)
    run("ip", "netns", "del", host.dhcp_ns(net_id))
    host.apply(state)
    assert host.dnsmasq_pid(net_id) != old
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"
    assert not os.path.exists(f"/proc/{old}/cmdline") or open(f"/proc/{old}/cmdline").read() == ""

    # The DHCP veth, deleted by hand.
    run("ip", "link", "del", host.name("d", net_id))
    host.apply(state)
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"

    # dnsmasq killed.
    os.kill(host.dnsmasq_pid(net_id), signal.SIGKILL)
    assert host.dhcp(vm1, timeout=NO_LEASE) is None
    host.apply(state)
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"

    # Tables flushed: everything open; the apply closes ICMP again, with no duplicate rules.
    rules = run("nft", "list", "ruleset").stdout
    count = len([l for l in rules.splitlines() if host.prefix in l or "jump" in l or "accept" in l])
    run("nft", "flush", "table", "inet", host.prefix + "filter")
    run("nft", "flush", "table", "bridge", host.prefix + "spoof")
    host.set_ip(vm1, "10.0.0.10/24")
    host.wait_ping(vm1, "10.0.0.11")
    host.apply(state)
    host.wait_ping(vm1, "10.0.0.11", ok=False)
    host.apply(state)
    rules = run("nft", "list", "ruleset").stdout
    assert len([l for l in rules.splitlines() if host.prefix in l or "jump" in l or "accept" in l]) == count

    # A table deleted.
    run("nft", "delete", "table", "inet", host.prefix + "filter")
    host.apply(state)
    run("nft", "list", "table", "inet", host.prefix + "filter")
    host.never_ping(vm1, "10.0.0.11")


def test_removal_and_teardown_leave_nothing(host):
    """Deleted ports are cut off, deleted networks and routers leave nothing, teardown leaves nothing at all."""
    state, net_id, p1, p2 = two_vm_state(host, [ICMP_IN], [ICMP_IN])
    net2_id, router_id = new_id(), new_id()
    state["networks"].append(network(net2_id, cidr="10.1.0.0/24", gateway="10.1.0.1", dhcp_ip="10.1.0.2"))
    state["routers"] = [{"id": router_id, "legs": [
        {"port_id": new_id(), "network_id": net_id, "mac": "fa:16:3e:00:40:01", "ips": ["10.0.0.1/24"]},
        {"port_id": new_id(), "network_id": net2_id, "mac": "fa:16:3e:00:40:02", "ips": ["10.1.0.1/24"]}]}]
    vm1, vm2 = host.vm("vm1", p1), host.vm("vm2", p2)
    host.apply(state)
    host.set_ip(vm1, "10.0.0.10/24", "10.0.0.1")
    host.set_ip(vm2, "10.0.0.11/24")
    host.wait_ping(vm1, "10.0.0.11")
    host.wait_ping(vm1, "10.1.0.1")  # through the router, to its other leg
    assert os.path.exists(f"/run/netns/{host.router_ns(router_id)}")

    # Port 2 deleted: its tap (libvirt's) stays, cut off.
    state["ports"] = [p1]
    host.apply(state)
    host.never_ping(vm1, "10.0.0.11")
    assert run("ip", "link", "show", host.name("t", p2["id"]), check=False).returncode == 0

    # The second network and the router deleted: nothing of theirs is left.
    pid2 = host.dnsmasq_pid(net2_id)
    state["networks"] = state["networks"][:1]
    state["routers"] = []
    host.apply(state)
    left = host.leftovers()
    for gone in (host.name("b", net2_id), host.dhcp_ns(net2_id), host.router_ns(router_id)):
        assert gone not in left, f"{gone} is still there: {left}"
    assert not any(host.name("r", "") in x for x in left if x.startswith(host.name("r", "")))
    wait_until(lambda: not os.path.exists(f"/proc/{pid2}/cmdline") or open(f"/proc/{pid2}/cmdline").read() == "",
               "the deleted network's dnsmasq to exit")
    assert not (host.state_dir / host.dhcp_ns(net2_id)).exists()

    host.teardown()
    assert host.leftovers() == []


def nft_table_json(family, table):
    """A table as nft lists it, in a form two equal rulesets share: no handles, sets' elements sorted."""
    data = json.loads(run("nft", "-j", "list", "table", family, table).stdout)["nftables"]
    objs = []
    for item in data:
        (kind, obj), = item.items()
        if kind == "metainfo":
            continue
        obj = {k: v for k, v in obj.items() if k != "handle"}
        if "elem" in obj:
            obj["elem"] = sorted(obj["elem"], key=lambda e: json.dumps(e, sort_keys=True))
        objs.append((kind, obj))
    chains = sorted(json.dumps(o, sort_keys=True) for k, o in objs if k != "rule")
    rules = {}
    for k, o in objs:
        if k == "rule":
            rules.setdefault(o["chain"], []).append(json.dumps(o, sort_keys=True))
    return chains, rules


def test_filter_deltas_match_whole_loads(host):
    """From any golden state to any other, the delta script leaves exactly what loading the new one whole does."""
    golden = REPO / "tests" / "golden" / "net"
    states = []
    for f in sorted(golden.glob("*.in.json")):
        s = json.loads(f.read_text())
        s.pop("comment", None)
        path = host.dir / f.name
        path.write_text(json.dumps(s))
        states.append(path)
    tables = (("inet", host.prefix + "filter"), ("bridge", host.prefix + "spoof"))
    whole = {}
    for s in states:
        host.tool("filter", s)
        run("nft", "-f", "-", input=host.tool("filter", s).stdout)
        whole[s] = [nft_table_json(*t) for t in tables]
    checked = 0
    for old in states:
        for new in states:
            if old == new:
                continue
            run("nft", "-f", "-", input=host.tool("filter", old).stdout)
            delta = host.tool("delta", old, new).stdout
            run("nft", "-f", "-", input=delta)
            assert [nft_table_json(*t) for t in tables] == whole[new], f"delta {old.name} -> {new.name}"
            checked += 1
    assert checked >= 90
    # From a state to itself there is nothing to do.
    assert host.tool("delta", states[0], states[0]).stdout == ""


def test_long_lived_driver_repairs_drift(host):
    """A driver that remembers what it made (gureumd's case) still sees and repairs drift."""
    router_id = new_id()
    state, net_id, p1, p2 = two_vm_state(host, [ICMP_IN], [ICMP_IN])
    state["routers"] = [{"id": router_id, "legs": [
        {"port_id": new_id(), "network_id": net_id, "mac": "fa:16:3e:00:50:01", "ips": ["10.0.0.1/24"]}]}]
    vm1, vm2 = host.vm("vm1", p1), host.vm("vm2", p2)
    apply = host.serve()
    apply(state)
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"
    host.set_ip(vm2, "10.0.0.11/24")
    host.wait_ping(vm1, "10.0.0.1")
    apply(state)  # nothing changed: the namespaces are not even read

    run("ip", "netns", "del", host.dhcp_ns(net_id))
    apply(state)
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"

    os.kill(host.dnsmasq_pid(net_id), signal.SIGKILL)
    apply(state)
    assert host.dhcp(vm1)["ip"] == "10.0.0.10"

    run("ip", "link", "del", host.name("r", state["routers"][0]["legs"][0]["port_id"]))
    host.wait_ping(vm1, "10.0.0.1", ok=False)
    apply(state)
    host.wait_ping(vm1, "10.0.0.1")

    run("ip", "netns", "exec", host.router_ns(router_id), "nft", "delete", "table", "ip", host.prefix + "nat")
    apply(state)
    run("ip", "netns", "exec", host.router_ns(router_id), "nft", "list", "table", "ip", host.prefix + "nat")

    run("nft", "flush", "table", "inet", host.prefix + "filter")
    p2["rules"] = EGRESS_ALL
    apply(state)
    host.wait_ping(vm1, "10.0.0.11", ok=False)
    p2["rules"] = EGRESS_ALL + [ICMP_IN]
    apply(state)
    host.wait_ping(vm1, "10.0.0.11")
