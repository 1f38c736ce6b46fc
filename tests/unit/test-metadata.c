/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the metadata service: the trees (OpenStack and EC2
 * paths from one ComputeMetadata), and the server, which must answer
 * inside a network namespace the test makes (gt-md-<pid>), know which
 * network and source address a request came from, and follow a
 * namespace that is deleted and made again.  The namespace is removed
 * in teardown whether the test passed or not.
 */
#include "test-helpers.h"

#include "compute/compute_metadata.h"
#include "metadata/metadata.h"
#include "metadata/metadata_server.h"
#include "util/exec.h"

static ComputeMetadata sample(bool with_user_data) {
        ComputeMetadata m = {};
        m.meta_data = json_pack("{s:s, s:s, s:{s:s}}", "uuid", "7f6b1c2e-0000-4000-8000-000000000001", "hostname", "vm1",
                                "public_keys", "mykey", "ssh-ed25519 AAAA test");
        m.network_data = json_pack("{s:[], s:[], s:[]}", "links", "networks", "services");
        m.ec2_meta_data = json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s}}}", "hostname", "vm1", "instance-id", "i-7f6b1c2e",
                                    "placement", "availability-zone", "nova", "public-keys", "0", "openssh-key",
                                    "ssh-ed25519 AAAA test");
        if (with_user_data) {
                m.user_data = xstrdup("#!/bin/sh\necho hi\n");
                m.user_data_len = strlen(m.user_data);
        }
        return m;
}

static char *answer_of(const ComputeMetadata *m, const char *path) {
        char *body = NULL;
        size_t len = 0;
        const char *type = NULL;
        if (metadata_answer(m, path, &body, &len, &type) < 0)
                return NULL;
        assert_int_equal(strlen(body), len);
        return body;
}

static void expect(const ComputeMetadata *m, const char *path, const char *want) {
        _cleanup_free_ char *got = answer_of(m, path);
        if (!want) {
                if (got)
                        fail_msg("%s: expected 404, got '%s'", path, got);
                return;
        }
        if (!got || !streq(got, want))
                fail_msg("%s: expected '%s', got '%s'", path, want, got ? got : "(404)");
}

static void test_trees(void **state) {
        ComputeMetadata m = sample(true), bare = sample(false);
        _cleanup_free_ char *meta = answer_of(&m, "/openstack/latest/meta_data.json");
        assert_non_null(strstr(meta, "\"hostname\":\"vm1\""));
        expect(&m, "/openstack/2013-04-04/user_data", "#!/bin/sh\necho hi\n");
        expect(&bare, "/openstack/latest/user_data", NULL);
        expect(&m, "/openstack/latest/vendor_data2.json", "{}");
        expect(&m, "/openstack/1999-01-01/meta_data.json", NULL);
        expect(&m, "/openstack/latest/", "meta_data.json\nnetwork_data.json\nuser_data\nvendor_data.json\nvendor_data2.json");
        expect(&m, "/latest/meta-data/hostname", "vm1");
        expect(&m, "/2009-04-04/meta-data/placement/availability-zone", "nova");
        expect(&m, "/latest/meta-data/placement/", "availability-zone");
        expect(&m, "/latest/meta-data/public-keys/", "0=mykey");
        expect(&m, "/latest/meta-data/public-keys/0/openssh-key", "ssh-ed25519 AAAA test");
        expect(&m, "/latest/user-data", "#!/bin/sh\necho hi\n");
        expect(&bare, "/latest/user-data", NULL);
        expect(&m, "/latest/meta-data/nothing", NULL);
        expect(&m, "/latest/meta-data/hostname/deeper", NULL);
        expect(&m, "/../../etc/passwd", NULL);
        expect(&m, "/latest/meta-data/public-keys/1/openssh-key", NULL);
        _cleanup_free_ char *doc = answer_of(&m, "/latest/dynamic/instance-identity/document");
        assert_non_null(strstr(doc, "\"instanceId\":\"i-7f6b1c2e\""));
        _cleanup_free_ char *top = answer_of(&m, "/");
        assert_non_null(strstr(top, "latest"));
        compute_metadata_done(&m);
        compute_metadata_done(&bare);
}

