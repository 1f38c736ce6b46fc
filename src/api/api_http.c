/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server: libmicrohttpd with a pool of epoll threads.  It owns
 * the per-request lifetime (Request, freed in the completion callback),
 * reads bodies up to the configured limit, hands the request to the
 * pipeline, sends the response with x-openstack-request-id, and writes
 * one access-log line per request.
 */
#include "api/api_conn.h"
#include "api/api_internal.h"
#include "core/workpool.h"
#include "db/db.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <malloc.h>
#include <stdatomic.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* A request that held this much body in memory returns free memory to the system when done (F6). */
#define TRIM_AFTER_BYTES (1024 * 1024)
#define TRIM_INTERVAL_USEC 1000000

struct ApiServer {
        struct MHD_Daemon *mhd;
        const Config *cfg;
        ApiConns *conns;          /* every open connection */
        unsigned max_connections; /* above this, requests get 503 */
        WorkPool *hash_pool;      /* runs the handlers of routes that hash passwords */
};

/* Everything one request owns; made by on_uri, freed by on_completed. */
typedef struct Request {
        Ctx ctx;
        bool begun;             /* on_request has seen the request's headers */
        ApiStream *stream;      /* a streamed upload in progress, or NULL */
        bool responded;         /* a response was queued */
        Buf body;
        int refused;            /* 0, -EFBIG (body), -ENAMETOOLONG (query), -EBADMSG (escapes): see api_dispatch */
        ApiPending *pending;    /* the handler runs (or ran) on the hash pool, or NULL */
        WorkItem work;          /* runs pending; while queued or running, the connection is suspended */
        struct MHD_Connection *conn; /* for resuming it */
        int64_t started;        /* usec */
        unsigned status;
        size_t sent;
        size_t held;            /* bytes of request and response body held in memory */
        char request_id[48];
        char *method;
        char *path;
        ApiRequest api;         /* what the pipeline reads: method, path, headers and query of conn */
} Request;

static void request_free(Request *rq) {
        if (rq->stream)
                api_stream_abort(rq->stream);
        api_pending_free(rq->pending);
        ctx_done(&rq->ctx);
        buf_done(&rq->body);
        free(rq->method);
        free(rq->path);
        free(rq);
}

static size_t count_query_params(const char *query) {
        size_t n = 1;
        for (const char *p = query; *p; p++)
                n += *p == '&';
        return n;
}

/*
 * A URI whose percent-escapes are malformed, or that holds %00, is refused
 * (400) before anything decodes it.  libmicrohttpd decodes the path and the
 * query once, and nothing decodes again (issue 7: a second decode turned
 * %252F into '/'); a decoded NUL would end the C string, so that
 * "<id>%00junk" named <id>.
 */
static bool uri_escapes_valid(const char *uri) {
        for (const char *p = uri; (p = strchr(p, '%')); p++) {
                if (!isxdigit((unsigned char) p[1]) || !isxdigit((unsigned char) p[2]))
                        return false;
                if (p[1] == '0' && p[2] == '0')
                        return false;
        }
        return true;
}

/*
 * libmicrohttpd calls this with the request target before it parses the
 * query string, and hands what it returns to on_request and on_completed.
 * libmicrohttpd 0.9.75 (Debian 12) never answers a request whose query
 * parameters do not fit its per-connection memory: it queues a 431, then
 * overwrites the connection's state and waits for more headers until the
 * connection times out.  So a query string larger than any API here needs
 * is cut off now, in libmicrohttpd's own buffer, before it is parsed, and
 * the request is answered 414 once its headers are in.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
        Request *rq = xcalloc(1, sizeof(*rq));
        char *query = strchr(uri, '?');

        rq->started = now_usec();
        ctx_init(&rq->ctx, db_thread());
        memcpy(rq->request_id, rq->ctx.request_id, sizeof(rq->request_id));
        if (!uri_escapes_valid(uri))
                rq->refused = -EBADMSG;
        if (query && (strlen(query + 1) > API_MAX_QUERY_BYTES || count_query_params(query + 1) > API_MAX_QUERY_PARAMS)) {
                query[1] = '\0';
                rq->refused = -ENAMETOOLONG;
        }
        return rq;
}

/* The pipeline checked every header (api_dispatch.c: check_headers); each is added whole. */
static void add_headers(struct MHD_Response *resp, const ApiHeaders *headers, const char *request_id) {
        for (size_t i = 0; i < headers->n; i++)
                if (MHD_add_response_header(resp, headers->items[i].name, headers->items[i].value) != MHD_YES)
                        log_full(LOG_LEVEL_ERROR, "http", request_id, "libmicrohttpd refused response header '%s'",
                                 headers->items[i].name);
}

