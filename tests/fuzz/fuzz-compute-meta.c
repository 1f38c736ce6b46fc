/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over what the compute service does with untrusted
 * input to a server's metadata, tags and instance actions.  The first
 * byte picks what the rest of the input is:
 *
 *   low 4 bits (mod 7)  0 a POST .../metadata body (merge), 1 a PUT
 *                       .../metadata body (replace), 2 a PUT
 *                       .../metadata/{key} body (the URL names its key),
 *                       3 a PUT .../tags body: each parsed and validated
 *                       against its schema as the dispatch pipeline does,
 *                       then, when valid, given to the real service
 *                       function on a real SQLite database;
 *                       4 a metadata key from a URL, read and deleted;
 *                       5 a tag from a URL, added, checked and removed;
 *                       6 a request id from a URL (or a 2.58 marker), for
 *                       the fixed server's instance actions.
 *   bit 7 clear         the caller is an admin; set, a member of the
 *                       project owning the fixed server (bit 6 clear) or
 *                       of another project (bit 6 set).
 *
 * LLVMFuzzerInitialize makes a state dir with a migrated database holding
 * one active server with an item of metadata, a tag and an instance
 * action; each input runs inside an outer transaction that is rolled
 * back, so inputs stay independent.  Aborts when a result breaks a
 * contract: a server error (5xx) for client input, an error body that
 * cannot be rendered, a change that does not read back as asked, stored
 * metadata or tags outside Nova's limits (keys of 1 to 255 characters of
 * [A-Za-z0-9-_:. ], values of at most 255, at most the metadata_items
 * quota; at most 50 tags of 1 to 60 characters without ',' or '/'), or
 * a transaction left open.  Run by tests/fuzz/run; seeds live in
 * tests/fuzz/corpus/fuzz-compute-meta/.
 */
#include "api/api_schema.h"
#include "compute/compute_internal.h"
#include "fuzz_service.h"

#include <inttypes.h>

#define OWNER_PROJECT "0c3b2a1d4e5f40718293a4b5c6d7e801"
#define OTHER_PROJECT "0c3b2a1d4e5f40718293a4b5c6d7e802"
#define SERVER_ID "5e7a1c2b-3d4e-4f50-8a6b-7c8d9e0f1a2b"
#define REQUEST_ID "req-6b1f2e3d-4c5b-4a69-8788-99aabbccddee"

typedef enum Target {
        TARGET_METADATA_MERGE,
        TARGET_METADATA_REPLACE,
        TARGET_METADATA_ITEM,
        TARGET_TAGS_REPLACE,
        TARGET_METADATA_KEY,
        TARGET_TAG,
        TARGET_ACTION,
        _TARGET_MAX,
} Target;

typedef enum Persona {
        PERSONA_ADMIN,
        PERSONA_OWNER_MEMBER,
        PERSONA_OTHER_MEMBER,
} Persona;

/* The request schemas of the routes (src/compute/compute_meta_api.c), by target. */
static const char *const schema_names[] = {
        [TARGET_METADATA_MERGE] = "compute-server-metadata.json",
        [TARGET_METADATA_REPLACE] = "compute-server-metadata.json",
        [TARGET_METADATA_ITEM] = "compute-server-metadata-item.json",
        [TARGET_TAGS_REPLACE] = "compute-server-tags.json",
};

/* The compute service's schemas, embedded by the build (src/compute/meson.build). */
extern const EmbeddedFile compute_api_schemas[];

static const json_t *schemas[ELEMENTSOF(schema_names)];
static Db *db;
static Config cfg; /* compute.cfg points at it for the process's life */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ctx_setup(Ctx *c, Persona p) {
        fuzz_ctx(c, db, p == PERSONA_OTHER_MEMBER ? OTHER_PROJECT : OWNER_PROJECT, p == PERSONA_ADMIN);
}

