/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compute service (a Nova v2.1 subset) as the rest of gureum sees it:
 * its module entry for the daemon's table and its API service.
 */
#pragma once

#include "core/config.h"
#include "core/ctx.h"
