/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The networking service (a Neutron v2.0 subset) as the rest of gureum
 * sees it: its module entry for the daemon's table, and what compute asks
 * of it for a server's NICs.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
#include "util/jx.h"
