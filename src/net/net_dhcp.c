/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCP and DNS of one network (net_linux.h): the namespace
 * <prefix>dhcp-<network id>, a veth from the network's bridge into it
 * carrying the DHCP port's MAC and addresses (and 169.254.169.254/32 when
 * metadata is on), and one dnsmasq inside it.
 *
 * dnsmasq runs as a daemon, started with `ip netns exec NS dnsmasq ...`
 * so that it outlives whoever applied the state (gureumd restarting never
 * takes DHCP down).  Its files live in state_dir/<namespace>/, its pid
 * file too.  Each apply checks the process named by the pid file: it must
 * be alive, have exactly the command line the network needs, and live in
 * the namespace now mounted under that name (a namespace deleted and
 * made again by hand would leave it serving nobody).  Otherwise it is
 * stopped and started again.  When only the files changed (ports came or
 * went) it gets SIGHUP and re-reads them; it is never restarted per port.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "net/net_linux.h"
#include "util/fileio.h"

/* How long a dnsmasq gets to exit on SIGTERM before SIGKILL. */
#define STOP_TIMEOUT_USEC (5 * 1000000LL)

static int64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Replaces path with data unless it holds exactly that: 1 written, 0 unchanged, -errno. */
static int file_update(const char *path, const char *data, size_t len) {
        _cleanup_free_ char *cur = NULL;
        size_t cur_len;
        if (read_file(path, 64 << 20, &cur, &cur_len) == 0 && cur_len == len && memcmp(cur, data, len) == 0)
                return 0;
        int r = write_file_atomic(path, data, len, 0640);
        return r < 0 ? r : 1;
}

static pid_t pid_file_read(const char *dir) {
        _cleanup_free_ char *path = xasprintf("%s/" NET_DNSMASQ_PID, dir), *text = NULL;
        int64_t pid;
        size_t len;
        if (read_file(path, 64, &text, &len) < 0)
                return 0;
        text[strcspn(text, "\n")] = '\0';
        if (parse_int64(text, 1, INT32_MAX, &pid) < 0)
                return 0;
        return (pid_t) pid;
}

/* The command line of pid as a vector, or NULL if it is gone (or a zombie, which has none). */
static char **proc_cmdline(pid_t pid) {
        char path[64];
        _cleanup_free_ char *text = NULL;
        size_t len, n = 0;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        if (read_file(path, 1 << 20, &text, &len) < 0 || len == 0)
                return NULL;
        for (size_t i = 0; i < len; i++)
                n += text[i] == '\0';
        char **v = xcalloc(n + 2, sizeof(char *));
        size_t k = 0;
        for (size_t i = 0; i < len && k <= n; i += strlen(text + i) + 1)
                v[k++] = xstrdup(text + i);
        return v;
}

/* True if the process pid is a dnsmasq using dir's pid file: one of ours, safe to signal. */
static bool is_ours(pid_t pid, const char *dir) {
        _cleanup_strv_free_ char **cmd = proc_cmdline(pid);
        _cleanup_free_ char *want = xasprintf("--pid-file=%s/" NET_DNSMASQ_PID, dir);
        if (!cmd || !cmd[0] || !strstr(cmd[0], "dnsmasq"))
                return false;
        for (char **c = cmd; *c; c++)
                if (streq(*c, want))
                        return true;
        return false;
}

static bool strv_equal(char *const *a, char *const *b) {
        for (; *a && *b; a++, b++)
                if (!streq(*a, *b))
                        return false;
        return !*a && !*b;
}

/* The inode of pid's network namespace, 0 if it is gone. */
static ino_t proc_netns(pid_t pid) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        return stat(path, &st) < 0 ? 0 : st.st_ino;
}

static bool gone(pid_t pid) {
        char path[64];
        _cleanup_free_ char *text = NULL;
        size_t len;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        if (read_file(path, 4096, &text, &len) < 0)
                return true;
        /* "pid (comm) S ...": a zombie is dead; whoever its parent is will reap it. */
        const char *p = strrchr(text, ')');
        return p && p[1] == ' ' && p[2] == 'Z';
}

