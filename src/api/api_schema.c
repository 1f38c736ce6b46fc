/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request-schema validator (see api_schema.h).  Recursion depth is
 * bounded by the schema, not by the instance, so hostile input cannot
 * exhaust the stack.
 */
#include "api/api_schema.h"
#include "util/buf.h"
#include "util/embed.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>


typedef struct Walk {
        const json_t *root;   /* for $ref */
        int version;          /* the request's API microversion (API_VERSION), 0: unversioned */
        Buf path;             /* "a/b/0" of the current field */
        char *msg;
} Walk;

static int fail(Walk *w, const char *fmt, ...) _printf_(2, 3);
static int fail(Walk *w, const char *fmt, ...) {
        if (!w->msg) {
                _cleanup_free_ char *what = NULL;
                va_list ap;
                va_start(ap, fmt);
                what = xvasprintf(fmt, ap);
                va_end(ap);
                if (w->path.len)
                        w->msg = xasprintf("Invalid input for field '%s': %s.", w->path.data, what);
                else
                        w->msg = xasprintf("Invalid input: %s.", what);
        }
        return -EINVAL;
}

static const char *type_of(const json_t *j) {
        switch (json_typeof(j)) {
        case JSON_OBJECT: return "object";
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_INTEGER: return "integer";
        case JSON_REAL: return "number";
        case JSON_TRUE:
        case JSON_FALSE: return "boolean";
        case JSON_NULL: return "null";
        }
        return "unknown";
}

static bool type_matches(const char *want, const json_t *j) {
        const char *have = type_of(j);
        if (streq(want, have))
                return true;
        /* An integer is also a number; 1.0 is not an integer (as jsonschema). */
        return streq(want, "number") && json_is_integer(j);
}

/* A short rendering of a value for messages, quoting strings like Python. */
static char *repr(const json_t *j) {
        if (json_is_string(j)) {
                const char *s = json_string_value(j);
                return xasprintf("'%.*s'", (int) utf8_prefix(s, 64), s);
        }
        if (json_is_object(j))
                return xstrdup("{...}");
        if (json_is_array(j))
                return xstrdup("[...]");
        _cleanup_free_ char *s = jx_dump(j);
        return xasprintf("%.64s", s);
}

static int validate(Walk *w, const json_t *schema, const json_t *inst, int depth);

static void path_push(Walk *w, const char *seg, size_t *saved) {
        *saved = w->path.len;
        if (w->path.len)
                buf_puts(&w->path, "/");
        buf_puts(&w->path, seg);
}

static void path_pop(Walk *w, size_t saved) {
        w->path.len = saved;
        if (w->path.data)
                w->path.data[saved] = '\0';
}

static int check_type(Walk *w, const json_t *schema, const json_t *inst) {
        const json_t *t = json_object_get(schema, "type");
        if (!t)
                return 0;
        if (json_is_string(t)) {
                if (type_matches(json_string_value(t), inst))
                        return 0;
                _cleanup_free_ char *r = repr(inst);
                return fail(w, "%s is not of type '%s'", r, json_string_value(t));
        }
        size_t i;
        const json_t *v;
        json_array_foreach(t, i, v)
                if (json_is_string(v) && type_matches(json_string_value(v), inst))
                        return 0;
        _cleanup_free_ char *r = repr(inst);
        return fail(w, "%s is not of an allowed type", r);
}

/*
 * "x-min-version" and "x-max-version" (as "2.19") limit a property to the
 * microversions that know it: one schema file serves every version.
 */
static int parse_version(const json_t *v) {
        int major, minor;
        if (!json_is_string(v) || sscanf(json_string_value(v), "%d.%d", &major, &minor) != 2)
                return 0;
        return major * 1000 + minor;
}

static bool in_version(const Walk *w, const json_t *schema) {
        int lo = parse_version(json_object_get(schema, "x-min-version"));
        int hi = parse_version(json_object_get(schema, "x-max-version"));
        if (w->version == 0)
                return true;
        return (lo == 0 || w->version >= lo) && (hi == 0 || w->version <= hi);
}

static int check_string(Walk *w, const json_t *schema, const json_t *inst);

