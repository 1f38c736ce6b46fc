/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gureum subcommands: init, openrc, status, db upgrade, token-key
 * rotate.  They work on the state directory directly, so they run with or
 * without a daemon.
 */
#include "cli/cli.h"
#include "db/db.h"
#include "identity/identity.h"
#include "identity/identity_password.h"
#include "util/fileio.h"

#include <curl/curl.h>
#include <sodium.h>
#include <sys/stat.h>

int cli_config_load(const CliArgs *a, Config *cfg) {
        config_defaults(cfg);
        int r = config_load(cfg, a->state_dir);
        if (r == -ENOENT)
                fprintf(stderr, "gureum: no cloud in %s (run 'gureum init --state-dir %s')\n", a->state_dir,
                        a->state_dir);
        else if (r < 0)
                fprintf(stderr, "gureum: cannot load %s/gureum.conf: %s\n", a->state_dir, strerror(-r));
        return r;
}

static int open_db(const Config *cfg, Db **ret) {
        int r = db_open(cfg->db_connection, cfg->state_dir, ret);
        if (r < 0)
                fprintf(stderr, "gureum: cannot open the database %s: %s\n", cfg->db_connection, strerror(-r));
        return r;
}

static char *random_password(void) {
        uint8_t raw[15];
        char out[sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
        random_bytes(raw, sizeof(raw));
        sodium_bin2base64(out, sizeof(out), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        return xstrdup(out);
}

int cmd_init(const CliArgs *a) {
        _cleanup_free_ char *conf = xasprintf("%s/gureum.conf", a->state_dir);
        _cleanup_free_ char *pwfile = xasprintf("%s/admin-password", a->state_dir);
        _cleanup_free_ char *password = a->admin_password ? xstrdup(a->admin_password) : random_password();
        _cleanup_free_ char *base = NULL;
        Config cfg;
        Db *db = NULL;
        Ctx c;
        int r;

        if (access(conf, F_OK) == 0) {
                fprintf(stderr, "gureum: %s exists: this cloud is already initialised\n", conf);
                return 1;
        }
        if (sodium_init() < 0)
                return 1;
        r = mkdir_p(a->state_dir, 0750);
        if (r < 0) {
                fprintf(stderr, "gureum: cannot create %s: %s\n", a->state_dir, strerror(-r));
                return 1;
        }
        config_defaults(&cfg);
        free(cfg.listen);
        cfg.listen = xstrdup(a->listen ? a->listen : "0.0.0.0:8080");
        if (a->public_url) {
                free(cfg.public_url);
                cfg.public_url = xstrdup(a->public_url);
        }
        if (config_listen_split(cfg.listen, NULL, NULL) < 0) {
                fprintf(stderr, "gureum: invalid --listen '%s': expected HOST:PORT\n", cfg.listen);
                config_done(&cfg);
                return 1;
        }
        cfg.state_dir = realpath(a->state_dir, NULL);
        /* The config is written last: its presence means "initialised". */
        r = write_file_atomic(pwfile, password, strlen(password), 0600);
        if (r >= 0)
                r = token_keys_init(cfg.state_dir);
        if (r >= 0)
                r = open_db(&cfg, &db);
        if (r >= 0)
                r = db_migrate(db);
        if (r >= 0)
                r = password_set_cost(cfg.password_hash_opslimit, cfg.password_hash_memlimit);
        if (r >= 0) {
                /* The catalog is gureumd's to publish: it knows which services it serves. */
                ctx_init(&c, db);
                r = identity_bootstrap(&c, password);
                ctx_done(&c);
        }
        base = config_public_url(&cfg);
        if (r >= 0)
                r = config_write(&cfg, conf);
        db_close(db);
        if (r < 0) {
                fprintf(stderr, "gureum: initialising %s failed: %s\n", a->state_dir, strerror(-r));
                config_done(&cfg);
                return 1;
        }
        printf("Initialised a gureum cloud in %s\n"
               "  API:            %s (listening on %s)\n"
               "  admin password: saved in %s\n"
               "Start it with:    gureumd --state-dir %s\n"
               "Then use it with: eval \"$(gureum openrc --state-dir %s)\"; openstack token issue\n",
               cfg.state_dir, base, cfg.listen, pwfile, cfg.state_dir, cfg.state_dir);
        config_done(&cfg);
        return 0;
}

/* Prints s in single quotes, safe for any POSIX shell. */
static void shell_quote(const char *s) {
        putchar('\'');
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", stdout);
                else
                        putchar(*s);
        putchar('\'');
}

int cmd_openrc(const CliArgs *a) {
        _cleanup_free_ char *pwfile = xasprintf("%s/admin-password", a->state_dir);
        _cleanup_free_ char *password = NULL, *base = NULL;
        Config cfg;
        int r;

        if (cli_config_load(a, &cfg) < 0)
                return 1;
        r = read_file(pwfile, 4096, &password, NULL);
        if (r < 0) {
                fprintf(stderr, "gureum: cannot read %s: %s\n", pwfile, strerror(-r));
                config_done(&cfg);
                return 1;
        }
        password[strcspn(password, "\n")] = '\0';
        base = config_public_url(&cfg);
        printf("export OS_AUTH_URL=%s/identity/v3\n", base);
        printf("export OS_IDENTITY_API_VERSION=3\n"
               "export OS_AUTH_TYPE=password\n"
               "export OS_USERNAME=admin\n"
               "export OS_PASSWORD=");
        shell_quote(password);
        printf("\nexport OS_PROJECT_NAME=admin\n"
               "export OS_USER_DOMAIN_NAME=Default\n"
               "export OS_PROJECT_DOMAIN_NAME=Default\n"
               "export OS_REGION_NAME=RegionOne\n"
               "export OS_INTERFACE=public\n");
        config_done(&cfg);
        return 0;
}

int cmd_db_upgrade(const CliArgs *a) {
        Config cfg;
        Db *db = NULL;
        int64_t version = 0;
        int r;

        if (cli_config_load(a, &cfg) < 0)
                return 1;
        r = open_db(&cfg, &db);
        if (r >= 0)
                r = db_migrate(db);
        if (r >= 0)
                r = db_schema_version(db, &version);
        db_close(db);
        config_done(&cfg);
        if (r < 0) {
                fprintf(stderr, "gureum: database upgrade failed: %s\n", strerror(-r));
                return 1;
        }
        printf("Database schema is at version %lld.\n", (long long) version);
        return 0;
}

int cmd_token_key_rotate(const CliArgs *a) {
        Config cfg;
        if (cli_config_load(a, &cfg) < 0)
                return 1;
        int r = token_keys_rotate(cfg.state_dir, cfg.max_active_keys);
        if (r < 0)
                fprintf(stderr, "gureum: rotating the token keys in %s/keys/token failed: %s\n", cfg.state_dir,
                        strerror(-r));
        else
                printf("Rotated the token keys in %s/keys/token; running daemons switch within seconds.\n",
                       cfg.state_dir);
        config_done(&cfg);
        return r < 0 ? 1 : 0;
}

static size_t discard(char *p, size_t size, size_t n, void *userdata) {
        return size * n;
}

/* Asks the API for its identity version document; returns the HTTP status or 0. */
static long probe_api(const char *base) {
        _cleanup_free_ char *url = xasprintf("%s/identity/v3", base);
        CURL *curl = curl_easy_init();
        long status = 0;
        if (!curl)
                return 0;
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
        if (curl_easy_perform(curl) == CURLE_OK)
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(curl);
        return status;
}

static int64_t count_rows(Db *db, const char *sql) {
        int64_t n;
        return db_query_int(db, &n, sql, "") < 0 ? -1 : n;
}

int cmd_status(const CliArgs *a) {
        static const struct {
                const char *label;
                const char *sql;
        } counts[] = {
                { "projects", "SELECT COUNT(*) FROM projects" },
                { "users", "SELECT COUNT(*) FROM users" },
                { "groups", "SELECT COUNT(*) FROM groups" },
                { "roles", "SELECT COUNT(*) FROM roles" },
                { "services", "SELECT COUNT(*) FROM services" },
                { "endpoints", "SELECT COUNT(*) FROM endpoints" },
                { "images", "SELECT COUNT(*) FROM images" },
        };
        _cleanup_free_ char *base = NULL;
        Config cfg;
        Db *db = NULL;
        int64_t version = 0;
        int problems = 0;

        if (cli_config_load(a, &cfg) < 0)
                return 1;
        base = config_public_url(&cfg);
        long status = probe_api(base);
        printf("cloud:     %s\n", cfg.state_dir);
        printf("api:       %s %s\n", base, status == 200 ? "(up)" : "(NOT ANSWERING)");
        problems += status != 200;
        if (open_db(&cfg, &db) >= 0 && db_schema_version(db, &version) >= 0) {
                printf("database:  %s, schema %lld of %lld\n", cfg.db_connection, (long long) version,
                       (long long) db_schema_latest());
                problems += version != db_schema_latest();
                printf("services:  identity, image\n");
                printf("hosts:     1 (all-in-one)\n");
                for (size_t i = 0; i < ELEMENTSOF(counts); i++)
                        printf("%-10s %lld\n", counts[i].label, (long long) count_rows(db, counts[i].sql));
        } else
                problems++;
        db_close(db);
        config_done(&cfg);
        printf("problems:  %d\n", problems);
        return problems ? 1 : 0;
}
