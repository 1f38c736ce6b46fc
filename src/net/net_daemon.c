/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemons the linux driver runs inside its namespaces (net_linux.h):
 * dnsmasq in a network's DHCP namespace, radvd in a router's.
 *
 * Each is started with `ip netns exec NS PROGRAM ...` and forks into the
 * background, so that it outlives whoever applied the state (gureumd
 * restarting never takes DHCP or router advertisements down).  Its files
 * live in state_dir/<namespace>/, its pid file too.  Each apply checks
 * the process that pid file names: it must be alive, have exactly the
 * command line the state needs, and live in the namespace now mounted
 * under that name (a namespace deleted and made again by hand would
 * leave it serving nobody).  Otherwise it is stopped and started again.
 * A process is only ever signalled when its command line names our pid
 * file: a recycled pid is never taken for ours.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "net/net_linux.h"
#include "util/fileio.h"

/* How long a daemon gets to exit on SIGTERM before SIGKILL, and to write its pid file once started. */
#define STOP_TIMEOUT_USEC (5 * 1000000LL)
#define START_TIMEOUT_USEC (5 * 1000000LL)

const NetDaemon net_dnsmasq_daemon = { "dnsmasq", "--pid-file=", NET_DNSMASQ_PID, NET_NS_DHCP };
const NetDaemon net_radvd_daemon = { "radvd", "--pidfile=", NET_RADVD_PID, NET_NS_ROUTER };

static void nap(void) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
}

static pid_t pid_file_read(const NetDaemon *d, const char *dir) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, d->pid_file), *text = NULL;
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

/* The pid file a command line of d names, or NULL if it is not d's. */
static const char *pid_file_of(const NetDaemon *d, char **cmd) {
        if (!cmd || !cmd[0] || !strstr(cmd[0], d->program))
                return NULL;
        for (char **c = cmd; *c; c++)
                if (startswith(*c, d->pid_option))
                        return *c + strlen(d->pid_option);
        return NULL;
}

/* True if the process pid is d using dir's pid file: one of ours, safe to signal. */
static bool is_ours(const NetDaemon *d, pid_t pid, const char *dir) {
        _cleanup_strv_free_ char **cmd = proc_cmdline(pid);
        _cleanup_free_ char *want = xasprintf("%s/%s", dir, d->pid_file);
        const char *path = pid_file_of(d, cmd);
        return path && streq(path, want);
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
                nap();
        }
}

void net_daemon_stop(const NetDaemon *d, const char *dir) {
        pid_t pid = pid_file_read(d, dir);
        if (pid > 0 && is_ours(d, pid, dir))
                stop_pid(pid);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, d->pid_file);
        (void) unlink(path);
}

void net_daemons_forget(const char *dir) {
        net_daemon_stop(&net_dnsmasq_daemon, dir);
        net_daemon_stop(&net_radvd_daemon, dir);
        (void) rm_rf(dir);
}

/* The namespace a daemon of ours serves, from its pid file (".../<namespace>/<pid file>"), into buf. */
static bool daemon_namespace(const NetDaemon *d, char **cmd, char buf[static 64]) {
        const char *path = pid_file_of(d, cmd);
        const char *end = path ? strrchr(path, '/') : NULL;
        if (!end || !streq(end + 1, d->pid_file))
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

void net_daemon_reap(const NetDaemon *d, const NetNames *n, const NetNameList *keep_ns) {
        _cleanup_free_ char *ours = xasprintf("%s%s", n->prefix, d->ns_kind);
        DIR *dir = opendir("/proc");
        struct dirent *de;
        while (dir && (de = readdir(dir))) {
                int64_t pid;
                char ns[64];
                if (parse_int64(de->d_name, 2, INT32_MAX, &pid) < 0 || pid == getpid())
                        continue;
                _cleanup_strv_free_ char **cmd = proc_cmdline((pid_t) pid);
                if (!daemon_namespace(d, cmd, ns) || !startswith(ns, ours))
                        continue;
                if (keep_ns && net_name_list_has(keep_ns, ns))
                        continue;
                stop_pid((pid_t) pid);
        }
        if (dir)
                closedir(dir);
}

/*
 * Starts d and waits until its pid file names it: the parent of a daemon
 * may exit before the child has written the file (radvd does), and the
 * next apply, finding none, would start a second one.
 */
static int start(const NetDaemon *d, const char *ns, const char *dir, char *const *argv, Error *e) {
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
        /* The daemon forks into the background once it is set up; its exit status says whether it could. */
        int r = net_run(full, NULL, 0, e);
        if (r < 0)
                return r;
        int64_t deadline = mono_usec() + START_TIMEOUT_USEC;
        for (;;) {
                pid_t pid = pid_file_read(d, dir);
                if (pid > 0 && is_ours(d, pid, dir))
                        return 0;
                if (mono_usec() > deadline)
                        return error_set(e, -ETIMEDOUT, "%s in %s wrote no pid file in %lld s (its log is in %s).",
                                         d->program, ns, (long long) (START_TIMEOUT_USEC / 1000000), dir);
                nap();
        }
}

int net_daemon_ensure(const NetDaemon *d, const char *ns, const char *dir, char *const *argv, bool restart,
                      bool reload, Error *e) {
        pid_t pid = pid_file_read(d, dir);
        _cleanup_strv_free_ char **cmd = pid > 0 ? proc_cmdline(pid) : NULL;
        bool alive = cmd && strv_equal(cmd, argv) && proc_netns(pid) == net_netns_inode(ns);
        if (alive && !restart) {
                if (reload && kill(pid, SIGHUP) < 0) {
                        int r = -errno;
                        return error_set(e, r, "Cannot signal %s %d in %s: %s.", d->program, (int) pid, ns,
                                         strerror(-r));
                }
                return 0;
        }
        /* Dead, outdated, in a namespace that is not this one any more, or bound to old addresses. */
        net_daemon_stop(d, dir);
        return start(d, ns, dir, argv, e);
}
