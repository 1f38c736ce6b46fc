/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key pairs: public keys a user registers (or has generated) to be put
 * into its servers.  They belong to a user, not a project, and are named:
 * the pair (user_id, name) is unique.  Nova's rules: names of letters,
 * digits, '_', '-' and inner spaces; the key_pairs quota counted per user;
 * 403, 400 and 409 in that order; an integer id (seq) given in the
 * insert's transaction.  Generating a key (compute_keygen.c) and checking
 * one (compute_pubkey.c) happen before the transaction, never inside it.
 */
#include "compute/compute_internal.h"
#include "compute/compute_pubkey.h"
#include "util/log.h"

static const ResField keypair_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_SORT },
        { "user_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE },
        { "type", RES_STRING, RES_REQUIRED, .min_version = API_VERSION(2, 2) },
        { "public_key", RES_STRING, RES_REQUIRED },
        { "fingerprint", RES_STRING, RES_REQUIRED },
        { "seq", RES_INT, RES_HIDDEN },
        { "created_at", RES_TIME, 0 },
        { "updated_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_keypair = {
        .kind = RES_KEYPAIR, .table = "keypairs", .singular = "keypair", .plural = "keypairs",
        .path = "os-keypairs", .fields = keypair_fields, .id_kind = RES_ID_UUID, .order_by = "name",
        .not_found = "Keypair %s not found.",
        .conflict = "Key pair '%s' already exists.",
};

int compute_keypair_find(Ctx *c, const char *user_id, const char *name, json_t **ret) {
        DbArg a[2] = { { .type = 's', .s = user_id }, { .type = 's', .s = name } };
        DbArgs args = { .v = a, .n = 2 };
        int r = res_find(c, &res_keypair, "user_id = ? AND name = ?", &args, ret);
        if (r == -ENOENT)
                return ctx_error(c, r, RES_KEYPAIR, "Keypair %s not found for user %s", name, user_id);
        return r;
}

bool compute_keypair_name_valid(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > 255 || name[0] == ' ' || name[n - 1] == ' ')
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_- ") == n;
}

/* Nova's user ids in keypairs: 1 to 255 of [a-zA-Z0-9-] (parameter_types.user_id). */
static bool user_id_valid(const char *s) {
        size_t n = strlen(s);
        return n > 0 && n <= 255 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* -EDQUOT with Nova's message when user_id has as many key pairs as the caller's project allows. */
static int check_quota(Ctx *c, const char *user_id) {
        int64_t limit = -1, count = 0;
        int r = compute_quota_limit(c, c->auth.project_id ? c->auth.project_id : "", "key_pairs", &limit);
        if (r < 0 || limit < 0)
                return r;
        r = db_query_int(c->db, &count, "SELECT COUNT(*) FROM keypairs WHERE user_id = ?", "s", user_id);
        if (r < 0)
                return res_db_error(c, r, RES_KEYPAIR, "counting key pairs");
        if (count + 1 > limit)
                return ctx_error(c, -EDQUOT, RES_QUOTA, "Quota exceeded, too many key pairs.");
        return 0;
}

static int check_unique(Ctx *c, const char *user_id, const char *name) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM keypairs WHERE user_id = ? AND name = ?", "ss", user_id,
                             name);
        if (r < 0)
                return res_db_error(c, r, RES_KEYPAIR, "reading key pairs");
        return n > 0 ? ctx_error(c, -EEXIST, RES_KEYPAIR, "Key pair '%s' already exists.", name) : 0;
}

typedef struct KeypairInsert {
        const KeypairCreate *rq;
        const char *id, *public_key, *fingerprint;
} KeypairInsert;

static int insert_locked(Ctx *c, void *userdata) {
        const KeypairInsert *k = userdata;
        int64_t now = now_usec();
        int r = check_quota(c, k->rq->user_id);
        if (r >= 0)
                r = check_unique(c, k->rq->user_id, k->rq->name);
        if (r < 0)
                return r;
        /*
         * seq, Nova's integer id, is the next one in this transaction, which
         * holds the write lock (db_begin), so two creates never pick the
         * same.  A PostgreSQL backend, whose writers do not serialise so,
         * will want a sequence here.
         */
        r = db_run(c->db,
                   "INSERT INTO keypairs (id, seq, user_id, name, type, public_key, fingerprint, created_at, updated_at)"
                   " SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM keypairs",
                   "ssssssii", k->id, k->rq->user_id, k->rq->name, k->rq->type, k->public_key, k->fingerprint, now,
                   now);
        if (r == -EEXIST)
                return ctx_error(c, -EEXIST, RES_KEYPAIR, "Key pair '%s' already exists.", k->rq->name);
        return r < 0 ? res_db_error(c, r, RES_KEYPAIR, "storing a key pair") : 0;
}

