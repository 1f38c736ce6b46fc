/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity service's entry in the daemon's module table: it loads the
 * token keys at setup, and its tick reloads them when `gureum token-key
 * rotate` changed the key directory (or at once on SIGHUP).
 */
#include "identity/identity.h"
#include "engine/module.h"
#include "util/log.h"

#include <sys/stat.h>

#define KEY_CHECK_USEC (5 * 1000000LL)

static char *key_dir;
static int64_t key_dir_seen;

static int64_t key_dir_mtime(void) {
        struct stat st;
        if (!key_dir || stat(key_dir, &st) < 0)
                return 0;
        return (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static int module_setup(const Config *cfg) {
        free(key_dir);
        key_dir = xasprintf("%s/keys/token", cfg->state_dir);
        key_dir_seen = key_dir_mtime();
        int r = identity_setup(cfg);
        if (r < 0)
                log_error("identity", "cannot load token keys from %s", key_dir);
        return r;
}

static void module_reload(Ctx *c) {
        _cleanup_free_ char *state_dir = xstrndup(key_dir, strlen(key_dir) - strlen("/keys/token"));
        key_dir_seen = key_dir_mtime();
        if (token_keys_load(state_dir) < 0)
                log_error("identity", "reloading token keys failed; keeping the old ones");
        else
                log_info("identity", "token keys reloaded");
}

static void module_tick(Ctx *c) {
        if (key_dir_mtime() != key_dir_seen)
                module_reload(c);
}

static void module_stop(void) {
        key_dir = (free(key_dir), NULL);
}

const Module identity_module = {
        .name = "identity",
        .setup = module_setup,
        .tick = module_tick,
        .tick_usec = KEY_CHECK_USEC,
        .reload = module_reload,
        .stop = module_stop,
};
