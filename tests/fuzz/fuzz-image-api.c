/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over what the image service does with untrusted
 * request input.  The first byte picks what the rest of the input is:
 *
 *   low 4 bits (mod 7)  0 a create body, 1 a JSON-patch body, 2 a member
 *                       create body, 3 a member update body: each parsed
 *                       and validated against its schema as the dispatch
 *                       pipeline does, then, when valid, given to the real
 *                       service function on a real SQLite database;
 *                       4 a Range header (8 bytes of size, then the header);
 *                       5 a list query ("sort_key=K&sort_dir=D&sort=S"),
 *                       for image_list_sort and then image_list;
 *                       6 a tag as PUT/DELETE .../tags/{tag} get it, added
 *                       to the fixed image and removed again.
 *   bit 7 clear         the caller is an admin of the project owning the
 *                       fixed image; set, a plain member of that project
 *                       (bit 6 clear) or of the project it is shared with
 *                       (bit 6 set).
 *
 * LLVMFuzzerInitialize makes a state dir with a migrated database holding
 * one shared image with a member; each input runs inside an outer
 * transaction that is rolled back, so inputs stay independent.  Aborts when
 * a result breaks a contract: a server error (5xx) for client input, a
 * change that does not read back as requested, an error body that cannot
 * be rendered, a transaction left open, a tag or member id that is empty
 * or holds control characters, or more tags, properties or members than
 * the quotas (Glance's 128 each) let through.  Run by tests/fuzz/run; seeds live
 * in tests/fuzz/corpus/fuzz-image-api/.
 */
#include "api/api_range.h"
#include "api/api_schema.h"
#include "fuzz_service.h"
#include "image/image.h"
#include "util/buf.h"

#include <inttypes.h>

#define OWNER_PROJECT "f0220e4b0d6e4d1c9c4ce8f3b3a4c001"
#define MEMBER_PROJECT "f0220e4b0d6e4d1c9c4ce8f3b3a4c002"
#define IMAGE_ID "8c1a3d6e-5f0b-4f7e-9a41-2d3c4b5a6f70"

typedef enum Target {
        TARGET_CREATE,
        TARGET_PATCH,
        TARGET_MEMBER_CREATE,
        TARGET_MEMBER_UPDATE,
        TARGET_RANGE,
        TARGET_SORT,
        TARGET_TAG,
        _TARGET_MAX,
} Target;

typedef enum Persona {
        PERSONA_ADMIN,          /* admin (and member) of OWNER_PROJECT */
        PERSONA_OWNER_MEMBER,   /* member of OWNER_PROJECT */
        PERSONA_SHARED_MEMBER,  /* member of MEMBER_PROJECT, which the image is shared with */
        _PERSONA_MAX,
} Persona;

/* The request schemas of the image routes (src/image/image_api.c), by target. */
static const char *const schema_names[] = {
        [TARGET_CREATE] = "image-create.json",
        [TARGET_PATCH] = "image-patch.json",
        [TARGET_MEMBER_CREATE] = "image-member-create.json",
        [TARGET_MEMBER_UPDATE] = "image-member-update.json",
};

/* The attributes of a rendered image that are not properties. */
static bool is_image_attribute(const char *key) {
        static const char *const attributes[] = {
                "id", "name", "owner", "status", "visibility", "protected", "os_hidden", "disk_format",
                "container_format", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "min_ram",
                "min_disk", "created_at", "updated_at", "tags", "self", "file", "schema",
        };
        for (size_t i = 0; i < ELEMENTSOF(attributes); i++)
                if (streq(key, attributes[i]))
                        return true;
        return false;
}

/* The image service's schemas, embedded by the build (src/image/meson.build). */
extern const EmbeddedFile image_api_schemas[];

/* Borrowed from api_schema_get's cache. */
static const json_t *schemas[ELEMENTSOF(schema_names)];
static Db *db;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ctx_setup(Ctx *c, Persona p) {
        fuzz_ctx(c, db, p == PERSONA_SHARED_MEMBER ? MEMBER_PROJECT : OWNER_PROJECT, p == PERSONA_ADMIN);
}

/* The fixed image the patch and member inputs target, with properties, tags and a member. */
static void fixture_create(void) {
        static const char body_text[] =
                "{\"id\": \"" IMAGE_ID "\", \"name\": \"fuzz-fixed\", \"visibility\": \"shared\","
                " \"disk_format\": \"qcow2\", \"container_format\": \"bare\", \"tags\": [\"a\", \"b\"],"
                " \"os_distro\": \"debian\", \"hw_disk_bus\": \"virtio\"}";
        _cleanup_json_ json_t *body = NULL, *image = NULL, *member = NULL;
        json_error_t err;
        Ctx c;
        int r;

        body = jx_parse(body_text, strlen(body_text), &err);
        if (!body || api_schema_validate(schemas[TARGET_CREATE], body, NULL) < 0)
                fuzz_broken("the fixed image's body is not a valid create body");
        ctx_setup(&c, PERSONA_ADMIN);
        r = image_create(&c, body, &image);
        if (r >= 0)
                r = image_member_add(&c, IMAGE_ID, MEMBER_PROJECT, &member);
        if (r < 0)
                fuzz_broken("cannot create the fixed image: %s", c.error_message ? c.error_message : strerror(-r));
        ctx_done(&c);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static Config cfg; /* image_setup keeps it: it lives as long as the process */
        int r;

        fuzz_schemas(image_api_schemas, schema_names, ELEMENTSOF(schema_names), schemas);
        /* As gureumd starts: the configured database, migrated, then the image store. */
        db = fuzz_state_open(&cfg);
        r = image_setup(&cfg);
        if (r < 0)
                fuzz_broken("cannot set up the image store in %s: %s", cfg.state_dir, strerror(-r));
        fixture_create();
        return 0;
}

/* A failure's message must render into Glance's error body as the daemon renders it. */
static void check_message(const char *what, int code, const char *msg) {
        fuzz_check_message(what, API_STYLE_GLANCE, code, RES_IMAGE, msg);
}

/*
 * What every service call must do with client input: fail with a client
 * error (never a 5xx) and a message that renders, or succeed with a
 * result the API can serialise if it returns one (has_result).  Consumes
 * result.
 */
static void check_call(const char *what, Ctx *c, int r, json_t *result, bool has_result) {
        _cleanup_json_ json_t *owned = result;
        _cleanup_free_ char *text = NULL;

        if (r < 0) {
                if (owned)
                        fuzz_broken("%s failed (%s) but returned a result", what, strerror(-r));
                if (api_error_lookup(r, RES_IMAGE, API_STYLE_GLANCE)->status >= 500)
                        fuzz_broken("%s answered client input with a server error (%s): %s", what, strerror(-r),
                               c->error_message ? c->error_message : "(no message)");
                check_message(what, r, c->error_message);
                ctx_clear_error(c);
                return;
        }
        if (!has_result)
                return;
        if (!owned)
                fuzz_broken("%s succeeded without a result", what);
        text = jx_dump(owned);
        if (!text)
                fuzz_broken("%s returned a result that cannot be serialised", what);
}

/*
 * What a stored tag or member id must be (F6, F11), checked independently
 * of the service's own test: 1 to 255 characters, none of them a control
 * character (C0, DEL, C1).
 */
static bool name_acceptable(const char *s) {
        size_t chars = 0;

        if (isempty(s))
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
                        return false;
                chars += (*p & 0xc0) != 0x80;
        }
        return chars <= 255;
}

