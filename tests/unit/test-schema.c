/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the request-schema validator (src/api/api_schema.h): the
 * embedded POST /v3/auth/tokens schema against valid and invalid bodies,
 * checking the exact message that names the field, and inline schemas for
 * the keywords the embedded ones do not all use.
 */
#include "test-helpers.h"

#include "api/api_schema.h"
#include "util/buf.h"
#include "util/embed.h"

/* The identity service's schemas, embedded by the build (src/identity/meson.build). */
extern const EmbeddedFile identity_api_schemas[];

static json_t *load(const char *text) {
        json_error_t err;
        json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
        if (!j)
                fail_msg("bad test JSON (%s): %s", err.text, text);
        return j;
}

/* Validates text against schema; 0 or -EINVAL, and the message in *ret_msg. */
static int check(const json_t *schema, const char *text, char **ret_msg) {
        _cleanup_json_ json_t *inst = load(text);
        return api_schema_validate(schema, inst, ret_msg);
}

static void expect_ok(const json_t *schema, const char *text) {
        _cleanup_free_ char *msg = NULL;
        int r = check(schema, text, &msg);
        if (r != 0)
                fail_msg("rejected (%d, %s): %s", r, msg ? msg : "no message", text);
        assert_null(msg);
}

static void expect_fail(const json_t *schema, const char *text, const char *want_msg) {
        _cleanup_free_ char *msg = NULL;
        int r = check(schema, text, &msg);
        if (r != -EINVAL)
                fail_msg("accepted (%d): %s", r, text);
        if (!msg || !streq(msg, want_msg))
                fail_msg("body %s\n  got message:  %s\n  want message: %s", text, msg ? msg : "(null)", want_msg);
}

static int register_schemas(void **state) {
        api_schema_register(identity_api_schemas);
        return 0;
}

static const json_t *auth_schema(void) {
        const json_t *s = api_schema_get("identity-auth-tokens.json");
        assert_non_null(s);
        return s;
}

static void test_schema_get(void **state) {
        const json_t *s = api_schema_get("identity-auth-tokens.json");

        assert_non_null(s);
        assert_true(json_is_object(s));
        assert_string_equal(jx_string(s, "type"), "object");
        /* Cached: the same object every time. */
        assert_ptr_equal(api_schema_get("identity-auth-tokens.json"), s);
        assert_non_null(api_schema_get("identity-user-create.json"));
        assert_non_null(api_schema_get("identity-project-update.json"));
        assert_null(api_schema_get("no-such-schema.json"));
        assert_null(api_schema_get(""));
        assert_null(api_schema_get("identity-auth-tokens"));
}

static void test_auth_valid(void **state) {
        const json_t *s = auth_schema();
        static const char *const ok[] = {
                /* By user name and domain name, unscoped. */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"secret\"}}}}}",
                /* By user id. */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"password\":\"secret\"}}}}}",
                /* Project scope by id. */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":{\"project\":{\"id\":\"p1\"}}}}",
                /* Project scope by name and domain (by id, then by name). */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":{\"project\":{\"name\":\"admin\","
                "\"domain\":{\"id\":\"default\"}}}}}",
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":{\"project\":{\"name\":\"admin\","
                "\"domain\":{\"name\":\"Default\"}}}}}",
                /* Domain scope. */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":{\"domain\":{\"name\":\"Default\"}}}}",
                /* System scope. */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":{\"system\":{\"all\":true}}}}",
                /* Explicitly unscoped. */
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":\"unscoped\"}}",
                /* Token method, and an empty password (the schema has no minLength). */
                "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"gAAAA\"}}}}",
                "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
                "{\"id\":\"u1\",\"password\":\"\"}}}}}",
                NULL,
        };
        for (size_t i = 0; ok[i]; i++)
                expect_ok(s, ok[i]);

        /* A 255-character name of two-byte characters is 510 bytes, still fine. */
        Buf b = {};
        buf_puts(&b, "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"");
        for (int i = 0; i < 255; i++)
                buf_puts(&b, "\xc3\xa4");
        buf_puts(&b, "\",\"domain\":{\"id\":\"default\"},\"password\":\"s\"}}}}}");
        expect_ok(s, b.data);
        buf_done(&b);
}

#define PW_USER(user) \
        "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":" user "}}}}"
