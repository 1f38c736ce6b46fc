/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request pipeline every API call goes through, in order: find the
 * service and route, authenticate the token, check the route's policy,
 * parse and validate the body against the route's schema, call the
 * handler, render the result or the error.  This is the only place that
 * enforces what the route tables declare.
 */
#include "api/api_internal.h"
#include "api/api_error.h"
#include "api/api_schema.h"
#include "db/db.h"
#include "util/log.h"

#include <strings.h>

static const Config *config;
static const ApiService *const *services;
static ApiAuthenticator authenticate;
static char *base_url;

void api_dispatch_setup(const ApiSetup *setup) {
        config = setup->cfg;
        services = setup->services;
        authenticate = setup->authenticate;
        free(base_url);
        base_url = config_public_url(config);
        for (size_t i = 0; services[i]; i++)
                if (services[i]->schemas)
                        api_schema_register(services[i]->schemas);
}

const char *api_base_url(void) {
        return base_url;
}

const Config *api_config(void) {
        return config;
}

void api_response_done(ApiResponse *r) {
        if (r->has_file)
                close(r->file_fd);
        r->has_file = false;
        free(r->body);
        free(r->content_type);
        api_headers_done(&r->headers);
}

const char *api_param(const ApiCall *call, const char *name) {
        size_t len = strlen(name);
        for (size_t i = 0; i < call->n_params; i++)
                if (strcspn(call->param_names[i], "}") == len && strncmp(call->param_names[i], name, len) == 0)
                        return call->param_values[i];
        return NULL;
}

typedef struct QueryWalk {
        const char *name;        /* the parameter wanted */
        const char *first;       /* its first value */
        bool found;
        char **values;           /* every value, when collecting */
        size_t n;
        bool collect;
} QueryWalk;

static void query_walk(const char *key, const char *value, void *userdata) {
        QueryWalk *w = userdata;
        if (!streq(key, w->name))
                return;
        if (!w->found)
                w->first = value;
        w->found = true;
        if (w->collect) {
                w->values = xrealloc(w->values, (w->n + 2) * sizeof(char *));
                w->values[w->n++] = xstrdup(value);
                w->values[w->n] = NULL;
        }
}

const char *api_query(const ApiCall *call, const char *name) {
        QueryWalk w = { .name = name };
        call->rq->query_each(call->rq, query_walk, &w);
        return w.first;
}

bool api_query_has(const ApiCall *call, const char *name) {
        QueryWalk w = { .name = name };
        call->rq->query_each(call->rq, query_walk, &w);
        return w.found;
}

char **api_query_all(const ApiCall *call, const char *name) {
        QueryWalk w = { .name = name, .collect = true };
        call->rq->query_each(call->rq, query_walk, &w);
        return w.values ? w.values : xcalloc(1, sizeof(char *));
}

void api_query_foreach(const ApiCall *call, void (*fn)(const char *name, const char *value, void *userdata),
                       void *userdata) {
        call->rq->query_each(call->rq, fn, userdata);
}

const char *api_header(const ApiCall *call, const char *name) {
        return call->rq->header(call->rq, name);
}

const char *api_path(const ApiCall *call) {
        return call->path;
}

const ApiService *api_service(const ApiCall *call) {
        return call->service;
}

int api_version(const ApiCall *call) {
        return call->version;
}

const void *api_route_data(const ApiCall *call) {
        return call->route->data;
}

const char *api_method(const ApiCall *call) {
        return call->method;
}

void api_reply_header(ApiReply *reply, const char *name, const char *value) {
        api_headers_add(&reply->headers, name, value);
}

static const ApiService *find_service(const char *path) {
        for (size_t i = 0; services && services[i]; i++) {
                const char *p = services[i]->prefix;
                size_t n = strlen(p);
                if (strncmp(path, p, n) == 0 && (path[n] == '/' || path[n] == '\0'))
                        return services[i];
        }
        return NULL;
}

/*
 * Matches path (already without the service prefix) against a route path,
 * segment by segment: "/v2/images/" is not "/v2/images", and an empty
 * segment never fills a {param}.  Returns -1 for no match, else the number
 * of literal segments, so "/auth/tokens" beats "/{x}/tokens" whatever the
 * table order.
 */
