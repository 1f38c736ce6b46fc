/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The task queue's SQL (see task.h): enqueue, claim by conditional write,
 * finish, fail, retry with back-off, and the return of lost leases.  The
 * worker threads are in task_pool.c.  Every claim and every release is one
 * conditional UPDATE or DELETE, so two workers (or two daemons on one
 * PostgreSQL database) can never both own a task.
 */
#include "engine/task_internal.h"
#include "db/db.h"
#include "util/log.h"

#define DEFAULT_LEASE_USEC (300 * 1000000LL)
#define DEFAULT_MAX_ATTEMPTS 5
#define MAX_BACKOFF_USEC (60 * 1000000LL)

static char lease_prefix[128];
static void (*on_enqueue)(void);
/* This thread's res_transaction depth, and how many tasks it queued in it (see task_internal.h). */
static _Thread_local unsigned defer_depth, deferred_kicks;

void task_kicks_defer(void) {
        defer_depth++;
}

void task_kicks_release(bool committed) {
        if (defer_depth == 0 || --defer_depth > 0)
                return;
        unsigned n = deferred_kicks;
        deferred_kicks = 0;
        /* One wake-up per task queued: each wakes one worker. */
        while (committed && on_enqueue && n-- > 0)
                on_enqueue();
}

const char *task_lease_prefix(void) {
        return lease_prefix;
}

void task_queue_setup(const char *node, void (*wake)(void)) {
        char incarnation[17];
        uint8_t rnd[8];
        random_bytes(rnd, sizeof(rnd));
        hex_encode(rnd, sizeof(rnd), incarnation);
        snprintf(lease_prefix, sizeof(lease_prefix), "%s:%s:", node, incarnation);
        on_enqueue = wake;
}

int task_enqueue(Ctx *c, const char *kind, const char *resource_id, const json_t *payload, char **ret_id) {
        _cleanup_free_ char *id = uuid_dashed_new(), *text = payload ? jx_dump(payload) : xstrdup("{}");
        int64_t now = now_usec();
        int r = db_run(c->db,
                       "INSERT INTO tasks (id, kind, resource_id, state, attempts, run_after, payload, created_at, updated_at)"
                       " VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?)",
                       "sssisii", id, kind, resource_id, now, text, now, now);
        if (r < 0)
                return ctx_error(c, r, RES_NONE, "Database error while queueing a %s task.", kind);
        log_debug("task", "queued %s %s for %s", kind, id, resource_id);
        if (defer_depth > 0)
                deferred_kicks++;
        else if (on_enqueue)
                on_enqueue();
        if (ret_id)
                *ret_id = TAKE_PTR(id);
        return 0;
}

int64_t task_def_lease(const TaskDef *d) {
        return d && d->lease_usec > 0 ? d->lease_usec : DEFAULT_LEASE_USEC;
}

static int def_max_attempts(const TaskDef *d) {
        return d && d->max_attempts > 0 ? d->max_attempts : DEFAULT_MAX_ATTEMPTS;
}

int task_lease_extend(Ctx *c, const Task *t, int64_t lease_usec) {
        int r = db_run(c->db, "UPDATE tasks SET lease_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ?",
                       "iiss", now_usec() + lease_usec, now_usec(), t->id, t->lease_owner);
        if (r < 0)
                return r;
        return r == 0 ? -ESTALE : 0;
}

int task_requeue_expired(Ctx *c) {
        _cleanup_free_ char *node = NULL, *mine = NULL;
        int64_t now = now_usec();

        /* "NODE:" of this node's leases, and "NODE:INCARNATION:%" of this very process's. */
        const char *colon = strchr(lease_prefix, ':');
        node = colon ? xasprintf("%.*s%%", (int) (colon - lease_prefix + 1), lease_prefix) : xstrdup("");
        mine = xasprintf("%s%%", lease_prefix);
        int r = db_run(c->db,
                       "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = ?"
                       " WHERE state = 'running' AND (lease_until < ? OR (lease_owner LIKE ? AND lease_owner NOT LIKE ?))",
                       "iiss", now, now, node, mine);
        if (r > 0)
                log_warning("task", "%d task(s) whose worker is gone are queued again", r);
        return r;
}

Task *task_free(Task *t) {
        if (!t)
                return NULL;
        free(t->id);
        free(t->kind);
        free(t->resource_id);
        json_decref(t->payload);
        free(t->lease_owner);
        free(t);
        return NULL;
}

