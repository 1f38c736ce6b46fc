/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices, namespaces and sysctls for the linux driver (net_link.h).
 * State is read with iproute2's JSON output (`ip -j -d addr show`, one
 * command per namespace) and changed with ip commands run by argv
 * through util/exec; namespaces are the bind mounts under /run/netns
 * that `ip netns` makes.  A sysctl inside a namespace is written by a
 * short-lived thread that enters the namespace with setns(): the
 * /proc/sys/net files it opens there are the namespace's, and no other
 * thread of the process ever changes namespace.
 */
#include "net/net_link.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sched.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <arpa/inet.h>

#include "util/exec.h"
#include "util/jx.h"

#define NETNS_DIR "/run/netns"

int net_run(const char *const *argv, const char *input, size_t len, Error *e) {
        ExecResult res = {};
        int r = input ? exec_run_input(argv, input, len, NET_EXEC_TIMEOUT_USEC, &res, e)
                      : exec_run(argv, NET_EXEC_TIMEOUT_USEC, &res, e);
        exec_result_done(&res);
        return r;
}

int net_ip(Error *e, const char *ns, ...) {
        const char *argv[48];
        size_t n = 0;
        va_list ap;

        argv[n++] = "ip";
        if (ns) {
                argv[n++] = "-n";
                argv[n++] = ns;
        }
        va_start(ap, ns);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
                if (n + 1 >= ELEMENTSOF(argv)) {
                        va_end(ap);
                        return error_set(e, -E2BIG, "Too many arguments for ip.");
                }
                argv[n++] = a;
        }
        va_end(ap);
        argv[n] = NULL;
        return net_run(argv, NULL, 0, e);
}

static void copy_str(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

static void link_parse(json_t *o, NetLink *l) {
        json_t *flags = json_object_get(o, "flags"), *f, *info, *ai, *a;
        size_t i;

        copy_str(l->name, sizeof(l->name), jx_string(o, "ifname"));
        copy_str(l->master, sizeof(l->master), jx_string(o, "master"));
        copy_str(l->mac, sizeof(l->mac), jx_string(o, "address"));
        l->mtu = (unsigned) json_integer_value(json_object_get(o, "mtu"));
        json_array_foreach(flags, i, f)
                if (json_is_string(f) && streq(json_string_value(f), "UP"))
                        l->up = true;
        info = json_object_get(o, "linkinfo");
        copy_str(l->kind, sizeof(l->kind), jx_string(info, "info_kind"));
        json_t *data = json_object_get(info, "info_data");
        if (streq(l->kind, "vxlan")) {
                l->vxlan_id = (uint32_t) json_integer_value(json_object_get(data, "id"));
                l->vxlan_port = (unsigned) json_integer_value(json_object_get(data, "port"));
        }
        if (streq(l->kind, "vlan"))
                l->vlan_id = (uint32_t) json_integer_value(json_object_get(data, "id"));

        ai = json_object_get(o, "addr_info");
        l->addrs = xcalloc(json_array_size(ai) + 1, sizeof(char *));
        json_array_foreach(ai, i, a) {
                NetAddr addr;
                char text[64];
                const char *local = jx_string(a, "local");
                if (!local || net_addr_parse(local, &addr) < 0)
                        continue;
                if (addr.family == AF_INET6 && addr.bytes[0] == 0xfe && (addr.bytes[1] & 0xc0) == 0x80)
                        continue;
                addr.prefixlen = (int) json_integer_value(json_object_get(a, "prefixlen"));
                net_addr_format(&addr, true, text);
                l->addrs[l->n_addrs++] = xstrdup(text);
        }
}

int net_links_read(const char *ns, NetLinks *ret, Error *e) {
        const char *argv[] = { "ip", "-j", "-d", "addr", "show", NULL, NULL, NULL };
        const char *argv_ns[] = { "ip", "-n", ns, "-j", "-d", "addr", "show", NULL };
        ExecResult res = {};
        json_error_t jerr;
        json_t *o;
        size_t i;

        int r = exec_run(ns ? argv_ns : argv, NET_EXEC_TIMEOUT_USEC, &res, e);
        if (r < 0) {
                exec_result_done(&res);
                return r;
        }
        _cleanup_json_ json_t *j = jx_parse(res.out ? res.out : "", res.out ? strlen(res.out) : 0, &jerr);
        exec_result_done(&res);
        if (!json_is_array(j))
                return error_set(e, -EIO, "ip -j addr show%s%s printed no JSON array: %s.", ns ? " in " : "",
                                 ns ? ns : "", jerr.text);
        NetLinks l = { .v = xcalloc(json_array_size(j) + 1, sizeof(NetLink)) };
        json_array_foreach(j, i, o)
                link_parse(o, &l.v[l.n++]);
        *ret = l;
        return 0;
}

const NetLink *net_links_find(const NetLinks *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->v[i].name, name))
                        return &l->v[i];
        return NULL;
}

bool net_link_has_addr(const NetLink *l, const char *cidr) {
        for (size_t i = 0; l && i < l->n_addrs; i++)
                if (streq(l->addrs[i], cidr))
                        return true;
        return false;
}

