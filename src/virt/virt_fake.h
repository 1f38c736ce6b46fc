/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Knobs of the fake virt driver (virt_fake.c) for tests: fault injection,
 * guests that ignore ACPI, a look at what was defined, and a reset.  The
 * fake keeps every host in process memory, so a test that connects twice
 * with the same VirtConfig.host sees the same guests.
 */
#pragma once

#include "virt/virt.h"

/*
 * The next call of op ("define", "start", "shutdown", ... as named in
 * VirtDriver; "connect" too), on any host, fails with code (a -errno) and
 * changes nothing.  Several calls queue several failures.
 */
void virt_fake_fail_next(const char *op, int code);

/* Makes the guest ignore (or again obey) ACPI shutdown requests, as a hung guest does.  -ENOENT if missing. */
int virt_fake_set_ignore_acpi(const char *host, const char *uuid, bool ignore);

/* The XML the guest was last defined with (a new string).  -ENOENT if missing. */
int virt_fake_domain_xml(const char *host, const char *uuid, char **ret);

/* How many times the guest was started, rebooted (soft and hard together) and destroyed. */
typedef struct VirtFakeCounters {
        unsigned starts;
        unsigned reboots;
        unsigned destroys;
} VirtFakeCounters;
int virt_fake_counters(const char *host, const char *uuid, VirtFakeCounters *ret);

/* Forgets every host, guest and pending failure.  No fake connection may be open. */
void virt_fake_reset(void);