/*
 * Sends res.  close_after asks libmicrohttpd to close the connection once
 * it is sent (it also does when a response is queued before the request
 * body was read).
 */
static enum MHD_Result respond(struct MHD_Connection *conn, Request *rq, Ctx *c, ApiResponse *res, bool close_after) {
        struct MHD_Response *resp;
        enum MHD_Result ret;

        if (res->has_file) {
                resp = MHD_create_response_from_fd_at_offset64(res->file_length, res->file_fd, res->file_offset);
                res->has_file = false; /* MHD closes it */
                rq->sent = res->file_length;
        } else {
                resp = MHD_create_response_from_buffer(res->body_len, res->body ? res->body : (char *) "",
                                                       res->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
                res->body = NULL; /* MHD owns it now */
                rq->sent = res->body_len;
                rq->held = rq->body.len + res->body_len;
        }
        if (!resp)
                return MHD_NO;
        if (res->content_type)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
        MHD_add_response_header(resp, "x-openstack-request-id", c->request_id);
        MHD_add_response_header(resp, "Vary", "X-Auth-Token");
        add_headers(resp, &res->headers, c->request_id);
        if (close_after)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
        rq->status = res->status;
        rq->responded = true;
        ret = MHD_queue_response(conn, res->status, resp);
        MHD_destroy_response(resp);
        return ret;
}

/*
 * libmicrohttpd 0.9.75 decodes only chunked request bodies: with any other
 * Transfer-Encoding ("gzip", "identity", "gzip, chunked") it reads the body
 * until the client closes, and the client waits for an answer that never
 * comes.  Such a request is refused with 501 as soon as its headers are in;
 * "chunked" is matched exactly as libmicrohttpd matches it.
 */
static int check_transfer_encoding(struct MHD_Connection *conn, Ctx *c) {
        const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        if (!te || strcasecmp(te, "chunked") == 0)
                return 0;
        return ctx_error(c, -EOPNOTSUPP, RES_NONE,
                         "Transfer-Encoding '%.100s' is not implemented; send the body with Content-Length or chunked.",
                         te);
}

static const char *mhd_header(const ApiRequest *api, const char *name) {
        return MHD_lookup_connection_value(api->impl, MHD_HEADER_KIND, name);
}

typedef struct QueryEach {
        void (*fn)(const char *name, const char *value, void *userdata);
        void *userdata;
} QueryEach;

static enum MHD_Result query_each_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        QueryEach *q = cls;
        q->fn(key, value ? value : "", q->userdata);
        return MHD_YES;
}

static void mhd_query_each(const ApiRequest *api, void (*fn)(const char *name, const char *value, void *userdata),
                           void *userdata) {
        QueryEach q = { fn, userdata };
        MHD_get_connection_values(api->impl, MHD_GET_ARGUMENT_KIND, query_each_one, &q);
}

/* The pipeline's view of the request on conn (its headers are in). */
static void request_bind(Request *rq, struct MHD_Connection *conn, const char *method, const char *url) {
        rq->method = xstrdup(method);
        rq->path = xstrdup(url);
        rq->api = (ApiRequest) { .method = rq->method, .path = rq->path, .header = mhd_header,
                                 .query_each = mhd_query_each, .impl = conn };
}

/* Answers at once, before any body is read, and closes the connection afterwards. */
static enum MHD_Result refuse_now(struct MHD_Connection *conn, Request *rq, int refused) {
        ApiResponse res = {};
        enum MHD_Result ret;

        api_dispatch(&rq->api, NULL, refused, &rq->ctx, NULL, &res);
        ret = respond(conn, rq, &rq->ctx, &res, true);
        api_response_done(&res);
        return ret;
}

/* Our record of conn (api_conn.h), set by on_connection. */
static ApiConn *conn_of(struct MHD_Connection *conn) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        ApiServer *s = cls;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                *socket_context = api_conns_add(s->conns, ci->connect_fd);
        } else if (*socket_context) {
                api_conns_remove(s->conns, *socket_context);
                *socket_context = NULL;
        }
}

/*
 * The request's headers are in: from now on the connection may stall for
 * body_timeout (a slow upload, a slow reader of a download) rather than
 * the short header_timeout.  Requests over the connection limit get 503.
 */
static int headers_received(ApiServer *s, struct MHD_Connection *conn, Ctx *c) {
        ApiConn *ac = conn_of(conn);

        if (ac)
                api_conn_headers_received(s->conns, ac);
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned) s->cfg->body_timeout);
        if (api_conns_count(s->conns) > s->max_connections)
                return ctx_error(c, -EAGAIN, RES_NONE, "The server has too many open connections; retry later.");
        return check_transfer_encoding(conn, c);
}