/* The image's tags are acceptable names, and its tags and properties within the quotas. */
static void check_limits(const char *what, const json_t *image) {
        const json_t *tags = json_object_get(image, "tags"), *v;
        size_t i, properties = 0;
        const char *key;

        json_array_foreach(tags, i, v)
                if (!name_acceptable(json_string_value(v)))
                        fuzz_broken("%s: the image got the tag \"%s\", which is empty or holds control characters", what,
                               json_string_value(v));
        if (json_array_size(tags) > 128)
                fuzz_broken("%s: the image has %zu tags, past the quota of 128", what, json_array_size(tags));
        /* Every attribute not in the image schema's own list is a property. */
        json_object_foreach((json_t *) image, key, v)
                properties += !is_image_attribute(key);
        if (properties > 128)
                fuzz_broken("%s: the image has %zu properties, past the quota of 128", what, properties);
}

static void check_tags(const char *what, const json_t *image, const json_t *want) {
        const json_t *tags = json_object_get(image, "tags");
        size_t i, j, distinct = 0;
        json_t *t;

        json_array_foreach(want, i, t) {
                bool found = false, seen = false;
                for (j = 0; j < i; j++)
                        seen = seen || json_equal(json_array_get(want, j), t);
                distinct += !seen;
                for (j = 0; j < json_array_size(tags); j++)
                        found = found || json_equal(json_array_get(tags, j), t);
                if (!found)
                        fuzz_broken("%s: tag \"%s\" was set but is not in the image", what, json_string_value(t));
        }
        if (json_array_size(tags) != distinct)
                fuzz_broken("%s: the image has %zu tags, %zu were set", what, json_array_size(tags), distinct);
}

