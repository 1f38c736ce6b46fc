/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The networking service's entry in the daemon's module table: its
 * configuration at setup, the data plane's reconciler thread from
 * recovery (its first apply rebuilds the host after a crash or reboot)
 * until stop.
 */
#include "engine/module.h"
#include "network/network_internal.h"

static int module_setup(const Config *cfg) {
        return network_config_load(cfg);
}

static int module_recover(Ctx *c) {
        return network_dataplane_start(networking.cfg);
}

static void module_stop(void) {
        network_dataplane_stop();
        network_config_done();
}

const Module network_module = {
        .name = "network",
        .setup = module_setup,
        .recover = module_recover,
        .stop = module_stop,
};