static int route_match(const char *pattern, const char *path, ApiCall *call) {
        int literals = 0;
        size_t np = 0;
        const char *p = pattern, *s = path;

        while (*p && *s) {
                if (*p != '/' || *s != '/')
                        return -1;
                p++;
                s++;
                size_t pl = strcspn(p, "/"), sl = strcspn(s, "/");
                if (p[0] == '{') {
                        if (sl == 0 || np >= API_MAX_PARAMS)
                                return -1;
                        if (call) {
                                call->param_names[np] = p + 1;
                                call->param_values[np] = xstrndup(s, sl);
                        }
                        np++;
                } else {
                        if (pl != sl || strncmp(p, s, pl) != 0)
                                return -1;
                        literals++;
                }
                p += pl;
                s += sl;
        }
        if (*p || *s) {
                if (call)
                        for (size_t i = 0; i < np; i++)
                                free(TAKE_PTR(call->param_values[i]));
                return -1;
        }
        if (call)
                call->n_params = np;
        return literals;
}

static bool has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool method_matches(const char *route_method, const char *method) {
        return streq(route_method, method) || (streq(route_method, "GET") && streq(method, "HEAD"));
}

/* Finds the best route for method+path; -ENOENT no path matches, -ENOSYS wrong method. */
static int find_route(const ApiService *svc, const char *method, const char *rest, ApiCall *call) {
        const ApiRoute *best = NULL;
        int best_score = -1;
        bool path_seen = false, other_version = false;

        for (size_t t = 0; svc->routes[t]; t++)
                for (const ApiRoute *r = svc->routes[t]; r->method; r++) {
                        int score = route_match(r->path, rest, NULL);
                        if (score < 0)
                                continue;
                        /* A route of other microversions does not exist in this one. */
                        if ((r->min_version && call->version < r->min_version) ||
                            (r->max_version && call->version > r->max_version)) {
                                other_version = other_version || method_matches(r->method, method);
                                continue;
                        }
                        path_seen = true;
                        if (!method_matches(r->method, method))
                                continue;
                        if (score > best_score) {
                                best = r;
                                best_score = score;
                        }
                }
        /*
         * A method that exists in other microversions only is not found
         * (Nova's 404 for PUT /flavors/{id} before 2.55), not "not allowed".
         */
        if (!best)
                return path_seen && !other_version ? -ENOSYS : -ENOENT;
        /* The path is decoded already (once, by api_http.c): a second decode would turn %252F into '/'. */
        (void) route_match(best->path, rest, call);
        call->route = best;
        return 0;
}

static int check_policy(Ctx *c, const ApiCall *call) {
        const Auth *a = &c->auth;

        switch (call->route->policy) {
        case POLICY_PUBLIC:
        case POLICY_AUTHENTICATED:
                return 0;
        case POLICY_READER:
                if (a->is_reader || a->is_admin)
                        return 0;
                break;
        case POLICY_ADMIN:
                if (a->is_admin)
                        return 0;
                break;
        case POLICY_ADMIN_OR_SELF:
                if (a->is_admin || streq_ptr(api_param(call, "user_id"), a->user_id))
                        return 0;
                break;
        }
        return ctx_error(c, -EACCES, RES_NONE, "You are not authorized to perform the requested action.");
}

/* Whether the media type type[0..n) (parameters cut off) is want, ignoring case. */
static bool media_is(const char *type, size_t n, const char *want) {
        return strlen(want) == n && strncasecmp(type, want, n) == 0;
}

static bool media_is_json(const char *type, size_t n) {
        return media_is(type, n, "application/json") ||
               (n > strlen("application/+json") && strncasecmp(type, "application/", strlen("application/")) == 0 &&
                strncasecmp(type + n - strlen("+json"), "+json", strlen("+json")) == 0);
}

/*
 * A body is read as JSON only when its Content-Type says so (or, for
 * JSON routes, when there is none: Keystone does the same); a JSON
 * document sent as text/plain is refused as Keystone (400) and Glance
 * (415) refuse it.
 */
