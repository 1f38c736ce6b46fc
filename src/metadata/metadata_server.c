/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata HTTP server (see metadata_server.h).  A socket opened in a
 * namespace stays in it: the thread that syncs switches into the
 * namespace with setns() only to create, bind and listen, then switches
 * back, so no proxy process runs per network.  IP_FREEBIND lets the
 * socket bind before the data plane has put the address in place.
 *
 * One accept thread waits on every listener (epoll); it tags each new
 * connection with its listener's network in a small pending table before
 * handing it to libmicrohttpd, whose connection callback takes the tag.
 */
#include "metadata/metadata_server.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define MAX_LISTENERS 4096
#define MAX_PENDING 256

typedef struct Listener {
        MetadataTarget target;
        int fd;
        dev_t ns_dev;            /* the namespace the socket lives in */
        ino_t ns_ino;
} Listener;

typedef struct Pending {
        int fd;                  /* an accepted connection not yet seen by libmicrohttpd */
        char network_id[64];
} Pending;

struct MetadataServer {
        MetadataAnswerFn answer;
        unsigned port;
        struct MHD_Daemon *mhd;
        pthread_mutex_t lock;    /* listeners and pending */
        Listener *listeners;
        size_t n_listeners;
        Pending pending[MAX_PENDING];
        int epfd, stop_fd;
        pthread_t acceptor;
        bool acceptor_running;
};

/* ---- sockets inside namespaces ---- */

static int ns_path(const char *netns, char buf[static 128]) {
        if (isempty(netns) || strchr(netns, '/') || streq(netns, ".") || streq(netns, ".."))
                return -EINVAL;
        snprintf(buf, 128, "/run/netns/%s", netns);
        return 0;
}

/* The namespace now under /run/netns/<netns>, or -ENOENT. */
static int ns_identity(const char *netns, dev_t *ret_dev, ino_t *ret_ino) {
        char path[128];
        struct stat st;
        if (ns_path(netns, path) < 0)
                return -EINVAL;
        if (stat(path, &st) < 0)
                return -errno;
        *ret_dev = st.st_dev;
        *ret_ino = st.st_ino;
        return 0;
}

static int listen_here(unsigned port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int one = 1;
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        inet_pton(AF_INET, METADATA_ADDRESS, &sa.sin_addr);
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* A listening socket in namespace netns; the calling thread returns to its own namespace. */
static int listen_in_netns(const char *netns, unsigned port, dev_t *ret_dev, ino_t *ret_ino) {
        char path[128];
        struct stat st;
        if (ns_path(netns, path) < 0)
                return -EINVAL;
        _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
        if (target < 0)
                return -errno;
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0 || fstat(target, &st) < 0)
                return -errno;
        if (setns(target, CLONE_NEWNET) < 0)
                return -errno;
        int fd = listen_here(port);
        /* A thread left in a tenant's namespace would open the API's sockets there: never go on. */
        if (setns(self, CLONE_NEWNET) < 0)
                abort();
        if (fd >= 0) {
                *ret_dev = st.st_dev;
                *ret_ino = st.st_ino;
        }
        return fd;
}

/* ---- accepting ---- */

static void pending_add(MetadataServer *s, int fd, const char *network_id) {
        for (size_t i = 0; i < MAX_PENDING; i++)
                if (s->pending[i].fd < 0) {
                        s->pending[i].fd = fd;
                        snprintf(s->pending[i].network_id, sizeof(s->pending[i].network_id), "%s", network_id);
                        return;
                }
}

/* The network of a connection libmicrohttpd just took, removed from the table; caller frees. */
static char *pending_take(MetadataServer *s, int fd) {
        char *id = NULL;
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < MAX_PENDING; i++)
                if (s->pending[i].fd == fd) {
                        id = xstrdup(s->pending[i].network_id);
                        s->pending[i].fd = -1;
                        break;
                }
        pthread_mutex_unlock(&s->lock);
        return id;
}

static size_t pending_free_slots(MetadataServer *s) {
        size_t n = 0;
        for (size_t i = 0; i < MAX_PENDING; i++)
                n += s->pending[i].fd < 0;
        return n;
}

