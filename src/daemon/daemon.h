/* SPDX-License-Identifier: Apache-2.0 */
/* What main.c needs from modules.c: the module table. */
#pragma once

#include "engine/module.h"

/* Every module, in start order; ends with NULL. */
extern const Module *const daemon_modules[];