static int check_media_type(Ctx *c, const ApiCall *call) {
        const char *const *media = call->route->media;
        const char *type = api_header(call, "Content-Type");
        int code = call->service->media_error ? call->service->media_error : -EPROTONOSUPPORT;

        if (isempty(type) && !media)
                return 0;
        if (!type)
                type = "";
        type += strspn(type, " \t");
        size_t n = strcspn(type, "; \t");
        if (!media && media_is_json(type, n))
                return 0;
        for (size_t i = 0; media && media[i]; i++)
                if (media_is(type, n, media[i]))
                        return 0;
        if (!media)
                return ctx_error(c, code, RES_NONE, "Expecting to find application/json in Content-Type header, not '%.*s'.",
                                 (int) (n < 100 ? n : 100), type);
        return ctx_error(c, code, RES_NONE, "Unsupported Content-Type '%.*s': use %s.", (int) (n < 100 ? n : 100), type,
                         media[0]);
}

static int parse_body(Ctx *c, const ApiCall *call, const Buf *body, json_t **ret) {
        const json_t *schema;
        json_error_t err;
        char *msg = NULL;
        int r;

        if (!call->route->schema)
                return 0;
        if (!body || body->len == 0)
                return ctx_error(c, -EINVAL, RES_NONE, "The request body is missing; a JSON object is expected.");
        r = check_media_type(c, call);
        if (r < 0)
                return r;
        _cleanup_json_ json_t *j = jx_parse(body->data, body->len, &err);
        if (!j)
                return ctx_error(c, -EINVAL, RES_NONE, "Malformed JSON in request body: %s.", err.text);
        schema = api_schema_get(call->route->schema);
        if (!schema)
                abort(); /* a route naming a missing schema is a build-time bug */
        if (api_schema_validate_version(schema, j, call->version, &msg) < 0) {
                r = ctx_error(c, -EINVAL, RES_NONE, "%s", msg);
                free(msg);
                return r;
        }
        *ret = TAKE_PTR(j);
        return 0;
}

int api_validate(Ctx *c, const ApiCall *call, const char *schema, const json_t *body) {
        const json_t *s = api_schema_get(schema);
        char *msg = NULL;
        if (!s)
                abort(); /* a handler naming a missing schema is a build-time bug */
        if (api_schema_validate_version(s, body, call->version, &msg) < 0) {
                int r = ctx_error(c, -EINVAL, RES_NONE, "%s", msg);
                free(msg);
                return r;
        }
        return 0;
}

static void render_error(Ctx *c, ApiStyle style, int code, ApiResponse *ret) {
        const ApiErrorInfo *e = api_error_lookup(code, c->error_resource, style);
        const char *msg = c->error_message;

        /* An internal error's details are logged, not shown; 501 and 503 are deliberate and say why. */
        if (!msg || e->status == 500) {
                if (e->status == 500 && msg)
                        log_full(LOG_LEVEL_ERROR, "api", c->request_id, "%s", msg);
                msg = e->status == 500 ? "An unexpected error prevented the server from fulfilling your request."
                                       : e->title;
        }
        _cleanup_json_ json_t *b = api_error_body(style, e, msg);
        ret->status = e->status;
        ret->body = jx_dump(b);
        ret->body_len = strlen(ret->body);
        ret->content_type = xstrdup("application/json");
}

static void call_done(ApiCall *call) {
        for (size_t i = 0; i < call->n_params; i++)
                free(call->param_values[i]);
}

/* Parses "2.19" (or "latest") into *ret; -EINVAL if it is neither. */
static int parse_microversion(const char *s, const ApiMicroversions *mv, int *ret) {
        int64_t major, minor;
        const char *dot = strchr(s, '.');
        if (streq(s, "latest")) {
                *ret = mv->max;
                return 0;
        }
        if (!dot || dot == s)
                return -EINVAL;
        _cleanup_free_ char *m = xstrndup(s, (size_t) (dot - s));
        if (parse_int64(m, 0, 999, &major) < 0 || parse_int64(dot + 1, 0, 999, &minor) < 0)
                return -EINVAL;
        *ret = API_VERSION((int) major, (int) minor);
        return 0;
}

/*
 * The microversion a request asks for: "OpenStack-API-Version: compute
 * 2.53" (one of several comma-separated "service version" pairs), else the
 * service's legacy header, else the service's minimum.  Out of range is
 * 406, malformed 400, as in Nova.
 */