/* ---- the server, in a namespace of the test's own ---- */

static char netns[32];
static char last_network[64], last_ip[64];

static int run(const char *const *argv, char **ret_out) {
        ExecResult res = {};
        Error e = {};
        int r = exec_run(argv, 30 * 1000000LL, &res, &e);
        if (r >= 0 && res.status != 0)
                r = -EIO;
        if (ret_out && r >= 0)
                *ret_out = TAKE_PTR(res.out);
        exec_result_done(&res);
        return r;
}

static int make_netns(void) {
        const char *add[] = { "ip", "netns", "add", netns, NULL };
        const char *up[] = { "ip", "-n", netns, "link", "set", "lo", "up", NULL };
        const char *addr[] = { "ip", "-n", netns, "addr", "add", METADATA_ADDRESS "/32", "dev", "lo", NULL };
        return run(add, NULL) < 0 || run(up, NULL) < 0 || run(addr, NULL) < 0 ? -1 : 0;
}

static void delete_netns(void) {
        const char *del[] = { "ip", "netns", "delete", netns, NULL };
        run(del, NULL);
}

static int server_setup(void **state) {
        snprintf(netns, sizeof(netns), "gt-md-%d", (int) getpid());
        delete_netns();
        return make_netns();
}

static int server_teardown(void **state) {
        delete_netns();
        return 0;
}

static int answer(const char *network_id, const char *ip, const char *path, char **ret, size_t *ret_len,
                  const char **ret_type) {
        snprintf(last_network, sizeof(last_network), "%s", network_id);
        snprintf(last_ip, sizeof(last_ip), "%s", ip);
        if (streq(path, "/missing"))
                return -ENOENT;
        *ret = xasprintf("hello %s", path);
        *ret_len = strlen(*ret);
        *ret_type = "text/plain";
        return 0;
}

static char *fetch(const char *path) {
        _cleanup_free_ char *url = xasprintf("http://" METADATA_ADDRESS ":80%s", path);
        const char *argv[] = { "ip", "netns", "exec", netns, "curl", "-sS", "--max-time", "10", "-w", " %{http_code}",
                               url, NULL };
        char *out = NULL;
        return run(argv, &out) < 0 ? NULL : out;
}

static void test_server_in_namespace(void **state) {
        MetadataServer *s = NULL;
        MetadataTarget t = { "net-one", "" };
        snprintf(t.netns, sizeof(t.netns), "%s", netns);

        assert_int_equal(metadata_server_start(answer, 80, &s), 0);
        assert_int_equal(metadata_server_sync(s, &t, 1), 0);
        _cleanup_free_ char *a = fetch("/openstack/latest/meta_data.json");
        assert_string_equal(a, "hello /openstack/latest/meta_data.json 200");
        assert_string_equal(last_network, "net-one");
        assert_string_equal(last_ip, METADATA_ADDRESS);
        _cleanup_free_ char *b = fetch("/missing");
        assert_string_equal(b, "404 Not Found\n 404");

        /* The namespace goes and comes back: the next sync listens in the new one. */
        delete_netns();
        assert_int_equal(metadata_server_sync(s, &t, 1), 1);
        assert_int_equal(make_netns(), 0);
        assert_int_equal(metadata_server_sync(s, &t, 1), 0);
        _cleanup_free_ char *c = fetch("/again");
        assert_string_equal(c, "hello /again 200");

        /* Not wanted any more: nobody listens. */
        assert_int_equal(metadata_server_sync(s, NULL, 0), 0);
        _cleanup_free_ char *d = fetch("/gone");
        assert_null(d);
        s = metadata_server_stop(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trees),
                cmocka_unit_test_setup_teardown(test_server_in_namespace, server_setup, server_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
