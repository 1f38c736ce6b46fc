/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The workers of the task queue (see task.h): threads that lease the next
 * ready task, run its kind's TaskDef with a Ctx of their own, and settle
 * the row.  They sleep on a condition variable that task_enqueue signals,
 * and wake at least once a second for delayed retries and expired leases.
 */
#include "engine/task_internal.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>

#define IDLE_WAKE_USEC 1000000LL

struct TaskPool {
        const TaskDef *const *defs;
        pthread_t *threads;
        unsigned n_threads;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        bool stopping;
        uint64_t kicks;           /* bumped by every kick, so a kick between claims is not lost */
        atomic_uint_fast64_t finished;
};

/* task_enqueue's wake-up goes to the one pool of the process. */
static TaskPool *current;

void task_pool_kick(TaskPool *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->kicks++;
        /* One task, one worker: waking them all would have them race for the one claim. */
        /* One task, one worker: waking them all would have them race for the one claim. */
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
}

static void kick_current(void) {
        task_pool_kick(current);
}

uint64_t task_pool_finished(const TaskPool *p) {
        return atomic_load(&((TaskPool *) p)->finished);
}

/* Runs one leased task to its end. */
static void run_one(TaskPool *p, Db *db, Task *t) {
        const TaskDef *def = task_def_find(p->defs, t->kind);
        Ctx c;
        int r;

        ctx_init(&c, db);
        snprintf(c.request_id, sizeof(c.request_id), "task-%.36s", t->id);
        if (!def)
                r = -ENOENT; /* a kind this daemon does not know: fail it, visibly */
        else {
                if (task_def_lease(def) != task_def_lease(NULL))
                        (void) task_lease_extend(&c, t, task_def_lease(def));
                log_full(LOG_LEVEL_DEBUG, "task", c.request_id, "running %s for %s (attempt %lld)", t->kind,
                         t->resource_id, (long long) t->attempts);
                r = def->run(&c, t);
        }
        (void) task_settle(&c, def, t, r);
        atomic_fetch_add(&p->finished, 1);
        ctx_done(&c);
}

static void *worker(void *arg) {
        TaskPool *p = arg;
        uint64_t seen = 0;

        for (;;) {
                pthread_mutex_lock(&p->lock);
                bool stop = p->stopping;
                seen = p->kicks;
                pthread_mutex_unlock(&p->lock);
                if (stop)
                        break;

                Db *db = db_thread();
                Task *t = NULL;
                int r = db ? task_claim(db, p->defs, &t) : -EIO;
                if (r > 0) {
                        run_one(p, db, t);
                        task_free(t);
                        continue;
                }
                if (r < 0 && r != -EBUSY)
                        log_debug("task", "claiming a task failed: %s", strerror(-r));

                /* Nothing ready: sleep until a kick, or a retry or an expired lease may be due. */
                int64_t wake_at = now_usec() + IDLE_WAKE_USEC;
                struct timespec until = { .tv_sec = wake_at / 1000000, .tv_nsec = (wake_at % 1000000) * 1000 };
                pthread_mutex_lock(&p->lock);
                while (!p->stopping && p->kicks == seen)
                        if (pthread_cond_timedwait(&p->wake, &p->lock, &until) == ETIMEDOUT)
                                break;
                pthread_mutex_unlock(&p->lock);
        }
        return NULL;
}

int task_pool_start(const TaskDef *const *defs, const char *node, unsigned workers, TaskPool **ret) {
        TaskPool *p = xcalloc(1, sizeof(*p));
        int r;

        p->defs = defs;
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->wake, NULL);
        atomic_init(&p->finished, 0);
        task_queue_setup(node, kick_current);
        current = p;
        p->threads = xcalloc(workers, sizeof(pthread_t));
        for (unsigned i = 0; i < workers; i++) {
                r = -pthread_create(&p->threads[i], NULL, worker, p);
                if (r < 0) {
                        task_pool_stop(p);
                        return r;
                }
                p->n_threads++;
        }
        log_debug("task", "%u task workers, lease owner %s", workers, task_lease_prefix());
        *ret = p;
        return 0;
}

TaskPool *task_pool_stop(TaskPool *p) {
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; i < p->n_threads; i++)
                pthread_join(p->threads[i], NULL);
        if (current == p)
                current = NULL;
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p->threads);
        free(p);
        return NULL;
}
