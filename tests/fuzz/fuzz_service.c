/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz_service.h"

#include "api/api_schema.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static char *state_dir;
static Db *state_db;

void fuzz_broken(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        abort();
}

void fuzz_schemas(const EmbeddedFile *files, const char *const *names, size_t n, const json_t **ret) {
        api_schema_register(files);
        for (size_t i = 0; i < n; i++)
                if (names[i] && !(ret[i] = api_schema_get(names[i])))
                        fuzz_broken("schema %s is not embedded", names[i]);
        log_set_level(LOG_LEVEL_ERROR);
}

/* Removes dir and everything in it. */
static void dir_remove(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (d) {
                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                                if (unlink(p) < 0 && errno == EISDIR)
                                        dir_remove(p);
                        }
                closedir(d);
        }
        (void) rmdir(dir);
}

static void state_cleanup(void) {
        state_db = db_close(state_db);
        if (state_dir)
                dir_remove(state_dir);
        free(state_dir);
        state_dir = NULL;
}

Db *fuzz_state_open(Config *cfg) {
        const char *tmp = getenv("TMPDIR");
        int r;

        state_dir = xasprintf("%s/gureum-fuzz-XXXXXX", isempty(tmp) ? "/tmp" : tmp);
        if (!mkdtemp(state_dir))
                fuzz_broken("mkdtemp %s: %s", state_dir, strerror(errno));
        atexit(state_cleanup);
        config_defaults(cfg);
        free(cfg->state_dir);
        cfg->state_dir = xstrdup(state_dir);
        r = db_open(cfg->db_connection, cfg->state_dir, &state_db);
        if (r < 0)
                fuzz_broken("cannot open the database in %s: %s", state_dir, strerror(-r));
        if (db_migrate(state_db) < 0)
                fuzz_broken("database migration failed: %s", db_errmsg(state_db));
        return state_db;
}

void fuzz_ctx(Ctx *c, Db *db, const char *project_id, bool admin) {
        char **roles = xcalloc(4, sizeof(char *));

        roles[0] = xstrdup("reader");
        roles[1] = xstrdup("member");
        if (admin)
                roles[2] = xstrdup("admin");
        ctx_init(c, db);
        c->auth = (Auth) {
                .authenticated = true,
                .user_id = xstrdup(admin ? "fuzz-admin" : "fuzz-user"),
                .user_name = xstrdup(admin ? "fuzz-admin" : "fuzz-user"),
                .user_domain_id = xstrdup("default"),
                .project_id = xstrdup(project_id),
                .project_domain_id = xstrdup("default"),
                .roles = roles,
                .is_admin = admin,
                .is_member = true,
                .is_reader = true,
                .token = xstrdup("fuzz-token"),
        };
}

void fuzz_check_message(const char *what, ApiStyle style, int code, ResourceKind kind, const char *msg) {
        _cleanup_json_ json_t *body = NULL;
        _cleanup_free_ char *text = NULL;

        if (!msg)
                return;
        body = api_error_body(style, api_error_lookup(code, kind, style), msg);
        if (!body || !(text = jx_dump(body)))
                fuzz_broken("%s makes an error body that cannot be rendered: \"%s\"", what, msg);
}
