/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data plane reconciler: a thread of the network module that reads
 * the host's desired state from the tables (network_state.c) and has the
 * data plane driver (src/net) make it true, whenever a committed change
 * pokes it and every RESYNC_USEC besides, so drift (a bridge or
 * namespace deleted by hand, a dnsmasq killed) is repaired without any
 * API call.  Only after an apply succeeded does it publish what that
 * implies: ports and floating IPs ACTIVE.  The namespaces the metadata
 * service listens in are published after every pass, failed or not: the
 * driver goes on past a network it cannot make (a VXLAN identifier some
 * other device of the host holds), and the guests of every other network
 * must not lose their metadata to it.
 */
#include "network/network_state.h"
#include "util/log.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#define RESYNC_USEC (5 * 1000000LL)
#define RETRY_USEC (1 * 1000000LL)

static struct {
        pthread_mutex_t lock;
        pthread_cond_t poked, applied_cond;
        unsigned pokes;          /* changes asked for */
        unsigned applied;        /* the pokes the last successful apply covered */
        unsigned attempted;      /* the pokes the last apply, failed or not, covered */
        int attempt_result;      /* and how it ended */
        bool stopping, running;
        pthread_t thread;
        NetDriver *driver;
        char *driver_name;
        char *host;
        NetNames names;
        json_t *metadata;        /* [{"network_id", "netns"}] of the last pass */
        char last_error[512];
} dp = { .lock = PTHREAD_MUTEX_INITIALIZER, .poked = PTHREAD_COND_INITIALIZER,
         .applied_cond = PTHREAD_COND_INITIALIZER };

unsigned network_dataplane_poke(void) {
        pthread_mutex_lock(&dp.lock);
        unsigned ticket = ++dp.pokes;
        pthread_cond_signal(&dp.poked);
        pthread_mutex_unlock(&dp.lock);
        return ticket;
}

static struct timespec deadline_in(int64_t usec) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (usec % 1000000) * 1000;
        ts.tv_sec += usec / 1000000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        return ts;
}

int network_dataplane_wait(unsigned ticket, int64_t timeout_usec) {
        struct timespec until = deadline_in(timeout_usec);
        int r = 0, result;
        pthread_mutex_lock(&dp.lock);
        while (dp.running && !dp.stopping && (int) (dp.attempted - ticket) < 0 && r == 0)
                r = pthread_cond_timedwait(&dp.applied_cond, &dp.lock, &until);
        if ((int) (dp.applied - ticket) >= 0)
                result = 0;
        else if ((int) (dp.attempted - ticket) >= 0)
                result = dp.attempt_result < 0 ? dp.attempt_result : -EIO;
        else
                result = dp.stopping ? -ECANCELED : -ETIMEDOUT;
        pthread_mutex_unlock(&dp.lock);
        return result;
}

json_t *network_dataplane_metadata_targets(void) {
        pthread_mutex_lock(&dp.lock);
        json_t *copy = dp.metadata ? json_deep_copy(dp.metadata) : json_array();
        pthread_mutex_unlock(&dp.lock);
        return copy;
}

void network_dataplane_devices(const json_t *net, const char *port_id, char *bridge, char *tap) {
        const Physnet *physnet = network_physnet(jx_string(net, "provider:physical_network"));
        NetNetwork n = { .id = jx_string(net, "id"), .type = jx_string(net, "provider:network_type"),
                         .physical_bridge = physnet ? physnet->bridge : NULL };
        char buf[NET_IFNAME_MAX + 1];
        snprintf(bridge, NET_IFNAME_MAX + 1, "%s", net_network_bridge(&dp.names, &n, buf));
        net_name_tap(&dp.names, port_id, tap);
}

/* Is the tap of a VM port there (libvirt makes it when the guest starts)? */
static bool tap_present(const char *port_id) {
        char tap[NET_IFNAME_MAX + 1], path[64];
        struct stat st;
        if (!streq(dp.driver_name, "linux"))
                return true; /* the fake has no devices: what it applied is wired */
        net_name_tap(&dp.names, port_id, tap);
        snprintf(path, sizeof(path), "/sys/class/net/%s", tap);
        return stat(path, &st) == 0;
}

static int set_status(Ctx *c, const char *table, const char *id, const char *status) {
        _cleanup_free_ char *sql = xasprintf("UPDATE %s SET status = ? WHERE id = ? AND status <> ?", table);
        int r = db_run(c->db, sql, "sss", status, id, status);
        return r < 0 ? res_db_error(c, r, RES_PORT, "recording a status") : 0;
}

typedef struct Publish {
        const NetState *state;
} Publish;