/* SIGTERM, then SIGKILL when it is still there after STOP_TIMEOUT_USEC. */
static void stop_pid(pid_t pid) {
        (void) kill(pid, SIGTERM);
        int64_t deadline = mono_usec() + STOP_TIMEOUT_USEC;
        while (!gone(pid)) {
                if (mono_usec() > deadline) {
                        (void) kill(pid, SIGKILL);
                        break;
                }
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
}

/* Stops the dnsmasq of dir's pid file if it is ours. */
static void stop(const char *dir) {
        pid_t pid = pid_file_read(dir);
        if (pid > 0 && is_ours(pid, dir))
                stop_pid(pid);
        _cleanup_free_ char *path = xasprintf("%s/" NET_DNSMASQ_PID, dir);
        (void) unlink(path);
}

/* The namespace a dnsmasq of ours serves, from its --pid-file (".../<namespace>/dnsmasq.pid"), into buf. */
static bool dnsmasq_namespace(char **cmd, char buf[static 64]) {
        if (!cmd || !cmd[0] || !strstr(cmd[0], "dnsmasq"))
                return false;
        for (char **c = cmd; *c; c++) {
                if (!startswith(*c, "--pid-file="))
                        continue;
                const char *path = *c + strlen("--pid-file="), *end = strrchr(path, '/');
                if (!end || !streq(end, "/" NET_DNSMASQ_PID))
                        return false;
                const char *start = end;
                while (start > path && start[-1] != '/')
                        start--;
                if ((size_t) (end - start) >= 64)
                        return false;
                memcpy(buf, start, (size_t) (end - start));
                buf[end - start] = '\0';
                return true;
        }
        return false;
}

void net_dhcp_reap(const NetNames *n, const NetNameList *keep_ns) {
        _cleanup_free_ char *ours = xasprintf("%s" NET_NS_DHCP, n->prefix);
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                int64_t pid;
                char ns[64];
                if (parse_int64(de->d_name, 2, INT32_MAX, &pid) < 0 || pid == getpid())
                        continue;
                _cleanup_strv_free_ char **cmd = proc_cmdline((pid_t) pid);
                if (!dnsmasq_namespace(cmd, ns) || !startswith(ns, ours))
                        continue;
                if (keep_ns && net_name_list_has(keep_ns, ns))
                        continue;
                stop_pid((pid_t) pid);
        }
        if (d)
                closedir(d);
}

void net_dhcp_forget(const char *dir) {
        stop(dir);
        (void) rm_rf(dir);
}

static int start(const char *ns, char *const *argv, Error *e) {
        size_t n = 0;
        while (argv[n])
                n++;
        _cleanup_free_ const char **full = xcalloc(n + 5, sizeof(char *));
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        for (size_t i = 0; i < n; i++)
                full[4 + i] = argv[i];
        /* dnsmasq forks into the background once it has its sockets; its exit status says whether it could. */
        return net_run(full, NULL, 0, e);
}

static void bufp_done(Buf *b) {
        buf_done(b);
}
static void linksp_done(NetLinks *l) {
        net_links_done(l);
}

