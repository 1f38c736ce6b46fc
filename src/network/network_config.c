/* SPDX-License-Identifier: Apache-2.0 */
/*
 * [network] as the service uses it: the physical networks of
 * bridge_mappings, the base MAC, the name prefix, checked once at setup
 * so a typo stops the daemon with a message instead of a broken network.
 */
#include "network/network_internal.h"

#include <ctype.h>

Networking networking;

static bool name_ok(const char *s, size_t max) {
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_' && *p != '.')
                        return false;
        return true;
}

static int add_mapping(const char *item) {
        const char *colon = strchr(item, ':');
        if (!colon || colon == item || !name_ok(colon + 1, 15)) {
                fprintf(stderr, "gureum.conf: [network] bridge_mappings: '%s' is not physnet:bridge (a bridge name has at most 15 characters).\n",
                        item);
                return -EINVAL;
        }
        _cleanup_free_ char *name = xstrndup(item, colon - item);
        if (!name_ok(name, 64) || network_physnet(name)) {
                fprintf(stderr, "gureum.conf: [network] bridge_mappings: physical network '%s' is invalid or named twice.\n",
                        name);
                return -EINVAL;
        }
        networking.physnets = xrealloc(networking.physnets, (networking.n_physnets + 1) * sizeof(Physnet));
        networking.physnets[networking.n_physnets++] = (Physnet) { TAKE_PTR(name), xstrdup(colon + 1) };
        return 0;
}

int network_config_load(const Config *cfg) {
        const char *prefix = cfg->network_name_prefix;
        network_config_done();
        networking.cfg = cfg;
        if (!name_ok(prefix, 5) || strchr(prefix, '.')) {
                fprintf(stderr, "gureum.conf: [network] name_prefix '%s' must be 1 to 5 letters, digits, '-' or '_'.\n",
                        prefix);
                return -EINVAL;
        }
        if (cfg->network_vni_min > cfg->network_vni_max) {
                fprintf(stderr, "gureum.conf: [network] vni_min is above vni_max.\n");
                return -EINVAL;
        }
        if (mac_parse(cfg->network_base_mac, networking.base_mac) < 0) {
                fprintf(stderr, "gureum.conf: [network] base_mac '%s' is not a unicast MAC address.\n", cfg->network_base_mac);
                return -EINVAL;
        }
        _cleanup_free_ char *copy = xstrdup(cfg->network_bridge_mappings);
        char *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                while (isspace((unsigned char) *item))
                        item++;
                char *end = item + strlen(item);
                while (end > item && isspace((unsigned char) end[-1]))
                        *--end = '\0';
                if (*item && add_mapping(item) < 0)
                        return -EINVAL;
        }
        return 0;
}

void network_config_done(void) {
        for (size_t i = 0; i < networking.n_physnets; i++) {
                free(networking.physnets[i].name);
                free(networking.physnets[i].bridge);
        }
        free(networking.physnets);
        networking = (Networking) {};
}

const Physnet *network_physnet(const char *name) {
        for (size_t i = 0; name && i < networking.n_physnets; i++)
                if (streq(networking.physnets[i].name, name))
                        return &networking.physnets[i];
        return NULL;
}