static void accept_one(MetadataServer *s, int listen_fd) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof(sa);
        int fd;

        pthread_mutex_lock(&s->lock);
        const Listener *l = NULL;
        for (size_t i = 0; i < s->n_listeners; i++)
                if (s->listeners[i].fd == listen_fd)
                        l = &s->listeners[i];
        /* Gone since the event (closed by a sync), or too many half-open: leave it in the backlog. */
        if (!l || pending_free_slots(s) == 0) {
                pthread_mutex_unlock(&s->lock);
                return;
        }
        fd = accept4(listen_fd, (struct sockaddr *) &sa, &len, SOCK_CLOEXEC);
        if (fd >= 0)
                pending_add(s, fd, l->target.network_id);
        pthread_mutex_unlock(&s->lock);
        if (fd < 0)
                return;
        if (MHD_add_connection(s->mhd, fd, (struct sockaddr *) &sa, len) != MHD_YES) {
                /* libmicrohttpd closed it; forget the tag. */
                free(pending_take(s, fd));
        }
}

static void *acceptor(void *userdata) {
        MetadataServer *s = userdata;
        struct epoll_event ev[32];
        for (;;) {
                int n = epoll_wait(s->epfd, ev, ELEMENTSOF(ev), -1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                for (int i = 0; i < n; i++) {
                        if (ev[i].data.fd == s->stop_fd)
                                return NULL;
                        accept_one(s, ev[i].data.fd);
                }
        }
        return NULL;
}

/* ---- HTTP ---- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        MetadataServer *s = cls;
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                *socket_context = info ? pending_take(s, info->connect_fd) : NULL;
        } else {
                free(*socket_context);
                *socket_context = NULL;
        }
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len, const char *type) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        enum MHD_Result ret = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        MetadataServer *s = cls;
        const union MHD_ConnectionInfo *info;
        char ip[INET6_ADDRSTRLEN] = "";
        char *body = NULL;
        size_t len = 0;
        const char *type = "text/plain";

        /* The first call has only the headers; a GET has nothing more to wait for. */
        if (!*con_cls) {
                *con_cls = conn;
                return MHD_YES;
        }
        if (!streq(method, "GET") && !streq(method, "HEAD"))
                return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, xstrdup("405 Method Not Allowed\n"), 23, type);
        info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        const char *network_id = info ? info->socket_context : NULL;
        info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info && info->client_addr->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) info->client_addr)->sin_addr, ip, sizeof(ip));
        else if (info && info->client_addr->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) info->client_addr)->sin6_addr, ip, sizeof(ip));
        if (!network_id || !*ip)
                return reply(conn, MHD_HTTP_NOT_FOUND, xstrdup("404 Not Found\n"), 14, type);

        int r = s->answer(network_id, ip, url, &body, &len, &type);
        if (r == -ENOENT)
                return reply(conn, MHD_HTTP_NOT_FOUND, xstrdup("404 Not Found\n"), 14, "text/plain");
        if (r < 0)
                return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, xstrdup("500 Internal Server Error\n"), 26,
                             "text/plain");
        return reply(conn, MHD_HTTP_OK, body, len, type);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        log_debug("metadata", "%s", msg);
}

/* ---- life ---- */

int metadata_server_start(MetadataAnswerFn answer, unsigned port, MetadataServer **ret) {
        MetadataServer *s = xcalloc(1, sizeof(*s));
        struct epoll_event ev = { .events = EPOLLIN };

        s->answer = answer;
        s->port = port;
        s->epfd = s->stop_fd = -1;
        pthread_mutex_init(&s->lock, NULL);
        for (size_t i = 0; i < MAX_PENDING; i++)
                s->pending[i].fd = -1;
        s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET |
                                          MHD_USE_POLL,
                                  0, NULL, NULL, on_request, s,
                                  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                  /* Guests are many and untrusted: few connections each, short-lived, small. */
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) 512,
                                  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) 16,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 10,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32 * 1024,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_END);
        if (!s->mhd) {
                log_error("metadata", "the metadata server did not start (log_level = debug tells why)");
                metadata_server_stop(s);
                return -EIO;
        }
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        ev.data.fd = s->stop_fd;
        if (s->epfd < 0 || s->stop_fd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stop_fd, &ev) < 0 ||
            pthread_create(&s->acceptor, NULL, acceptor, s) != 0) {
                int r = -errno;
                log_error("metadata", "the metadata server did not start: %s", strerror(-r));
                metadata_server_stop(s);
                return r;
        }
        s->acceptor_running = true;
        *ret = s;
        return 0;
}