int task_claim(Db *db, const TaskDef *const *defs, Task **ret) {
        _cleanup_free_ char *owner = NULL;
        _cleanup_stmt_ DbStmt *s = NULL;
        uint8_t rnd[6];
        char hex[13];
        int64_t now = now_usec();
        int r;

        random_bytes(rnd, sizeof(rnd));
        hex_encode(rnd, sizeof(rnd), hex);
        owner = xasprintf("%s%s", lease_prefix, hex);
        /*
         * The oldest ready task whose resource has nothing running and
         * nothing older waiting.  The lease is the default one here and set
         * to the kind's own right after, when the kind is known.
         */
        r = db_run(db,
                   "UPDATE tasks SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1,"
                   " updated_at = ? WHERE state = 'queued' AND id = (SELECT t.id FROM tasks t"
                   "  WHERE t.state = 'queued' AND t.run_after <= ?"
                   "  AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.resource_id = t.resource_id AND"
                   "   (o.state = 'running' OR (o.state = 'queued' AND (o.created_at < t.created_at OR"
                   "    (o.created_at = t.created_at AND o.id < t.id)))))"
                   "  ORDER BY t.run_after, t.created_at, t.id LIMIT 1)",
                   "siii", owner, now + DEFAULT_LEASE_USEC, now, now);
        if (r <= 0)
                return r;
        r = db_query(db, &s, "SELECT id, kind, resource_id, payload, attempts FROM tasks WHERE lease_owner = ?", "s",
                     owner);
        if (r >= 0)
                r = db_step(s);
        if (r <= 0)
                return r < 0 ? r : -ESTALE;
        json_error_t err;
        Task *t = xcalloc(1, sizeof(*t));
        t->id = db_col_strdup(s, 0);
        t->kind = db_col_strdup(s, 1);
        t->resource_id = db_col_strdup(s, 2);
        t->payload = jx_parse(db_col_text(s, 3), strlen(db_col_text(s, 3)), &err);
        if (!t->payload)
                t->payload = json_object();
        t->attempts = db_col_int(s, 4);
        t->lease_owner = TAKE_PTR(owner);
        *ret = t;
        return 1;
}

const TaskDef *task_def_find(const TaskDef *const *defs, const char *kind) {
        for (size_t i = 0; defs && defs[i]; i++)
                for (const TaskDef *d = defs[i]; d->kind; d++)
                        if (streq(d->kind, kind))
                                return d;
        return NULL;
}

typedef struct Outcome {
        const Task *t;
        const TaskDef *def;
        const char *error;
} Outcome;

static int fail_locked(Ctx *c, void *userdata) {
        const Outcome *o = userdata;
        int r = db_run(c->db,
                       "UPDATE tasks SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ?,"
                       " updated_at = ? WHERE id = ? AND lease_owner = ?",
                       "siss", o->error, now_usec(), o->t->id, o->t->lease_owner);
        if (r <= 0)
                return r < 0 ? r : -ESTALE;
        return o->def && o->def->failed ? o->def->failed(c, o->t, o->error) : 0;
}

int task_settle(Ctx *c, const TaskDef *def, const Task *t, int result) {
        int64_t now = now_usec();
        int r;

        if (result >= 0)
                r = db_run(c->db, "DELETE FROM tasks WHERE id = ? AND lease_owner = ?", "ss", t->id, t->lease_owner);
        else if (result == -EAGAIN && t->attempts < def_max_attempts(def)) {
                int64_t backoff = (int64_t) 1000000 << (t->attempts < 6 ? t->attempts : 6);
                if (backoff > MAX_BACKOFF_USEC)
                        backoff = MAX_BACKOFF_USEC;
                log_info("task", "%s %s for %s will be retried (attempt %lld): %s", t->kind, t->id, t->resource_id,
                         (long long) t->attempts, c->error_message ? c->error_message : "try again");
                r = db_run(c->db,
                           "UPDATE tasks SET state = 'queued', lease_owner = NULL, lease_until = NULL, run_after = ?,"
                           " last_error = ?, updated_at = ? WHERE id = ? AND lease_owner = ?",
                           "isiss", now + backoff, c->error_message, now, t->id, t->lease_owner);
        } else {
                _cleanup_free_ char *msg = c->error_message ? xstrdup(c->error_message)
                                           : def ? xstrdup(strerror(result < 0 ? -result : EIO))
                                                 : xasprintf("No task runs kind '%s'.", t->kind);
                Outcome o = { t, def, msg };
                log_warning("task", "%s %s for %s failed: %s", t->kind, t->id, t->resource_id, msg);
                ctx_clear_error(c);
                r = db_transaction(c, fail_locked, &o);
                if (r >= 0)
                        r = 1;
        }
        if (r == 0 || r == -ESTALE) {
                /* Someone else owns it now: its lease ran out while we worked. */
                log_warning("task", "%s %s for %s: the lease was lost before the task ended", t->kind, t->id,
                            t->resource_id);
                return -ESTALE;
        }
        return r < 0 ? r : 0;
}
