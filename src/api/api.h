/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API layer's contract with services: each service declares its
 * routes once in a static table (method, path, handler, policy, request
 * schema, success status) and the generic pipeline in api_dispatch.c does
 * route matching, token auth, policy, body parsing and schema validation,
 * calls the handler, and renders errors from one table (api_error.c).
 * Handlers never write a status code for a failure.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
#include "util/buf.h"
#include "util/jx.h"

#define API_MAX_PARAMS 4
/*
 * The largest query string any request may have (more gets 414): far above
 * what any API here needs, and small enough that libmicrohttpd always has
 * room to store the parameters (see on_uri in api_http.c).
 */
#define API_MAX_QUERY_PARAMS 128
#define API_MAX_QUERY_BYTES 16384

/*
 * Who may call a route, checked against Ctx.auth before the handler.  The
 * same word means the same thing in every service: rules about the target
 * (the owner of an image, a user's own record) are the service's, on top
 * of POLICY_AUTHENTICATED.
 */
typedef enum ApiPolicy {
        POLICY_PUBLIC,          /* no token needed */
        POLICY_AUTHENTICATED,   /* any valid token; the service applies its rules on the target */
        POLICY_READER,          /* any role in the token's scope */
        POLICY_ADMIN,           /* the admin role */
        POLICY_ADMIN_OR_SELF,   /* admin, or {user_id} is the caller */
} ApiPolicy;

/*
 * The conventions of an OpenStack service's API: the shape of its error
 * bodies, of its links and list envelopes, and its time format.
 */
typedef enum ApiStyle {
        API_STYLE_KEYSTONE,     /* {"error": {"code", "title", "message"}}; links {"self"}; collection "links" */
        API_STYLE_GLANCE,       /* {"code", "title", "message"}, Glance's webob JSON */
        API_STYLE_NOVA,         /* {"itemNotFound": {"code", "message"}}; links [self, bookmark]; "<plural>_links" */
        API_STYLE_NEUTRON,      /* {"NeutronError": {"type", "message", "detail"}}; "<plural>_links" */
        API_STYLE_CINDER,       /* as Nova, times with microseconds */
        _API_STYLE_MAX,
} ApiStyle;

typedef struct ApiCall ApiCall;

/* One response header; both strings owned. */
typedef struct ApiHeader {
        char *name;
        char *value;
} ApiHeader;

/* Extra response headers, sent in order; see api_headers.c. */
typedef struct ApiHeaders {
        ApiHeader *items;
        size_t n;
} ApiHeaders;

/* Appends a copy of name and value; a NULL value adds nothing. */
void api_headers_add(ApiHeaders *h, const char *name, const char *value);
void api_headers_done(ApiHeaders *h);
/*
 * Whether a header may be sent: the name is an HTTP token, the value has
 * no control character but tab (so no CR or LF that could start another
 * header).  The pipeline answers 500 rather than send one that is not.
 */
bool api_header_name_valid(const char *name);
bool api_header_value_valid(const char *value);

/* What a handler hands back on success. */
typedef struct ApiReply {
        int status;              /* 0: the route's .ok */
        json_t *body;            /* owned; NULL for an empty body */
        char *content_type;      /* owned; NULL: application/json */
        ApiHeaders headers;      /* added with api_reply_header; sent with an error too */
        int file_fd;             /* owned when has_file: sent with sendfile, then closed */
        bool has_file;
        uint64_t file_offset;
        uint64_t file_length;
} ApiReply;

typedef int (*ApiHandler)(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply);

/*
 * A route whose request body is streamed instead of buffered (image
 * uploads).  begin runs once the headers are in, after authentication and
 * policy, so a refused upload is refused before any byte is read.  write
 * gets the body chunk by chunk; finish runs when it is complete and makes
 * the reply.  abort runs instead of finish when the client goes away or a
 * step failed, and must undo what begin did.  state belongs to the ops:
 * finish and abort each free it, whatever they return.
 */
typedef struct ApiUpload {
        int (*begin)(Ctx *c, const ApiCall *call, void **ret_state);
        int (*write)(Ctx *c, void *state, const void *data, size_t n);
        int (*finish)(Ctx *c, const ApiCall *call, void *state, ApiReply *reply);
        void (*abort)(Ctx *c, void *state);
} ApiUpload;