static int negotiate_version(Ctx *c, ApiCall *call) {
        const ApiMicroversions *mv = call->service->microversions;
        const char *h = api_header(call, "OpenStack-API-Version");
        _cleanup_free_ char *wanted = NULL;
        int v = 0;

        if (!mv)
                return 0;
        if (h) {
                _cleanup_free_ char *copy = xstrdup(h);
                char *save = NULL;
                for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                        item += strspn(item, " \t");
                        size_t n = strcspn(item, " \t");
                        if (n == strlen(mv->service) && strncasecmp(item, mv->service, n) == 0) {
                                char *val = item + n + strspn(item + n, " \t");
                                val[strcspn(val, " \t")] = '\0';
                                wanted = xstrdup(val);
                                break;
                        }
                }
        }
        if (!wanted && mv->legacy_header && (h = api_header(call, mv->legacy_header)))
                wanted = xstrdup(h);
        if (!wanted) {
                call->version = mv->min;
                return 0;
        }
        if (parse_microversion(wanted, mv, &v) < 0)
                return ctx_error(c, -EINVAL, RES_NONE, "Invalid API version request: '%.32s'.", wanted);
        if (v < mv->min || v > mv->max)
                return ctx_error(c, -ENOPROTOOPT, RES_NONE,
                                 "Version %d.%d is not supported by the API. Minimum is %d.%d and maximum is %d.%d.",
                                 v / 1000, v % 1000, mv->min / 1000, mv->min % 1000, mv->max / 1000, mv->max % 1000);
        call->version = v;
        return 0;
}

