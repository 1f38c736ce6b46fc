/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Keystone resources, declared for the resource engine
 * (engine/resource.h): domains, projects, users, groups, roles, regions,
 * services and endpoints.
 */
#pragma once

#include "engine/resource.h"

extern const ResDef res_domain, res_project, res_user, res_group, res_role, res_region, res_service,
        res_endpoint;

/* The record of d named name (in domain_id when d has domains and domain_id is not NULL); -ENOENT without a message. */
int identity_find_by_name(Ctx *c, const ResDef *d, const char *name, const char *domain_id, json_t **ret);
