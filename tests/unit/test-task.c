/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the durable task queue (src/engine/task.h) on SQLite in a
 * scratch directory: a task exists exactly when the transaction that
 * queued it commits; workers run it once and delete it; retries back off;
 * a failure is recorded with its hook; tasks of one resource run one at a
 * time in order; and a worker killed mid-task (a forked process holding
 * the lease, SIGKILLed) loses its lease, so the task runs again, and its
 * idempotent effect happens once.
 */
#include "test-helpers.h"

#include "engine/task_internal.h"
#include "db/db.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

static char *dir;

/* Every run records its resource, attempt and order here; "effects" is the idempotent side effect. */
static pthread_mutex_t runs_lock = PTHREAD_MUTEX_INITIALIZER;
static char runs[4096];
static atomic_int in_flight[3];
static atomic_bool overlap;

static int setup(void **state) {
        Db *db = NULL;
        dir = test_tmpdir_new();
        if (!dir || db_open("sqlite:test.db", dir, &db) < 0 || db_migrate(db) < 0 ||
            db_exec_script(db, "CREATE TABLE effects (id TEXT PRIMARY KEY, n INTEGER NOT NULL)") < 0)
                return -1;
        db_close(db);
        db_thread_setup("sqlite:test.db", dir);
        runs[0] = '\0';
        atomic_store(&overlap, false);
        return 0;
}

static int teardown(void **state) {
        /* The worker threads closed their connections when they ended; close this thread's. */
        db_thread_close();
        return test_tmpdir_remove(TAKE_PTR(dir));
}

static void record(const Task *t) {
        pthread_mutex_lock(&runs_lock);
        size_t n = strlen(runs);
        snprintf(runs + n, sizeof(runs) - n, "%s%s", n ? " " : "", jx_string(t->payload, "tag"));
        pthread_mutex_unlock(&runs_lock);
}

/* The idempotent effect: one row per task, whatever the number of runs. */
static int effect(Ctx *c, const Task *t) {
        return db_run(c->db, "INSERT INTO effects (id, n) VALUES (?, 1) ON CONFLICT DO NOTHING", "s", t->id);
}

static int run_ok(Ctx *c, const Task *t) {
        int slot = t->resource_id[0] - 'a';
        if (atomic_fetch_add(&in_flight[slot], 1) != 0)
                atomic_store(&overlap, true);
        record(t);
        usleep(2000);
        atomic_fetch_sub(&in_flight[slot], 1);
        return effect(c, t) < 0 ? -EIO : 0;
}

static int run_again(Ctx *c, const Task *t) {
        record(t);
        if (t->attempts < 2)
                return ctx_error(c, -EAGAIN, RES_NONE, "Not yet.");
        return 0;
}

static atomic_int failed_calls;
static int run_fail(Ctx *c, const Task *t) {
        return ctx_error(c, -EINVAL, RES_NONE, "The disk is on fire.");
}
static int on_failed(Ctx *c, const Task *t, const char *error) {
        assert_string_equal(error, "The disk is on fire.");
        atomic_fetch_add(&failed_calls, 1);
        return db_run(c->db, "INSERT INTO effects (id, n) VALUES (?, -1)", "s", t->resource_id) < 0 ? -EIO : 0;
}

static const TaskDef defs[] = {
        { "test.ok", run_ok },
        { "test.again", run_again, .max_attempts = 3 },
        { "test.fail", run_fail, on_failed },
        {},
};
static const TaskDef *const all_defs[] = { defs, NULL };

static Db *db(void) {
        Db *d = db_thread();
        assert_non_null(d);
        return d;
}

static int64_t query_int(const char *sql, const char *arg) {
        int64_t v = -1;
        int r = arg ? db_query_int(db(), &v, sql, "s", arg) : db_query_int(db(), &v, sql, "");
        assert_int_equal(r, 0);
        return v;
}

static void enqueue(const char *kind, const char *resource, const char *tag, char **ret_id) {
        Ctx c;
        ctx_init(&c, db());
        _cleanup_json_ json_t *payload = json_pack("{s:s}", "tag", tag);
        assert_int_equal(task_enqueue(&c, kind, resource, payload, ret_id), 0);
        ctx_done(&c);
}