static void work_run(WorkItem *w) {
        Request *rq = (Request *) ((char *) w - offsetof(Request, work));
        api_pending_run(rq->pending);
}

/* The pool is done with rq (ran it, or stopped first): hand the connection back to libmicrohttpd. */
static void work_done(WorkItem *w, int r) {
        Request *rq = (Request *) ((char *) w - offsetof(Request, work));
        if (r < 0)
                api_pending_cancel(rq->pending, ctx_error(&rq->ctx, -EAGAIN, RES_NONE,
                                                          "The server is shutting down; retry later."));
        /* The last touch: once resumed, a worker may answer and free rq. */
        MHD_resume_connection(rq->conn);
}

/*
 * Runs the handler on the hash pool.  The connection is suspended first
 * (libmicrohttpd forbids resuming a connection that is not suspended),
 * and when the pool cannot take the request it is resumed at once and
 * answered 503.  Either way on_request is called again after the resume,
 * and answers with rq->pending's result.
 */
static enum MHD_Result run_on_pool(ApiServer *s, struct MHD_Connection *conn, Request *rq) {
        rq->conn = conn;
        rq->work = (WorkItem) { .run = work_run, .done = work_done };
        MHD_suspend_connection(conn);
        if (work_pool_submit(s->hash_pool, &rq->work) < 0) {
                api_pending_cancel(rq->pending,
                                   ctx_error(&rq->ctx, -EAGAIN, RES_NONE,
                                             "Too many requests are waiting for a password check; retry later."));
                MHD_resume_connection(conn);
        }
        return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        ApiServer *s = cls;
        Request *rq = *con_cls;
        ApiResponse res = {};
        enum MHD_Result ret;
        int r;

        if (!rq->begun) {
                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
                int64_t len = 0;
                rq->begun = true;
                request_bind(rq, conn, method, url);
                r = headers_received(s, conn, &rq->ctx);
                if (r < 0)
                        return refuse_now(conn, rq, r);
                if (rq->refused < 0)
                        return MHD_YES; /* drain the body; api_dispatch answers */
                /* Upload routes stream their body; they are checked now, before any byte is read. */
                r = api_stream_begin(&rq->api, &rq->ctx, &rq->stream, &res);
                if (r < 0) {
                        ret = respond(conn, rq, &rq->ctx, &res, false);
                        api_response_done(&res);
                        return ret;
                }
                /* Refuse early when the client tells us the size; drain the body to answer cleanly. */
                if (!rq->stream && cl && (parse_int64(cl, 0, INT64_MAX, &len) < 0 || len > s->cfg->max_body_size))
                        rq->refused = -EFBIG;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (rq->responded)
                        ; /* an early error answer is queued: drop the rest */
                else if (rq->stream)
                        api_stream_write(rq->stream, upload_data, *upload_data_size);
                else if (!rq->refused) {
                        if (rq->body.len + *upload_data_size > (size_t) s->cfg->max_body_size) {
                                rq->refused = -EFBIG;
                                buf_done(&rq->body);
                        } else
                                buf_append(&rq->body, upload_data, *upload_data_size);
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (rq->responded)
                return MHD_YES;

        if (rq->pending) /* resumed: the hash pool is done with it */
                api_pending_finish(TAKE_PTR(rq->pending), &res);
        else if (rq->stream)
                api_stream_finish(TAKE_PTR(rq->stream), &res);
        else if (api_dispatch(&rq->api, &rq->body, rq->refused, &rq->ctx, &rq->pending, &res) > 0)
                return run_on_pool(s, conn, rq);
        ret = respond(conn, rq, &rq->ctx, &res, false);
        api_response_done(&res);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        ApiServer *s = cls;
        Request *rq = *con_cls;

        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
                /* Kept alive (unless libmicrohttpd closes it next): the next request's headers are due. */
                ApiConn *ac = conn_of(conn);
                if (ac)
                        api_conn_await_headers(s->conns, ac);
                MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned) s->cfg->header_timeout);
        }
        if (!rq)
                return;
        if (s->cfg->access_log && log_enabled(LOG_LEVEL_INFO)) {
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
                char addr[INET6_ADDRSTRLEN] = "-";
                if (ci && ci->client_addr) {
                        const struct sockaddr *sa = ci->client_addr;
                        if (sa->sa_family == AF_INET)
                                inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, addr, sizeof(addr));
                        else if (sa->sa_family == AF_INET6)
                                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, addr, sizeof(addr));
                }
                log_full(LOG_LEVEL_INFO, "access", rq->request_id[0] ? rq->request_id : NULL,
                         "%s %s %s %u %zu %.3fms%s", addr, rq->method ? rq->method : "-", rq->path ? rq->path : "-",
                         rq->status, rq->sent,
                         (double) (now_usec() - rq->started) / 1000.0,
                         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
        }
        bool large = rq->held >= TRIM_AFTER_BYTES;
        request_free(rq);
        *con_cls = NULL;
        /*
         * Parsing and rendering a large body leaves megabytes free in this
         * thread's arena: give them back, at most once a second.  Trimming
         * after every large response (a page of a thousand servers, over
         * and over) cost a third of the daemon's time in consolidating
         * and faulting the same pages back in; the housekeeping thread
         * trims anyway as soon as no connection is open.
         */
        static _Atomic int64_t last_trim;
        int64_t now = now_usec(), last = atomic_load(&last_trim);
        if (large && now - last >= TRIM_INTERVAL_USEC && atomic_compare_exchange_strong(&last_trim, &last, now))
                (void) malloc_trim(0);
}