/* Whether the rendered image shows each attribute of want as set (tags as a set). */
static void check_attrs(const char *what, const json_t *image, const json_t *want, const json_t *removed) {
        const char *key;
        json_t *v;

        json_object_foreach((json_t *) want, key, v) {
                if (streq(key, "tags")) {
                        check_tags(what, image, v);
                        continue;
                }
                if (!json_equal(json_object_get(image, key), v)) {
                        _cleanup_free_ char *got = json_object_get(image, key)
                                                           ? json_dumps(json_object_get(image, key), JSON_ENCODE_ANY)
                                                           : xstrdup("(absent)");
                        _cleanup_free_ char *exp = json_dumps(v, JSON_ENCODE_ANY);
                        fuzz_broken("%s: attribute '%s' reads back as %s, not %s", what, key, got, exp);
                }
        }
        json_object_foreach((json_t *) removed, key, v)
                if (json_object_get(image, key))
                        fuzz_broken("%s: property '%s' was removed but is still there", what, key);
}

static void fuzz_create(Ctx *c, const json_t *body) {
        _cleanup_json_ json_t *want = json_deep_copy(body), *removed = json_object();
        json_t *image = NULL;
        int r = image_create(c, body, &image);

        if (r >= 0) {
                /* What the service fills in for what the body leaves out. */
                if (!jx_string(want, "owner"))
                        json_object_set_new(want, "owner", json_string(c->auth.project_id));
                if (!json_object_get(want, "visibility"))
                        json_object_set_new(want, "visibility", json_string("shared"));
                json_object_set_new(want, "status", json_string("queued"));
                check_attrs("image_create", image, want, removed);
                check_limits("image_create", image);
        }
        check_call("image_create", c, r, image, true);
}

/* Decodes a JSON pointer of one level ("/name", with ~1 and ~0 escapes); NULL if it has more. */
static char *pointer_decode(const char *path) {
        Buf b = {};

        if (!path || path[0] != '/' || strchr(path + 1, '/'))
                return NULL;
        for (const char *p = path + 1; *p; p++)
                if (p[0] == '~' && (p[1] == '0' || p[1] == '1')) {
                        buf_puts(&b, p[1] == '0' ? "~" : "/");
                        p++;
                } else
                        buf_append(&b, p, 1);
        return buf_steal(&b);
}

/*
 * What a successful patch must have left behind: the value of the last
 * add or replace of each attribute, and no trace of a removed property.
 */