/* Waits (up to 30 s) until sql, with one argument, answers want. */
static void wait_for(const char *sql, const char *arg, int64_t want) {
        for (int i = 0; i < 3000; i++) {
                if (query_int(sql, arg) == want)
                        return;
                usleep(10000);
        }
        fail_msg("'%s' never became %lld (is %lld)", sql, (long long) want, (long long) query_int(sql, arg));
}

static void test_enqueue_follows_the_transaction(void **state) {
        assert_int_equal(db_begin(db()), 0);
        enqueue("test.ok", "a", "rolled-back", NULL);
        db_rollback(db());
        assert_int_equal(query_int("SELECT COUNT(*) FROM tasks", NULL), 0);

        assert_int_equal(db_begin(db()), 0);
        enqueue("test.ok", "a", "kept", NULL);
        assert_int_equal(db_commit(db()), 0);
        assert_int_equal(query_int("SELECT COUNT(*) FROM tasks WHERE state = 'queued'", NULL), 1);
}

static void test_pool_runs_in_order_per_resource(void **state) {
        TaskPool *p = NULL;
        /* Three resources, four tasks each, queued interleaved. */
        for (int i = 0; i < 4; i++)
                for (const char *r = "abc"; *r; r++) {
                        char res[2] = { *r, 0 }, tag[8];
                        snprintf(tag, sizeof(tag), "%c%d", *r, i);
                        enqueue("test.ok", res, tag, NULL);
                }
        assert_int_equal(task_pool_start(all_defs, "test-node", 4, &p), 0);
        wait_for("SELECT COUNT(*) FROM effects WHERE ? IS NOT NULL", "", 12);
        wait_for("SELECT COUNT(*) FROM tasks WHERE ? IS NOT NULL", "", 0);
        p = task_pool_stop(p);
        assert_false(atomic_load(&overlap));
        /* Each resource's tasks ran in the order they were queued. */
        for (const char *r = "abc"; *r; r++) {
                int last = -1;
                for (char *s = strchr(runs, *r); s; s = strchr(s + 1, *r)) {
                        int n = s[1] - '0';
                        assert_true(n == last + 1);
                        last = n;
                }
                assert_int_equal(last, 3);
        }
}

static void test_retry_and_failure(void **state) {
        TaskPool *p = NULL;
        _cleanup_free_ char *again = NULL, *fails = NULL;

        atomic_store(&failed_calls, 0);
        enqueue("test.again", "a", "again", &again);
        enqueue("test.fail", "b", "fail", &fails);
        enqueue("test.unknown", "c", "unknown", NULL);
        assert_int_equal(task_pool_start(all_defs, "test-node", 2, &p), 0);
        /* The first run asks to be retried later: the row is queued again, with the message, not run at once. */
        wait_for("SELECT COUNT(*) FROM tasks WHERE id = ? AND state = 'queued' AND attempts = 1", again, 1);
        assert_int_equal(query_int("SELECT run_after > updated_at FROM tasks WHERE id = ?", again), 1);
        /* Make the retry due now instead of in two seconds. */
        assert_true(db_run(db(), "UPDATE tasks SET run_after = 0 WHERE id = ?", "s", again) == 1);
        task_pool_kick(p);
        wait_for("SELECT COUNT(*) FROM tasks WHERE id = ?", again, 0);
        wait_for("SELECT COUNT(*) FROM tasks WHERE id = ? AND state = 'failed'", fails, 1);
        wait_for("SELECT COUNT(*) FROM tasks WHERE kind = ? AND state = 'failed'", "test.unknown", 1);
        p = task_pool_stop(p);
        assert_int_equal(atomic_load(&failed_calls), 1);
        /* The hook's write committed with the failure. */
        assert_int_equal(query_int("SELECT n FROM effects WHERE id = ?", "b"), -1);
        _cleanup_stmt_ DbStmt *s = NULL;
        assert_int_equal(db_query(db(), &s, "SELECT last_error FROM tasks WHERE id = ?", "s", fails), 0);
        assert_int_equal(db_step(s), 1);
        assert_string_equal(db_col_text(s, 0), "The disk is on fire.");
}

/*
 * A child process, playing a worker of an earlier incarnation of this
 * node (or of another node when lease_usec > 0), leases the one queued
 * task, performs the effect, and tells the parent; the parent kills it
 * before it can settle the task.
 */
