/* SPDX-License-Identifier: Apache-2.0 */
/* What main.c needs from modules.c and services.c: the module table and the API's services. */
#pragma once

#include "api/api.h"
#include "engine/module.h"

/* Every module, in start order; ends with NULL. */
extern const Module *const daemon_modules[];

/* Every API service, in prefix-matching order; ends with NULL. */
extern const ApiService *const daemon_api_services[];

/* What the API layer serves: the services above and identity's token validator. */
void daemon_api_setup(const Config *cfg, ApiSetup *ret);
