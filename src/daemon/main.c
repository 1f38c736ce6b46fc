/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gureumd: loads the config, locks the state directory (one daemon per
 * cloud), brings the database schema up to date, sets up and recovers
 * every module of the table in modules.c, starts the task
 * workers and the API, and then ticks the modules until SIGTERM or SIGINT
 * (SIGHUP makes each module re-read what an operator changes on disk).
 * Stopping is the start in reverse.
 */
#include "daemon/daemon.h"
#include "db/db.h"
#include "util/fileio.h"
#include "util/log.h"

#include <getopt.h>
#include <signal.h>

/* How often leases of vanished workers are looked for. */
#define LEASE_CHECK_USEC (5 * 1000000LL)

static void usage(FILE *f) {
        fprintf(f, "Usage: gureumd [--state-dir DIR]\n"
                   "       gureumd --list-routes\n"
                   "Serves the gureum cloud whose state is in DIR (default " CONFIG_DEFAULT_STATE_DIR ").\n"
                   "--list-routes prints every API route as METHOD PATH, one a line, and exits\n"
                   "(tests/security sweeps each one that takes an {id}).\n");
}

static void list_routes(void) {
        for (size_t i = 0; daemon_api_services[i]; i++)
                for (size_t t = 0; daemon_api_services[i]->routes[t]; t++)
                        for (const ApiRoute *r = daemon_api_services[i]->routes[t]; r->method; r++)
                                printf("%s %s%s\n", r->method, daemon_api_services[i]->prefix, r->path);
}

/* Stops modules [0, n) in reverse order. */
static void modules_stop(size_t n) {
        while (n-- > 0)
                if (daemon_modules[n]->stop)
                        daemon_modules[n]->stop();
}

/* Sets up every module, then recovers every one; on failure stops what was set up. */
static int modules_start(const Config *cfg, Db *db, size_t *ret_n) {
        size_t n = 0;
        int r = 0;

        for (; daemon_modules[n]; n++) {
                const Module *m = daemon_modules[n];
                if (m->setup && (r = m->setup(cfg)) < 0) {
                        log_error("daemon", "module %s failed to start: %s", m->name, strerror(-r));
                        break;
                }
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const Module *m = daemon_modules[i];
                Ctx c;
                if (!m->recover)
                        continue;
                ctx_init(&c, db);
                r = m->recover(&c);
                if (r < 0)
                        log_error("daemon", "module %s failed to recover: %s", m->name,
                                  c.error_message ? c.error_message : strerror(-r));
                ctx_done(&c);
        }
        if (r < 0) {
                modules_stop(n);
                return r;
        }
        *ret_n = n;
        return 0;
}

/* The task kinds of every module, for the pool; the array is owned by the caller. */
static const TaskDef **module_tasks(void) {
        size_t n = 0, k = 0;
        while (daemon_modules[n])
                n++;
        const TaskDef **defs = xcalloc(n + 1, sizeof(*defs));
        for (size_t i = 0; i < n; i++)
                if (daemon_modules[i]->tasks)
                        defs[k++] = daemon_modules[i]->tasks;
        return defs;
}

typedef void (*ModuleHook)(Ctx *c);

static void run_hook(const Module *m, ModuleHook hook, Db *db) {
        Ctx c;
        ctx_init(&c, db);
        hook(&c);
        ctx_done(&c);
}

/*
 * Waits for a stop signal, running each module's tick at its interval,
 * their reloads on SIGHUP, and the return of lost task leases.
 */
static void serve_until_stopped(Db *db) {
        size_t n = 0;
        while (daemon_modules[n])
                n++;
        _cleanup_free_ int64_t *next = xcalloc(n + 1, sizeof(int64_t));
        int64_t now = now_usec(), next_leases = now + LEASE_CHECK_USEC;
        sigset_t set;

        for (size_t i = 0; i < n; i++)
                next[i] = now + daemon_modules[i]->tick_usec;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        for (;;) {
                int64_t wake = next_leases;
                for (size_t i = 0; i < n; i++)
                        if (daemon_modules[i]->tick && next[i] < wake)
                                wake = next[i];
                int64_t wait = wake - now_usec();
                if (wait < 0)
                        wait = 0;
                struct timespec timeout = { .tv_sec = wait / 1000000, .tv_nsec = (wait % 1000000) * 1000 };
                int sig = sigtimedwait(&set, NULL, &timeout);
                if (sig == SIGTERM || sig == SIGINT) {
                        log_info("daemon", "received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
                        return;
                }
                if (sig == SIGHUP)
                        for (size_t i = 0; i < n; i++)
                                if (daemon_modules[i]->reload)
                                        run_hook(daemon_modules[i], daemon_modules[i]->reload, db);
                now = now_usec();
                for (size_t i = 0; i < n; i++)
                        if (daemon_modules[i]->tick && now >= next[i]) {
                                run_hook(daemon_modules[i], daemon_modules[i]->tick, db);
                                next[i] = now_usec() + daemon_modules[i]->tick_usec;
                        }
                if (now >= next_leases) {
                        Ctx c;
                        ctx_init(&c, db);
                        (void) task_requeue_expired(&c);
                        ctx_done(&c);
                        next_leases = now_usec() + LEASE_CHECK_USEC;
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
        const char *state_dir = CONFIG_DEFAULT_STATE_DIR;
        _cleanup_free_ const TaskDef **tasks = NULL;
        _cleanup_free_ char *node = NULL, *lock_path = NULL;
        pid_t holder = 0;
        ApiSetup api;
        TaskPool *pool = NULL;
        ApiServer *server = NULL;
        size_t started = 0;
        Config cfg;
        Db *db = NULL;
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
         * recovery over the first one's work in flight (uploads, task
         * leases).  The lock lasts as long as this process (the fd stays open).
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
        r = modules_start(&cfg, db, &started);
        if (r < 0)
                goto out;
        tasks = module_tasks();
        node = config_node_name(&cfg);
        r = task_pool_start(tasks, node, (unsigned) cfg.task_workers, &pool);
        if (r < 0) {
                log_error("daemon", "cannot start the task workers: %s", strerror(-r));
                goto out;
        }
        {
                Ctx c;
                ctx_init(&c, db);
                (void) task_requeue_expired(&c);
                ctx_done(&c);
        }
        daemon_api_setup(&cfg, &api);
        r = api_server_start(&api, &server);
        if (r < 0)
                goto out;
        log_info("daemon", "gureumd serving cloud in %s as node %s", cfg.state_dir, node);
        serve_until_stopped(db);
        log_info("daemon", "stopped");
out:
        server = api_server_stop(server);
        pool = task_pool_stop(pool);
        modules_stop(started);
        config_done(&cfg);
        return r < 0 ? 1 : 0;
}
