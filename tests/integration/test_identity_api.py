# SPDX-License-Identifier: Apache-2.0
#
# Identity (Keystone v3) against the real daemon over HTTP: tokens, CRUD,
# authorization by role, and Keystone-shaped errors for bad input.
import requests


def assert_keystone_error(r, status):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == status
    assert err["title"] and err["message"]
    assert r.headers["x-openstack-request-id"].startswith("req-")


def test_version_discovery(cloud):
    v = requests.get(cloud.identity).json()["version"]
    assert v["status"] == "stable" and v["id"].startswith("v3")
    assert {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"} in v["media-types"]
    root = requests.get(cloud.url + "/identity")
    assert root.status_code == 300
    assert root.json()["versions"]["values"][0]["id"] == v["id"]


def test_token_issue_validate_revoke(cloud):
    token, body = cloud.token()
    assert body["user"]["name"] == "admin"
    assert body["project"]["name"] == "admin"
    assert {"admin", "member", "reader"} <= {r["name"] for r in body["roles"]}
    assert any(s["type"] == "identity" for s in body["catalog"])

    r = cloud.api("GET", "/auth/tokens", token, headers={"X-Subject-Token": token})
    assert r.status_code == 200
    assert r.headers["X-Subject-Token"] == token
    assert r.json()["token"]["audit_ids"] == body["audit_ids"]
    assert cloud.api("HEAD", "/auth/tokens", token, headers={"X-Subject-Token": token}).status_code == 200

    other, _ = cloud.token()
    assert cloud.api("DELETE", "/auth/tokens", other, headers={"X-Subject-Token": token}).status_code == 204
    assert_keystone_error(cloud.api("GET", "/projects", token), 401)
    assert_keystone_error(cloud.api("GET", "/auth/tokens", other, headers={"X-Subject-Token": token}), 404)


def test_rescoped_token_keeps_expiry_and_chain(cloud):
    unscoped, body = cloud.token(scope=False)
    assert "project" not in body and "roles" not in body
    r = requests.post(cloud.identity + "/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": unscoped}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    assert r.status_code == 201, r.text
    scoped = r.json()["token"]
    assert scoped["expires_at"] == body["expires_at"]
    assert scoped["audit_ids"][1] == body["audit_ids"][0]
    assert set(scoped["methods"]) == {"password", "token"}
    # Revoking the original revokes what was rescoped from it.
    admin, _ = cloud.token()
    assert cloud.api("DELETE", "/auth/tokens", admin, headers={"X-Subject-Token": unscoped}).status_code == 204
    assert cloud.api("GET", "/projects", r.headers["X-Subject-Token"]).status_code == 401


def test_wrong_password_is_401(cloud):
    r = requests.post(cloud.identity + "/auth/tokens", json={"auth": {"identity": {"methods": ["password"],
                      "password": {"user": {"name": "admin", "domain": {"name": "Default"}, "password": "no"}}}}})
    assert_keystone_error(r, 401)
    assert "X-Subject-Token" not in r.headers


def test_unknown_user_and_project_are_401(cloud):
    r = requests.post(cloud.identity + "/auth/tokens", json={"auth": {"identity": {"methods": ["password"],
                      "password": {"user": {"name": "nobody", "domain": {"id": "default"}, "password": "x"}}}}})
    assert_keystone_error(r, 401)
    r = requests.post(cloud.identity + "/auth/tokens", json={"auth": {"identity": {"methods": ["password"],
                      "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": cloud.password}}},
                      "scope": {"project": {"id": "0" * 32}}}})
    assert_keystone_error(r, 401)


def test_missing_and_forged_tokens(cloud):
    token, _ = cloud.token()
    assert_keystone_error(cloud.api("GET", "/projects"), 401)
    assert_keystone_error(cloud.api("GET", "/projects", "garbage"), 401)
    forged = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    assert_keystone_error(cloud.api("GET", "/projects", forged), 401)
    assert_keystone_error(cloud.api("GET", "/projects", token + "x" * 5000), 401)


def test_bad_bodies_get_400(cloud):
    token, _ = cloud.token()
    cases = [b"{bad", b"[]", b'{"project": {"name": 1}}', b'{"project": {"name": "x", "unknown": 1}}',
             b'{"project": {}}', b'{"project": {"name": "x", "enabled": "yes"}}', b"", b"\xff\xfe",
             b'{"project": {"name": "' + b"x" * 100 + b'"}}']
    for body in cases:
        r = cloud.api("POST", "/projects", token, data=body, headers={"Content-Type": "application/json"})
        assert_keystone_error(r, 400)
    # An auth request with the wrong shape is 400 too, not 401 or 500.
    r = requests.post(cloud.identity + "/auth/tokens", json={"auth": {"identity": {"methods": "password"}}})
    assert_keystone_error(r, 400)


