/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A NetState as JSON and back: the keys are the structs' members
 * ({"networks": [{"id", "type", "segmentation_id", ..., "subnets": [...],
 * "hosts": [...]}], "routers": [...], "ports": [{..., "rules": [...]}]}).
 * For the fake driver (which keeps a deep copy of what it was given), the
 * golden tests, tests/tools/net-tool and debugging.  Not an API format:
 * the networking service builds NetStates from its database directly.
 */
#pragma once

#include <jansson.h>

#include "net/net.h"

/* A parsed NetState and everything it points into. */
typedef struct NetStateDoc {
        NetState state;
        json_t *json;            /* the strings of state point into it */
        void **allocs;           /* the arrays of state */
        size_t n_allocs, cap_allocs;
} NetStateDoc;

/*
 * Parses j (borrowed; the document takes its own reference) into a new
 * NetStateDoc.  Unknown keys and wrong types are -EINVAL with the path
 * in e, so a typo in a test case cannot pass silently.  Defaults for
 * absent members: admin_state_up, port_security and enable_dhcp true,
 * ip_version and ethertype 4, port_min and port_max -1.
 */
int net_state_from_json(json_t *j, NetStateDoc **ret, Error *e);
/* The same from text. */
int net_state_parse(const char *text, size_t len, NetStateDoc **ret, Error *e);
NetStateDoc *net_state_doc_free(NetStateDoc *d);
static inline void net_state_doc_freep(NetStateDoc **d) {
        net_state_doc_free(*d);
}
#define _cleanup_net_state_doc_ _cleanup_(net_state_doc_freep)

/* The JSON of a state (a new reference): what net_state_from_json reads back to an equal state. */
json_t *net_state_to_json(const NetState *s);
