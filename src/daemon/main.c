/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gureumd: loads the config, locks the state directory (one daemon per
 * cloud), brings the database schema up to date, reconciles the catalog
 * with the services it serves, and serves the API until SIGTERM or SIGINT.  Token key rotations by `gureum token-key
 * rotate` are picked up within seconds, or at once on SIGHUP.
 */
#include "api/api.h"
#include "db/db.h"
#include "identity/identity.h"
#include "image/image.h"
#include "util/fileio.h"
#include "util/log.h"

#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>

#define DEFAULT_STATE_DIR "/var/lib/gureum"
#define KEY_CHECK_SECONDS 5

static void usage(FILE *f) {
        fprintf(f, "Usage: gureumd [--state-dir DIR]\n"
                   "       gureumd --list-routes\n"
                   "Serves the gureum cloud whose state is in DIR (default " DEFAULT_STATE_DIR ").\n"
                   "--list-routes prints every API route as METHOD PATH, one a line, and exits\n"
                   "(tests/security sweeps each one that takes an {id}).\n");
}

static void list_routes(void) {
        for (size_t i = 0; api_services[i]; i++)
                for (const ApiRoute *r = api_services[i]->routes; r->method; r++)
                        printf("%s %s%s\n", r->method, api_services[i]->prefix, r->path);
}

/* Publishes every service in api_services[] that declares a catalog type. */
static int catalog_reconcile(Db *db, const Config *cfg) {
        CatalogEntry entries[16] = {};
        size_t n = 0;
        _cleanup_free_ char *base = config_public_url(cfg);
        Ctx c;

        for (size_t i = 0; api_services[i] && n < ELEMENTSOF(entries) - 1; i++)
                if (api_services[i]->catalog_type)
                        entries[n++] = (CatalogEntry) { api_services[i]->catalog_type, api_services[i]->catalog_name,
                                                        api_services[i]->prefix };
        ctx_init(&c, db);
        int r = identity_catalog_ensure(&c, entries, base);
        ctx_done(&c);
        return r;
}

static int64_t key_dir_mtime(const char *state_dir) {
        _cleanup_free_ char *dir = xasprintf("%s/keys/token", state_dir);
        struct stat st;
        if (stat(dir, &st) < 0)
                return 0;
        return (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* Waits for a stop signal; reloads token keys on SIGHUP or when their directory changes. */
static void serve_until_stopped(const Config *cfg) {
        sigset_t set;
        int64_t mtime = key_dir_mtime(cfg->state_dir);

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        for (;;) {
                struct timespec timeout = { .tv_sec = KEY_CHECK_SECONDS };
                int sig = sigtimedwait(&set, NULL, &timeout);
                int64_t now = key_dir_mtime(cfg->state_dir);
                if (sig == SIGHUP || now != mtime) {
                        mtime = now;
                        if (token_keys_load(cfg->state_dir) < 0)
                                log_error("daemon", "reloading token keys failed; keeping the old ones");
                        else
                                log_info("daemon", "token keys reloaded");
                }
                if (sig == SIGTERM || sig == SIGINT) {
                        log_info("daemon", "received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                        return;
                }
        }
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 'd' },
                { "list-routes", no_argument, NULL, 'L' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *state_dir = DEFAULT_STATE_DIR;
        _cleanup_free_ char *lock_path = NULL;
        pid_t holder = 0;
        Config cfg;
        Db *db = NULL;
        ApiServer *server = NULL;
        sigset_t set;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "d:h", options, NULL)) >= 0)
                switch (opt) {
                case 'd':
                        state_dir = optarg;
                        break;
                case 'L':
                        list_routes();
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        if (optind < argc) {
                usage(stderr);
                return 2;
        }

        /* Block the signals before any thread starts, so only sigtimedwait sees them. */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);

        config_defaults(&cfg);
        r = config_load(&cfg, state_dir);
        if (r == -ENOENT) {
                fprintf(stderr, "gureumd: %s/gureum.conf not found; run 'gureum init --state-dir %s' first\n",
                        state_dir, state_dir);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "gureumd: cannot load the configuration from %s\n", state_dir);
                return 1;
        }
        log_set_level(log_level_from_string(cfg.log_level));

        /*
         * One daemon per state directory: a second one would run its start-up
         * recovery over the first one's uploads in flight and delete their
         * data.  The lock lasts as long as this process (the fd stays open).
         */
        lock_path = xasprintf("%s/gureumd.lock", cfg.state_dir);
        r = lock_file_take(lock_path, &holder);
        if (r == -EBUSY) {
                if (holder > 0)
                        fprintf(stderr, "gureumd: the state directory %s is in use by another gureumd (pid %ld, %s)\n",
                                cfg.state_dir, (long) holder, lock_path);
                else
                        fprintf(stderr, "gureumd: the state directory %s is in use by another gureumd (%s)\n",
                                cfg.state_dir, lock_path);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "gureumd: cannot lock the state directory %s (%s): %s\n", cfg.state_dir, lock_path,
                        strerror(-r));
                goto out;
        }

        db_thread_setup(cfg.db_connection, cfg.state_dir);
        db = db_thread();
        if (!db) {
                log_error("daemon", "cannot open the database (%s)", cfg.db_connection);
                r = -EIO;
                goto out;
        }
        r = db_migrate(db);
        if (r < 0) {
                log_error("daemon", "database migration failed: %s", db_errmsg(db));
                goto out;
        }
        log_info("daemon", "database schema at version %lld", (long long) db_schema_latest());
        r = identity_setup(&cfg);
        if (r < 0) {
                log_error("daemon", "cannot load token keys from %s/keys/token", cfg.state_dir);
                goto out;
        }
        r = image_setup(&cfg);
        if (r >= 0) {
                Ctx c;
                ctx_init(&c, db);
                r = image_recover(&c);
                ctx_done(&c);
        }
        if (r < 0) {
                log_error("daemon", "cannot prepare the image store in %s/images", cfg.state_dir);
                goto out;
        }
        r = catalog_reconcile(db, &cfg);
        if (r < 0) {
                log_error("daemon", "cannot update the service catalog");
                goto out;
        }
        r = api_server_start(&cfg, &server);
        if (r < 0)
                goto out;
        log_info("daemon", "gureumd serving cloud in %s", cfg.state_dir);
        serve_until_stopped(&cfg);
        server = api_server_stop(server);
        log_info("daemon", "stopped");
out:
        config_done(&cfg);
        return r < 0 ? 1 : 0;
}