/* "propertyNames": every key of the object must be valid as a string under this schema. */
static int check_property_name(Walk *w, const json_t *schema, const char *key) {
        const json_t *names = json_object_get(schema, "propertyNames");
        if (!json_is_object(names))
                return 0;
        _cleanup_json_ json_t *k = json_string(key);
        if (!k)
                return fail(w, "a property name is not valid UTF-8");
        return check_string(w, names, k);
}

static int check_object(Walk *w, const json_t *schema, const json_t *inst, int depth) {
        const json_t *props = json_object_get(schema, "properties");
        const json_t *addl = json_object_get(schema, "additionalProperties");
        const json_t *req = json_object_get(schema, "required");
        const char *key;
        const json_t *v;
        size_t i;

        json_array_foreach(req, i, v)
                if (json_is_string(v) && !json_object_get(inst, json_string_value(v)))
                        return fail(w, "'%s' is a required property", json_string_value(v));
        json_object_foreach((json_t *) inst, key, v) {
                const json_t *sub = json_object_get(props, key);
                size_t saved;
                int r;
                if (sub && !in_version(w, sub))
                        sub = NULL; /* a property of other microversions is unknown in this one */
                if ((r = check_property_name(w, schema, key)) < 0)
                        return r;
                if (!sub) {
                        if (json_is_false(addl))
                                return fail(w, "Additional properties are not allowed ('%.*s' was unexpected)",
                                            (int) utf8_prefix(key, 64), key);
                        if (!json_is_object(addl))
                                continue;
                        sub = addl;
                }
                path_push(w, key, &saved);
                r = validate(w, sub, v, depth + 1);
                if (r < 0)
                        return r;
                path_pop(w, saved);
        }
        int64_t n;
        if (json_is_integer(json_object_get(schema, "minProperties")) &&
            (n = json_integer_value(json_object_get(schema, "minProperties"))) > (int64_t) json_object_size(inst))
                return fail(w, "should have at least %lld properties", (long long) n);
        if (json_is_integer(json_object_get(schema, "maxProperties")) &&
            (n = json_integer_value(json_object_get(schema, "maxProperties"))) < (int64_t) json_object_size(inst))
                return fail(w, "has too many properties (at most %lld)", (long long) n);
        return 0;
}

static int check_array(Walk *w, const json_t *schema, const json_t *inst, int depth) {
        const json_t *items = json_object_get(schema, "items"), *v;
        const json_t *mn = json_object_get(schema, "minItems"), *mx = json_object_get(schema, "maxItems");
        size_t i, n = json_array_size(inst);

        if (json_is_integer(mn) && (json_int_t) n < json_integer_value(mn))
                return fail(w, "is too short (at least %lld items)", (long long) json_integer_value(mn));
        if (json_is_integer(mx) && (json_int_t) n > json_integer_value(mx))
                return fail(w, "is too long (at most %lld items)", (long long) json_integer_value(mx));
        if (json_is_true(json_object_get(schema, "uniqueItems")))
                for (i = 0; i < n; i++)
                        for (size_t j = i + 1; j < n; j++)
                                if (json_equal(json_array_get(inst, i), json_array_get(inst, j)))
                                        return fail(w, "has non-unique elements");
        if (!json_is_object(items))
                return 0;
        json_array_foreach(inst, i, v) {
                char idx[24];
                size_t saved;
                snprintf(idx, sizeof(idx), "%zu", i);
                path_push(w, idx, &saved);
                int r = validate(w, items, v, depth + 1);
                if (r < 0)
                        return r;
                path_pop(w, saved);
        }
        return 0;
}

/* Standard base64 with its padding; white space is ignored, as Python's decoder does. */
static bool base64_ok(const char *s) {
        size_t n = 0, pad = 0;
        for (const char *p = s; *p; p++) {
                if (isspace((unsigned char) *p))
                        continue;
                if (*p == '=') {
                        pad++;
                        n++;
                        continue;
                }
                if (pad || !(isalnum((unsigned char) *p) || *p == '+' || *p == '/'))
                        return false;
                n++;
        }
        return n % 4 == 0 && pad <= 2;
}

/*
 * The formats the APIs check: "uuid" (ids a client may choose, Glance and
 * Nova), "ipv4" and "ipv6" (addresses), "date-time" (ISO 8601, as
 * changes-since takes), "name" (Nova's names: no leading or trailing
 * white space, no control characters), "base64" (user data), and Nova's
 * patterns: "positive-integer", "console-length", "metadata-key", "tag"
 * and "description".  An unknown format is a schema
 * bug, caught by the unit tests.
 */