static void patch_expect(const json_t *ops, json_t *want, json_t *removed) {
        static const char *const names[] = { "add", "remove", "replace" };
        size_t i;
        json_t *op;

        json_array_foreach(ops, i, op) {
                const char *name = jx_string(op, "op"), *path = jx_string(op, "path");
                for (size_t k = 0; !name && k < ELEMENTSOF(names); k++)
                        if (jx_string(op, names[k])) {
                                name = names[k];
                                path = jx_string(op, names[k]);
                        }
                _cleanup_free_ char *attr = pointer_decode(path);
                if (!name || !attr)
                        fuzz_broken("image_patch accepted an operation without op and a one-level path");
                if (streq(name, "remove")) {
                        json_object_del(want, attr);
                        json_object_set_new(removed, attr, json_true());
                } else {
                        json_object_set(want, attr, json_object_get(op, "value"));
                        json_object_del(removed, attr);
                }
        }
}

static void fuzz_patch(Ctx *c, const json_t *ops) {
        json_t *image = NULL;
        int r = image_patch(c, IMAGE_ID, ops, &image);

        if (r >= 0) {
                _cleanup_json_ json_t *want = json_object(), *removed = json_object();
                patch_expect(ops, want, removed);
                check_attrs("image_patch", image, want, removed);
                check_limits("image_patch", image);
        }
        check_call("image_patch", c, r, image, true);
}

static void check_member(const char *what, const json_t *m, const char *member, const char *status) {
        const char *image_id = jx_string(m, "image_id"), *member_id = jx_string(m, "member_id"),
                   *got = jx_string(m, "status");

        if (!streq_ptr(image_id, IMAGE_ID) || !streq_ptr(member_id, member) || !streq_ptr(got, status))
                fuzz_broken("%s: member %s of %s reads back as %s/%s/%s, not %s", what, member, IMAGE_ID,
                       image_id ? image_id : "(null)", member_id ? member_id : "(null)", got ? got : "(null)",
                       status);
}

static bool member_listed(const json_t *list, const char *member) {
        size_t i;
        json_t *m;

        json_array_foreach(list, i, m)
                if (streq_ptr(jx_string(m, "member_id"), member))
                        return true;
        return false;
}

/* Adds the member, then walks it through what the member routes do with it. */
static void fuzz_member_create(Ctx *c, const json_t *body) {
        const char *member = jx_string(body, "member");
        json_t *m = NULL, *list = NULL;
        int r = image_member_add(c, IMAGE_ID, member, &m);

        if (r >= 0) {
                check_member("image_member_add", m, member, "pending");
                if (!name_acceptable(member))
                        fuzz_broken("image_member_add accepted the member id \"%s\", which is empty or holds control characters",
                               member);
        }
        check_call("image_member_add", c, r, m, true);
        if (r < 0)
                return;

        r = image_member_list(c, IMAGE_ID, &list);
        if (r >= 0 && !member_listed(list, member))
                fuzz_broken("image_member_list: the member %s just added is not listed", member);
        check_call("image_member_list", c, r, list, true);
        m = NULL;
        r = image_member_get(c, IMAGE_ID, member, &m);
        if (r >= 0)
                check_member("image_member_get", m, member, "pending");
        check_call("image_member_get", c, r, m, true);
        m = NULL;
        r = image_member_update(c, IMAGE_ID, member, "accepted", &m);
        if (r >= 0)
                check_member("image_member_update", m, member, "accepted");
        check_call("image_member_update", c, r, m, true);
        r = image_member_delete(c, IMAGE_ID, member);
        check_call("image_member_delete", c, r, NULL, false);
}

static void fuzz_member_update(Ctx *c, const json_t *body) {
        const char *status = jx_string(body, "status");
        json_t *m = NULL;
        int r = image_member_update(c, IMAGE_ID, MEMBER_PROJECT, status, &m);

        if (r >= 0)
                check_member("image_member_update", m, MEMBER_PROJECT, status);
        check_call("image_member_update", c, r, m, true);
}

