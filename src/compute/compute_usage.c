/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage over a period (os-simple-tenant-usage): the servers that ran in
 * it, deleted ones included, each with the hours it ran inside the
 * period and the size of its flavor, summed per project as Nova does.
 * Servers that never launched cost nothing.
 */
#include "compute/compute_internal.h"

/* Hours server rec ran between start and stop (usec), as Nova's _hours_for. */
static double hours_in(const json_t *rec, int64_t start, int64_t stop) {
        const json_t *l = json_object_get(rec, "launched_at"), *t = json_object_get(rec, "terminated_at");
        if (!json_is_integer(l))
                return 0;
        int64_t launched = json_integer_value(l), from = launched > start ? launched : start, to = stop;
        if (json_is_integer(t) && json_integer_value(t) < to)
                to = json_integer_value(t);
        if (json_is_integer(t) && json_integer_value(t) < start)
                return 0;
        if (launched > stop || to <= from)
                return 0;
        return (double) (to - from) / 3600e6;
}

int compute_usage(Ctx *c, const UsageQuery *uq, json_t **ret_servers, bool *ret_more) {
        _cleanup_json_ json_t *rows = NULL;
        json_t *rec, *out;
        int64_t now = now_usec();
        ResQuery q;
        size_t i;
        int r;

        res_query_init(&q);
        /* Nova's window: still running or terminated after the start, and launched before the stop. */
        buf_puts(&q.where, " AND (terminated_at IS NULL OR terminated_at > ?) AND launched_at < ?");
        db_args_int(&q.args, uq->start);
        db_args_int(&q.args, uq->stop);
        if (uq->project_id) {
                buf_puts(&q.where, " AND project_id = ?");
                db_args_str(&q.args, uq->project_id);
        }
        q.order_by = xstrdup("created_at asc, id asc");
        q.marker = uq->marker ? xstrdup(uq->marker) : NULL;
        q.limit = uq->limit;
        r = res_list(c, &res_server, &q, &rows, ret_more);
        res_query_done(&q);
        if (r < 0)
                return r;
        out = json_array();
        json_array_foreach(rows, i, rec) {
                const json_t *flavor = json_object_get(rec, "flavor");
                const json_t *t = json_object_get(rec, "terminated_at");
                int64_t launched = json_integer_value(json_object_get(rec, "launched_at"));
                int64_t ended = json_is_integer(t) ? json_integer_value(t) : 0;
                json_array_append_new(
                        out, json_pack("{s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:I, s:o, s:s, s:I}", "instance_id",
                                       jx_string(rec, "id"), "name", jx_string(rec, "name"), "tenant_id",
                                       jx_string(rec, "project_id"), "flavor",
                                       jx_string(flavor, "original_name") ? jx_string(flavor, "original_name") : "",
                                       "hours", hours_in(rec, uq->start, uq->stop), "memory_mb",
                                       (json_int_t) json_integer_value(json_object_get(rec, "memory_mb")), "local_gb",
                                       (json_int_t) (json_integer_value(json_object_get(flavor, "disk")) +
                                                     json_integer_value(json_object_get(flavor, "ephemeral"))),
                                       "vcpus", (json_int_t) json_integer_value(json_object_get(rec, "vcpus")),
                                       "started_at", (json_int_t) launched, "ended_at",
                                       ended ? json_integer(ended) : json_null(), "state",
                                       ended ? "terminated" : jx_string(rec, "vm_state"), "uptime",
                                       (json_int_t) (((ended ? ended : now) - launched) / 1000000)));
        }
        *ret_servers = out;
        return 0;
}
