/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net-tool: the network data plane from the command line, one op per
 * run, for the real-dataplane integration test
 * (tests/integration/test_net_dataplane.py), bench/network, and poking
 * at a host by hand.  It is not part of gureum: the state comes from a
 * JSON file whose keys are NetState's members (src/net/net_json.h).
 *
 *   net-tool [--driver linux|fake] --prefix P [--state-dir DIR]
 *            [--external-bridge BR] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 failure (the Error's sentence on stderr),
 * 2 bad usage.
 */
#include <time.h>

#include "net/net.h"
#include "net/net_internal.h"
#include "net/net_json.h"
#include "util/fileio.h"

static const char usage[] =
        "usage: net-tool [--driver linux|fake] --prefix P [--state-dir DIR] [--external-bridge BR] COMMAND [ARGS]\n"
        "  apply STATE.json [--repeat N]    make the host match the state (N times, printing each time in us)\n"
        "  teardown                         remove everything with the prefix\n"
        "  serve                            apply each state read from stdin (one JSON a line) with one\n"
        "                                   driver, as a daemon would; prints net_apply's time in us per line\n"
        "  filter STATE.json                print the root namespace's nft ruleset\n"
        "  router STATE.json ROUTER_ID      print a router's nft ruleset\n"
        "  delta OLD.json NEW.json          print the nft script from OLD's filter ruleset to NEW's\n"
        "  dnsmasq STATE.json NETWORK_ID DIR  print a network's dnsmasq files and command line\n"
        "  names KIND ID                    print a name (bridge, tap, dhcp-ns, router-ns)\n"
        "STATE.json may be '-' for standard input.\n";

static int fail(int r, const Error *e) {
        fprintf(stderr, "net-tool: %s (%s)\n", e->message[0] ? e->message : "failed", strerror(-r));
        return 1;
}

static int load(const char *path, NetStateDoc **ret, Error *e) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = streq(path, "-") ? read_file("/dev/stdin", 256 << 20, &text, &len)
                                 : read_file(path, 256 << 20, &text, &len);
        if (r < 0)
                return error_set(e, r, "Cannot read '%s'.", path);
        return net_state_parse(text, len, ret, e);
}