static bool format_ok(const char *format, const char *s) {
        unsigned char buf[sizeof(struct in6_addr)];
        if (streq(format, "uuid"))
                return uuid_is_dashed(s);
        if (streq(format, "ipv4"))
                return inet_pton(AF_INET, s, buf) == 1;
        if (streq(format, "ipv6"))
                return inet_pton(AF_INET6, s, buf) == 1;
        if (streq(format, "date-time"))
                return parse_iso8601(s, NULL) == 0;
        if (streq(format, "base64"))
                return base64_ok(s);
        if (streq(format, "positive-integer")) /* a count given as a string: "2" */
                return s[0] && strspn(s, "0123456789") == strlen(s) && strspn(s, "0") < strlen(s);
        if (streq(format, "console-length")) /* os-getConsoleOutput's length as a string: "-1", "50" */
                return s[s[0] == '-'] && strspn(s + (s[0] == '-'), "0123456789") == strlen(s + (s[0] == '-')) &&
                       (s[0] != '-' || streq(s, "-1"));
        if (streq(format, "metadata-key")) /* Nova's [a-zA-Z0-9-_:. ] */
                return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:. ") == strlen(s);
        if (streq(format, "tag")) /* Nova's server tags: no ',' or '/' */
                return !strpbrk(s, ",/");
        if (streq(format, "description")) { /* printable, white space allowed */
                for (const char *p = s; *p; p++)
                        if (((unsigned char) *p < 0x20 && !strchr("\t\r\n", *p)) || *p == 0x7f)
                                return false;
                return true;
        }
        if (streq(format, "name")) {
                size_t n = strlen(s);
                if (n == 0 || isspace((unsigned char) s[0]) || isspace((unsigned char) s[n - 1]))
                        return false;
                for (const char *p = s; *p; p++)
                        if ((unsigned char) *p < 0x20 || *p == 0x7f)
                                return false;
                return true;
        }
        abort(); /* a schema naming a format we do not know is a build-time bug */
}

static int check_string(Walk *w, const json_t *schema, const json_t *inst) {
        const json_t *mn = json_object_get(schema, "minLength"), *mx = json_object_get(schema, "maxLength");
        /* Lengths count characters, not bytes, as jsonschema does. */
        size_t chars = 0;
        for (const unsigned char *p = (const unsigned char *) json_string_value(inst); *p; p++)
                if ((*p & 0xc0) != 0x80)
                        chars++;
        if (json_is_integer(mn) && (json_int_t) chars < json_integer_value(mn)) {
                _cleanup_free_ char *r = repr(inst);
                return fail(w, "%s is too short", r);
        }
        if (json_is_integer(mx) && (json_int_t) chars > json_integer_value(mx)) {
                _cleanup_free_ char *r = repr(inst);
                return fail(w, "%s is too long", r);
        }
        const char *format = jx_string(schema, "format");
        if (format && !format_ok(format, json_string_value(inst))) {
                _cleanup_free_ char *r = repr(inst);
                return fail(w, "%s is not a '%s'", r, format);
        }
        return 0;
}

static int check_number(Walk *w, const json_t *schema, const json_t *inst) {
        const json_t *mn = json_object_get(schema, "minimum"), *mx = json_object_get(schema, "maximum");
        double v = json_number_value(inst);
        if (json_is_number(mn) && v < json_number_value(mn)) {
                _cleanup_free_ char *r = repr(inst);
                return fail(w, "%s is less than the minimum of %g", r, json_number_value(mn));
        }
        if (json_is_number(mx) && v > json_number_value(mx)) {
                _cleanup_free_ char *r = repr(inst);
                return fail(w, "%s is greater than the maximum of %g", r, json_number_value(mx));
        }
        return 0;
}

static const json_t *resolve_ref(Walk *w, const char *ref) {
        const char *prefix = "#/definitions/";
        if (!startswith(ref, prefix))
                return NULL;
        return json_object_get(json_object_get(w->root, "definitions"), ref + strlen(prefix));
}

/* Counts how many of the schemas in list accept inst, without messages. */
static size_t count_matches(Walk *w, const json_t *list, const json_t *inst, int depth) {
        size_t i, n = 0;
        const json_t *sub;
        json_array_foreach(list, i, sub) {
                Walk probe = { .root = w->root };
                if (validate(&probe, sub, inst, depth + 1) == 0)
                        n++;
                free(probe.msg);
                buf_done(&probe.path);
        }
        return n;
}