/* Input: 8 bytes of size (little endian, zero-padded), then the header up to the first NUL. */
static void fuzz_range(const uint8_t *data, size_t size) {
        uint64_t n = 0, start = UINT64_MAX, len = UINT64_MAX;
        size_t k = size < 8 ? size : 8;
        _cleanup_free_ char *header = NULL;
        int r;

        for (size_t i = 0; i < k; i++)
                n |= (uint64_t) data[i] << (8 * i);
        /* The size is a file size (st_size), as api_range.h requires. */
        n &= INT64_MAX;
        header = xstrndup((const char *) data + k, size - k);
        r = api_range_parse(header, n, &start, &len);
        if (r == -EINVAL || r == -ERANGE) {
                if (start != UINT64_MAX || len != UINT64_MAX)
                        fuzz_broken("api_range_parse(\"%s\", %" PRIu64 ") failed but wrote its outputs", header, n);
                return;
        }
        if (r != 0)
                fuzz_broken("api_range_parse(\"%s\", %" PRIu64 ") returned %d", header, n, r);
        if (start >= n || len < 1 || len > n - start)
                fuzz_broken("api_range_parse(\"%s\", %" PRIu64 ") gave start %" PRIu64 " length %" PRIu64
                       ", outside the data",
                       header, n, start, len);
}

/*
 * Whether order_by is "KEY DIR, ..., id desc" with keys from
 * image_list_sort's list, none twice but for the final id (so the clause
 * stays far below SQLite's limit of terms whatever the query).
 */
static bool order_by_valid(const char *order_by) {
        static const char *const keys[] = {
                "name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at",
                "visibility", "owner", "min_ram", "min_disk", "virtual_size",
        };
        static const char tail[] = ", id desc";
        size_t n = strlen(order_by);
        _cleanup_free_ char *copy = NULL;
        bool seen[ELEMENTSOF(keys)] = {};
        char *save = NULL, *last = NULL;

        if (n < strlen(tail) || !streq(order_by + n - strlen(tail), tail))
                return false;
        copy = xstrndup(order_by, n - strlen(tail));
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *dir;
                size_t i;

                if (last && *item++ != ' ')
                        return false;
                dir = strchr(item, ' ');
                if (!dir)
                        return false;
                *dir++ = '\0';
                for (i = 0; i < ELEMENTSOF(keys); i++)
                        if (streq(item, keys[i]))
                                break;
                if (i == ELEMENTSOF(keys) || seen[i] || (!streq(dir, "asc") && !streq(dir, "desc")))
                        return false;
                seen[i] = true;
                last = item;
        }
        return last != NULL;
}