static int dhcp_apply(NetApply *a, const NetNetwork *net) {
        const NetNames *n = a->names;
        char ns[64], outer[NET_IFNAME_MAX + 1], inner[NET_IFNAME_MAX + 1], brbuf[NET_IFNAME_MAX + 1];
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **argv = NULL, **addrs = NULL, **cmd = NULL;
        _cleanup_(bufp_done) Buf hosts = {}, opts = {}, names = {};
        _cleanup_(linksp_done) NetLinks inside = {};
        bool addrs_changed = false, files_changed = false;
        int r;

        net_name_dhcp_ns(n, net->id, ns);
        net_name_if(n, NET_KIND_DHCP_OUTER, net->id, outer);
        net_name_if(n, NET_KIND_DHCP_INNER, net->id, inner);
        net_name_list_add(&a->keep_ns, ns);
        net_name_list_add(&a->keep_links, outer);
        if (!a->d->cfg.state_dir)
                return error_set(a->e, -EINVAL, "Network %s has DHCP, but the data plane has no state directory "
                                 "for dnsmasq's files.", net->id);
        dir = xasprintf("%s/%s", a->d->cfg.state_dir, ns);

        /* The files and the command line first: a network dnsmasq cannot serve changes nothing on the host. */
        r = net_dnsmasq_build(n, net, &hosts, &opts, &names, a->e);
        if (r < 0)
                return r;
        r = net_dnsmasq_argv(n, net, dir, &argv, a->e);
        if (r < 0)
                return r;

        size_t k = 0;
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++)
                k++;
        addrs = xcalloc(k + 2, sizeof(char *));
        k = 0;
        for (const char *const *ip = net->dhcp_ips; ip && *ip; ip++) {
                char text[64];
                net_cidr_canonical(*ip, text);
                addrs[k++] = xstrdup(text);
        }
        if (net->metadata)
                addrs[k++] = xstrdup("169.254.169.254/32");
        NetVeth v = {
                .ns = ns, .outer = outer, .inner = inner, .bridge = net_network_bridge(n, net, brbuf),
                .mac = net->dhcp_mac, .mtu = net->mtu, .up = true, .addrs = addrs,
        };
        /* What the namespace must hold, as one number: its veth's MAC, MTU, bridge and addresses. */
        Buf want = {};
        buf_printf(&want, "%s|%u|%s|%s", v.mac, v.mtu, v.bridge, v.outer);
        for (char **ip = addrs; *ip; ip++)
                buf_printf(&want, "|%s", *ip);
        uint64_t config = hash_fnv1a(want.data);
        buf_done(&want);
        const NetLink *root_end = net_links_find(&a->root, outer);
        bool fresh = root_end && streq(root_end->master, v.bridge) && root_end->up &&
                     net_ns_memo_fresh(a, ns, config, NULL);
        if (!fresh) {
                net_ns_memo_forget(a, ns);
                if (net_netns_inode(ns) == 0) {
                        r = net_ip(a->e, NULL, "netns", "add", ns, NULL);
                        if (r < 0)
                                return r;
                }
                r = net_links_read(ns, &inside, a->e);
                if (r < 0)
                        return r;
                const NetLink *lo = net_links_find(&inside, "lo");
                if (!lo || !lo->up) {
                        r = net_ip(a->e, ns, "link", "set", "dev", "lo", "up", NULL);
                        if (r < 0)
                                return r;
                }
                r = net_veth_ensure(a, &v, &inside, &addrs_changed);
                if (r < 0)
                        return r;
                net_ns_memo_set(a, ns, config, 0);
        }

        r = mkdir_p(dir, 0750);
        if (r < 0)
                return error_set(a->e, r, "Cannot create %s: %s.", dir, strerror(-r));
        const struct {
                const char *name;
                const Buf *b;
        } files[] = { { NET_DNSMASQ_HOSTS, &hosts }, { NET_DNSMASQ_OPTS, &opts }, { NET_DNSMASQ_NAMES, &names } };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, files[i].name);
                int w = file_update(path, files[i].b->data ? files[i].b->data : "", files[i].b->len);
                if (w < 0)
                        return error_set(a->e, w, "Cannot write %s: %s.", path, strerror(-w));
                files_changed = files_changed || w > 0;
        }

        pid_t pid = pid_file_read(dir);
        cmd = pid > 0 ? proc_cmdline(pid) : NULL;
        bool alive = cmd && strv_equal(cmd, argv) && proc_netns(pid) == net_netns_inode(ns);
        if (alive && !addrs_changed) {
                if (files_changed && kill(pid, SIGHUP) < 0) {
                        r = -errno;
                        return error_set(a->e, r, "Cannot signal dnsmasq %d of network %s: %s.", (int) pid,
                                         net->id, strerror(-r));
                }
                return 0;
        }
        /* Dead, outdated, in a namespace that is not this one any more, or bound to old addresses. */
        stop(dir);
        return start(ns, argv, a->e);
}

int net_dhcp_apply(NetApply *a, const NetNetwork *net) {
        int r = dhcp_apply(a, net);
        return r < 0 ? net_apply_fail(a, r) : 0;
}
