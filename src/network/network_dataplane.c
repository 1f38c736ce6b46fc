/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The link between the service's rows and the data plane (src/net): a
 * change to a network, subnet, port or security group pokes it, and the
 * reconciler that turns the rows into a NetState and applies it wakes up
 * instead of waiting for its next tick.
 */
#include "network/network_internal.h"

#include <stdatomic.h>

static atomic_uint pokes;

void network_dataplane_poke(void) {
        atomic_fetch_add(&pokes, 1);
}

unsigned network_dataplane_pokes(void) {
        return atomic_load(&pokes);
}