static void killed_worker(const char *node, int64_t lease_usec) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                Db *d = NULL;
                Task *t = NULL;
                Ctx c;
                close(fds[0]);
                if (db_open("sqlite:test.db", dir, &d) < 0)
                        _exit(1);
                task_queue_setup(node, NULL);
                if (task_claim(d, all_defs, &t) != 1)
                        _exit(2);
                ctx_init(&c, d);
                if (lease_usec > 0 && task_lease_extend(&c, t, lease_usec) < 0)
                        _exit(3);
                if (effect(&c, t) < 0)
                        _exit(4);
                (void) !write(fds[1], "x", 1);
                pause(); /* killed here, mid-task */
                _exit(5);
        }
        close(fds[1]);
        char ch;
        assert_int_equal(read(fds[0], &ch, 1), 1);
        close(fds[0]);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
}

static void test_killed_worker_same_node(void **state) {
        TaskPool *p = NULL;
        _cleanup_free_ char *id = NULL;

        enqueue("test.ok", "a", "killed", &id);
        killed_worker("test-node", 0);
        assert_int_equal(query_int("SELECT COUNT(*) FROM tasks WHERE id = ? AND state = 'running'", id), 1);
        /* A new incarnation of the node: the state-dir lock proves the old one dead, so its lease goes now. */
        assert_int_equal(task_pool_start(all_defs, "test-node", 2, &p), 0);
        Ctx c;
        ctx_init(&c, db());
        assert_int_equal(task_requeue_expired(&c), 1);
        ctx_done(&c);
        task_pool_kick(p);
        wait_for("SELECT COUNT(*) FROM tasks WHERE id = ?", id, 0);
        p = task_pool_stop(p);
        assert_int_equal(query_int("SELECT COUNT(*) FROM effects WHERE id = ?", id), 1);
        assert_int_equal(query_int("SELECT n FROM effects WHERE id = ?", id), 1);
}

static void test_killed_worker_other_node(void **state) {
        TaskPool *p = NULL;
        _cleanup_free_ char *id = NULL;
        Ctx c;

        enqueue("test.ok", "a", "killed", &id);
        killed_worker("other-node", 200000);
        assert_int_equal(task_pool_start(all_defs, "test-node", 2, &p), 0);
        ctx_init(&c, db());
        /* Another node's live lease is left alone ... */
        int r = task_requeue_expired(&c);
        if (r == 0) {
                assert_int_equal(query_int("SELECT COUNT(*) FROM tasks WHERE id = ? AND state = 'running'", id), 1);
                /* ... until it expires. */
                usleep(300000);
                r = task_requeue_expired(&c);
        }
        assert_int_equal(r, 1);
        ctx_done(&c);
        task_pool_kick(p);
        wait_for("SELECT COUNT(*) FROM tasks WHERE id = ?", id, 0);
        p = task_pool_stop(p);
        assert_int_equal(query_int("SELECT COUNT(*) FROM effects WHERE id = ?", id), 1);
}

static void test_lost_lease_is_not_settled(void **state) {
        Task *t = NULL;
        Ctx c;
        enqueue("test.ok", "a", "stolen", NULL);
        task_queue_setup("test-node", NULL);
        assert_int_equal(task_claim(db(), all_defs, &t), 1);
        assert_int_equal(t->attempts, 1);
        /* Someone requeued and re-leased it meanwhile. */
        assert_true(db_run(db(), "UPDATE tasks SET lease_owner = 'other:x:y' WHERE id = ?", "s", t->id) == 1);
        ctx_init(&c, db());
        assert_int_equal(task_lease_extend(&c, t, 1000000), -ESTALE);
        assert_int_equal(task_settle(&c, task_def_find(all_defs, "test.ok"), t, 0), -ESTALE);
        assert_int_equal(query_int("SELECT COUNT(*) FROM tasks WHERE id = ?", t->id), 1);
        ctx_done(&c);
        task_free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_enqueue_follows_the_transaction, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pool_runs_in_order_per_resource, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retry_and_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_killed_worker_same_node, setup, teardown),
                cmocka_unit_test_setup_teardown(test_killed_worker_other_node, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lost_lease_is_not_settled, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