/* The fixed server: active, owned by OWNER_PROJECT, with metadata {"fixed": "1"}, tag "fixed" and a create action. */
static void fixture_create(void) {
        static const char *const sql[] = {
                "INSERT INTO servers (id, name, project_id, user_id, flavor_id, flavor, vcpus, memory_mb, root_gb,"
                " vm_state, hostname, reservation_id, created_at, updated_at) VALUES ('" SERVER_ID "', 'fuzz',"
                " '" OWNER_PROJECT "', 'fuzz-user', '42', '{}', 1, 128, 1, 'active', 'fuzz', 'r-fuzz', 1, 1)",
                "INSERT INTO server_metadata (server_id, key, value) VALUES ('" SERVER_ID "', 'fixed', '1')",
                "INSERT INTO server_tags (server_id, tag) VALUES ('" SERVER_ID "', 'fixed')",
                "INSERT INTO server_actions (id, server_id, request_id, action, project_id, user_id, start_time,"
                " updated_at) VALUES ('a1', '" SERVER_ID "', '" REQUEST_ID "', 'create', '" OWNER_PROJECT "',"
                " 'fuzz-user', 1, 1)",
        };
        for (size_t i = 0; i < ELEMENTSOF(sql); i++)
                if (db_exec_script(db, sql[i]) < 0)
                        fuzz_broken("cannot create the fixture: %s", db_errmsg(db));
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_schemas(compute_api_schemas, schema_names, ELEMENTSOF(schema_names), schemas);
        db = fuzz_state_open(&cfg);
        compute.cfg = &cfg; /* the quotas' defaults */
        fixture_create();
        return 0;
}

/* A failure's message must render into Nova's error body as the daemon renders it. */
static void check_message(const char *what, int code, const char *msg) {
        fuzz_check_message(what, API_STYLE_NOVA, code, RES_SERVER, msg);
}

/* Client input may fail only with a client error whose message renders.  Consumes result. */
static void check_call(const char *what, Ctx *c, int r, json_t *result) {
        _cleanup_json_ json_t *owned = result;
        _cleanup_free_ char *text = NULL;

        if (r < 0) {
                if (api_error_lookup(r, RES_SERVER, API_STYLE_NOVA)->status >= 500)
                        fuzz_broken("%s answered client input with a server error (%s): %s", what, strerror(-r),
                               c->error_message ? c->error_message : "(no message)");
                check_message(what, r, c->error_message);
                ctx_clear_error(c);
                return;
        }
        if (owned && !(text = jx_dump(owned)))
                fuzz_broken("%s returned a result that cannot be serialised", what);
}

static size_t chars_of(const char *s) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                n += (*p & 0xc0) != 0x80;
        return n;
}