int main(int argc, char **argv) {
        const char *driver = "linux", *prefix = NULL;
        NetConfig cfg = {};
        Error e = {};
        int i = 1, r;

        for (; i < argc && startswith(argv[i], "--"); i++) {
                if (i + 1 >= argc) {
                        fputs(usage, stderr);
                        return 2;
                }
                if (streq(argv[i], "--driver"))
                        driver = argv[++i];
                else if (streq(argv[i], "--prefix"))
                        prefix = argv[++i];
                else if (streq(argv[i], "--state-dir"))
                        cfg.state_dir = argv[++i];
                else if (streq(argv[i], "--external-bridge"))
                        cfg.external_bridge = argv[++i];
                else {
                        fputs(usage, stderr);
                        return 2;
                }
        }
        if (i >= argc || !prefix) {
                fputs(usage, stderr);
                return 2;
        }
        r = net_names_init(&cfg.names, prefix, &e);
        if (r < 0)
                return fail(r, &e);
        const char *cmd = argv[i++];
        int left = argc - i;

        if (streq(cmd, "names") && left == 2) {
                char buf[64];
                if (streq(argv[i], "bridge"))
                        net_name_bridge(&cfg.names, argv[i + 1], buf);
                else if (streq(argv[i], "tap"))
                        net_name_tap(&cfg.names, argv[i + 1], buf);
                else if (streq(argv[i], "dhcp-ns"))
                        net_name_dhcp_ns(&cfg.names, argv[i + 1], buf);
                else if (streq(argv[i], "router-ns"))
                        net_name_router_ns(&cfg.names, argv[i + 1], buf);
                else {
                        fputs(usage, stderr);
                        return 2;
                }
                printf("%s\n", buf);
                return 0;
        }

        if (streq(cmd, "teardown") && left == 0) {
                NetDriver *d = NULL;
                r = net_open(driver, &cfg, &d, &e);
                if (r >= 0)
                        r = net_teardown(d, &e);
                net_close(d);
                return r < 0 ? fail(r, &e) : 0;
        }

        if (streq(cmd, "serve") && left == 0) {
                NetDriver *d = NULL;
                char *line = NULL;
                size_t cap = 0;
                ssize_t len;
                r = net_open(driver, &cfg, &d, &e);
                while (r >= 0 && (len = getline(&line, &cap, stdin)) > 0) {
                        _cleanup_net_state_doc_ NetStateDoc *doc = NULL;
                        r = net_state_parse(line, (size_t) len, &doc, &e);
                        if (r < 0)
                                break;
                        int64_t t = mono_usec();
                        r = net_apply(d, &doc->state, &e);
                        printf("%lld\n", (long long) (mono_usec() - t));
                        fflush(stdout);
                }
                free(line);
                net_close(d);
                return r < 0 ? fail(r, &e) : 0;
        }
        if (left < 1) {
                fputs(usage, stderr);
                return 2;
        }
        _cleanup_net_state_doc_ NetStateDoc *doc = NULL;
        r = load(argv[i], &doc, &e);
        if (r < 0)
                return fail(r, &e);
        const NetState *s = &doc->state;

        if (streq(cmd, "apply") && (left == 1 || (left == 3 && streq(argv[i + 1], "--repeat")))) {
                int64_t repeat = 1;
                if (left == 3 && parse_int64(argv[i + 2], 1, 1000000, &repeat) < 0) {
                        fputs(usage, stderr);
                        return 2;
                }
                NetDriver *d = NULL;
                r = net_open(driver, &cfg, &d, &e);
                for (int64_t k = 0; r >= 0 && k < repeat; k++) {
                        int64_t t = mono_usec();
                        r = net_apply(d, s, &e);
                        if (left == 3)
                                printf("%lld\n", (long long) (mono_usec() - t));
                }
                net_close(d);
                return r < 0 ? fail(r, &e) : 0;
        }
        if (streq(cmd, "filter") && left == 1) {
                Buf b = {};
                r = net_nft_filter_build(&cfg.names, s, &b, &e);
                if (r >= 0)
                        fwrite(b.data, 1, b.len, stdout);
                buf_done(&b);
                return r < 0 ? fail(r, &e) : 0;
        }
        if (streq(cmd, "delta") && left == 2) {
                _cleanup_net_state_doc_ NetStateDoc *next = NULL;
                NftFilter *a = NULL, *b = NULL;
                r = load(argv[i + 1], &next, &e);
                if (r >= 0)
                        r = net_nft_filter_model(&cfg.names, s, &a, &e);
                if (r >= 0)
                        r = net_nft_filter_model(&cfg.names, &next->state, &b, &e);
                if (r >= 0) {
                        Buf out = {};
                        net_nft_filter_delta(&cfg.names, a, b, &out);
                        if (out.len)
                                fwrite(out.data, 1, out.len, stdout);
                        buf_done(&out);
                }
                net_nft_filter_free(a);
                net_nft_filter_free(b);
                return r < 0 ? fail(r, &e) : 0;
        }
        if (streq(cmd, "router") && left == 2) {
                for (size_t k = 0; k < s->n_routers; k++) {
                        if (!streq(s->routers[k].id, argv[i + 1]))
                                continue;
                        Buf b = {};
                        r = net_nft_router_build(&cfg.names, &s->routers[k], &b, &e);
                        if (r >= 0)
                                fwrite(b.data, 1, b.len, stdout);
                        buf_done(&b);
                        return r < 0 ? fail(r, &e) : 0;
                }
                fprintf(stderr, "net-tool: no router %s in the state\n", argv[i + 1]);
                return 1;
        }
        if (streq(cmd, "dnsmasq") && left == 3) {
                const NetNetwork *net = net_state_network(s, argv[i + 1]);
                if (!net) {
                        fprintf(stderr, "net-tool: no network %s in the state\n", argv[i + 1]);
                        return 1;
                }
                Buf hosts = {}, opts = {}, names = {};
                char **cmdline = NULL;
                r = net_dnsmasq_build(&cfg.names, net, &hosts, &opts, &names, &e);
                if (r >= 0)
                        r = net_dnsmasq_argv(&cfg.names, net, argv[i + 2], &cmdline, &e);
                if (r >= 0) {
                        printf("# hosts\n%s# opts\n%s# names\n%s# argv\n", hosts.data ? hosts.data : "",
                               opts.data ? opts.data : "", names.data ? names.data : "");
                        for (char **c = cmdline; *c; c++)
                                printf("%s\n", *c);
                }
                strv_free(cmdline);
                buf_done(&hosts);
                buf_done(&opts);
                buf_done(&names);
                return r < 0 ? fail(r, &e) : 0;
        }
        fputs(usage, stderr);
        return 2;
}