/* What an apply made true, written in one transaction. */
static int publish_locked(Ctx *c, void *userdata) {
        const NetState *st = ((Publish *) userdata)->state;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < st->n_ports; i++)
                r = set_status(c, "ports", st->ports[i].id, tap_present(st->ports[i].id) ? "ACTIVE" : "DOWN");
        /* The service's own ports (DHCP, router legs) are devices the apply made. */
        if (r >= 0) {
                r = db_run(c->db, "UPDATE ports SET status = 'ACTIVE' WHERE status <> 'ACTIVE' AND device_owner IN (?, ?, ?)",
                           "sss", OWNER_DHCP, OWNER_ROUTER_INTERFACE, OWNER_ROUTER_GATEWAY);
                r = r < 0 ? res_db_error(c, r, RES_PORT, "recording a status") : 0;
        }
        if (r >= 0) {
                r = db_run(c->db, "UPDATE floatingips SET status = CASE WHEN router_id IS NOT NULL AND fixed_ip_address IS NOT NULL"
                                  " THEN 'ACTIVE' ELSE 'DOWN' END",
                           "");
                r = r < 0 ? res_db_error(c, r, RES_FLOATINGIP, "recording a status") : 0;
        }
        return r;
}

static json_t *metadata_of(const NetState *st) {
        json_t *list = json_array();
        for (size_t i = 0; i < st->n_networks; i++) {
                char ns[64];
                if (!st->networks[i].metadata)
                        continue;
                net_name_dhcp_ns(&dp.names, st->networks[i].id, ns);
                json_array_append_new(list, json_pack("{s:s, s:s}", "network_id", st->networks[i].id, "netns", ns));
        }
        return list;
}

/* One pass: build, apply, publish.  Logs a failure once, not on every retry. */
static int apply_once(void) {
        Ctx c;
        NetStateOwned *s = NULL;
        Error e = {};
        int r;

        ctx_init(&c, db_thread());
        r = network_state_build(&c, dp.host, &s);
        if (r >= 0) {
                r = net_apply(dp.driver, &s->state, &e);
                if (r < 0 && strcmp(e.message, dp.last_error) != 0) {
                        log_warning("network", "the data plane could not be applied: %s", e.message);
                        snprintf(dp.last_error, sizeof(dp.last_error), "%s", e.message);
                }
                /* A namespace not there yet is the metadata service's to retry. */
                json_t *md = metadata_of(&s->state);
                pthread_mutex_lock(&dp.lock);
                json_decref(dp.metadata);
                dp.metadata = md;
                pthread_mutex_unlock(&dp.lock);
        } else
                log_warning("network", "the data plane's state could not be read: %s",
                            c.error_message ? c.error_message : "database error");
        if (r >= 0) {
                if (dp.last_error[0]) {
                        log_info("network", "the data plane is applied again");
                        dp.last_error[0] = '\0';
                }
                Publish p = { &s->state };
                r = res_transaction(&c, "recording the data plane's state", publish_locked, &p);
        }
        network_state_free(s);
        ctx_done(&c);
        return r;
}

static void *reconciler(void *userdata) {
        int64_t wait = 0;
        for (;;) {
                pthread_mutex_lock(&dp.lock);
                if (wait > 0 && dp.pokes == dp.applied && !dp.stopping) {
                        struct timespec until = deadline_in(wait);
                        while (dp.pokes == dp.applied && !dp.stopping &&
                               pthread_cond_timedwait(&dp.poked, &dp.lock, &until) == 0)
                                ;
                }
                if (dp.stopping) {
                        pthread_mutex_unlock(&dp.lock);
                        return NULL;
                }
                unsigned covering = dp.pokes;
                pthread_mutex_unlock(&dp.lock);

                int r = apply_once();
                pthread_mutex_lock(&dp.lock);
                if (r >= 0)
                        dp.applied = covering;
                dp.attempted = covering;
                dp.attempt_result = r;
                pthread_cond_broadcast(&dp.applied_cond);
                pthread_mutex_unlock(&dp.lock);
                wait = r >= 0 ? RESYNC_USEC : RETRY_USEC;
        }
}

int network_dataplane_start(const Config *cfg) {
        _cleanup_free_ char *dir = config_state_path(cfg, "net");
        NetConfig nc = { .state_dir = dir };
        Error e = {};
        int r;

        snprintf(nc.names.prefix, sizeof(nc.names.prefix), "%s", cfg->network_name_prefix);
        dp.names = nc.names;
        r = net_open(cfg->network_dataplane, &nc, &dp.driver, &e);
        if (r < 0) {
                log_error("network", "the %s data plane did not open: %s", cfg->network_dataplane, e.message);
                return r;
        }
        dp.driver_name = xstrdup(cfg->network_dataplane);
        dp.host = config_node_name(cfg);
        dp.stopping = false;
        if (pthread_create(&dp.thread, NULL, reconciler, NULL) != 0) {
                dp.driver = net_close(dp.driver);
                return -errno;
        }
        dp.running = true;
        return 0;
}

void network_dataplane_stop(void) {
        if (dp.running) {
                pthread_mutex_lock(&dp.lock);
                dp.stopping = true;
                pthread_cond_broadcast(&dp.poked);
                pthread_cond_broadcast(&dp.applied_cond); /* a build waiting for its bridges gives up at once */
                pthread_mutex_unlock(&dp.lock);
                pthread_join(dp.thread, NULL);
                dp.running = false;
        }
        dp.driver = net_close(dp.driver);
        free(dp.driver_name);
        free(dp.host);
        json_decref(dp.metadata);
        dp.driver_name = dp.host = NULL;
        dp.metadata = NULL;
}
