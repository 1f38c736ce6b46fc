/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image members: the projects a shared image is offered to.  The owner
 * adds and removes members; each member accepts or rejects for itself;
 * accepted images show up in the member's default image list.
 */
#include "image/image_internal.h"
#include "util/log.h"

#define MEMBER_SPEC "image_id member_id status i:created_at i:updated_at"

/* Adds the API's string timestamps and schema link to a member row. */
static json_t *member_render(json_t *m) {
        char ts[32];
        json_object_set_new(m, "created_at", json_string(format_iso8601(json_integer_value(json_object_get(m, "created_at")), ts)));
        json_object_set_new(m, "updated_at", json_string(format_iso8601(json_integer_value(json_object_get(m, "updated_at")), ts)));
        json_object_set_new(m, "schema", json_string("/v2/schemas/member"));
        return m;
}

static int member_load(Ctx *c, const char *id, const char *member, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = db_query(c->db, &s, "SELECT image_id, member_id, status, created_at, updated_at"
                         " FROM image_members WHERE image_id = ? AND member_id = ?", "ss", id, member);
        if (r >= 0)
                r = db_step(s);
        if (r < 0)
                return ctx_error(c, -EIO, RES_MEMBER, "Database error while reading image members.");
        if (r == 0)
                return ctx_error(c, -ENOENT, RES_MEMBER, "Member %s not found for image %s.", member, id);
        *ret = member_render(db_row_json(s, MEMBER_SPEC));
        return 0;
}

typedef struct MemberAdd {
        const char *id;
        const char *member;
} MemberAdd;

/* Inserting and counting are one change: concurrent adds cannot pass the quota together. */
static int member_add_locked(Ctx *c, void *userdata) {
        const MemberAdd *a = userdata;
        int64_t now = now_usec(), members = 0;
        int r = db_run(c->db, "INSERT INTO image_members (image_id, member_id, status, created_at, updated_at)"
                              " VALUES (?, ?, 'pending', ?, ?)", "ssii", a->id, a->member, now, now);
        if (r == -EEXIST)
                return ctx_error(c, -EEXIST, RES_MEMBER, "Member %s already exists for image %s.", a->member, a->id);
        if (r >= 0)
                r = db_query_int(c->db, &members, "SELECT COUNT(*) FROM image_members WHERE image_id = ?", "s", a->id);
        if (r < 0)
                return ctx_error(c, -EIO, RES_MEMBER, "Database error while adding a member.");
        /* Glance's ImageMemberLimitExceeded (413). */
        if (members > image_config->image_member_quota)
                return ctx_error(c, -EDQUOT, RES_MEMBER,
                                 "The limit has been exceeded on the number of allowed image members for this image. Attempted: %lld, Maximum: %lld.",
                                 (long long) members, (long long) image_config->image_member_quota);
        return 0;
}

int image_member_add(Ctx *c, const char *id, const char *member, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        if (!streq(jx_string(row, "visibility"), "shared"))
                return ctx_error(c, -EACCES, RES_MEMBER,
                                 "Only shared images have members: image %s is %s.", id, jx_string(row, "visibility"));
        /* Glance checks nothing here; an empty id or one with control characters is garbage in every list. */
        if (!image_name_ok(member))
                return ctx_error(c, -EINVAL, RES_MEMBER,
                                 "Invalid member id: a member id is 1 to %d characters long, with no control characters.",
                                 IMAGE_NAME_MAX);
        r = db_transaction(c, member_add_locked, &(MemberAdd) { .id = id, .member = member });
        if (r < 0)
                return c->error ? r : ctx_error(c, -EIO, RES_MEMBER, "Database error while adding a member.");
        log_full(LOG_LEVEL_INFO, "image", c->request_id, "shared image %s with %s", id, member);
        return member_load(c, id, member, ret);
}

int image_member_list(Ctx *c, const char *id, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *out;
        int r = image_row_visible(c, id, &row);
        if (r < 0)
                return r;
        if (!streq(jx_string(row, "visibility"), "shared"))
                return ctx_error(c, -EACCES, RES_MEMBER, "Only shared images have members.");
        /* The owner sees every member; a member sees only itself. */
        bool all = c->auth.is_admin || image_owned(c, row);
        r = db_query(c->db, &s, "SELECT image_id, member_id, status, created_at, updated_at FROM image_members"
                                " WHERE image_id = ? AND (? = 1 OR member_id = ?) ORDER BY member_id",
                     "sbs", id, (int) all, c->auth.project_id ? c->auth.project_id : "");
        out = json_array();
        while (r >= 0 && (r = db_step(s)) > 0)
                json_array_append_new(out, member_render(db_row_json(s, MEMBER_SPEC)));
        if (r < 0) {
                json_decref(out);
                return ctx_error(c, -EIO, RES_MEMBER, "Database error while listing members.");
        }
        *ret = out;
        return 0;
}

int image_member_get(Ctx *c, const char *id, const char *member, json_t **ret) {
        _cleanup_json_ json_t *row = NULL;
        int r = image_row_visible(c, id, &row);
        if (r < 0)
                return r;
        if (!c->auth.is_admin && !image_owned(c, row) && !streq_ptr(member, c->auth.project_id))
                return ctx_error(c, -ENOENT, RES_MEMBER, "Member %s not found for image %s.", member, id);
        return member_load(c, id, member, ret);
}

int image_member_update(Ctx *c, const char *id, const char *member, const char *status, json_t **ret) {
        _cleanup_json_ json_t *row = NULL, *m = NULL;
        int r = image_row_visible(c, id, &row);
        if (r < 0)
                return r;
        r = member_load(c, id, member, &m);
        if (r < 0)
                return r;
        /* Only the member decides whether it wants the image, not the owner. */
        if (!c->auth.is_admin && !streq_ptr(member, c->auth.project_id))
                return ctx_error(c, -EACCES, RES_MEMBER, "Only the member %s may change its status.", member);
        r = db_run(c->db, "UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member_id = ?",
                   "siss", status, now_usec(), id, member);
        if (r < 0)
                return ctx_error(c, -EIO, RES_MEMBER, "Database error while updating a member.");
        return member_load(c, id, member, ret);
}

int image_member_delete(Ctx *c, const char *id, const char *member) {
        _cleanup_json_ json_t *row = NULL, *m = NULL;
        int r = image_row_for_change(c, id, &row);
        if (r < 0)
                return r;
        r = member_load(c, id, member, &m);
        if (r < 0)
                return r;
        r = db_run(c->db, "DELETE FROM image_members WHERE image_id = ? AND member_id = ?", "ss", id, member);
        return r < 0 ? ctx_error(c, -EIO, RES_MEMBER, "Database error while removing a member.") : 0;
}