void net_links_done(NetLinks *l) {
        for (size_t i = 0; i < l->n; i++)
                strv_free(l->v[i].addrs);
        free(l->v);
        *l = (NetLinks) {};
}

char **net_netns_list(void) {
        DIR *d = opendir(NETNS_DIR);
        struct dirent *de;
        size_t n = 0, cap = 8;
        char **v = xcalloc(cap, sizeof(char *));

        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n + 2 > cap) {
                        cap *= 2;
                        v = xrealloc(v, cap * sizeof(char *));
                }
                v[n++] = xstrdup(de->d_name);
                v[n] = NULL;
        }
        if (d)
                closedir(d);
        return v;
}

ino_t net_netns_inode(const char *name) {
        char path[128];
        struct statfs sfs;
        struct stat st;
        snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
        /* A name whose namespace was unmounted under our feet is a plain empty file: not a namespace. */
        if (statfs(path, &sfs) < 0 || sfs.f_type != NSFS_MAGIC || stat(path, &st) < 0)
                return 0;
        return st.st_ino;
}

/* Reads at most 63 bytes of a sysctl, trailing newline dropped. */
static int sysctl_read(const char *path, char buf[static 64]) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t k = read(fd, buf, 63);
        if (k < 0)
                return -errno;
        buf[k] = '\0';
        while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == ' '))
                buf[--k] = '\0';
        return 0;
}

static int sysctl_write_here(const char *path, const char *value) {
        char cur[64];
        if (sysctl_read(path, cur) == 0 && streq(cur, value))
                return 0;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = strlen(value);
        ssize_t k = write(fd, value, len);
        if (k < 0)
                return -errno;
        return (size_t) k == len ? 0 : -EIO;
}

typedef struct NsJob {
        int nsfd;
        int (*fn)(void *arg);
        void *arg;
        int r;
} NsJob;

static void *ns_thread(void *p) {
        NsJob *job = p;
        /* This thread only: it ends right after, so nothing else ever runs in the namespace. */
        if (setns(job->nsfd, CLONE_NEWNET) < 0) {
                job->r = -errno;
                return NULL;
        }
        job->r = job->fn(job->arg);
        return NULL;
}

int net_netns_call(const char *ns, int (*fn)(void *arg), void *arg) {
        char nspath[128];
        snprintf(nspath, sizeof(nspath), NETNS_DIR "/%s", ns);
        NsJob job = { .nsfd = open(nspath, O_RDONLY | O_CLOEXEC), .fn = fn, .arg = arg };
        if (job.nsfd < 0)
                return -errno;
        pthread_t t;
        int r = -pthread_create(&t, NULL, ns_thread, &job);
        if (r == 0) {
                pthread_join(t, NULL);
                r = job.r;
        }
        close(job.nsfd);
        return r;
}

typedef struct SysctlArg {
        const char *path, *value;
} SysctlArg;

static int sysctl_job(void *p) {
        SysctlArg *a = p;
        return sysctl_write_here(a->path, a->value);
}

int net_sysctl_set(const char *ns, const char *path, const char *value, Error *e) {
        int r;
        if (!ns) {
                r = sysctl_write_here(path, value);
                if (r < 0)
                        return error_set(e, r, "Cannot set %s to %s: %s.", path, value, strerror(-r));
                return 0;
        }
        r = net_netns_call(ns, sysctl_job, &(SysctlArg) { path, value });
        if (r < 0)
                return error_set(e, r, "Cannot set %s to %s in namespace %s: %s.", path, value, ns, strerror(-r));
        return 0;
}

int net_nft_genid(uint32_t *ret) {
        struct {
                struct nlmsghdr nh;
                struct nfgenmsg g;
        } req = {
                .nh = { .nlmsg_len = sizeof(req), .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
                        .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
                .g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (fd < 0)
                return -errno;
        if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        ssize_t k;
        do
                k = recv(fd, buf, sizeof(buf), 0);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        for (struct nlmsghdr *nh = (struct nlmsghdr *) buf; NLMSG_OK(nh, (size_t) k); nh = NLMSG_NEXT(nh, k)) {
                if (nh->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *err = NLMSG_DATA(nh);
                        return err->error < 0 ? err->error : -EIO;
                }
                if (nh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
                        continue;
                size_t len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
                struct nlattr *a = (struct nlattr *) ((char *) NLMSG_DATA(nh) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
                while (len >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len) {
                        if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && a->nla_len >= NLA_HDRLEN + 4) {
                                uint32_t v;
                                memcpy(&v, (char *) a + NLA_HDRLEN, 4);
                                *ret = ntohl(v);
                                return 0;
                        }
                        size_t step = NLA_ALIGN(a->nla_len);
                        if (step >= len)
                                break;
                        len -= step;
                        a = (struct nlattr *) ((char *) a + step);
                }
        }
        return -EIO;
}

static int genid_job(void *p) {
        return net_nft_genid(p);
}

int net_nft_genid_in(const char *ns, uint32_t *ret) {
        return net_netns_call(ns, genid_job, ret);
}
