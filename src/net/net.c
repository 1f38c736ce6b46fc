/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public side of the data plane (net.h): driver lookup by name, the
 * copy of the configuration every driver gets, and the wrappers the
 * networking service calls.  As in virt.c, a wrapper checks its
 * arguments, turns a NULL op into one -EOPNOTSUPP with a debug line, and
 * calls the driver, here under the driver's lock: one apply or teardown
 * at a time per driver, whichever thread asks.
 */
#include "net/net_internal.h"

#include "util/log.h"

static const NetDriverOps *const drivers[] = {
        &net_linux_ops,
        &net_fake_ops,
};

static void config_done(NetConfig *c) {
        free((char *) c->state_dir);
        free((char *) c->external_bridge);
        *c = (NetConfig) {};
}

int net_open(const char *driver, const NetConfig *cfg, NetDriver **ret, Error *e) {
        NetNames names;
        int r;

        if (!cfg)
                return error_set(e, -EINVAL, "No data plane configuration given.");
        r = net_names_init(&names, cfg->names.prefix, e);
        if (r < 0)
                return r;
        if (cfg->external_bridge && !net_ifname_valid(cfg->external_bridge))
                return error_set(e, -EINVAL, "The external bridge '%s' is not an interface name.", cfg->external_bridge);
        if (cfg->state_dir && cfg->state_dir[0] != '/')
                return error_set(e, -EINVAL, "The data plane's state directory '%s' is not an absolute path.",
                                 cfg->state_dir);
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++) {
                if (!streq_ptr(drivers[i]->name, driver))
                        continue;
                NetDriver *d = xcalloc(1, sizeof(*d));
                d->ops = drivers[i];
                d->cfg = (NetConfig) {
                        .names = names,
                        .state_dir = cfg->state_dir ? xstrdup(cfg->state_dir) : NULL,
                        .external_bridge = cfg->external_bridge ? xstrdup(cfg->external_bridge) : NULL,
                };
                pthread_mutex_init(&d->lock, NULL);
                r = d->ops->open ? d->ops->open(d, e) : 0;
                if (r < 0) {
                        config_done(&d->cfg);
                        pthread_mutex_destroy(&d->lock);
                        free(d);
                        return r;
                }
                *ret = d;
                return 0;
        }
        return error_set(e, -EINVAL, "There is no data plane driver named '%s'.", driver ? driver : "(null)");
}

NetDriver *net_close(NetDriver *d) {
        if (!d)
                return NULL;
        if (d->ops->close)
                d->ops->close(d);
        config_done(&d->cfg);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
}

static int unsupported(const NetDriver *d, const char *op, Error *e) {
        log_debug("net", "driver %s does not support %s", d->ops->name, op);
        return error_set(e, -EOPNOTSUPP, "The %s data plane driver does not support '%s'.", d->ops->name, op);
}

int net_apply(NetDriver *d, const NetState *state, Error *e) {
        if (!d)
                return error_set(e, -ENOTCONN, "The data plane driver is not open.");
        if (!state)
                return error_set(e, -EINVAL, "No network state given.");
        if (!d->ops->apply)
                return unsupported(d, "apply", e);
        pthread_mutex_lock(&d->lock);
        int r = d->ops->apply(d, state, e);
        pthread_mutex_unlock(&d->lock);
        return r;
}

int net_teardown(NetDriver *d, Error *e) {
        if (!d)
                return error_set(e, -ENOTCONN, "The data plane driver is not open.");
        if (!d->ops->teardown)
                return unsupported(d, "teardown", e);
        pthread_mutex_lock(&d->lock);
        int r = d->ops->teardown(d, e);
        pthread_mutex_unlock(&d->lock);
        return r;
}
