/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The networking service's entry in the daemon's module table: its
 * configuration at setup.  The data plane's reconciler joins here as the
 * module's tick.
 */
#include "engine/module.h"
#include "network/network_internal.h"

static int module_setup(const Config *cfg) {
        return network_config_load(cfg);
}

static void module_stop(void) {
        network_config_done();
}

const Module network_module = {
        .name = "network",
        .setup = module_setup,
        .stop = module_stop,
};
