/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tags on networking resources (Neutron's standard-attr-tag): each a
 * string of at most 255 characters, at most 50 on one resource, kept in
 * network_tags; every change bumps the resource's revision_number.  Also
 * the list filters tags, tags-any, not-tags and not-tags-any, as SQL over
 * the same table.
 */
#include "network/network_internal.h"

/* A tag as Neutron takes one (1 to 255 characters), and no control character: tags end up in logs and CLIs. */
static int tag_check(Ctx *c, const char *tag) {
        size_t chars = 0;
        if (isempty(tag))
                return ctx_error(c, -EINVAL, RES_NONE, "Invalid input for operation: A tag may not be empty.");
        if (!utf8_is_valid(tag))
                return ctx_error(c, -EINVAL, RES_NONE, "Invalid input for operation: A tag must be UTF-8 text.");
        for (const unsigned char *p = (const unsigned char *) tag; *p; p++) {
                if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
                        return ctx_error(c, -EINVAL, RES_NONE,
                                         "Invalid input for operation: A tag may not hold control characters.");
                chars += (*p & 0xc0) != 0x80;
        }
        if (chars > NETWORK_TAG_MAX_LEN)
                return ctx_error(c, -EINVAL, RES_NONE, "Invalid input for operation: '%s' exceeds maximum length of %d.",
                                 tag, NETWORK_TAG_MAX_LEN);
        return 0;
}

int network_tags_get(Ctx *c, const char *resource_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *tags = json_array();
        int r = db_query(c->db, &s, "SELECT tag FROM network_tags WHERE resource_id = ? ORDER BY tag", "s", resource_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(tags, json_string(db_col_text(s, 0)));
        if (r < 0) {
                json_decref(tags);
                return res_db_error(c, r, RES_NONE, "reading tags");
        }
        *ret = tags;
        return 0;
}

int network_tag_exists(Ctx *c, const char *resource_id, const char *tag) {
        int64_t n = 0;
        int r = tag_check(c, tag);
        if (r < 0)
                return r;
        r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM network_tags WHERE resource_id = ? AND tag = ?", "ss",
                         resource_id, tag);
        if (r < 0)
                return res_db_error(c, r, RES_NONE, "reading tags");
        return n > 0 ? 0 : ctx_error(c, -ENOENT, RES_NONE, "Tag %s could not be found.", tag);
}

/* How many tags the resource has now; -errno on failure. */
static int64_t tag_count(Ctx *c, const char *resource_id) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM network_tags WHERE resource_id = ?", "s", resource_id);
        return r < 0 ? res_db_error(c, r, RES_NONE, "counting tags") : n;
}

static int limit_error(Ctx *c, const ResDef *d) {
        return ctx_error(c, -EINVAL, d->kind, "Bad %s request: The number of tags exceed the per-resource limit of %d.",
                         d->plural, NETWORK_TAGS_MAX);
}

/* Adds tag (already checked) unless the resource has it; in the caller's transaction. */
static int tag_insert(Ctx *c, const char *resource_id, const char *tag) {
        int r = db_run(c->db, "INSERT INTO network_tags (resource_id, tag) VALUES (?, ?)", "ss", resource_id, tag);
        if (r == -EEXIST)
                return 0;
        return r < 0 ? res_db_error(c, r, RES_NONE, "storing a tag") : 1;
}

int network_tag_add(Ctx *c, const ResDef *d, const char *resource_id, const char *tag) {
        int r = tag_check(c, tag);
        if (r < 0 || (r = tag_insert(c, resource_id, tag)) <= 0)
                return r;
        int64_t n = tag_count(c, resource_id);
        if (n < 0)
                return (int) n;
        if (n > NETWORK_TAGS_MAX)
                return limit_error(c, d);
        return network_revision_touch(c, d, resource_id);
}

/* Checks a list of tags: strings, each a valid tag, none twice, at most NETWORK_TAGS_MAX. */
static int tags_check(Ctx *c, const ResDef *d, const json_t *tags) {
        size_t i, j;
        json_t *t;
        int r;
        if (!json_is_array(tags))
                return ctx_error(c, -EINVAL, d->kind, "Invalid input for operation: Invalid tags body.");
        if (json_array_size(tags) > NETWORK_TAGS_MAX)
                return limit_error(c, d);
        json_array_foreach(tags, i, t) {
                if (!json_is_string(t))
                        return ctx_error(c, -EINVAL, d->kind, "Invalid input for operation: Invalid tags body.");
                if ((r = tag_check(c, json_string_value(t))) < 0)
                        return r;
                for (j = 0; j < i; j++)
                        if (json_equal(t, json_array_get(tags, j)))
                                return ctx_error(c, -EINVAL, d->kind,
                                                 "Invalid input for operation: Duplicate items in the list: '%s'.",
                                                 json_string_value(t));
        }
        return 0;
}

