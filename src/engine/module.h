/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A daemon module: one service's life in gureumd, declared as data.  The
 * daemon walks its table (src/daemon/modules.c) in order to set up and
 * recover, runs every tick at its interval while serving, and stops the
 * modules in reverse order.  A reconciler is a module whose tick compares
 * desired rows with what a driver reports and queues tasks to close the
 * difference; its tasks are declared here too.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
#include "engine/task.h"

typedef struct Module {
        const char *name;             /* "identity": for logs */
        /* Reads its config and prepares what it needs (directories, keys).  May be NULL. */
        int (*setup)(const Config *cfg);
        /*
         * Makes the module's state consistent after a crash, before the API
         * serves and the task workers start.  Runs with its own Ctx.  May be NULL.
         */
        int (*recover)(Ctx *c);
        /* Periodic work while serving.  May be NULL. */
        void (*tick)(Ctx *c);
        int64_t tick_usec;            /* interval of tick */
        /* Re-reads what an operator may have changed on disk, on SIGHUP.  May be NULL. */
        void (*reload)(Ctx *c);
        /* Releases what setup made; runs in reverse table order at stop.  May be NULL. */
        void (*stop)(void);
        const TaskDef *tasks;         /* the kinds of task this module runs, ending with { NULL }; may be NULL */
} Module;