static int resolve_listen(const char *listen, struct sockaddr_storage *ret, socklen_t *ret_len) {
        _cleanup_free_ char *host = NULL;
        struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_STREAM }, *ai;
        uint16_t port;
        char portstr[8];
        int r;

        r = config_listen_split(listen, &host, &port);
        if (r < 0)
                return r;
        /* "[::1]:8080" */
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                memmove(host, host + 1, strlen(host));
                host[strlen(host) - 1] = '\0';
        }
        snprintf(portstr, sizeof(portstr), "%u", port);
        if (getaddrinfo(host, portstr, &hints, &ai) != 0)
                return -EINVAL;
        memcpy(ret, ai->ai_addr, ai->ai_addrlen);
        *ret_len = ai->ai_addrlen;
        freeaddrinfo(ai);
        return 0;
}

/*
 * Binds and listens on addr.  We open the socket ourselves, rather than
 * let libmicrohttpd do it, to report why a bind failed.  There is no
 * SO_REUSEPORT: with it a second gureumd on the same address would share
 * the port and take half the connections (issue 7, F5).  SO_REUSEADDR only
 * lets a restarted daemon bind while old connections are in TIME_WAIT; on
 * Linux it never lets two listeners share a port.
 */
static int listen_socket_open(const struct sockaddr *addr, socklen_t addrlen, int *ret_fd) {
        _cleanup_close_ int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int one = 1;

        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (addr->sa_family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, addr, addrlen) < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* How much lower the password hashing threads' priority is than the HTTP workers'. */
#define HASH_NICENESS 10

/* File descriptors kept free of connections: the database, image files, libmicrohttpd's own. */
#define FD_RESERVE 256

/*
 * Each connection is a file descriptor.  Raises RLIMIT_NOFILE as far as
 * its hard limit allows for want connections, and returns how many fit.
 */
static unsigned connections_that_fit(unsigned want) {
        rlim_t need = (rlim_t) want + FD_RESERVE;
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
                return want;
        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
                return want;
        return rl.rlim_cur > 2 * FD_RESERVE ? (unsigned) (rl.rlim_cur - FD_RESERVE) : (unsigned) rl.rlim_cur / 2;
}

/*
 * The soft limit (max_connections) and libmicrohttpd's hard one, a
 * quarter above it: the connections in between are accepted only to be
 * told 503, which beats leaving clients in the listen backlog.
 */
static void connection_limits(const Config *cfg, unsigned *ret_soft, unsigned *ret_hard) {
        unsigned soft = (unsigned) cfg->max_connections;
        unsigned want = soft + soft / 4 + 16;
        unsigned hard = connections_that_fit(want);

        if (hard < want) {
                soft = hard - hard / 5;
                log_warning("http", "the open file limit allows %u connections; serving %u (max_connections = %lld)",
                            hard, soft, (long long) cfg->max_connections);
        }
        *ret_soft = soft;
        *ret_hard = hard;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        log_debug("http", "%s", msg);
}

static unsigned cpus(void) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (unsigned) n : 1;
}

