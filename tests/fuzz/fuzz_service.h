/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the harnesses that drive a service on a real database share:
 * aborting on a broken contract, the request schemas, a state directory
 * with a migrated database, a caller, and the check that a failure's
 * message renders into the API's error body as the daemon renders it.
 */
#pragma once

#include "api/api_error.h"
#include "core/config.h"
#include "core/ctx.h"
#include "db/db.h"
#include "util/embed.h"
#include "util/jx.h"

/* Reports a broken contract, with the harness's name, and aborts (libFuzzer keeps the input). */
_noreturn_ _printf_(1, 2) void fuzz_broken(const char *fmt, ...);

/*
 * Registers a service's embedded schemas and looks names[i] up into
 * ret[i] (a NULL name is skipped); quiets the log, whose info lines
 * would drown libFuzzer's.
 */
void fuzz_schemas(const EmbeddedFile *files, const char *const *names, size_t n, const json_t **ret);

/*
 * As gureumd starts: a fresh state directory under $TMPDIR in cfg (its
 * defaults otherwise; the caller may change it first through cfg),
 * the database opened and migrated.  The directory goes at exit (SQLite
 * refuses to write to a database whose file was unlinked, so it lives
 * until then; after a crash it goes with tests/fuzz/run's TMPDIR).
 */
Db *fuzz_state_open(Config *cfg);

/* A caller: reader and member of project_id, and admin when admin. */
void fuzz_ctx(Ctx *c, Db *db, const char *project_id, bool admin);

/* A failure's message must make an error body of style that serialises (else the daemon would abort). */
void fuzz_check_message(const char *what, ApiStyle style, int code, ResourceKind kind, const char *msg);