static int validate(Walk *w, const json_t *schema, const json_t *inst, int depth) {
        const json_t *v;
        int r;

        if (depth > 64)
                return fail(w, "schema nesting is too deep");
        if ((v = json_object_get(schema, "$ref"))) {
                const json_t *target = resolve_ref(w, json_string_value(v) ? json_string_value(v) : "");
                if (!target)
                        abort(); /* a broken schema is a build-time bug */
                return validate(w, target, inst, depth + 1);
        }
        r = check_type(w, schema, inst);
        if (r < 0)
                return r;
        if ((v = json_object_get(schema, "enum"))) {
                size_t i;
                const json_t *e;
                bool found = false;
                json_array_foreach(v, i, e)
                        if (json_equal(e, inst))
                                found = true;
                if (!found) {
                        _cleanup_free_ char *rp = repr(inst);
                        return fail(w, "%s is not one of the allowed values", rp);
                }
        }
        if ((v = json_object_get(schema, "anyOf")) && count_matches(w, v, inst, depth) == 0) {
                _cleanup_free_ char *rp = repr(inst);
                return fail(w, "%s is not valid under any of the given schemas", rp);
        }
        if ((v = json_object_get(schema, "oneOf")) && count_matches(w, v, inst, depth) != 1) {
                _cleanup_free_ char *rp = repr(inst);
                return fail(w, "%s is not valid under exactly one of the given schemas", rp);
        }
        if (json_is_object(inst))
                return check_object(w, schema, inst, depth);
        if (json_is_array(inst))
                return check_array(w, schema, inst, depth);
        if (json_is_string(inst))
                return check_string(w, schema, inst);
        if (json_is_number(inst))
                return check_number(w, schema, inst);
        return 0;
}

int api_schema_validate(const json_t *schema, const json_t *instance, char **ret_msg) {
        return api_schema_validate_version(schema, instance, 0, ret_msg);
}

int api_schema_validate_version(const json_t *schema, const json_t *instance, int version, char **ret_msg) {
        Walk w = { .root = schema, .version = version };
        int r = validate(&w, schema, instance, 0);
        if (r < 0 && ret_msg)
                *ret_msg = TAKE_PTR(w.msg);
        free(w.msg);
        buf_done(&w.path);
        return r;
}

/*
 * The registered schema files: each service embeds its own (util/embed.h)
 * and the API layer registers them at start, parsed once and never freed.
 * Registration happens before any request thread runs; lookups only read.
 */
#define MAX_TABLES 16

typedef struct SchemaTable {
        const EmbeddedFile *files;
        json_t **parsed;
} SchemaTable;

static SchemaTable tables[MAX_TABLES];
static size_t n_tables;
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;

void api_schema_register(const EmbeddedFile *files) {
        size_t n = 0;
        pthread_mutex_lock(&tables_lock);
        for (size_t i = 0; i < n_tables; i++)
                if (tables[i].files == files) {
                        pthread_mutex_unlock(&tables_lock);
                        return;
                }
        if (n_tables == MAX_TABLES)
                abort(); /* more services than this is a build-time change */
        while (files[n].name)
                n++;
        json_t **parsed = xcalloc(n + 1, sizeof(json_t *));
        for (size_t i = 0; i < n; i++) {
                json_error_t err;
                parsed[i] = json_loadb(files[i].data, files[i].len, 0, &err);
                if (!parsed[i]) {
                        fprintf(stderr, "schema %s: %s (line %d)\n", files[i].name, err.text, err.line);
                        abort(); /* broken embedded schema: a build-time bug */
                }
        }
        tables[n_tables++] = (SchemaTable) { files, parsed };
        pthread_mutex_unlock(&tables_lock);
}

const json_t *api_schema_get(const char *name) {
        const json_t *found = NULL;
        pthread_mutex_lock(&tables_lock);
        for (size_t t = 0; !found && t < n_tables; t++)
                for (size_t i = 0; tables[t].files[i].name; i++)
                        if (streq(tables[t].files[i].name, name)) {
                                found = tables[t].parsed[i];
                                break;
                        }
        pthread_mutex_unlock(&tables_lock);
        return found;
}
