/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Server groups: a policy (affinity, anti-affinity, or their soft
 * variants) that the scheduler honours for the servers placed in them.
 */
#include "compute/compute_internal.h"

static const ResField group_fields[] = {
        { "name", RES_STRING, RES_REQUIRED | RES_SORT },
        { "project_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE },
        { "user_id", RES_STRING, RES_REQUIRED | RES_IMMUTABLE },
        { "policy", RES_STRING, RES_REQUIRED },
        { "rules", RES_JSON, 0 },
        { "created_at", RES_TIME, RES_HIDDEN },
        { "updated_at", RES_TIME, RES_HIDDEN },
        {},
};

const ResDef res_server_group = {
        .kind = RES_SERVER_GROUP, .table = "server_groups", .singular = "server_group", .plural = "server_groups",
        .path = "os-server-groups", .fields = group_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Instance group %s could not be found.",
};
