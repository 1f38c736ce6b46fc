/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the request pipeline (src/api/api_dispatch.c) with no
 * service linked: fake services, a fake authenticator and requests made of
 * plain arrays.  Route scoring, methods, microversions (negotiation, routes
 * and schema properties per version, answer headers), authentication,
 * policy, content types, schema errors, and error bodies in each style.
 */
#include "test-helpers.h"

#include "api/api_internal.h"
#include "api/api_schema.h"
#include "db/db.h"
#include "util/embed.h"

/* ---- fake services ---- */

static int echo(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        reply->body = json_pack("{s:s, s:i, s:s}", "route", (const char *) api_route_data(call), "version",
                                api_version(call), "id", api_param(call, "id") ? api_param(call, "id") : "");
        if (body)
                json_object_set(reply->body, "body", body);
        return 0;
}

static int fail_with(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *what = api_param(call, "what");
        if (streq(what, "missing"))
                return ctx_error(c, -ENOENT, RES_NONE, "Thing %s could not be found.", "x");
        if (streq(what, "quota"))
                return ctx_error(c, -EDQUOT, RES_NONE, "Quota exceeded for things.");
        if (streq(what, "internal"))
                return ctx_error(c, -EIO, RES_NONE, "The disk caught fire at sector 42.");
        return ctx_error(c, -EINVAL, RES_NONE, "What is '%s'?", what);
}

static const char thing_schema[] =
        "{\"type\":\"object\",\"required\":[\"thing\"],\"additionalProperties\":false,\"properties\":{"
        "\"thing\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"name\"],\"properties\":{"
        "\"name\":{\"type\":\"string\",\"maxLength\":8},"
        "\"color\":{\"type\":\"string\",\"x-min-version\":\"2.3\"}}}}}";

static const EmbeddedFile fake_schemas[] = {
        { "fake-thing.json", thing_schema, sizeof(thing_schema) - 1 },
        { NULL, NULL, 0 },
};

static const ApiRoute nova_routes[] = {
        { "GET", "/v2/things/{id}", echo, POLICY_AUTHENTICATED, .data = "show" },
        { "GET", "/v2/things/special", echo, POLICY_AUTHENTICATED, .data = "special" },
        { "POST", "/v2/things", echo, POLICY_AUTHENTICATED, "fake-thing.json", 202, .data = "create" },
        { "GET", "/v2/admin", echo, POLICY_ADMIN, .data = "admin" },
        { "GET", "/v2/public", echo, POLICY_PUBLIC, .data = "public" },
        { "GET", "/v2/new", echo, POLICY_AUTHENTICATED, .data = "new", .min_version = API_VERSION(2, 3) },
        { "GET", "/v2/old", echo, POLICY_AUTHENTICATED, .data = "old", .max_version = API_VERSION(2, 2) },
        { "PUT", "/v2/things/{id}", echo, POLICY_AUTHENTICATED, .data = "update", .min_version = API_VERSION(2, 3) },
        { "GET", "/v2/fail/{what}", fail_with, POLICY_AUTHENTICATED },
        {},
};

static const ApiMicroversions nova_versions = { "compute", "X-OpenStack-Nova-API-Version", API_VERSION(2, 1),
                                                API_VERSION(2, 5) };

static const ApiService nova = {
        .name = "fakenova", .prefix = "/nova", .style = API_STYLE_NOVA, .version_path = "/v2",
        .routes = (const ApiRoute *const[]) { nova_routes, NULL }, .schemas = fake_schemas, .microversions = &nova_versions,
        .request_id_header = "x-compute-request-id",
};

static const ApiRoute plain_routes[] = {
        { "GET", "/v3/fail/{what}", fail_with, POLICY_AUTHENTICATED },
        { "POST", "/v3/things", echo, POLICY_AUTHENTICATED, "fake-thing.json", .data = "create" },
        {},
};

static const ApiService keystone = {
        .name = "fakeks", .prefix = "/ks", .style = API_STYLE_KEYSTONE, .routes = (const ApiRoute *const[]) { plain_routes, NULL },
        .schemas = fake_schemas, .media_error = -EINVAL,
};
static const ApiService neutron = {
        .name = "fakeneutron", .prefix = "/neutron", .style = API_STYLE_NEUTRON, .routes = (const ApiRoute *const[]) { plain_routes, NULL },
};
static const ApiService glance = {
        .name = "fakeglance", .prefix = "/glance", .style = API_STYLE_GLANCE, .routes = (const ApiRoute *const[]) { plain_routes, NULL },
        .schemas = fake_schemas,
};

