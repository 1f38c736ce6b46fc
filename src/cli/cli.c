/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gureum CLI entry point: option parsing and the command table.
 */
#include "cli/cli.h"
#include "util/util.h"

#include <getopt.h>

typedef struct Command {
        const char *name;        /* may be two words: "db upgrade" */
        int (*run)(const CliArgs *a);
        const char *help;
} Command;

static const Command commands[] = {
        { "init", cmd_init, "create a new all-in-one cloud in the state directory" },
        { "openrc", cmd_openrc, "print OS_* variables for the openstack CLI" },
        { "status", cmd_status, "show whether the cloud answers and what it holds" },
        { "db upgrade", cmd_db_upgrade, "apply pending database migrations" },
        { "token-key rotate", cmd_token_key_rotate, "rotate the token encryption keys" },
};

static void usage(FILE *f) {
        fprintf(f, "Usage: gureum COMMAND [--state-dir DIR] [options]\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].help);
        fprintf(f, "\nOptions:\n"
                   "  --state-dir DIR       the cloud's state directory (default " CONFIG_DEFAULT_STATE_DIR ")\n"
                   "  --listen HOST:PORT    init: where the API listens (default 0.0.0.0:8080)\n"
                   "  --admin-password PW   init: the admin user's password (default: random)\n"
                   "  --public-url URL      init: base URL published in the catalog\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "state-dir", required_argument, NULL, 'd' },
                { "listen", required_argument, NULL, 'l' },
                { "admin-password", required_argument, NULL, 'p' },
                { "public-url", required_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        CliArgs a = { .state_dir = CONFIG_DEFAULT_STATE_DIR };
        char words[64] = "";
        int opt;

        while ((opt = getopt_long(argc, argv, "d:l:p:u:h", options, NULL)) >= 0)
                switch (opt) {
                case 'd':
                        a.state_dir = optarg;
                        break;
                case 'l':
                        a.listen = optarg;
                        break;
                case 'p':
                        a.admin_password = optarg;
                        break;
                case 'u':
                        a.public_url = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        for (int i = optind; i < argc; i++) {
                size_t n = strlen(words);
                snprintf(words + n, sizeof(words) - n, "%s%s", n ? " " : "", argv[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(words, commands[i].name))
                        return commands[i].run(&a);
        if (*words)
                fprintf(stderr, "gureum: unknown command '%s'\n\n", words);
        usage(stderr);
        return 2;
}
