/* SPDX-License-Identifier: Apache-2.0 */
/* Request context and error recording (see ctx.h). */
#include "core/ctx.h"

void ctx_init(Ctx *c, struct Db *db) {
        _cleanup_free_ char *u = uuid_dashed_new();
        *c = (Ctx) { .db = db };
        snprintf(c->request_id, sizeof(c->request_id), "req-%s", u);
}

void auth_done(Auth *a) {
        free(a->user_id);
        free(a->user_name);
        free(a->user_domain_id);
        free(a->project_id);
        free(a->project_domain_id);
        free(a->domain_id);
        strv_free(a->roles);
        free(a->token);
        *a = (Auth) {};
}

void ctx_done(Ctx *c) {
        auth_done(&c->auth);
        free(c->error_message);
        c->error_message = NULL;
}

int ctx_error(Ctx *c, int code, ResourceKind res, const char *fmt, ...) {
        va_list ap;

        if (c->error)
                return code;
        c->error = code;
        c->error_resource = res;
        va_start(ap, fmt);
        c->error_message = xvasprintf(fmt, ap);
        va_end(ap);
        return code;
}

void ctx_clear_error(Ctx *c) {
        c->error = 0;
        c->error_resource = RES_NONE;
        free(c->error_message);
        c->error_message = NULL;
}

bool auth_has_role(const Auth *a, const char *role) {
        for (char **r = a->roles; r && *r; r++)
                if (streq(*r, role))
                        return true;
        return false;
}
