/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every module gureumd runs, in one explicit list: set up and recovered in
 * this order, stopped in the reverse one.  A new service (and its
 * reconciler) is a line here.  The catalog module belongs to the daemon:
 * it publishes whatever services the API registry serves.
 */
#include "daemon/daemon.h"
#include "identity/identity.h"

extern const Module identity_module, image_module, network_module, compute_module, metadata_module;

static const Config *config;

static int catalog_setup(const Config *cfg) {
        config = cfg;
        return 0;
}

/* Publishes every service in daemon_api_services[] that declares a catalog type. */
static int catalog_recover(Ctx *c) {
        CatalogEntry entries[16] = {};
        size_t n = 0;
        _cleanup_free_ char *base = config_public_url(config);

        for (size_t i = 0; daemon_api_services[i] && n < ELEMENTSOF(entries) - 1; i++)
                if (daemon_api_services[i]->catalog_type)
                        entries[n++] = (CatalogEntry) { daemon_api_services[i]->catalog_type,
                                                        daemon_api_services[i]->catalog_name,
                                                        daemon_api_services[i]->catalog_path
                                                                ? daemon_api_services[i]->catalog_path
                                                                : daemon_api_services[i]->prefix };
        return identity_catalog_ensure(c, entries, base);
}

static const Module catalog_module = {
        .name = "catalog",
        .setup = catalog_setup,
        .recover = catalog_recover,
};

const Module *const daemon_modules[] = {
        &identity_module,
        &image_module,
        &network_module,
        &compute_module,
        &metadata_module,
        &catalog_module,
        NULL,
};
