/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The durable task queue: how a service runs anything slow (booting a VM,
 * copying a disk) without losing it to a crash.  A task is a row, written
 * with task_enqueue() in the same transaction as the change that needs it,
 * so the database never says "building" without also holding the work that
 * will finish the build.  A pool of workers leases rows, runs the TaskDef
 * of their kind, and deletes them when done.  A lease that runs out (a
 * worker killed, a daemon crashed) puts the row back in the queue, so a
 * task may run more than once: every run function must be idempotent.
 * Tasks of one resource run one at a time, in the order they were queued.
 */
#pragma once

#include "core/ctx.h"
#include "util/jx.h"

/* One leased task, as a run function sees it.  Owned by the worker. */
typedef struct Task {
        char *id;
        char *kind;
        char *resource_id;
        json_t *payload;         /* the object given to task_enqueue */
        int64_t attempts;        /* 1 on the first run */
        char *lease_owner;
} Task;

/*
 * What runs a kind of task; services declare arrays of these (ending with
 * { NULL }) next to their routes, and the daemon hands them to the pool.
 */
typedef struct TaskDef {
        const char *kind;        /* "compute.server.build" */
        /*
         * Does the work.  0: done (the row is deleted).  -EAGAIN: try again
         * later, with back-off, up to max_attempts.  Any other error: the
         * task failed for good; failed() runs and the row stays, failed,
         * with the message recorded in c (or strerror) as last_error.
         */
        int (*run)(Ctx *c, const Task *t);
        /* Runs in the transaction that marks the task failed; may be NULL. */
        int (*failed)(Ctx *c, const Task *t, const char *error);
        int64_t lease_usec;      /* 0: 5 minutes.  Long tasks call task_lease_extend. */
        int max_attempts;        /* 0: 5 */
} TaskDef;

/*
 * Queues a task.  Call it inside the transaction of the change that needs
 * the task; the task exists exactly when that change commits.  payload is
 * borrowed (NULL for {}).  *ret_id (may be NULL) gets the new task's id.
 */
int task_enqueue(Ctx *c, const char *kind, const char *resource_id, const json_t *payload, char **ret_id);

/* Extends t's lease by its kind's lease time.  -ESTALE if the lease was lost (another worker may run t). */
int task_lease_extend(Ctx *c, const Task *t, int64_t lease_usec);

/*
 * Returns expired leases to the queue, and every lease held by an earlier
 * incarnation of this node (which the state directory lock proves dead).
 * Returns the number of tasks requeued.
 */
int task_requeue_expired(Ctx *c);

/* The pool of workers. */
typedef struct TaskPool TaskPool;

/*
 * Starts workers threads running the tasks of defs (arrays ending with
 * { NULL }, the list ends with NULL).  node names this host in lease
 * owners.  The tables are borrowed and must outlive the pool.
 */
int task_pool_start(const TaskDef *const *defs, const char *node, unsigned workers, TaskPool **ret);
/* Stops taking tasks, waits for running ones to return, and frees the pool.  NULL-safe. */
TaskPool *task_pool_stop(TaskPool *p);
/* Wakes the workers (task_enqueue does it; tests may too). */
void task_pool_kick(TaskPool *p);
/* The number of tasks run to an end (done or failed) since start: for tests. */
uint64_t task_pool_finished(const TaskPool *p);

/* The lease owner prefix of this daemon: "NODE:INCARNATION:".  Set by task_pool_start. */
const char *task_lease_prefix(void);