static const ApiService *const services[] = { &nova, &keystone, &neutron, &glance, NULL };

/* "admin" and "member" are tokens; anything else is not. */
static int fake_authenticate(Ctx *c, const char *token) {
        if (!streq(token, "admin") && !streq(token, "member"))
                return ctx_error(c, -EPERM, RES_TOKEN, "The request you have made requires authentication.");
        c->auth.authenticated = true;
        c->auth.is_admin = streq(token, "admin");
        c->auth.is_member = c->auth.is_reader = true;
        return 0;
}

/* ---- requests made of arrays ---- */

typedef struct FakeRequest {
        ApiRequest rq;
        const char *const *headers; /* name, value, ..., NULL */
        const char *const *query;   /* name, value, ..., NULL */
} FakeRequest;

static const char *fake_header(const ApiRequest *rq, const char *name) {
        const FakeRequest *f = (const FakeRequest *) rq;
        for (size_t i = 0; f->headers && f->headers[i]; i += 2)
                if (strcasecmp(f->headers[i], name) == 0)
                        return f->headers[i + 1];
        return NULL;
}

static void fake_query_each(const ApiRequest *rq, void (*fn)(const char *, const char *, void *), void *userdata) {
        const FakeRequest *f = (const FakeRequest *) rq;
        for (size_t i = 0; f->query && f->query[i]; i += 2)
                fn(f->query[i], f->query[i + 1], userdata);
}

static Db *db;
static char *dir;

typedef struct Answer {
        unsigned status;
        json_t *body;
        ApiHeaders headers;
} Answer;

static void answer_done(Answer *a) {
        json_decref(a->body);
        api_headers_done(&a->headers);
}

static const char *answer_header(const Answer *a, const char *name) {
        for (size_t i = 0; i < a->headers.n; i++)
                if (strcasecmp(a->headers.items[i].name, name) == 0)
                        return a->headers.items[i].value;
        return NULL;
}

static Answer call(const char *method, const char *path, const char *const *headers, const char *body) {
        FakeRequest f = { .rq = { .method = method, .path = path, .header = fake_header, .query_each = fake_query_each },
                          .headers = headers };
        Buf b = {};
        ApiResponse res = {};
        Ctx c;
        Answer a = {};

        if (body)
                buf_puts(&b, body);
        ctx_init(&c, db);
        assert_int_equal(api_dispatch(&f.rq, body ? &b : NULL, 0, &c, NULL, &res), 0);
        a.status = res.status;
        if (res.body) {
                json_error_t err;
                a.body = json_loadb(res.body, res.body_len, 0, &err);
                assert_non_null(a.body);
        }
        a.headers = res.headers;
        res.headers = (ApiHeaders) {};
        api_response_done(&res);
        ctx_done(&c);
        buf_done(&b);
        return a;
}

#define H(...) ((const char *const[]) { __VA_ARGS__, NULL })

static int setup(void **state) {
        static const Config cfg = { .listen = "127.0.0.1:1", .public_url = "http://api.example", .max_body_size = 4096 };
        static const ApiSetup api = { .cfg = &cfg, .services = services, .authenticate = fake_authenticate };
        dir = test_tmpdir_new();
        if (!dir || db_open("sqlite:test.db", dir, &db) < 0)
                return -1;
        api_dispatch_setup(&api);
        return 0;
}

static int teardown(void **state) {
        db = db_close(db);
        return test_tmpdir_remove(TAKE_PTR(dir));
}

/* ---- tests ---- */

static void test_routes_and_methods(void **state) {
        Answer a = call("GET", "/nova/v2/things/special", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 200);
        assert_string_equal(jx_string(a.body, "route"), "special"); /* a literal segment beats {id}, whatever the order */
        answer_done(&a);
        a = call("GET", "/nova/v2/things/abc", H("X-Auth-Token", "member"), NULL);
        assert_string_equal(jx_string(a.body, "route"), "show");
        assert_string_equal(jx_string(a.body, "id"), "abc");
        answer_done(&a);
        a = call("DELETE", "/nova/v2/things/abc", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 405);
        answer_done(&a);
        a = call("GET", "/nova/v2/nothing", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 404);
        assert_non_null(json_object_get(a.body, "itemNotFound"));
        answer_done(&a);
        a = call("GET", "/elsewhere", NULL, NULL);
        assert_int_equal(a.status, 404);
        answer_done(&a);
        a = call("GET", "/nova/v2/things/a%01b", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 200); /* decoding is the HTTP layer's: "%01" here is three characters */
        answer_done(&a);
        a = call("GET", "/nova/v2/things/a\x01" "b", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 400);
        answer_done(&a);
}