def test_huge_body_is_413(cloud):
    token, _ = cloud.token()
    r = cloud.api("POST", "/projects", token, data=b"a" * (10 * 1024 * 1024),
                  headers={"Content-Type": "application/json"})
    assert_keystone_error(r, 413)
    # The daemon is still fine afterwards.
    assert cloud.api("GET", "/projects", token).status_code == 200


def test_project_user_group_role_crud(cloud, name):
    admin, _ = cloud.token()
    p = cloud.api("POST", "/projects", admin, json={"project": {"name": name, "description": "d"}})
    assert p.status_code == 201, p.text
    p = p.json()["project"]
    assert p["domain_id"] == "default" and p["enabled"] is True and p["links"]["self"].endswith(p["id"])
    assert_keystone_error(cloud.api("POST", "/projects", admin, json={"project": {"name": name}}), 409)
    r = cloud.api("PATCH", "/projects/" + p["id"], admin, json={"project": {"description": "new", "enabled": False}})
    assert r.json()["project"]["description"] == "new" and r.json()["project"]["enabled"] is False
    assert [x["id"] for x in cloud.api("GET", "/projects?name=" + name, admin).json()["projects"]] == [p["id"]]

    u = cloud.api("POST", "/users", admin, json={"user": {"name": name, "password": "pw", "email": "a@b.c"}})
    assert u.status_code == 201, u.text
    u = u.json()["user"]
    assert "password" not in u and "password_hash" not in u and u["email"] == "a@b.c"
    g = cloud.api("POST", "/groups", admin, json={"group": {"name": name}}).json()["group"]
    assert cloud.api("PUT", "/groups/%s/users/%s" % (g["id"], u["id"]), admin).status_code == 204
    assert cloud.api("HEAD", "/groups/%s/users/%s" % (g["id"], u["id"]), admin).status_code == 204
    assert [x["id"] for x in cloud.api("GET", "/groups/%s/users" % g["id"], admin).json()["users"]] == [u["id"]]
    assert [x["id"] for x in cloud.api("GET", "/users/%s/groups" % u["id"], admin).json()["groups"]] == [g["id"]]

    role = cloud.api("POST", "/roles", admin, json={"role": {"name": name}}).json()["role"]
    assert cloud.api("PUT", "/projects/%s/groups/%s/roles/%s" % (p["id"], g["id"], role["id"]), admin).status_code == 204
    ra = cloud.api("GET", "/role_assignments?effective&user.id=" + u["id"], admin).json()["role_assignments"]
    assert [(a["role"]["id"], a["scope"]["project"]["id"]) for a in ra] == [(role["id"], p["id"])]
    assert "membership" in ra[0]["links"]

    for path in ("/groups/" + g["id"], "/users/" + u["id"], "/roles/" + role["id"], "/projects/" + p["id"]):
        assert cloud.api("DELETE", path, admin).status_code == 204
        assert_keystone_error(cloud.api("GET", path, admin), 404)
    assert cloud.api("GET", "/role_assignments?scope.project.id=" + p["id"], admin).json()["role_assignments"] == []


def test_reader_cannot_create_project(cloud, name):
    admin, _ = cloud.token()
    _, _, reader = cloud.make_user(name, role="reader")
    assert_keystone_error(cloud.api("POST", "/projects", reader, json={"project": {"name": name + "-x"}}), 403)
    assert_keystone_error(cloud.api("POST", "/users", reader, json={"user": {"name": name + "-x"}}), 403)


def test_member_sees_only_own_projects(cloud, name):
    admin, _ = cloud.token()
    a_user, a_project, a_token = cloud.make_user(name + "a")
    _, b_project, _ = cloud.make_user(name + "b")
    assert cloud.api("GET", "/projects/" + a_project["id"], a_token).status_code == 200
    assert_keystone_error(cloud.api("GET", "/projects/" + b_project["id"], a_token), 403)
    listed = {p["id"] for p in cloud.api("GET", "/projects", a_token).json()["projects"]}
    assert listed == {a_project["id"]}
    mine = cloud.api("GET", "/users/%s/projects" % a_user["id"], a_token).json()["projects"]
    assert [p["id"] for p in mine] == [a_project["id"]]
    assert [p["id"] for p in cloud.api("GET", "/auth/projects", a_token).json()["projects"]] == [a_project["id"]]
    # Scoping to B is refused outright.
    r = requests.post(cloud.identity + "/auth/tokens", json={"auth": {"identity": {"methods": ["password"],
                      "password": {"user": {"id": a_user["id"], "password": "pw-" + name + "a"}}},
                      "scope": {"project": {"id": b_project["id"]}}}})
    assert_keystone_error(r, 401)