static int tags_insert(Ctx *c, const char *resource_id, const json_t *tags) {
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t) {
                int r = tag_insert(c, resource_id, json_string_value(t));
                if (r < 0)
                        return r;
        }
        return 0;
}

int network_tags_init(Ctx *c, const char *resource_id, const json_t *tags) {
        int r = tags_check(c, &res_port, tags);
        return r < 0 ? r : tags_insert(c, resource_id, tags);
}

int network_tags_add(Ctx *c, const ResDef *d, const char *resource_id, const json_t *tags, bool replace) {
        int r = tags_check(c, d, tags);
        if (r < 0)
                return r;
        if (replace && (r = network_tags_delete(c, resource_id)) < 0)
                return r;
        if ((r = tags_insert(c, resource_id, tags)) < 0)
                return r;
        int64_t n = tag_count(c, resource_id);
        if (n < 0)
                return (int) n;
        if (n > NETWORK_TAGS_MAX)
                return limit_error(c, d);
        return network_revision_touch(c, d, resource_id);
}

int network_tag_remove(Ctx *c, const ResDef *d, const char *resource_id, const char *tag) {
        int r = tag_check(c, tag);
        if (r < 0)
                return r;
        r = db_run(c->db, "DELETE FROM network_tags WHERE resource_id = ? AND tag = ?", "ss", resource_id, tag);
        if (r < 0)
                return res_db_error(c, r, RES_NONE, "deleting a tag");
        if (r == 0)
                return ctx_error(c, -ENOENT, RES_NONE, "Tag %s could not be found.", tag);
        return network_revision_touch(c, d, resource_id);
}

int network_tags_clear(Ctx *c, const ResDef *d, const char *resource_id) {
        int r = db_run(c->db, "DELETE FROM network_tags WHERE resource_id = ?", "s", resource_id);
        if (r < 0)
                return res_db_error(c, r, RES_NONE, "deleting tags");
        return r > 0 ? network_revision_touch(c, d, resource_id) : 0;
}

int network_tags_filter(Ctx *c, const ResDef *d, const char *name, const char *value, ResQuery *q, json_t *keep) {
        bool any = streq(name, "tags-any") || streq(name, "not-tags-any");
        bool negate = startswith(name, "not-");
        size_t first = json_array_size(keep), n = 0;
        if (!streq(name, "tags") && !streq(name, "tags-any") && !streq(name, "not-tags") && !streq(name, "not-tags-any"))
                return 0;
        /* ?tags=a,b; each parameter its own condition, so tags=a&tags=b asks for both too. */
        for (const char *p = value;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                if (len > 0) {
                        if (++n > NETWORK_TAGS_MAX)
                                return ctx_error(c, -EINVAL, d->kind, "Invalid filter '%s': more than %d tags.", name,
                                                 NETWORK_TAGS_MAX);
                        json_t *t = json_stringn(p, len);
                        if (!t)
                                return ctx_error(c, -EINVAL, d->kind, "Invalid filter '%s': tags are UTF-8 text.", name);
                        json_array_append_new(keep, t);
                }
                if (!comma)
                        break;
                p = comma + 1;
        }
        if (n == 0)
                return 1;
        /* all: the resource has every one of them (duplicates asked for count once); any: at least one. */
        buf_printf(&q->where, " AND %s(SELECT COUNT(DISTINCT tag) FROM network_tags WHERE resource_id = %s.id AND tag IN (",
                   negate ? "NOT " : "", d->table);
        size_t distinct = 0;
        for (size_t i = first; i < first + n; i++) {
                json_t *t = json_array_get(keep, i);
                bool seen = false;
                for (size_t j = first; j < i; j++)
                        seen = seen || json_equal(t, json_array_get(keep, j));
                if (seen)
                        continue;
                buf_puts(&q->where, distinct++ ? ", ?" : "?");
                db_args_str(&q->args, json_string_value(t));
        }
        if (any)
                buf_puts(&q->where, ")) > 0");
        else
                buf_printf(&q->where, ")) = %zu", distinct);
        return 1;
}