static void test_auth_and_policy(void **state) {
        Answer a = call("GET", "/nova/v2/things/x", NULL, NULL);
        assert_int_equal(a.status, 401);
        answer_done(&a);
        a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "forged"), NULL);
        assert_int_equal(a.status, 401);
        answer_done(&a);
        a = call("GET", "/nova/v2/admin", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 403);
        assert_non_null(json_object_get(a.body, "forbidden"));
        answer_done(&a);
        a = call("GET", "/nova/v2/admin", H("X-Auth-Token", "admin"), NULL);
        assert_int_equal(a.status, 200);
        answer_done(&a);
        a = call("GET", "/nova/v2/public", NULL, NULL);
        assert_int_equal(a.status, 200);
        answer_done(&a);
}

static void test_microversions(void **state) {
        Answer a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(json_integer_value(json_object_get(a.body, "version")), API_VERSION(2, 1));
        assert_string_equal(answer_header(&a, "OpenStack-API-Version"), "compute 2.1");
        assert_string_equal(answer_header(&a, "X-OpenStack-Nova-API-Version"), "2.1");
        answer_done(&a);
        a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "volume 3.0, compute 2.4"),
                 NULL);
        assert_int_equal(json_integer_value(json_object_get(a.body, "version")), API_VERSION(2, 4));
        answer_done(&a);
        a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member", "X-OpenStack-Nova-API-Version", "2.2"), NULL);
        assert_int_equal(json_integer_value(json_object_get(a.body, "version")), API_VERSION(2, 2));
        assert_string_equal(answer_header(&a, "X-OpenStack-Nova-API-Version"), "2.2");
        answer_done(&a);
        a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute latest"), NULL);
        assert_int_equal(json_integer_value(json_object_get(a.body, "version")), API_VERSION(2, 5));
        answer_done(&a);
        a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.6"), NULL);
        assert_int_equal(a.status, 406);
        assert_string_equal(jx_path_string(a.body, "notAcceptable", "message", NULL),
                            "Version 2.6 is not supported by the API. Minimum is 2.1 and maximum is 2.5.");
        answer_done(&a);
        a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.x"), NULL);
        assert_int_equal(a.status, 400);
        answer_done(&a);

        /* Routes exist in their versions only. */
        a = call("GET", "/nova/v2/new", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.2"), NULL);
        assert_int_equal(a.status, 404);
        answer_done(&a);
        a = call("GET", "/nova/v2/new", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.3"), NULL);
        assert_int_equal(a.status, 200);
        answer_done(&a);
        a = call("GET", "/nova/v2/old", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.3"), NULL);
        assert_int_equal(a.status, 404);
        answer_done(&a);
        /* A method of a path that exists in other versions only is not found, as Nova; one of none is not allowed. */
        a = call("PUT", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.2"), NULL);
        assert_int_equal(a.status, 404);
        answer_done(&a);
        a = call("PUT", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.3"), NULL);
        assert_int_equal(a.status, 200);
        assert_string_equal(json_string_value(json_object_get(a.body, "route")), "update");
        answer_done(&a);
        a = call("DELETE", "/nova/v2/things/x", H("X-Auth-Token", "member", "OpenStack-API-Version", "compute 2.3"),
                 NULL);
        assert_int_equal(a.status, 405);
        answer_done(&a);

        /* So do schema properties. */
        const char *colored = "{\"thing\":{\"name\":\"a\",\"color\":\"red\"}}";
        a = call("POST", "/nova/v2/things", H("X-Auth-Token", "member", "Content-Type", "application/json"), colored);
        assert_int_equal(a.status, 400);
        answer_done(&a);
        a = call("POST", "/nova/v2/things",
                 H("X-Auth-Token", "member", "Content-Type", "application/json", "OpenStack-API-Version", "compute 2.3"),
                 colored);
        assert_int_equal(a.status, 202);
        assert_string_equal(jx_path_string(a.body, "body", "thing", "color", NULL), "red");
        answer_done(&a);
}

static void test_bodies(void **state) {
        Answer a = call("POST", "/ks/v3/things", H("X-Auth-Token", "member"), "{\"thing\":{\"name\":\"toolong123\"}}");
        assert_int_equal(a.status, 400);
        assert_string_equal(jx_path_string(a.body, "error", "message", NULL),
                            "Invalid input for field 'thing/name': 'toolong123' is too long.");
        answer_done(&a);
        a = call("POST", "/ks/v3/things", H("X-Auth-Token", "member"), "{bad");
        assert_int_equal(a.status, 400);
        answer_done(&a);
        a = call("POST", "/ks/v3/things", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 400);
        answer_done(&a);
        /* A JSON body sent as text/plain: Keystone's 400, Glance's 415. */
        a = call("POST", "/ks/v3/things", H("X-Auth-Token", "member", "Content-Type", "text/plain"), "{\"thing\":{\"name\":\"a\"}}");
        assert_int_equal(a.status, 400);
        answer_done(&a);
        a = call("POST", "/glance/v3/things", H("X-Auth-Token", "member", "Content-Type", "text/plain"),
                 "{\"thing\":{\"name\":\"a\"}}");
        assert_int_equal(a.status, 415);
        answer_done(&a);
        a = call("POST", "/glance/v3/things", H("X-Auth-Token", "member", "Content-Type", "application/json; charset=UTF-8"),
                 "{\"thing\":{\"name\":\"a\"}}");
        assert_int_equal(a.status, 200);
        answer_done(&a);
}

static void test_error_styles(void **state) {
        Answer a = call("GET", "/ks/v3/fail/missing", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 404);
        assert_string_equal(jx_path_string(a.body, "error", "title", NULL), "Not Found");
        assert_string_equal(jx_path_string(a.body, "error", "message", NULL), "Thing x could not be found.");
        answer_done(&a);
        a = call("GET", "/glance/v3/fail/missing", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(json_integer_value(json_object_get(a.body, "code")), 404);
        answer_done(&a);
        a = call("GET", "/neutron/v3/fail/missing", H("X-Auth-Token", "member"), NULL);
        assert_string_equal(jx_path_string(a.body, "NeutronError", "type", NULL), "HTTPNotFound");
        answer_done(&a);
        a = call("GET", "/nova/v2/fail/nonsense", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 400);
        assert_string_equal(jx_path_string(a.body, "badRequest", "message", NULL), "What is 'nonsense'?");
        answer_done(&a);

        /* A quota is 403 in Nova, 409 in Neutron, 413 in Glance and Keystone. */
        a = call("GET", "/nova/v2/fail/quota", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 403);
        assert_non_null(json_object_get(a.body, "forbidden"));
        answer_done(&a);
        a = call("GET", "/neutron/v3/fail/quota", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 409);
        assert_string_equal(jx_path_string(a.body, "NeutronError", "type", NULL), "OverQuota");
        answer_done(&a);
        a = call("GET", "/glance/v3/fail/quota", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 413);
        answer_done(&a);

        /* An internal error's details are logged, not shown. */
        a = call("GET", "/nova/v2/fail/internal", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 500);
        assert_null(strstr(jx_path_string(a.body, "computeFault", "message", NULL), "sector"));
        answer_done(&a);
}

/* A service may name the request id twice (Nova's x-compute-request-id), on successes and errors alike. */
static void test_request_id_header(void **state) {
        Answer a = call("GET", "/nova/v2/things/x", H("X-Auth-Token", "member"), NULL);
        const char *id = answer_header(&a, "x-compute-request-id");
        assert_non_null(id);
        assert_true(startswith(id, "req-"));
        answer_done(&a);
        a = call("GET", "/nova/v2/fail/missing", H("X-Auth-Token", "member"), NULL);
        assert_int_equal(a.status, 404);
        assert_non_null(answer_header(&a, "x-compute-request-id"));
        answer_done(&a);
        a = call("GET", "/ks/v3/fail/missing", H("X-Auth-Token", "member"), NULL);
        assert_null(answer_header(&a, "x-compute-request-id"));
        answer_done(&a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_routes_and_methods),
                cmocka_unit_test(test_auth_and_policy),
                cmocka_unit_test(test_microversions),
                cmocka_unit_test(test_bodies),
                cmocka_unit_test(test_error_styles),
                cmocka_unit_test(test_request_id_header),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