typedef struct ApiRoute {
        const char *method;      /* "GET", "POST", ...; GET routes also answer HEAD */
        const char *path;        /* after the service prefix, "{name}" matches one segment */
        ApiHandler handler;
        ApiPolicy policy;
        const char *schema;      /* request body schema file, NULL: no body expected */
        int ok;                  /* success status; 0 means 200 */
        const void *data;        /* handed to the handler: generic handlers serve many resources */
        const ApiUpload *upload; /* streamed body; handler is unused when set */
        /*
         * Content-Types a body may have (NULL-terminated), checked before
         * the schema.  NULL: JSON, that is application/json or any
         * application/...+json, or no Content-Type at all (as Keystone
         * reads it).  Parameters such as charset are ignored.
         */
        const char *const *media;
        /*
         * The handler hashes or checks a password (argon2id, ~100 ms of
         * CPU and 64 MiB): it runs on the hash pool at a lower priority
         * while the HTTP worker serves other connections (issue 7, F3).
         */
        bool hashes;
        /*
         * The microversions the route exists in (API_VERSION; 0: from the
         * service's first / to its last).  A route of other versions is
         * not found, as in Nova; two entries for one path with different
         * ranges are two variants (schemas, handlers) of one route.
         */
        int min_version, max_version;
} ApiRoute;

/* How a service negotiates microversions (Nova, Cinder): OpenStack-API-Version: <service> X.Y. */
typedef struct ApiMicroversions {
        const char *service;     /* "compute" */
        const char *legacy_header; /* "X-OpenStack-Nova-API-Version", or NULL */
        int min, max;            /* API_VERSION; a request without a header gets min */
} ApiMicroversions;

/* An embedded file (schemas): util/embed.h. */
struct EmbeddedFile;

typedef struct ApiService {
        const char *name;        /* "identity" */
        const char *prefix;      /* "/identity" */
        ApiStyle style;
        const char *version_path; /* the versioned root under prefix, for links: "/v3", "/v2.1" */
        /*
         * The route tables, each ending with an entry whose method is NULL;
         * the list ends with NULL.  A service whose routes are many keeps one
         * table per file (servers, flavors, ...).
         */
        const ApiRoute *const *routes;
        const struct EmbeddedFile *schemas; /* the request schemas its routes name (ends with { NULL }) */
        const char *catalog_type; /* published in the catalog under this type, e.g. "identity" */
        const char *catalog_name; /* and this name, e.g. "keystone" */
        const char *catalog_path; /* the endpoint's path under the base URL; NULL: prefix.  Nova's is versioned. */
        /* What a body with the wrong Content-Type gets: -EINVAL (Keystone's 400) or 0 for 415 (Glance). */
        int media_error;
        const ApiMicroversions *microversions; /* NULL: the service is not microversioned */
        /*
         * A second response header carrying the request id, besides
         * x-openstack-request-id, on every answer of the service (errors
         * too): Nova's "x-compute-request-id".  NULL: none.
         */
        const char *request_id_header;
} ApiService;

/* Accessors for the request being handled. */
const char *api_param(const ApiCall *call, const char *name);   /* path parameter */
const char *api_query(const ApiCall *call, const char *name);   /* first query value, or NULL */
bool api_query_has(const ApiCall *call, const char *name);
/* Every value of a repeated query parameter (?tag=a&tag=b); caller frees with strv_free. */
char **api_query_all(const ApiCall *call, const char *name);
/* Calls fn for each query parameter in order. */
void api_query_foreach(const ApiCall *call, void (*fn)(const char *name, const char *value, void *userdata),
                       void *userdata);
const char *api_header(const ApiCall *call, const char *name);  /* case-insensitive */
const char *api_method(const ApiCall *call);
const void *api_route_data(const ApiCall *call);
const char *api_path(const ApiCall *call);                      /* the request path */
const ApiService *api_service(const ApiCall *call);
/* The request's microversion (API_VERSION), 0 for a service without microversions. */
int api_version(const ApiCall *call);
/* The configured public base URL, without trailing slash. */
const char *api_base_url(void);
const Config *api_config(void);

/*
 * Validates body against the registered schema named schema, at the call's
 * microversion: for handlers whose body's shape depends on its content
 * (POST /servers/{id}/action).  -EINVAL with the validator's message.
 */
int api_validate(Ctx *c, const ApiCall *call, const char *schema, const json_t *body);

/*
 * Adds a response header (copies both strings; a NULL value adds nothing).
 * A name or value with control characters makes the response a 500.  It is
 * sent whether the handler then succeeds or fails: a header that belongs to
 * an error (Content-Range of a 416) is set before the failing return, one
 * that belongs to success after the last possible failure.
 */
void api_reply_header(ApiReply *reply, const char *name, const char *value);

/*
 * Fills Ctx.auth from a token string, or returns -EPERM (with a message)
 * for a missing, malformed, expired or revoked token.  The API layer knows
 * no service: the daemon hands it identity's validator.
 */
typedef int (*ApiAuthenticator)(Ctx *c, const char *token);

/* What the API layer serves: set once at start, before the server. */
typedef struct ApiSetup {
        const Config *cfg;
        const ApiService *const *services; /* ends with NULL; the order of prefix matching */
        ApiAuthenticator authenticate;
} ApiSetup;

/* The HTTP server (api_http.c).  setup is borrowed and must outlive the server. */
typedef struct ApiServer ApiServer;
int api_server_start(const ApiSetup *setup, ApiServer **ret);
ApiServer *api_server_stop(ApiServer *s);