int compute_keypair_create(Ctx *c, const KeypairCreate *rq, json_t **ret, char **ret_private_key) {
        _cleanup_free_ char *id = uuid_dashed_new(), *fingerprint = NULL, *generated = NULL, *private_key = NULL;
        const char *public_key = rq->public_key;
        Error e = {};
        int r;

        if (!compute_keypair_name_valid(rq->name))
                return ctx_error(c, -EINVAL, RES_KEYPAIR,
                                 "Invalid input for field/attribute name. Value: %s. A key pair name is 1 to 255 "
                                 "letters, digits, '_', '-' and spaces, and does not start or end with a space.",
                                 rq->name);
        if (!user_id_valid(rq->user_id))
                return ctx_error(c, -EINVAL, RES_KEYPAIR, "Invalid input for field/attribute user_id. Value: %s.",
                                 rq->user_id);
        /* The quota first, as Nova: a user at the limit hears so before anything else is checked. */
        r = check_quota(c, rq->user_id);
        if (r < 0)
                return r;
        if (public_key) {
                r = streq(rq->type, "x509") ? compute_pubkey_x509(public_key, &fingerprint, &e)
                                            : compute_pubkey_ssh(public_key, &fingerprint, &e);
                if (r < 0)
                        return ctx_error(c, -EINVAL, RES_KEYPAIR, "Keypair data is invalid: failed to generate %s"
                                         "fingerprint (%s).", streq(rq->type, "x509") ? "X509 " : "", e.message);
        } else {
                /* Refused before the (slow) generation when the name is taken; checked again below. */
                r = check_unique(c, rq->user_id, rq->name);
                if (r >= 0)
                        r = compute_keygen(c, rq->type, rq->name, rq->user_id, &private_key, &generated, &fingerprint);
                if (r < 0)
                        return r;
                public_key = generated;
        }
        KeypairInsert k = { rq, id, public_key, fingerprint };
        r = res_transaction(c, "storing a key pair", insert_locked, &k);
        if (r >= 0)
                r = res_get(c, &res_keypair, id, ret);
        if (r < 0)
                return r;
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "%s key pair '%s' of user %s",
                 rq->public_key ? "imported" : "generated", rq->name, rq->user_id);
        if (ret_private_key)
                *ret_private_key = TAKE_PTR(private_key);
        return 0;
}

int compute_keypair_list(Ctx *c, const char *user_id, const char *marker, int64_t limit, json_t **ret,
                         bool *ret_more) {
        DbArg a[2] = { { .type = 's', .s = user_id }, { .type = 's', .s = marker } };
        DbArgs args = { .v = a, .n = marker ? 2 : 1 };
        _cleanup_json_ json_t *rows = NULL;
        int r;

        if (marker) {
                _cleanup_json_ json_t *m = NULL;
                r = res_find(c, &res_keypair, "user_id = ? AND name = ?", &args, &m);
                if (r == -ENOENT)
                        return ctx_error(c, -EINVAL, RES_KEYPAIR, "Marker %s could not be found.", marker);
                if (r < 0)
                        return r;
        }
        ResQuery q;
        res_query_init(&q);
        buf_puts(&q.where, marker ? " AND user_id = ? AND name > ?" : " AND user_id = ?");
        for (size_t i = 0; i < args.n; i++)
                db_args_add(&q.args, a[i]);
        q.order_by = xstrdup("name asc");
        q.limit = limit;
        r = res_list(c, &res_keypair, &q, &rows, ret_more);
        res_query_done(&q);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rows);
        return 0;
}

int compute_keypair_delete(Ctx *c, const char *user_id, const char *name) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_keypair_find(c, user_id, name, &rec);
        if (r < 0)
                return r;
        r = db_run(c->db, "DELETE FROM keypairs WHERE id = ?", "s", jx_string(rec, "id"));
        if (r < 0)
                return res_db_error(c, r, RES_KEYPAIR, "deleting a key pair");
        if (r == 0)
                return ctx_error(c, -ENOENT, RES_KEYPAIR, "Keypair %s not found for user %s", name, user_id);
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "deleted key pair '%s' of user %s", name, user_id);
        return 0;
}
