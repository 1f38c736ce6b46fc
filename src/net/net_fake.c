/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fake data plane driver: it checks a state the way the linux driver
 * would (net_state_check, and every builder: a state the real driver
 * would refuse fails here too), then records a deep copy of it (as JSON)
 * for the host of its prefix and counts.  Nothing on the machine is
 * touched.  Faults are injected per op with net_fake_fail_next()
 * (net_fake.h); one mutex guards everything.
 */
#include "net/net_fake.h"

#include "net/net_internal.h"
#include "util/fault.h"

typedef struct FakeHost {
        char prefix[NET_PREFIX_MAX + 1];
        json_t *state;           /* the last state applied, or NULL */
        NetFakeCounters counters;
        struct FakeHost *next;
} FakeHost;

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static FakeHost *fake_hosts;
static FaultQueue fake_faults;

/* Holds the fake's lock until the end of the scope. */
#define FAKE_LOCKED FAULT_LOCKED(&fake_lock)

void net_fake_fail_next(const char *op, int code) {
        FAKE_LOCKED;
        fault_queue_push(&fake_faults, op, code);
}

/* Consumes a queued failure of op.  Called with the lock held. */
static int take_fault(const char *op, Error *e) {
        int code = fault_queue_take(&fake_faults, op);
        return code ? error_set(e, code, "Injected failure of the fake data plane's '%s'.", op) : 0;
}

/* The host of prefix, made on first use.  Called with the lock held. */
static FakeHost *host_get(const char *prefix) {
        for (FakeHost *h = fake_hosts; h; h = h->next)
                if (streq(h->prefix, prefix))
                        return h;
        FakeHost *h = xcalloc(1, sizeof(*h));
        snprintf(h->prefix, sizeof(h->prefix), "%s", prefix);
        h->next = fake_hosts;
        fake_hosts = h;
        return h;
}

static int fake_open(NetDriver *d, Error *e) {
        FAKE_LOCKED;
        int r = take_fault("open", e);
        if (r < 0)
                return r;
        (void) host_get(d->cfg.names.prefix);
        return 0;
}

/* Runs every builder on state, as the linux driver does before it touches anything. */
static int build_all(const NetNames *n, const NetState *state, Error *e) {
        Buf b = {};
        int r = net_nft_filter_build(n, state, &b, e);
        for (size_t i = 0; r >= 0 && i < state->n_routers; i++)
                r = net_nft_router_build(n, &state->routers[i], &b, e);
        for (size_t i = 0; r >= 0 && i < state->n_networks; i++) {
                char **argv = NULL;
                r = net_dnsmasq_build(n, &state->networks[i], &b, &b, &b, e);
                if (r >= 0 && state->networks[i].dhcp_mac)
                        r = net_dnsmasq_argv(n, &state->networks[i], "/fake", &argv, e);
                strv_free(argv);
        }
        buf_done(&b);
        return r;
}

static int fake_apply(NetDriver *d, const NetState *state, Error *e) {
        FAKE_LOCKED;
        FakeHost *h = host_get(d->cfg.names.prefix);
        int r = take_fault("apply", e);
        if (r >= 0)
                r = build_all(&d->cfg.names, state, e);
        if (r < 0) {
                h->counters.failures++;
                return r;
        }
        if (h->state)
                json_decref(h->state);
        h->state = net_state_to_json(state);
        h->counters.applies++;
        return 0;
}

static int fake_teardown(NetDriver *d, Error *e) {
        FAKE_LOCKED;
        FakeHost *h = host_get(d->cfg.names.prefix);
        int r = take_fault("teardown", e);
        if (r < 0) {
                h->counters.failures++;
                return r;
        }
        if (h->state) {
                json_decref(h->state);
                h->state = net_state_to_json(&(NetState) {});
        }
        h->counters.teardowns++;
        return 0;
}

const NetDriverOps net_fake_ops = {
        .name = "fake",
        .open = fake_open,               /* 0.1 */
        .apply = fake_apply,             /* 0.1 */
        .teardown = fake_teardown,       /* 0.1 */
};

NetFakeCounters net_fake_counters(const char *prefix) {
        FAKE_LOCKED;
        for (FakeHost *h = fake_hosts; h; h = h->next)
                if (streq(h->prefix, prefix))
                        return h->counters;
        return (NetFakeCounters) {};
}

int net_fake_state(const char *prefix, NetStateDoc **ret) {
        FAKE_LOCKED;
        for (FakeHost *h = fake_hosts; h; h = h->next)
                if (streq(h->prefix, prefix) && h->state)
                        return net_state_from_json(h->state, ret, NULL);
        return -ENOENT;
}

void net_fake_reset(void) {
        FAKE_LOCKED;
        while (fake_hosts) {
                FakeHost *h = fake_hosts;
                fake_hosts = h->next;
                if (h->state)
                        json_decref(h->state);
                free(h);
        }
        fault_queue_clear(&fake_faults);
}
