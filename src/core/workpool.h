/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded pool of threads for CPU-heavy work that must not run on the
 * HTTP workers (argon2id password hashing): a fixed number of threads at a
 * lower scheduling priority, and a queue of bounded length, so a flood of
 * such work waits its turn or is refused instead of starving cheap
 * requests.  Issue 7, F3.
 */
#pragma once

#include "util/util.h"

typedef struct WorkPool WorkPool;
typedef struct WorkItem WorkItem;

/* One piece of work; embedded in the caller's own object, which it owns. */
struct WorkItem {
        /* Runs on a pool thread. */
        void (*run)(WorkItem *w);
        /*
         * Called once after run with r = 0, or without run with
         * r = -ECANCELED when the pool stops first.  It is the pool's last
         * touch of w: done may hand w on or free it.
         */
        void (*done)(WorkItem *w, int r);
        WorkItem *next;          /* the pool's queue */
};

/*
 * Starts threads threads (at least one) named name, each niceness
 * steps below the caller's priority; at most queue_max items wait.
 */
int work_pool_new(const char *name, unsigned threads, unsigned queue_max, int niceness, WorkPool **ret);
/* Queues w.  -EAGAIN when queue_max items are waiting or the pool is stopping; w is untouched then. */
int work_pool_submit(WorkPool *p, WorkItem *w);
/*
 * Lets running items finish, cancels waiting ones (done with -ECANCELED)
 * and joins the threads.  Later submits get -EAGAIN.  Idempotent.
 */
void work_pool_stop(WorkPool *p);
/* Stops the pool if needed and frees it.  NULL-safe; returns NULL. */
WorkPool *work_pool_free(WorkPool *p);
