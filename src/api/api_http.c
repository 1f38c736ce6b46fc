/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server: libmicrohttpd with a pool of epoll threads.  It owns
 * the per-request lifetime (Request, freed in the completion callback),
 * reads bodies up to the configured limit, hands the request to the
 * pipeline, sends the response with x-openstack-request-id, and writes
 * one access-log line per request.
 */
#include "api/api_internal.h"
#include "db/db.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

struct ApiServer {
        struct MHD_Daemon *mhd;
        const Config *cfg;
};

/* Everything one request owns; made by on_uri, freed by on_completed. */
typedef struct Request {
        Ctx ctx;
        bool begun;             /* on_request has seen the request's headers */
        ApiStream *stream;      /* a streamed upload in progress, or NULL */
        bool responded;         /* a response was queued */
        Buf body;
        int refused;            /* 0, -EFBIG (body), -ENAMETOOLONG (query), -EBADMSG (escapes): see api_dispatch */
        int64_t started;        /* usec */
        unsigned status;
        size_t sent;
        char request_id[48];
        char *method;
        char *path;
} Request;

static void request_free(Request *rq) {
        if (rq->stream)
                api_stream_abort(rq->stream);
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

static void add_headers(struct MHD_Response *resp, const Buf *headers) {
        if (!headers->data)
                return;
        _cleanup_free_ char *copy = xstrdup(headers->data);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                const char *value = colon + 1;
                while (*value == ' ')
                        value++;
                MHD_add_response_header(resp, line, value);
        }
}

static enum MHD_Result respond(struct MHD_Connection *conn, Request *rq, Ctx *c, ApiResponse *res) {
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
        }
        if (!resp)
                return MHD_NO;
        if (res->content_type)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
        MHD_add_response_header(resp, "x-openstack-request-id", c->request_id);
        MHD_add_response_header(resp, "Vary", "X-Auth-Token");
        add_headers(resp, &res->headers);
        rq->status = res->status;
        rq->responded = true;
        ret = MHD_queue_response(conn, res->status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        ApiServer *s = cls;
        Request *rq = *con_cls;
        ApiResponse res = {};
        enum MHD_Result ret;

        if (!rq->begun) {
                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
                int64_t len = 0;
                rq->begun = true;
                rq->method = xstrdup(method);
                rq->path = xstrdup(url);
                if (rq->refused < 0)
                        return MHD_YES; /* drain the body; api_dispatch answers */
                /* Upload routes stream their body; they are checked now, before any byte is read. */
                int r = api_stream_begin(conn, method, url, &rq->ctx, &rq->stream, &res);
                if (r < 0) {
                        ret = respond(conn, rq, &rq->ctx, &res);
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

        if (rq->stream) {
                api_stream_finish(TAKE_PTR(rq->stream), &res);
        } else
                api_dispatch(conn, method, url, &rq->body, rq->refused, &rq->ctx, &res);
        ret = respond(conn, rq, &rq->ctx, &res);
        api_response_done(&res);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        ApiServer *s = cls;
        Request *rq = *con_cls;

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
        request_free(rq);
        *con_cls = NULL;
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

static void on_mhd_log(void *cls, const char *fmt, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        log_debug("http", "%s", msg);
}

int api_server_start(const Config *cfg, ApiServer **ret) {
        struct sockaddr_storage addr;
        socklen_t addrlen;
        unsigned threads = (unsigned) cfg->threads;
        int r;

        r = resolve_listen(cfg->listen, &addr, &addrlen);
        if (r < 0) {
                log_error("http", "invalid listen address '%s'", cfg->listen);
                return r;
        }
        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = (unsigned) (n > 0 ? 2 * n : 4);
                if (threads < 4)
                        threads = 4;
        }
        api_dispatch_setup(cfg);

        ApiServer *s = xcalloc(1, sizeof(*s));
        s->cfg = cfg;
        unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
        if (addr.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                  MHD_OPTION_THREAD_POOL_SIZE, threads,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                  MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 128 * 1024,
                                  MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned) 1,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_END);
        if (!s->mhd) {
                log_error("http", "cannot listen on %s", cfg->listen);
                free(s);
                return -EADDRINUSE;
        }
        log_info("http", "listening on %s with %u threads; public URL %s", cfg->listen, threads, api_base_url());
        *ret = s;
        return 0;
}

ApiServer *api_server_stop(ApiServer *s) {
        if (!s)
                return NULL;
        MHD_stop_daemon(s->mhd);
        free(s);
        return NULL;
}