/* Resolves cfg->listen and opens the listen socket, saying why when it cannot. */
static int listen_open(const Config *cfg, int *ret_fd, sa_family_t *ret_family) {
        struct sockaddr_storage addr;
        socklen_t addrlen;
        int r;

        r = resolve_listen(cfg->listen, &addr, &addrlen);
        if (r < 0) {
                log_error("http", "invalid listen address '%s'", cfg->listen);
                return r;
        }
        r = listen_socket_open((struct sockaddr *) &addr, addrlen, ret_fd);
        if (r == -EADDRINUSE)
                log_error("http", "cannot listen on %s: the address is in use (is another gureumd serving it?)",
                          cfg->listen);
        else if (r < 0)
                log_error("http", "cannot listen on %s: %s", cfg->listen, strerror(-r));
        if (r < 0)
                return r;
        *ret_family = addr.ss_family;
        return 0;
}

/* Frees a server whose libmicrohttpd daemon is stopped (or never started). */
static ApiServer *server_free(ApiServer *s) {
        if (!s)
                return NULL;
        work_pool_free(s->hash_pool);
        api_conns_free(s->conns);
        free(s);
        return NULL;
}

/* Starts libmicrohttpd on listen_fd, which it owns from here on, also when it fails. */
static int mhd_start(ApiServer *s, int listen_fd, sa_family_t family, unsigned threads, unsigned hard_limit) {
        const Config *cfg = s->cfg;
        /*
         * poll, not epoll.  libmicrohttpd 0.9.75 adds connections to epoll
         * edge-triggered and stops reading a socket once a read returns
         * less than it asked for (recv_param_adapter clears READ_READY).
         * A client that sends part of a request and closes delivers the
         * bytes and the FIN as one edge: the read returns the bytes, the
         * FIN is never read, and the connection holds its slot in
         * CLOSE-WAIT until the idle timeout (strace: recvfrom() = 27, then
         * epoll_wait(..., 120000)).  About 1,020 such connections locked
         * everyone out (issue 7, F2).  poll is level-triggered: the next
         * poll finds the socket readable, the read returns 0, and the
         * connection is closed at once.
         */
        unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;

        if (family == AF_INET6)
                flags |= MHD_USE_IPv6;
        s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                  MHD_OPTION_LISTEN_SOCKET, listen_fd,
                                  MHD_OPTION_THREAD_POOL_SIZE, threads,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                  MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                                  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                  MHD_OPTION_CONNECTION_LIMIT, hard_limit,
                                  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) cfg->max_connections_per_ip,
                                  /* an idle timeout; api_conn.c adds the deadline for headers */
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) cfg->header_timeout,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 128 * 1024,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_END);
        if (!s->mhd) {
                log_error("http", "cannot serve on %s: libmicrohttpd did not start (log_level = debug tells why)",
                          cfg->listen);
                return -EIO;
        }
        return 0;
}

int api_server_start(const ApiSetup *setup, ApiServer **ret) {
        const Config *cfg = setup->cfg;
        unsigned threads = (unsigned) cfg->threads, hash_threads = (unsigned) cfg->password_hash_threads, hard_limit;
        sa_family_t family = AF_INET;
        int listen_fd = -1, r;

        if (threads == 0)
                threads = 2 * cpus() < 4 ? 4 : 2 * cpus();
        if (hash_threads == 0)
                hash_threads = cpus();
        r = listen_open(cfg, &listen_fd, &family);
        if (r < 0)
                return r;
        api_dispatch_setup(setup);

        ApiServer *s = xcalloc(1, sizeof(*s));
        s->cfg = cfg;
        connection_limits(cfg, &s->max_connections, &hard_limit);
        r = api_conns_new(cfg->header_timeout * 1000000, &s->conns);
        if (r >= 0)
                r = work_pool_new("gureum-hash", hash_threads, (unsigned) cfg->password_hash_queue, HASH_NICENESS,
                                  &s->hash_pool);
        if (r < 0) {
                log_error("http", "cannot start the connection and password hashing threads: %s", strerror(-r));
                close(listen_fd);
                server_free(s);
                return r;
        }
        r = mhd_start(s, listen_fd, family, threads, hard_limit);
        if (r < 0) {
                server_free(s);
                return r;
        }
        log_info("http", "listening on %s with %u threads, %u connections (%lld per address), %u password hashing"
                 " threads; public URL %s", cfg->listen, threads, s->max_connections,
                 (long long) cfg->max_connections_per_ip, hash_threads, api_base_url());
        *ret = s;
        return 0;
}

ApiServer *api_server_stop(ApiServer *s) {
        if (!s)
                return NULL;
        /*
         * libmicrohttpd aborts when stopped with a suspended connection: stop
         * the pool first, which resumes every connection it holds (requests
         * still queued get 503), and leaves later ones 503 without suspending
         * them for long (run_on_pool).
         */
        work_pool_stop(s->hash_pool);
        MHD_stop_daemon(s->mhd);
        return server_free(s);
}