static void listener_close(MetadataServer *s, Listener *l) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->fd, NULL);
        close(l->fd);
        l->fd = -1;
}

MetadataServer *metadata_server_stop(MetadataServer *s) {
        if (!s)
                return NULL;
        if (s->acceptor_running) {
                uint64_t one = 1;
                if (write(s->stop_fd, &one, sizeof(one)) < 0)
                        abort(); /* an eventfd write cannot fail here */
                pthread_join(s->acceptor, NULL);
        }
        for (size_t i = 0; i < s->n_listeners; i++)
                listener_close(s, &s->listeners[i]);
        free(s->listeners);
        if (s->mhd)
                MHD_stop_daemon(s->mhd);
        for (size_t i = 0; i < MAX_PENDING; i++)
                if (s->pending[i].fd >= 0)
                        close(s->pending[i].fd);
        if (s->epfd >= 0)
                close(s->epfd);
        if (s->stop_fd >= 0)
                close(s->stop_fd);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
}

static const MetadataTarget *find_target(const MetadataTarget *targets, size_t n, const Listener *l) {
        for (size_t i = 0; i < n; i++)
                if (streq(targets[i].network_id, l->target.network_id) && streq(targets[i].netns, l->target.netns))
                        return &targets[i];
        return NULL;
}

int metadata_server_sync(MetadataServer *s, const MetadataTarget *targets, size_t n) {
        int missing = 0;

        /* Drop listeners no longer wanted, or whose namespace is not the one under its name any more. */
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n_listeners;) {
                Listener *l = &s->listeners[i];
                dev_t dev = 0;
                ino_t ino = 0;
                bool keep = find_target(targets, n, l) && ns_identity(l->target.netns, &dev, &ino) >= 0 &&
                            dev == l->ns_dev && ino == l->ns_ino;
                if (keep) {
                        i++;
                        continue;
                }
                log_info("metadata", "stopped serving network %s", l->target.network_id);
                listener_close(s, l);
                s->listeners[i] = s->listeners[--s->n_listeners];
        }
        pthread_mutex_unlock(&s->lock);

        for (size_t t = 0; t < n; t++) {
                bool have = false;
                pthread_mutex_lock(&s->lock);
                for (size_t i = 0; i < s->n_listeners; i++)
                        if (streq(s->listeners[i].target.network_id, targets[t].network_id))
                                have = true;
                pthread_mutex_unlock(&s->lock);
                if (have)
                        continue;
                if (s->n_listeners >= MAX_LISTENERS) {
                        missing++;
                        continue;
                }
                Listener l = { .target = targets[t] };
                l.fd = listen_in_netns(targets[t].netns, s->port, &l.ns_dev, &l.ns_ino);
                if (l.fd < 0) {
                        if (l.fd != -ENOENT)
                                log_warning("metadata", "cannot listen in namespace %s: %s", targets[t].netns,
                                            strerror(-l.fd));
                        missing++;
                        continue;
                }
                struct epoll_event ev = { .events = EPOLLIN, .data.fd = l.fd };
                pthread_mutex_lock(&s->lock);
                s->listeners = xrealloc(s->listeners, (s->n_listeners + 1) * sizeof(Listener));
                s->listeners[s->n_listeners++] = l;
                epoll_ctl(s->epfd, EPOLL_CTL_ADD, l.fd, &ev);
                pthread_mutex_unlock(&s->lock);
                log_info("metadata", "serving network %s in namespace %s", l.target.network_id, l.target.netns);
        }
        return missing;
}
