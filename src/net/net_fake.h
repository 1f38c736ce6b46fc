/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Knobs of the fake data plane driver (net_fake.c) for tests: fault
 * injection, what was applied, and a reset.  The fake keeps one "host"
 * per name prefix in process memory, so a test that opens the driver
 * twice with the same prefix sees what the first one applied, as it
 * would on a real host.
 */
#pragma once

#include "net/net.h"
#include "net/net_json.h"

/*
 * The next call of op ("open", "apply" or "teardown"), for any prefix,
 * fails with code (a -errno) and changes nothing.  Several calls queue
 * several failures.
 */
void net_fake_fail_next(const char *op, int code);

/* What happened on the host of a prefix. */
typedef struct NetFakeCounters {
        unsigned applies;        /* successful applies */
        unsigned teardowns;      /* successful teardowns */
        unsigned failures;       /* applies and teardowns that failed (injected or refused) */
} NetFakeCounters;

/* The counters of prefix (all zero for a prefix never used). */
NetFakeCounters net_fake_counters(const char *prefix);

/*
 * A deep copy of the state last applied for prefix (after a teardown:
 * the empty state).  -ENOENT if nothing was applied.
 */
int net_fake_state(const char *prefix, NetStateDoc **ret);

/* Forgets every host and pending failure.  No fake driver may be open. */
void net_fake_reset(void);