/* The stored metadata is within Nova's limits, and reads back as want when want is given. */
static void check_metadata(const char *what, Ctx *c, const json_t *want) {
        _cleanup_json_ json_t *meta = NULL;
        const char *key;
        json_t *v;
        Ctx admin;

        ctx_setup(&admin, PERSONA_ADMIN);
        if (compute_server_metadata_get(&admin, SERVER_ID, &meta) < 0)
                fuzz_broken("%s: the fixed server's metadata cannot be read: %s", what, admin.error_message);
        ctx_done(&admin);
        if ((int64_t) json_object_size(meta) > cfg.compute_quota_metadata_items)
                fuzz_broken("%s: the server has %zu metadata items, past the quota", what, json_object_size(meta));
        json_object_foreach(meta, key, v) {
                size_t n = strlen(key);
                if (n == 0 || n > 255 || strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:. ") != n)
                        fuzz_broken("%s: the server got the metadata key \"%s\"", what, key);
                if (!json_is_string(v) || chars_of(json_string_value(v)) > 255)
                        fuzz_broken("%s: the metadata item \"%s\" has a value that is not a string of 255 at most", what, key);
        }
        if (want && !json_equal(meta, want))
                fuzz_broken("%s: the metadata does not read back as set", what);
}

static void check_tags(const char *what) {
        _cleanup_json_ json_t *tags = NULL;
        size_t i;
        json_t *t;
        Ctx admin;

        ctx_setup(&admin, PERSONA_ADMIN);
        if (compute_server_tags_list(&admin, SERVER_ID, &tags) < 0)
                fuzz_broken("%s: the fixed server's tags cannot be read: %s", what, admin.error_message);
        ctx_done(&admin);
        if (json_array_size(tags) > SERVER_MAX_TAGS)
                fuzz_broken("%s: the server has %zu tags", what, json_array_size(tags));
        json_array_foreach(tags, i, t) {
                const char *s = json_string_value(t);
                if (!s || !*s || chars_of(s) > 60 || strpbrk(s, ",/"))
                        fuzz_broken("%s: the server got the tag \"%s\"", what, s ? s : "(null)");
        }
}

static void fuzz_metadata(Ctx *c, const json_t *body, bool replace) {
        const json_t *items = json_object_get(body, "metadata");
        _cleanup_json_ json_t *want = NULL;
        json_t *meta = NULL;
        Ctx admin;

        if (!replace) {
                ctx_setup(&admin, PERSONA_ADMIN);
                if (compute_server_metadata_get(&admin, SERVER_ID, &want) < 0)
                        fuzz_broken("the fixed server's metadata cannot be read");
                ctx_done(&admin);
                json_object_update(want, (json_t *) items);
        } else
                want = json_deep_copy(items);
        int r = compute_server_metadata_update(c, SERVER_ID, items, replace, &meta);
        if (r >= 0 && !json_equal(meta, want))
                fuzz_broken("compute_server_metadata_update answered with metadata other than asked");
        check_call("compute_server_metadata_update", c, r, meta);
        check_metadata("compute_server_metadata_update", c, r >= 0 ? want : NULL);
}

/* PUT .../metadata/{key} with the body's one key in the URL (the mismatch is the API's 400). */
static void fuzz_metadata_item(Ctx *c, const json_t *body) {
        const json_t *meta = json_object_get(body, "meta");
        const char *key = json_object_iter_key(json_object_iter((json_t *) meta));
        int r = compute_server_metadata_update(c, SERVER_ID, meta, false, NULL);
        check_call("compute_server_metadata_update (item)", c, r, NULL);
        check_metadata("compute_server_metadata_update (item)", c, NULL);
        if (r < 0)
                return;
        r = compute_server_metadata_delete(c, SERVER_ID, key);
        if (r < 0)
                fuzz_broken("compute_server_metadata_delete of the item just set failed: %s", c->error_message);
}

/* Input: the key, as the pipeline hands a path parameter over (UTF-8, up to the first NUL). */
static void fuzz_metadata_key(Ctx *c, const uint8_t *data, size_t size) {
        _cleanup_free_ char *key = xstrndup((const char *) data, size);
        if (!utf8_is_valid(key))
                return;
        int r = compute_server_metadata_delete(c, SERVER_ID, key);
        if (r >= 0 && !streq(key, "fixed"))
                fuzz_broken("compute_server_metadata_delete deleted \"%s\", which was not there", key);
        check_call("compute_server_metadata_delete", c, r, NULL);
        check_metadata("compute_server_metadata_delete", c, NULL);
}

static void fuzz_tags(Ctx *c, const json_t *body) {
        json_t *tags = NULL;
        int r = compute_server_tags_replace(c, SERVER_ID, json_object_get(body, "tags"), &tags);
        check_call("compute_server_tags_replace", c, r, tags);
        check_tags("compute_server_tags_replace");
}

static void fuzz_tag(Ctx *c, const uint8_t *data, size_t size) {
        _cleanup_free_ char *tag = xstrndup((const char *) data, size);
        bool created = false;
        int r;

        if (!utf8_is_valid(tag))
                return;
        r = compute_server_tag_add(c, SERVER_ID, tag, &created);
        check_call("compute_server_tag_add", c, r, NULL);
        check_tags("compute_server_tag_add");
        if (r < 0)
                return;
        if (created == streq(tag, "fixed"))
                fuzz_broken("compute_server_tag_add got 'created' wrong for \"%s\"", tag);
        r = compute_server_tag_check(c, SERVER_ID, tag);
        if (r < 0)
                fuzz_broken("compute_server_tag_check does not find the tag \"%s\" just added", tag);
        r = compute_server_tag_remove(c, SERVER_ID, tag);
        if (r < 0)
                fuzz_broken("compute_server_tag_remove could not remove the tag \"%s\" just added", tag);
        r = compute_server_tag_check(c, SERVER_ID, tag);
        check_call("compute_server_tag_check", c, r, NULL);
}

static void fuzz_action(Ctx *c, const uint8_t *data, size_t size) {
        _cleanup_free_ char *id = xstrndup((const char *) data, size);
        json_t *out = NULL;
        int r;

        if (!utf8_is_valid(id))
                return;
        r = compute_action_get(c, SERVER_ID, id, true, &out);
        if (r >= 0 && !streq(id, REQUEST_ID))
                fuzz_broken("compute_action_get found an action for \"%s\"", id);
        check_call("compute_action_get", c, r, out);
        out = NULL;
        ActionQuery q = { .marker = id, .limit = 10 };
        r = compute_action_list(c, SERVER_ID, &q, &out);
        check_call("compute_action_list", c, r, out);
}

static int64_t count_rows(const char *sql) {
        int64_t n = 0;
        if (db_query_int(db, &n, sql, "") < 0)
                fuzz_broken("cannot run '%s': %s", sql, db_errmsg(db));
        return n;
}

/* Fails unless the database is outside any transaction and holds just the fixture. */
static void check_database(void) {
        if (db_exec_script(db, "BEGIN; ROLLBACK;") < 0)
                fuzz_broken("an input left a transaction open: %s", db_errmsg(db));
        if (count_rows("SELECT COUNT(*) FROM server_metadata") != 1 || count_rows("SELECT COUNT(*) FROM server_tags") != 1)
                fuzz_broken("an input's changes outlived its rollback");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ json_t *body = NULL;
        _cleanup_free_ char *msg = NULL;
        json_error_t err;
        Target target;
        Persona persona;
        Ctx c;
        int r;

        if (size < 1)
                return 0;
        target = (Target) ((data[0] & 0x0f) % _TARGET_MAX);
        persona = !(data[0] & 0x80) ? PERSONA_ADMIN : (data[0] & 0x40) ? PERSONA_OTHER_MEMBER : PERSONA_OWNER_MEMBER;
        data++;
        size--;

        if (target < ELEMENTSOF(schema_names)) {
                /* What the dispatch pipeline does to a body before the handler (parse_body). */
                body = jx_parse((const char *) data, size, &err);
                if (!body) {
                        check_message("the jansson error text", -EINVAL, err.text);
                        return 0;
                }
                if (api_schema_validate_version(schemas[target], body, API_VERSION(2, 79), &msg) < 0) {
                        if (!msg)
                                fuzz_broken("%s failed without a message", schema_names[target]);
                        check_message("a validation message", -EINVAL, msg);
                        return 0;
                }
        }

        ctx_setup(&c, persona);
        r = db_begin(db);
        if (r < 0)
                fuzz_broken("cannot begin a transaction: %s", db_errmsg(db));
        switch (target) {
        case TARGET_METADATA_MERGE:
        case TARGET_METADATA_REPLACE:
                fuzz_metadata(&c, body, target == TARGET_METADATA_REPLACE);
                break;
        case TARGET_METADATA_ITEM:
                fuzz_metadata_item(&c, body);
                break;
        case TARGET_TAGS_REPLACE:
                fuzz_tags(&c, body);
                break;
        case TARGET_METADATA_KEY:
                fuzz_metadata_key(&c, data, size);
                break;
        case TARGET_TAG:
                fuzz_tag(&c, data, size);
                break;
        case TARGET_ACTION:
                fuzz_action(&c, data, size);
                break;
        default:
                abort();
        }
        db_rollback(db);
        ctx_done(&c);
        check_database();
        return 0;
}
