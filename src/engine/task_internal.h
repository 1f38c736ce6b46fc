/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Between the queue's SQL (task.c) and its worker threads (task_pool.c);
 * services see only task.h.
 */
#pragma once

#include "engine/task.h"
#include "db/db.h"

/* Sets the lease owner prefix from node and a fresh incarnation, and what task_enqueue wakes. */
void task_queue_setup(const char *node, void (*wake)(void));
/* Leases the next ready task: 1 and *ret set, 0 if none is ready, or -errno. */
int task_claim(Db *db, const TaskDef *const *defs, Task **ret);
/* The TaskDef of kind in defs, or NULL. */
const TaskDef *task_def_find(const TaskDef *const *defs, const char *kind);
/* The lease time of a kind (its own, or the default). */
int64_t task_def_lease(const TaskDef *d);
/*
 * Ends a run: deletes the row (result >= 0), queues it again with back-off
 * (-EAGAIN, attempts left), or marks it failed and runs def->failed.
 * -ESTALE if the lease was lost meanwhile (then nothing is written).
 */
int task_settle(Ctx *c, const TaskDef *def, const Task *t, int result);
Task *task_free(Task *t);

/*
 * res_transaction brackets its transaction with these: a task queued
 * inside wakes a worker only after the commit (and not at all after a
 * rollback), because a worker woken earlier would only wait on the
 * write lock, sleeping in SQLite's busy handler well past the commit.
 * Tasks queued outside res_transaction wake a worker at once.
 */
void task_kicks_defer(void);
void task_kicks_release(bool committed);
