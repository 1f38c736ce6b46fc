/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The desired data plane of one host, read from the networking tables:
 * a NetState (net/net.h) and the arena that owns every string and array
 * in it.  The reconciler builds one, hands it to net_apply(), frees it.
 */
#pragma once

#include "net/net.h"
#include "network/network_internal.h"

typedef struct NetStateOwned {
        NetState state;
        /* Everything the state points to: freed by network_state_free. */
        void **owned;
        size_t n_owned, cap_owned;
} NetStateOwned;

/*
 * Reads the state host should have: every network (its segment, subnets,
 * DHCP port and the DHCP reservations of its ports), every router (legs,
 * gateway, floating IPs, routes) and the VM ports bound to host, each with
 * the rules of its security groups, remote groups resolved to their
 * members' addresses.  One read transaction, so the state is consistent.
 */
int network_state_build(Ctx *c, const char *host, NetStateOwned **ret);
NetStateOwned *network_state_free(NetStateOwned *s);
