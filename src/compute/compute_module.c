/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compute service's entry in the daemon's module table: its hosts'
 * drivers at setup, their registration and a first reconciliation at
 * start, the reconciler on every tick, and its task kinds.
 */
#include "compute/compute_internal.h"
#include "engine/module.h"

#define RECONCILE_USEC (5 * 1000000LL)

static int module_setup(const Config *cfg) {
        return compute_hosts_connect(cfg);
}

static int module_recover(Ctx *c) {
        int r = compute_hosts_register(c);
        if (r < 0)
                return r;
        compute_reconcile(c);
        return 0;
}

static void module_stop(void) {
        compute_hosts_disconnect();
}

const Module compute_module = {
        .name = "compute",
        .setup = module_setup,
        .recover = module_recover,
        .tick = compute_reconcile,
        .tick_usec = RECONCILE_USEC,
        .stop = module_stop,
        .tasks = compute_tasks,
};