/* Input: a query string of sort_key, sort_dir and sort parameters (others ignored), '&'-separated. */
static void fuzz_sort(Ctx *c, const uint8_t *data, size_t size) {
        ImageListQuery q = { .filters = json_object(), .size_min = -1, .size_max = -1, .os_hidden = -1, .limit = 25 };
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        /* api_query_all's lists; borrowed strings, in text. */
        _cleanup_free_ char **keys = NULL, **dirs = NULL;
        const char *sort = NULL;
        size_t n = 1, nk = 0, nd = 0;
        char *save = NULL;
        json_t *images = NULL;
        bool more;
        int r;

        for (const char *p = text; (p = strchr(p, '&')); p++)
                n++;
        keys = xcalloc(n + 1, sizeof(char *));
        dirs = xcalloc(n + 1, sizeof(char *));
        for (char *p = strtok_r(text, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
                char *eq = strchr(p, '=');
                char *v = eq ? eq + 1 : p + strlen(p);
                if (eq)
                        *eq = '\0';
                if (streq(p, "sort_key"))
                        keys[nk++] = v;
                else if (streq(p, "sort_dir"))
                        dirs[nd++] = v;
                else if (streq(p, "sort") && !sort)
                        sort = v; /* api_query: the first value */
        }
        r = image_list_sort(c, &q, keys, dirs, sort);
        if (r < 0) {
                if (r != -EINVAL || !c->error_message)
                        fuzz_broken("image_list_sort failed with %d and no message or not as -EINVAL", r);
                check_call("image_list_sort", c, r, NULL, false);
        } else {
                if (!q.order_by || !order_by_valid(q.order_by))
                        fuzz_broken("image_list_sort made ORDER BY '%s'", q.order_by ? q.order_by : "(null)");
                r = image_list(c, &q, &images, &more);
                /* The shared-with project has not accepted the fixed image: its list is empty. */
                if (r >= 0 && streq(c->auth.project_id, OWNER_PROJECT) && json_array_size(images) != 1)
                        fuzz_broken("image_list shows %zu images, not the fixed one", json_array_size(images));
                check_call("image_list", c, r, images, true);
        }
        image_list_query_done(&q);
}

/* Input: the tag, as url_decode_params leaves it (up to the first NUL). */
static void fuzz_tag(Ctx *c, const uint8_t *data, size_t size) {
        _cleanup_free_ char *tag = xstrndup((const char *) data, size);
        json_t *image = NULL;
        bool found = false;
        size_t i;
        json_t *t;
        int r;

        /* The pipeline answers 400 for path parameters that are not UTF-8 before any handler runs. */
        if (!utf8_is_valid(tag))
                return;
        r = image_tag(c, IMAGE_ID, tag, true);
        if (r >= 0 && !name_acceptable(tag))
                fuzz_broken("image_tag accepted the tag \"%s\", which is empty or holds control characters", tag);
        check_call("image_tag add", c, r, NULL, false);
        if (r < 0)
                return;
        r = image_get(c, IMAGE_ID, &image);
        if (r < 0)
                fuzz_broken("image_get of the fixed image failed after a tag was added: %s",
                       c->error_message ? c->error_message : strerror(-r));
        json_array_foreach(json_object_get(image, "tags"), i, t)
                found = found || streq(json_string_value(t), tag);
        if (!found)
                fuzz_broken("image_tag added \"%s\", but the image does not have it", tag);
        check_limits("image_tag", image);
        check_call("image_get", c, r, image, true);
        r = image_tag(c, IMAGE_ID, tag, false);
        if (r < 0)
                fuzz_broken("image_tag could not remove the tag \"%s\" it had just added: %s", tag,
                       c->error_message ? c->error_message : strerror(-r));
}

static int64_t count_rows(const char *sql) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(db, &s, sql, "");

        if (r >= 0)
                r = db_step(s);
        if (r <= 0)
                fuzz_broken("cannot run '%s': %s", sql, db_errmsg(db));
        return db_col_int(s, 0);
}

/* Fails unless the database is outside any transaction and holds just the fixture. */
static void check_database(void) {
        int64_t images, members;

        if (db_exec_script(db, "BEGIN; ROLLBACK;") < 0)
                fuzz_broken("an input left a transaction open: %s", db_errmsg(db));
        images = count_rows("SELECT COUNT(*) FROM images");
        members = count_rows("SELECT COUNT(*) FROM image_members");
        if (images != 1 || members != 1)
                fuzz_broken("an input's changes outlived its rollback: %" PRId64 " images, %" PRId64 " members", images,
                       members);
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
        persona = !(data[0] & 0x80) ? PERSONA_ADMIN : (data[0] & 0x40) ? PERSONA_SHARED_MEMBER : PERSONA_OWNER_MEMBER;
        data++;
        size--;

        if (target == TARGET_RANGE) {
                fuzz_range(data, size);
                return 0;
        }
        if (target != TARGET_SORT && target != TARGET_TAG) {
                /* What the dispatch pipeline does to a body before the handler (parse_body). */
                body = jx_parse((const char *) data, size, &err);
                if (!body) {
                        check_message("the jansson error text", -EINVAL, err.text);
                        return 0;
                }
                if (api_schema_validate(schemas[target], body, &msg) < 0) {
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
        case TARGET_CREATE:
                fuzz_create(&c, body);
                break;
        case TARGET_PATCH:
                fuzz_patch(&c, body);
                break;
        case TARGET_MEMBER_CREATE:
                fuzz_member_create(&c, body);
                break;
        case TARGET_MEMBER_UPDATE:
                fuzz_member_update(&c, body);
                break;
        case TARGET_SORT:
                fuzz_sort(&c, data, size);
                break;
        case TARGET_TAG:
                fuzz_tag(&c, data, size);
                break;
        default:
                abort();
        }
        db_rollback(db);
        ctx_done(&c);
        check_database();
        return 0;
}