#define WITH_SCOPE(scope) \
        "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":" \
        "{\"id\":\"u1\",\"password\":\"s\"}}},\"scope\":" scope "}}"

static void test_auth_invalid(void **state) {
        const json_t *s = auth_schema();

        /* Wrong top-level shapes. */
        expect_fail(s, "[]", "Invalid input: [...] is not of type 'object'.");
        expect_fail(s, "{}", "Invalid input: 'auth' is a required property.");
        expect_fail(s, "{\"auth\":{}}", "Invalid input for field 'auth': 'identity' is a required property.");
        expect_fail(s, "{\"auth\":{\"identity\":{}}}",
                    "Invalid input for field 'auth/identity': 'methods' is a required property.");
        expect_fail(s, "{\"auth\":\"x\"}", "Invalid input for field 'auth': 'x' is not of type 'object'.");
        /* Unknown fields. */
        expect_fail(s, "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"t\"}}},\"extra\":1}",
                    "Invalid input: Additional properties are not allowed ('extra' was unexpected).");
        expect_fail(s, "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"t\",\"x\":1}}}}",
                    "Invalid input for field 'auth/identity/token': Additional properties are not allowed "
                    "('x' was unexpected).");
        expect_fail(s, PW_USER("{\"id\":\"u1\",\"password\":\"s\",\"email\":\"e\"}"),
                    "Invalid input for field 'auth/identity/password/user': Additional properties are not "
                    "allowed ('email' was unexpected).");
        /* Wrong types. */
        expect_fail(s, "{\"auth\":{\"identity\":{\"methods\":\"password\"}}}",
                    "Invalid input for field 'auth/identity/methods': 'password' is not of type 'array'.");
        expect_fail(s, "{\"auth\":{\"identity\":{\"methods\":[1]}}}",
                    "Invalid input for field 'auth/identity/methods/0': 1 is not of type 'string'.");
        expect_fail(s, "{\"auth\":{\"identity\":{\"methods\":[\"password\",null]}}}",
                    "Invalid input for field 'auth/identity/methods/1': null is not of type 'string'.");
        expect_fail(s, PW_USER("{\"id\":7,\"password\":\"s\"}"),
                    "Invalid input for field 'auth/identity/password/user/id': 7 is not of type 'string'.");
        expect_fail(s, PW_USER("{\"id\":\"u\",\"password\":true}"),
                    "Invalid input for field 'auth/identity/password/user/password': true is not of type "
                    "'string'.");
        expect_fail(s, PW_USER("{\"name\":\"a\",\"domain\":{\"name\":1.5},\"password\":\"s\"}"),
                    "Invalid input for field 'auth/identity/password/user/domain/name': 1.5 is not of type "
                    "'string'.");
        /* Missing required fields, too short, too long. */
        expect_fail(s, PW_USER("{\"id\":\"u1\"}"),
                    "Invalid input for field 'auth/identity/password/user': 'password' is a required property.");
        expect_fail(s, "{\"auth\":{\"identity\":{\"methods\":[]}}}",
                    "Invalid input for field 'auth/identity/methods': is too short (at least 1 items).");
        expect_fail(s, PW_USER("{\"id\":\"\",\"password\":\"s\"}"),
                    "Invalid input for field 'auth/identity/password/user/id': '' is too short.");
        expect_fail(s, PW_USER("{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123X\","
                               "\"password\":\"s\"}"),
                    "Invalid input for field 'auth/identity/password/user/id': "
                    "'0123456789012345678901234567890123456789012345678901234567890123' is too long.");
        /* Scope: wrong enum, empty object, unknown member, bad nested field. */
        expect_fail(s, WITH_SCOPE("\"scoped\""),
                    "Invalid input for field 'auth/scope': 'scoped' is not valid under any of the given schemas.");
        expect_fail(s, WITH_SCOPE("{}"),
                    "Invalid input for field 'auth/scope': {...} is not valid under any of the given schemas.");
        expect_fail(s, WITH_SCOPE("{\"tenant\":{\"id\":\"p\"}}"),
                    "Invalid input for field 'auth/scope': {...} is not valid under any of the given schemas.");
        expect_fail(s, WITH_SCOPE("{\"project\":{\"id\":\"\"}}"),
                    "Invalid input for field 'auth/scope': {...} is not valid under any of the given schemas.");
        expect_fail(s, WITH_SCOPE("7"),
                    "Invalid input for field 'auth/scope': 7 is not valid under any of the given schemas.");
}

static void test_auth_long_strings(void **state) {
        const json_t *s = auth_schema();
        Buf b = {};
        _cleanup_free_ char *msg = NULL;

        /* 4097-character password: one over the limit. */
        buf_puts(&b, "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"id\":\"u1\","
                     "\"password\":\"");
        for (int i = 0; i < 4097; i++)
                buf_puts(&b, "p");
        buf_puts(&b, "\"}}}}}");
        assert_int_equal(check(s, b.data, &msg), -EINVAL);
        assert_non_null(msg);
        assert_true(startswith(msg, "Invalid input for field 'auth/identity/password/user/password': 'pppp"));
        assert_non_null(strstr(msg, "' is too long."));
        /* The value is cut in the message. */
        assert_true(strlen(msg) < 200);
        buf_done(&b);

        /* 256-character user name. */
        buf_puts(&b, "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"");
        for (int i = 0; i < 256; i++)
                buf_puts(&b, "n");
        buf_puts(&b, "\",\"password\":\"s\"}}}}}");
        free(msg);
        msg = NULL;
        assert_int_equal(check(s, b.data, &msg), -EINVAL);
        assert_true(startswith(msg, "Invalid input for field 'auth/identity/password/user/name': 'nnn"));
        buf_done(&b);

        /* The message is optional. */
        _cleanup_json_ json_t *empty = load("{}");
        assert_int_equal(api_schema_validate(s, empty, NULL), -EINVAL);
}

static const char inline_schema[] =
        "{"
        " \"definitions\": {"
        "  \"port\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 65535},"
        "  \"name\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 4}"
        " },"
        " \"type\": \"object\","
        " \"properties\": {"
        "  \"port\": {\"$ref\": \"#/definitions/port\"},"
        "  \"ratio\": {\"type\": \"number\", \"minimum\": 0.5, \"maximum\": 2.5},"
        "  \"tags\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/definitions/name\"},"
        "            \"minItems\": 1, \"maxItems\": 3, \"uniqueItems\": true},"
        "  \"id\": {\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"string\", \"maxLength\": 2}]},"
        "  \"one\": {\"oneOf\": [{\"type\": \"integer\", \"maximum\": 10}, {\"type\": \"integer\", \"minimum\": 5}]},"
        "  \"kind\": {\"enum\": [\"a\", 1, null]},"
        "  \"nullable\": {\"type\": [\"string\", \"null\"]},"
        "  \"free\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"boolean\"}}"
        " }"
        "}";

static void test_inline_keywords(void **state) {
        _cleanup_json_ json_t *s = load(inline_schema);

        expect_ok(s, "{}");
        expect_ok(s, "{\"port\":1,\"ratio\":0.5,\"tags\":[\"a\",\"bcde\",\"c\"],\"id\":3,\"one\":4,\"kind\":null,"
                     "\"nullable\":null,\"free\":{\"x\":true,\"y\":false},\"unlisted\":[1]}");
        expect_ok(s, "{\"port\":65535,\"ratio\":2,\"id\":\"ab\",\"one\":11,\"kind\":1,\"nullable\":\"s\"}");
        expect_ok(s, "{\"ratio\":2.5,\"kind\":\"a\"}");

        /* $ref with minimum/maximum. */
        expect_fail(s, "{\"port\":0}", "Invalid input for field 'port': 0 is less than the minimum of 1.");
        expect_fail(s, "{\"port\":65536}",
                    "Invalid input for field 'port': 65536 is greater than the maximum of 65535.");
        expect_fail(s, "{\"port\":80.0}", "Invalid input for field 'port': 80.0 is not of type 'integer'.");
        expect_fail(s, "{\"port\":\"80\"}", "Invalid input for field 'port': '80' is not of type 'integer'.");
        expect_fail(s, "{\"ratio\":0.25}", "Invalid input for field 'ratio': 0.25 is less than the minimum of 0.5.");
        expect_fail(s, "{\"ratio\":3}", "Invalid input for field 'ratio': 3 is greater than the maximum of 2.5.");
        /* Arrays: minItems, maxItems, uniqueItems, items through $ref. */
        expect_fail(s, "{\"tags\":[]}", "Invalid input for field 'tags': is too short (at least 1 items).");
        expect_fail(s, "{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}",
                    "Invalid input for field 'tags': is too long (at most 3 items).");
        expect_fail(s, "{\"tags\":[\"a\",\"b\",\"a\"]}", "Invalid input for field 'tags': has non-unique elements.");
        expect_fail(s, "{\"tags\":[\"a\",\"toolong\"]}", "Invalid input for field 'tags/1': 'toolong' is too long.");
        expect_fail(s, "{\"tags\":[\"\"]}", "Invalid input for field 'tags/0': '' is too short.");
        /* anyOf. */
        expect_fail(s, "{\"id\":\"abc\"}",
                    "Invalid input for field 'id': 'abc' is not valid under any of the given schemas.");
        expect_fail(s, "{\"id\":true}",
                    "Invalid input for field 'id': true is not valid under any of the given schemas.");
        /* oneOf: 5..10 match both branches. */
        expect_fail(s, "{\"one\":7}", "Invalid input for field 'one': 7 is not valid under exactly one of the given "
                                      "schemas.");
        expect_fail(s, "{\"one\":\"x\"}",
                    "Invalid input for field 'one': 'x' is not valid under exactly one of the given schemas.");
        /* enum. */
        expect_fail(s, "{\"kind\":\"b\"}", "Invalid input for field 'kind': 'b' is not one of the allowed values.");
        expect_fail(s, "{\"kind\":1.0}", "Invalid input for field 'kind': 1.0 is not one of the allowed values.");
        /* A type list. */
        expect_fail(s, "{\"nullable\":3}", "Invalid input for field 'nullable': 3 is not of an allowed type.");
        /* additionalProperties as a schema. */
        expect_fail(s, "{\"free\":{\"x\":1}}", "Invalid input for field 'free/x': 1 is not of type 'boolean'.");
}

static void test_format_uuid(void **state) {
        _cleanup_json_ json_t *s = load("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\","
                                        "\"format\":\"uuid\"}}}");

        expect_ok(s, "{\"id\":\"6f1c1a5e-9d0b-4c5e-8a55-0123456789ab\"}");
        expect_ok(s, "{\"id\":\"6F1C1A5E-9D0B-4C5E-8A55-0123456789AB\"}");
        expect_fail(s, "{\"id\":\"6f1c1a5e9d0b4c5e8a550123456789ab\"}",
                    "Invalid input for field 'id': '6f1c1a5e9d0b4c5e8a550123456789ab' is not a 'uuid'.");
        expect_fail(s, "{\"id\":\"../../probe-canary-xxxxxxxxxxxxxxxxx\"}",
                    "Invalid input for field 'id': '../../probe-canary-xxxxxxxxxxxxxxxxx' is not a 'uuid'.");
        expect_fail(s, "{\"id\":\"6f1c1a5e-9d0b-4c5e-8a55-0123456789a/\"}",
                    "Invalid input for field 'id': '6f1c1a5e-9d0b-4c5e-8a55-0123456789a/' is not a 'uuid'.");
}

static void test_versions_formats_names(void **state) {
        _cleanup_json_ json_t *s = load(
                "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
                "\"name\":{\"type\":\"string\",\"format\":\"name\"},"
                "\"description\":{\"type\":\"string\",\"x-min-version\":\"2.19\"},"
                "\"personality\":{\"type\":\"array\",\"x-max-version\":\"2.56\"},"
                "\"ip\":{\"type\":\"string\",\"format\":\"ipv4\"},"
                "\"ip6\":{\"type\":\"string\",\"format\":\"ipv6\"},"
                "\"since\":{\"type\":\"string\",\"format\":\"date-time\"},"
                "\"metadata\":{\"type\":\"object\",\"maxProperties\":2,"
                "\"propertyNames\":{\"minLength\":1,\"maxLength\":3},"
                "\"additionalProperties\":{\"type\":\"string\"}}}}");
        _cleanup_free_ char *msg = NULL;
        _cleanup_json_ json_t *desc = load("{\"description\":\"d\"}"), *pers = load("{\"personality\":[]}");

        /* A property exists only in its microversions; unversioned validation knows every one. */
        assert_int_equal(api_schema_validate_version(s, desc, 2018, &msg), -EINVAL);
        assert_string_equal(msg, "Invalid input: Additional properties are not allowed ('description' was unexpected).");
        assert_int_equal(api_schema_validate_version(s, desc, 2019, NULL), 0);
        assert_int_equal(api_schema_validate_version(s, pers, 2056, NULL), 0);
        assert_int_equal(api_schema_validate_version(s, pers, 2057, NULL), -EINVAL);
        expect_ok(s, "{\"description\":\"d\",\"personality\":[]}");

        expect_ok(s, "{\"name\":\"a b\",\"ip\":\"10.0.0.1\",\"ip6\":\"fe80::1\",\"since\":\"2020-02-29T01:02:03Z\"}");
        expect_fail(s, "{\"name\":\" lead\"}", "Invalid input for field 'name': ' lead' is not a 'name'.");
        expect_fail(s, "{\"name\":\"trail \"}", "Invalid input for field 'name': 'trail ' is not a 'name'.");
        expect_fail(s, "{\"name\":\"\"}", "Invalid input for field 'name': '' is not a 'name'.");
        expect_fail(s, "{\"name\":\"a\\nb\"}", "Invalid input for field 'name': 'a\nb' is not a 'name'.");
        expect_fail(s, "{\"ip\":\"10.0.0.300\"}", "Invalid input for field 'ip': '10.0.0.300' is not a 'ipv4'.");
        expect_fail(s, "{\"ip6\":\"1::2::3\"}", "Invalid input for field 'ip6': '1::2::3' is not a 'ipv6'.");
        expect_fail(s, "{\"since\":\"2011/01/01\"}",
                    "Invalid input for field 'since': '2011/01/01' is not a 'date-time'.");
        expect_ok(s, "{\"metadata\":{\"abc\":\"1\",\"d\":\"2\"}}");
        expect_fail(s, "{\"metadata\":{\"abcd\":\"1\"}}", "Invalid input for field 'metadata': 'abcd' is too long.");
        expect_fail(s, "{\"metadata\":{\"\":\"1\"}}", "Invalid input for field 'metadata': '' is too short.");
        expect_fail(s, "{\"metadata\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
                    "Invalid input for field 'metadata': has too many properties (at most 2).");
}

static void test_inline_nesting(void **state) {
        /* A path through array items and objects, and the first error wins. */
        _cleanup_json_ json_t *s = load("{\"type\":\"object\",\"properties\":{\"servers\":{\"type\":\"array\","
                                        "\"items\":{\"type\":\"object\",\"required\":[\"name\"],"
                                        "\"additionalProperties\":false,"
                                        "\"properties\":{\"name\":{\"type\":\"string\"},"
                                        "\"net\":{\"type\":\"object\",\"minProperties\":1}}}}}}");

        expect_ok(s, "{\"servers\":[{\"name\":\"a\"},{\"name\":\"b\",\"net\":{\"x\":1}}]}");
        expect_fail(s, "{\"servers\":[{\"name\":\"a\"},{\"nam\":\"b\"}]}",
                    "Invalid input for field 'servers/1': 'name' is a required property.");
        expect_fail(s, "{\"servers\":[{\"name\":\"a\",\"net\":{}}]}",
                    "Invalid input for field 'servers/0/net': should have at least 1 properties.");
        expect_fail(s, "{\"servers\":[{\"name\":[]}]}",
                    "Invalid input for field 'servers/0/name': [...] is not of type 'string'.");

        /* Recursion is bounded by the schema: a self-referencing one stops. */
        _cleanup_json_ json_t *loop = load("{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/a\"}},"
                                           "\"$ref\":\"#/definitions/a\"}");
        expect_fail(loop, "1", "Invalid input: schema nesting is too deep.");

        /* A deeply nested instance against a schema that does not recurse. */
        Buf b = {};
        for (int i = 0; i < 2000; i++)
                buf_puts(&b, "[");
        for (int i = 0; i < 2000; i++)
                buf_puts(&b, "]");
        _cleanup_json_ json_t *flat = load("{\"type\":\"array\",\"minItems\":1}");
        _cleanup_json_ json_t *deep = load(b.data);
        buf_done(&b);
        assert_int_equal(api_schema_validate(flat, deep, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schema_get),
                cmocka_unit_test(test_auth_valid),
                cmocka_unit_test(test_auth_invalid),
                cmocka_unit_test(test_auth_long_strings),
                cmocka_unit_test(test_inline_keywords),
                cmocka_unit_test(test_inline_nesting),
                cmocka_unit_test(test_format_uuid),
                cmocka_unit_test(test_versions_formats_names),
        };
        return cmocka_run_group_tests_name("schema", tests, register_schemas, NULL);
}
