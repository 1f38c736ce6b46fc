/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden tests of the data plane's builders (src/net/net_nft.c,
 * net_dnsmasq.c, net_radvd.c): every tests/golden/net/<case>.in.json is parsed into a
 * NetState (its "comment" key aside) and, with the prefix "gr-",
 *
 *   <case>.out.nft         the root namespace's filter ruleset
 *   <case>.out.router.nft  each router's NAT ruleset
 *   <case>.out.radvd       and radvd configuration,
 *   <case>.out.hosts       each DHCP network's dhcp-hostsfile,
 *   <case>.out.opts        dhcp-optsfile,
 *   <case>.out.names       addn-hosts file
 *   <case>.out.argv        and dnsmasq command line (one word a line)
 *
 * are compared with the files (an output that is empty must have no
 * file).  Sections of several routers or networks start with a "#"
 * line, a comment to nft and dnsmasq alike.  GUREUM_TEST_REGENERATE=1
 * rewrites the files instead (review the diff).  Where nft and dnsmasq
 * are installed and we are root, every expected ruleset must pass
 * `nft -c -f`, every command line `dnsmasq --test` and every radvd
 * configuration `radvd --configtest` where radvd is installed.
 */
#include "test-helpers.h"

#include <dirent.h>

#include "net/net_internal.h"
#include "net/net_json.h"
#include "util/buf.h"
#include "util/exec.h"
#include "util/fileio.h"
#include "util/jx.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must point at tests/golden/net"
#endif

static bool regenerate(void) {
        const char *r = getenv("GUREUM_TEST_REGENERATE");
        return r && streq(r, "1");
}

/* Checks an nft script with the kernel (no change): as root, where nft exists. */
static void nft_check(const char *path) {
        const char *argv[] = { "nft", "-c", "-f", path, NULL };
        Error e = {};
        if (geteuid() != 0)
                return;
        int r = exec_run(argv, 60000000, NULL, &e);
        if (r < 0 && r != -ENOENT)
                fail_msg("%s does not pass nft -c: %s", path, e.message);
}

/* radvd parses a configuration (and does nothing else) with --configtest. */
static void radvd_check(const char *path) {
        _cleanup_free_ char *config = xasprintf("--config=%s", path);
        const char *argv[] = { "radvd", "--configtest", config, "--logmethod=stderr", NULL };
        Error e = {};
        int r = exec_run(argv, 60000000, NULL, &e);
        if (r < 0 && r != -ENOENT)
                fail_msg("%s does not pass radvd --configtest: %s", path, e.message);
}

static void compare(const char *name, const char *ext, const Buf *got) {
        _cleanup_free_ char *path = xasprintf("%s/%s.%s", GOLDEN_DIR, name, ext), *want = NULL;
        size_t len;

        if (regenerate()) {
                if (got->len > 0)
                        assert_int_equal(write_file_atomic(path, got->data, got->len, 0644), 0);
                else
                        (void) unlink(path);
                return;
        }
        if (got->len == 0) {
                if (test_exists(path))
                        fail_msg("%s exists, but the case builds nothing for it", path);
                return;
        }
        if (read_file(path, 1 << 22, &want, &len) < 0)
                fail_msg("%s is missing: run with GUREUM_TEST_REGENERATE=1", path);
        if (!streq(got->data, want)) {
                fprintf(stderr, "--- %s (expected)\n%s--- got\n%s", path, want, got->data);
                fail_msg("golden case '%s' differs in .%s", name, ext);
        }
        if (streq(ext, "out.nft") || streq(ext, "out.router.nft"))
                nft_check(path);
        if (streq(ext, "out.radvd"))
                radvd_check(path);
}

