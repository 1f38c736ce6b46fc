/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failures injected into the fake drivers: tests queue (operation, errno)
 * pairs through a fake's *_fail_next, and the fake's operations take them,
 * first queued first.  A FaultQueue has no lock of its own: the fake
 * guards it with the lock that guards the rest of its state, which
 * FAULT_LOCKED holds to the end of a scope.
 */
#pragma once

#include "util/util.h"

#include <pthread.h>

typedef struct Fault Fault;

typedef struct FaultQueue {
        Fault *head;
} FaultQueue;

/* Queues a failure of op with code (a negative errno). */
void fault_queue_push(FaultQueue *q, const char *op, int code);
/* Takes the first queued failure of op: its code, or 0 if none is queued. */
int fault_queue_take(FaultQueue *q, const char *op);
/* Forgets every queued failure. */
void fault_queue_clear(FaultQueue *q);

static inline void fault_unlockp(pthread_mutex_t **m) {
        if (*m)
                pthread_mutex_unlock(*m);
}
/* Holds mutex m until the end of the scope. */
#define FAULT_LOCKED(m) _cleanup_(fault_unlockp) _unused_ pthread_mutex_t *_held_ = (pthread_mutex_lock(m), (m))
