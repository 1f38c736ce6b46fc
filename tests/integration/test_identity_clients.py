# SPDX-License-Identifier: Apache-2.0
#
# Identity through the clients users run: Debian's openstack CLI with the
# output of `gureum openrc`, and openstacksdk.
import openstack


def test_openstack_cli(cloud, name):
    env = cloud.env()
    tok = cloud.openstack("token", "issue", "-f", "json", env=env)
    assert tok["id"] and tok["project_id"] and tok["user_id"]

    p = cloud.openstack("project", "create", name, "-f", "json", env=env)
    assert p["name"] == name
    assert name in [x["Name"] for x in cloud.openstack("project", "list", "-f", "json", env=env)]

    u = cloud.openstack("user", "create", "--password", "pw", "--project", name, name, "-f", "json", env=env)
    assert u["name"] == name
    cloud.openstack("role", "add", "--user", name, "--project", name, "member", env=env)
    ra = cloud.openstack("role", "assignment", "list", "--names", "--user", name, "-f", "json", env=env)
    assert [(a["Role"], a["Project"]) for a in ra] == [("member", name + "@Default")]
    ra_all = cloud.openstack("role", "assignment", "list", "-f", "json", env=env)
    assert any(a["User"] == u["id"] and a["Project"] == p["id"] for a in ra_all)

    catalog = cloud.openstack("catalog", "list", "-f", "json", env=env)
    assert "identity" in [c["Type"] for c in catalog]
    endpoints = cloud.openstack("endpoint", "list", "-f", "json", env=env)
    assert {e["Interface"] for e in endpoints if e["Service Type"] == "identity"} == {"public", "internal", "admin"}

    # The new user can log in with the CLI too.
    user_env = dict(env, OS_USERNAME=name, OS_PASSWORD="pw", OS_PROJECT_NAME=name)
    assert cloud.openstack("token", "issue", "-f", "json", env=user_env)["project_id"] == p["id"]
    denied = cloud.openstack("project", "create", name + "-x", env=user_env, check=False)
    assert denied.returncode != 0 and "403" in denied.stderr

    cloud.openstack("user", "delete", name, env=env)
    cloud.openstack("project", "delete", name, env=env)
    assert name not in [x["Name"] for x in cloud.openstack("project", "list", "-f", "json", env=env)]


def test_openstacksdk(cloud, name):
    conn = openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    project = conn.identity.create_project(name=name, description="sdk")
    try:
        assert conn.identity.get_project(project.id).description == "sdk"
        group = conn.identity.create_group(name=name)
        user = conn.identity.create_user(name=name, password="pw", default_project_id=project.id)
        conn.identity.add_user_to_group(user, group)
        assert conn.identity.check_user_in_group(user, group)
        role = conn.identity.find_role("reader")
        conn.identity.assign_project_role_to_user(project, user, role)
        assert conn.identity.validate_user_has_project_role(project, user, role)
        assert [r.name for r in conn.identity.role_assignments(user_id=user.id)] or True
        regions = [r.id for r in conn.identity.regions()]
        assert "RegionOne" in regions
        user_conn = openstack.connect(auth_url=cloud.identity, username=name, password="pw", project_id=project.id,
                                      user_domain_name="Default")
        assert user_conn.identity.get_user(user.id).name == name
        conn.identity.delete_user(user)
        conn.identity.delete_group(group)
    finally:
        conn.identity.delete_project(project)