/* dnsmasq parses the command line (and nothing else) with --test. */
static void dnsmasq_check(char **argv) {
        size_t n = 0;
        while (argv[n])
                n++;
        _cleanup_free_ const char **test = xcalloc(n + 2, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                test[i] = argv[i];
        test[n] = "--test";
        Error e = {};
        int r = exec_run(test, 60000000, NULL, &e);
        if (r < 0 && r != -ENOENT)
                fail_msg("dnsmasq refuses the command line: %s", e.message);
}

static void run_case(const char *name) {
        _cleanup_free_ char *in = xasprintf("%s/%s.in.json", GOLDEN_DIR, name), *text = NULL;
        _cleanup_net_state_doc_ NetStateDoc *doc = NULL;
        NetNames names;
        Buf filter = {}, routers = {}, radvd = {}, hosts = {}, opts = {}, dnames = {}, argv = {};
        json_error_t jerr;
        Error e = {};
        size_t len;

        assert_int_equal(net_names_init(&names, "gr-", NULL), 0);
        assert_int_equal(read_file(in, 1 << 20, &text, &len), 0);
        _cleanup_json_ json_t *j = jx_parse(text, len, &jerr);
        if (!j)
                fail_msg("%s: %s", in, jerr.text);
        json_object_del(j, "comment");
        if (net_state_from_json(j, &doc, &e) < 0)
                fail_msg("%s: %s", in, e.message);
        const NetState *s = &doc->state;

        if (net_nft_filter_build(&names, s, &filter, &e) < 0)
                fail_msg("%s: %s", in, e.message);
        for (size_t i = 0; i < s->n_routers; i++) {
                if (s->n_routers > 1)
                        buf_printf(&routers, "%s# router %s\n", i ? "\n" : "", s->routers[i].id);
                if (net_nft_router_build(&names, &s->routers[i], &routers, &e) < 0)
                        fail_msg("%s: %s", in, e.message);
                Buf one = {};
                net_radvd_build(&names, s, &s->routers[i], &one);
                if (one.len > 0)
                        buf_printf(&radvd, "%s# router %s\n%s", radvd.len ? "\n" : "", s->routers[i].id, one.data);
                buf_done(&one);
        }
        for (size_t i = 0; i < s->n_networks; i++) {
                const NetNetwork *net = &s->networks[i];
                char ns[64], **cmd = NULL;
                if (!net->dhcp_mac)
                        continue;
                Buf *all[] = { &hosts, &opts, &dnames, &argv };
                for (size_t k = 0; k < ELEMENTSOF(all); k++)
                        buf_printf(all[k], "# network %s\n", net->id);
                net_name_dhcp_ns(&names, net->id, ns);
                _cleanup_free_ char *dir = xasprintf("/var/lib/gureum/net/%s", ns);
                if (net_dnsmasq_build(&names, net, &hosts, &opts, &dnames, &e) < 0 ||
                    net_dnsmasq_argv(&names, net, dir, &cmd, &e) < 0)
                        fail_msg("%s: %s", in, e.message);
                for (char **c = cmd; *c; c++)
                        buf_printf(&argv, "%s\n", *c);
                if (!regenerate())
                        dnsmasq_check(cmd);
                strv_free(cmd);
        }

        compare(name, "out.nft", &filter);
        compare(name, "out.router.nft", &routers);
        compare(name, "out.radvd", &radvd);
        compare(name, "out.hosts", &hosts);
        compare(name, "out.opts", &opts);
        compare(name, "out.names", &dnames);
        compare(name, "out.argv", &argv);
        Buf *all[] = { &filter, &routers, &radvd, &hosts, &opts, &dnames, &argv };
        for (size_t k = 0; k < ELEMENTSOF(all); k++)
                buf_done(all[k]);
}

static void test_golden_cases(void **state) {
        DIR *d = opendir(GOLDEN_DIR);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len <= 8 || !streq(de->d_name + len - 8, ".in.json"))
                        continue;
                _cleanup_free_ char *name = xstrndup(de->d_name, len - 8);
                run_case(name);
                n++;
        }
        closedir(d);
        /* The cases the data plane issue asks for, at least. */
        assert_true(n >= 9);
}

/* Loading the same script twice leaves one copy of every rule: the add/delete/declare idiom. */
static void test_scripts_replace_whole_tables(void **state) {
        NetNames names;
        Buf b = {};
        NetState empty = {};
        assert_int_equal(net_names_init(&names, "gr-", NULL), 0);
        assert_int_equal(net_nft_filter_build(&names, &empty, &b, NULL), 0);
        assert_non_null(strstr(b.data, "add table inet gr-filter\ndelete table inet gr-filter\n"));
        assert_non_null(strstr(b.data, "add table bridge gr-spoof\ndelete table bridge gr-spoof\n"));
        /* Unknown taps are cut off even with no port at all. */
        assert_non_null(strstr(b.data, "iifname \"gr-t*\" drop"));
        buf_done(&b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden_cases),
                cmocka_unit_test(test_scripts_replace_whole_tables),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
