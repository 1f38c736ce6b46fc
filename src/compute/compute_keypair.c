/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key pairs: public keys a user registers (or has generated) to be put
 * into its servers.  They belong to a user, not a project, and are named:
 * the pair (user_id, name) is unique.
 */
#include "compute/compute_internal.h"

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
                return ctx_error(c, r, RES_KEYPAIR, "Keypair %s not found for user %s.", name, user_id);
        return r;
}