def test_removed_role_invalidates_scoped_token(cloud, name):
    admin, _ = cloud.token()
    user, project, token = cloud.make_user(name)
    member = cloud.api("GET", "/roles?name=member", admin).json()["roles"][0]["id"]
    assert cloud.api("GET", "/projects/" + project["id"], token).status_code == 200
    r = cloud.api("DELETE", "/projects/%s/users/%s/roles/%s" % (project["id"], user["id"], member), admin)
    assert r.status_code == 204
    assert_keystone_error(cloud.api("GET", "/projects/" + project["id"], token), 401)


def test_user_changes_own_password(cloud, name):
    admin, _ = cloud.token()
    user, project, token = cloud.make_user(name)
    r = cloud.api("POST", "/users/%s/password" % user["id"], token,
                  json={"user": {"original_password": "wrong", "password": "new-pw"}})
    assert_keystone_error(r, 401)
    r = cloud.api("POST", "/users/%s/password" % user["id"], token,
                  json={"user": {"original_password": "pw-" + name, "password": "new-pw"}})
    assert r.status_code == 204, r.text
    # Old tokens die with the old password; the new one works.
    assert_keystone_error(cloud.api("GET", "/projects/" + project["id"], token), 401)
    cloud.token(name, "new-pw", project["name"])


def test_catalog_and_endpoints(cloud):
    token, _ = cloud.token()
    catalog = cloud.api("GET", "/auth/catalog", token).json()["catalog"]
    identity = [s for s in catalog if s["type"] == "identity"][0]
    assert {e["interface"] for e in identity["endpoints"]} == {"public", "internal", "admin"}
    assert all(e["url"] == cloud.url + "/identity" for e in identity["endpoints"])
    eps = cloud.api("GET", "/endpoints?interface=public", token).json()["endpoints"]
    assert all(e["interface"] == "public" for e in eps) and eps
    assert_keystone_error(cloud.api("POST", "/endpoints", token, json={"endpoint": {
        "service_id": "nope", "interface": "public", "url": "http://x"}}), 400)
    assert_keystone_error(cloud.api("POST", "/endpoints", token, json={"endpoint": {
        "service_id": identity["id"], "interface": "sideways", "url": "http://x"}}), 400)


def test_domain_delete_needs_disable(cloud, name):
    admin, _ = cloud.token()
    d = cloud.api("POST", "/domains", admin, json={"domain": {"name": name}}).json()["domain"]
    cloud.api("POST", "/projects", admin, json={"project": {"name": name, "domain_id": d["id"]}})
    assert_keystone_error(cloud.api("DELETE", "/domains/" + d["id"], admin), 403)
    cloud.api("PATCH", "/domains/" + d["id"], admin, json={"domain": {"enabled": False}})
    assert cloud.api("DELETE", "/domains/" + d["id"], admin).status_code == 204
    assert cloud.api("GET", "/projects?domain_id=" + d["id"], admin).json()["projects"] == []


def test_method_not_allowed_and_not_found(cloud):
    token, _ = cloud.token()
    assert_keystone_error(cloud.api("PUT", "/auth/catalog", token), 405)
    assert_keystone_error(cloud.api("GET", "/no/such/thing", token), 404)
    assert_keystone_error(cloud.api("GET", "/projects/" + "f" * 32, token), 404)


def test_regression_invalid_utf8_in_error_messages(cloud):
    """Found by fuzz-identity-json: a parse error quoting half a UTF-8
    character made an error body jansson could not build, and the daemon
    aborted on any unauthenticated request."""
    body = b'{"auth": {"identity": {"methods": ["pass"], "password": {"user": {"id": "8b3", "password": "s3cr\\u00e\xc7\x95"}}}}}'
    r = requests.post(cloud.identity + "/auth/tokens", data=body)
    assert_keystone_error(r, 400)
    token, _ = cloud.token()
    r = cloud.api("PUT", "/regions/%ff%fe", token, json={"region": {}})
    assert_keystone_error(r, 400)
    assert requests.get(cloud.identity).status_code == 200
