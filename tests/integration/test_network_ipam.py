# SPDX-License-Identifier: Apache-2.0
#
# IPAM under concurrency (issue 10): ports created from many threads at
# once on one small subnet, one by one and in bulk, get distinct
# addresses and MACs, every address from the pool, and exactly as many
# 409 IpAddressGenerationFailure answers as there were requests beyond
# the pool's size; a contested address goes to exactly one port.
import ipaddress
import threading

import pytest
import requests

POOL = ("10.80.0.10", "10.80.0.29")  # 20 addresses
POOL_SIZE = 20


class Racer:
    def __init__(self, cloud, token):
        self.url = cloud.url + "/network/v2.0"
        self.headers = {"X-Auth-Token": token}

    def post(self, path, body):
        with requests.Session() as s:
            r = s.post(self.url + path, json=body, headers=self.headers, timeout=120)
        return r.status_code, r.json()


@pytest.fixture
def small_net(cloud):
    admin, _ = cloud.token()
    h = {"X-Auth-Token": admin}
    url = cloud.url + "/network/v2.0"
    n = requests.post(url + "/networks", json={"network": {"name": "gureum-test-ipam"}}, headers=h).json()["network"]
    s = requests.post(url + "/subnets", json={"subnet": {
        "network_id": n["id"], "ip_version": 4, "cidr": "10.80.0.0/27", "enable_dhcp": False,
        "allocation_pools": [{"start": POOL[0], "end": POOL[1]}]}}, headers=h)
    assert s.status_code == 201, s.text
    try:
        yield admin, n, s.json()["subnet"]
    finally:
        for p in requests.get(url + "/ports?network_id=" + n["id"], headers=h).json()["ports"]:
            requests.delete(url + "/ports/" + p["id"], headers=h)
        requests.delete(url + "/networks/" + n["id"], headers=h)


def run_threads(n, fn):
    results, lock = [], threading.Lock()
    start = threading.Barrier(n)

    def worker(i):
        start.wait()
        out = fn(i)
        with lock:
            results.extend(out)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
        assert not t.is_alive(), "a request thread hung"
    return results


def ports_of(cloud, token, network_id):
    r = requests.get(cloud.url + "/network/v2.0/ports?network_id=" + network_id, headers={"X-Auth-Token": token})
    return r.json()["ports"]


def check_distinct(ports):
    ips = [f["ip_address"] for p in ports for f in p["fixed_ips"]]
    macs = [p["mac_address"] for p in ports]
    assert len(ips) == len(set(ips)), "duplicate address: %s" % sorted(ips)
    assert len(macs) == len(set(macs)), "duplicate MAC: %s" % sorted(macs)
    lo, hi = (ipaddress.ip_address(x) for x in POOL)
    assert all(lo <= ipaddress.ip_address(ip) <= hi for ip in ips), ips
    return ips


def test_concurrent_port_creates_exhaust_the_pool_exactly(cloud, small_net):
    token, n, s = small_net
    racer = Racer(cloud, token)
    threads, each = 8, 5   # 40 requests for 20 addresses

    def create(i):
        return [racer.post("/ports", {"port": {"network_id": n["id"], "name": "gureum-test-race-%d-%d" % (i, k)}})
                for k in range(each)]
    results = run_threads(threads, create)
    made = [b["port"] for st, b in results if st == 201]
    failed = [b for st, b in results if st != 201]
    assert len(made) == POOL_SIZE, [st for st, _ in results]
    assert len(failed) == threads * each - POOL_SIZE
    for b in failed:
        assert b["NeutronError"]["type"] == "IpAddressGenerationFailure", b
        assert b["NeutronError"]["message"] == "No more IP addresses available on network %s." % n["id"]
    listed = ports_of(cloud, token, n["id"])
    assert sorted(p["id"] for p in listed) == sorted(p["id"] for p in made)
    assert len(check_distinct(listed)) == POOL_SIZE


def test_contested_address_goes_to_one_port(cloud, small_net):
    token, n, s = small_net
    racer = Racer(cloud, token)

    def claim(i):
        return [racer.post("/ports", {"port": {"network_id": n["id"],
                                               "fixed_ips": [{"subnet_id": s["id"], "ip_address": "10.80.0.15"}]}})]
    results = run_threads(10, claim)
    assert sorted(st for st, _ in results) == [201] + [409] * 9
    for st, b in results:
        if st == 409:
            assert "10.80.0.15 already allocated" in b["NeutronError"]["message"], b
    assert [p["fixed_ips"][0]["ip_address"] for p in ports_of(cloud, token, n["id"])] == ["10.80.0.15"]


def test_concurrent_bulk_creates_are_all_or_nothing(cloud, small_net):
    token, n, s = small_net
    racer = Racer(cloud, token)
    # One bulk request beyond the pool makes nothing.
    st, b = racer.post("/ports", {"ports": [{"network_id": n["id"]}] * (POOL_SIZE + 1)})
    assert st == 409 and b["NeutronError"]["type"] == "IpAddressGenerationFailure", b
    assert ports_of(cloud, token, n["id"]) == []
    # Six bulks of 8 at once: two fit (16 addresses), four find fewer than 8 left and make nothing.
    results = run_threads(6, lambda i: [racer.post("/ports", {"ports": [{"network_id": n["id"]}] * 8})])
    codes = sorted(st for st, _ in results)
    assert codes == [201, 201, 409, 409, 409, 409], codes
    for st, b in results:
        if st == 201:
            assert len(b["ports"]) == 8
        else:
            assert b["NeutronError"]["type"] == "IpAddressGenerationFailure", b
    listed = ports_of(cloud, token, n["id"])
    assert len(listed) == 16 and len(check_distinct(listed)) == 16
    # The four left go to single creates, then the pool is out.
    results = run_threads(6, lambda i: [racer.post("/ports", {"port": {"network_id": n["id"]}})])
    assert sorted(st for st, _ in results) == [201] * 4 + [409] * 2
    assert len(check_distinct(ports_of(cloud, token, n["id"]))) == POOL_SIZE
