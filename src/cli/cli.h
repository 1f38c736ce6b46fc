/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `gureum` command: a git-style table of subcommands (cli.c) with one
 * function each.  Commands return an exit status and print their own
 * messages.
 */
#pragma once

#include "core/config.h"


typedef struct CliArgs {
        const char *state_dir;
        const char *listen;
        const char *admin_password;
        const char *public_url;
} CliArgs;

int cmd_init(const CliArgs *a);
int cmd_openrc(const CliArgs *a);
int cmd_db_upgrade(const CliArgs *a);
int cmd_token_key_rotate(const CliArgs *a);
int cmd_status(const CliArgs *a);

/* Loads the config of a->state_dir, printing why not on failure. */
int cli_config_load(const CliArgs *a, Config *cfg);