/* Steps 1-4: service, route, size limit, token and policy. */
static int run_checks(Ctx *c, ApiCall *call, int refused) {
        int r;

        /* The HTTP layer recorded why; these do not depend on the route. */
        if (refused == -EOPNOTSUPP || refused == -EAGAIN)
                return ctx_error(c, refused, RES_NONE, "%s", api_error_lookup(refused, RES_NONE, API_STYLE_KEYSTONE)->title);
        if (!call->service)
                return ctx_error(c, -ENOENT, RES_NONE, "The resource could not be found.");
        r = call->route ? 0 : negotiate_version(c, call);
        if (r < 0)
                return r;
        /* A streamed upload found its route already (and owns its parameters). */
        r = call->route ? 0 : find_route(call->service, call->method, call->path + strlen(call->service->prefix), call);
        if (r == -ENOSYS)
                return ctx_error(c, r, RES_NONE, "The method %s is not allowed for this resource.", call->method);
        if (r < 0)
                return ctx_error(c, r, RES_NONE, "The resource could not be found.");
        for (size_t i = 0; i < call->n_params; i++) {
                if (!utf8_is_valid(call->param_values[i]))
                        return ctx_error(c, -EINVAL, RES_NONE, "The URL holds bytes that are not UTF-8.");
                if (has_control_chars(call->param_values[i]))
                        return ctx_error(c, -EINVAL, RES_NONE, "The URL holds control characters.");
        }
        if (refused == -EFBIG)
                return ctx_error(c, -EFBIG, RES_NONE, "Request is too large: the body exceeds %lld bytes.",
                                 (long long) config->max_body_size);
        if (refused == -EBADMSG)
                return ctx_error(c, -EINVAL, RES_NONE,
                                 "The request URI is malformed: a '%%' must start an escape of two hex digits, and %%00 is not allowed.");
        if (refused < 0)
                return ctx_error(c, refused, RES_NONE,
                                 "The request URI is too long: at most %d query parameters and %d bytes are accepted.",
                                 API_MAX_QUERY_PARAMS, API_MAX_QUERY_BYTES);
        if (!c->db)
                return ctx_error(c, -EAGAIN, RES_NONE, "The database is not available.");
        if (call->route->policy != POLICY_PUBLIC) {
                const char *token = api_header(call, "X-Auth-Token");
                if (isempty(token))
                        return ctx_error(c, -EPERM, RES_TOKEN, "The request you have made requires authentication.");
                r = authenticate ? authenticate(c, token) : -EPERM;
                if (r < 0)
                        return r;
                r = check_policy(c, call);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Steps 1-5 of the pipeline, up to the handler: the first failure, or 0 with the validated body. */
static int run_pipeline(Ctx *c, ApiCall *call, const Buf *body, int refused, json_t **ret_req) {
        int r;

        r = run_checks(c, call, refused);
        if (r < 0)
                return r;
        if (call->route->upload)
                return ctx_error(c, -EINVAL, RES_NONE, "This upload could not be streamed.");
        return parse_body(c, call, body, ret_req);
}

/*
 * A header the handler set that could not be sent as one header (a CR or
 * LF in a value that echoes client input, say) fails the request with 500:
 * dropping it silently could hide a token or a Location the client needs.
 */
static int check_headers(Ctx *c, const ApiReply *reply) {
        for (size_t i = 0; i < reply->headers.n; i++) {
                const ApiHeader *h = &reply->headers.items[i];
                if (!api_header_name_valid(h->name) || !api_header_value_valid(h->value))
                        return ctx_error(c, -EIO, RES_NONE,
                                         "Refusing to send response header '%s': its name or value holds control characters.",
                                         api_header_name_valid(h->name) ? h->name : "(invalid)");
        }
        if (reply->content_type && !api_header_value_valid(reply->content_type))
                return ctx_error(c, -EIO, RES_NONE, "Refusing to send a Content-Type that holds control characters.");
        return 0;
}

/* A microversioned service says which version answered, in both its headers (Nova's middleware does). */
static void add_version_headers(const ApiCall *call, ApiHeaders *h) {
        const ApiMicroversions *mv = call->service ? call->service->microversions : NULL;
        char v[16];
        if (!mv || !call->version)
                return;
        snprintf(v, sizeof(v), "%d.%d", call->version / 1000, call->version % 1000);
        _cleanup_free_ char *value = xasprintf("%s %s", mv->service, v);
        api_headers_add(h, "OpenStack-API-Version", value);
        if (mv->legacy_header) {
                api_headers_add(h, mv->legacy_header, v);
                _cleanup_free_ char *vary = xasprintf("OpenStack-API-Version, %s", mv->legacy_header);
                api_headers_add(h, "Vary", vary);
        } else
                api_headers_add(h, "Vary", "OpenStack-API-Version");
}

/* Frees what a reply holds, when it is not rendered. */
static void reply_done(ApiReply *reply) {
        if (reply->has_file)
                close(reply->file_fd);
        json_decref(reply->body);
        free(reply->content_type);
        api_headers_done(&reply->headers);
        *reply = (ApiReply) {};
}

/*
 * Turns a handler's result (r, reply) into the response; consumes reply.
 * The headers the handler set go out with an error too: some belong to
 * the error (the Content-Range of a 416, which gives the data's size).
 */
static void render(Ctx *c, const ApiCall *call, int r, ApiReply *reply, ApiResponse *ret) {
        /* Headers go out with errors too (a 416's Content-Range), so they are checked either way. */
        int hr = check_headers(c, reply);
        if (hr < 0) {
                api_headers_done(&reply->headers);
                if (r >= 0)
                        r = hr;
        }
        ret->headers = reply->headers;
        reply->headers = (ApiHeaders) {};
        add_version_headers(call, &ret->headers);
        if (call->service && call->service->request_id_header)
                api_headers_add(&ret->headers, call->service->request_id_header, c->request_id);
        if (r < 0) {
                if (!c->error)
                        ctx_error(c, r, RES_NONE, "%s", api_error_lookup(r, RES_NONE, API_STYLE_KEYSTONE)->title);
                render_error(c, call->service ? call->service->style : API_STYLE_KEYSTONE, c->error, ret);
        } else {
                ret->status = reply->status ? (unsigned) reply->status
                              : call->route->ok ? (unsigned) call->route->ok : 200;
                if (reply->body) {
                        ret->body = jx_dump(reply->body);
                        ret->body_len = strlen(ret->body);
                        ret->content_type = reply->content_type ? TAKE_PTR(reply->content_type)
                                                                : xstrdup("application/json");
                } else if (reply->content_type)
                        ret->content_type = TAKE_PTR(reply->content_type);
                if (reply->has_file) {
                        ret->has_file = true;
                        ret->file_fd = reply->file_fd;
                        ret->file_offset = reply->file_offset;
                        ret->file_length = reply->file_length;
                        reply->has_file = false;
                }
        }
        reply_done(reply);
}

/* A request whose handler runs on the hash pool, between api_dispatch and api_pending_finish. */
struct ApiPending {
        ApiCall call;
        Ctx *c;              /* borrowed from the HTTP request, which outlives this */
        json_t *req;         /* the validated body */
        ApiReply reply;
        int r;               /* the handler's result */
};

static ApiCall call_of(const ApiRequest *rq) {
        return (ApiCall) { .rq = rq, .method = rq->method, .path = rq->path, .service = find_service(rq->path) };
}

int api_dispatch(const ApiRequest *rq, const Buf *body, int refused, Ctx *c, ApiPending **ret_pending,
                 ApiResponse *ret) {
        ApiCall call = call_of(rq);
        _cleanup_json_ json_t *req = NULL;
        ApiReply reply = {};
        int r;

        r = run_pipeline(c, &call, body, refused, &req);
        if (r >= 0 && call.route->hashes && ret_pending) {
                ApiPending *p = xcalloc(1, sizeof(*p));
                p->call = call;
                p->c = c;
                p->req = TAKE_PTR(req);
                *ret_pending = p;
                return 1;
        }
        if (r >= 0)
                r = call.route->handler(c, &call, req, &reply);
        render(c, &call, r, &reply, ret);
        call_done(&call);
        return 0;
}

void api_pending_run(ApiPending *p) {
        Db *db = p->c->db;

        /* Database connections belong to threads: use this one's while the handler runs here. */
        p->c->db = db_thread();
        if (p->c->db)
                p->r = p->call.route->handler(p->c, &p->call, p->req, &p->reply);
        else
                p->r = ctx_error(p->c, -EAGAIN, RES_NONE, "The database is not available.");
        p->c->db = db;
}

void api_pending_cancel(ApiPending *p, int r) {
        p->r = r;
}

void api_pending_finish(ApiPending *p, ApiResponse *ret) {
        render(p->c, &p->call, p->r, &p->reply, ret);
        api_pending_free(p);
}

ApiPending *api_pending_free(ApiPending *p) {
        if (!p)
                return NULL;
        reply_done(&p->reply);
        json_decref(p->req);
        call_done(&p->call);
        free(p);
        return NULL;
}

struct ApiStream {
        ApiCall call;
        Ctx *c;              /* borrowed from the HTTP request, which outlives the stream */
        void *state;         /* the route's upload state */
        int error;           /* first failure of write, or 0 */
};

static ApiStream *stream_free(ApiStream *s) {
        call_done(&s->call);
        free(s);
        return NULL;
}

int api_stream_begin(const ApiRequest *rq, Ctx *c, ApiStream **ret, ApiResponse *res) {
        ApiStream *s = xcalloc(1, sizeof(*s));
        int r;

        s->c = c;
        s->call = call_of(rq);
        /* Only upload routes stream; anything else (including errors) takes the ordinary path. */
        if (!s->call.service || negotiate_version(c, &s->call) < 0 ||
            find_route(s->call.service, rq->method, rq->path + strlen(s->call.service->prefix), &s->call) < 0 ||
            !s->call.route->upload) {
                ctx_clear_error(c);
                stream_free(s);
                return 0;
        }
        r = run_checks(c, &s->call, 0);
        if (r >= 0)
                r = s->call.route->upload->begin(c, &s->call, &s->state);
        if (r < 0) {
                ApiReply none = {};
                render(c, &s->call, r, &none, res);
                stream_free(s);
                return r;
        }
        *ret = s;
        return 1;
}

void api_stream_write(ApiStream *s, const void *data, size_t n) {
        if (s->error)
                return;
        int r = s->call.route->upload->write(s->c, s->state, data, n);
        if (r < 0) {
                s->error = r;
                s->call.route->upload->abort(s->c, s->state);
                s->state = NULL;
        }
}

void api_stream_finish(ApiStream *s, ApiResponse *res) {
        ApiReply reply = {};
        int r = s->error;
        if (r >= 0)
                r = s->call.route->upload->finish(s->c, &s->call, s->state, &reply);
        render(s->c, &s->call, r, &reply, res);
        stream_free(s);
}

void api_stream_abort(ApiStream *s) {
        if (!s->error)
                s->call.route->upload->abort(s->c, s->state);
        stream_free(s);
}
