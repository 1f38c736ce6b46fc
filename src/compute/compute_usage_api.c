/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/os-simple-tenant-usage: what projects used over a period
 * (?start=&end=, ISO 8601, the end no later than now): hours, and vCPU,
 * memory and disk hours, summed per project, with each server's usage
 * when ?detailed=1 (always for one project).  Paging over the servers
 * from 2.40, as Nova.
 */
#include "compute/compute_api.h"

/* Nova's times here: "2012-10-08T20:10:44.541277". */
static json_t *usage_time(int64_t usec) {
        _cleanup_free_ char *t = compute_api_time(usec);
        return t ? json_string(t) : json_null();
}

/* The period: start and end, each now when missing; 400 unless start < end. */
static int period(Ctx *c, const ApiCall *call, int64_t *ret_start, int64_t *ret_stop) {
        const char *names[] = { "start", "end" };
        int64_t t[2], now = now_usec();
        for (int i = 0; i < 2; i++) {
                const char *v = api_query(call, names[i]);
                t[i] = now;
                if (!isempty(v) && parse_iso8601(v, &t[i]) < 0)
                        return ctx_error(c, -EINVAL, RES_SERVER, "Invalid datetime string: Datetime is in invalid "
                                         "format");
        }
        if (t[0] >= t[1])
                return ctx_error(c, -EINVAL, RES_SERVER, "Invalid start time. The start time cannot occur after the "
                                 "end time.");
        *ret_start = t[0];
        /* No usage is reported past the present. */
        *ret_stop = t[1] > now ? now : t[1];
        return 0;
}

/* Sums servers into one summary per project, in the order the projects first appear. */
static json_t *summaries(const json_t *servers, int64_t start, int64_t stop, bool detailed) {
        json_t *by_project = json_object(), *out = json_array(), *s;
        size_t i;
        json_array_foreach(servers, i, s) {
                const char *p = jx_string(s, "tenant_id");
                json_t *sum = json_object_get(by_project, p);
                double hours = json_real_value(json_object_get(s, "hours"));
                if (!sum) {
                        sum = json_pack("{s:s, s:f, s:f, s:f, s:f, s:o, s:o}", "tenant_id", p, "total_local_gb_usage",
                                        0.0, "total_vcpus_usage", 0.0, "total_memory_mb_usage", 0.0, "total_hours", 0.0,
                                        "start", usage_time(start), "stop", usage_time(stop));
                        if (detailed)
                                json_object_set_new(sum, "server_usages", json_array());
                        json_object_set_new(by_project, p, sum);
                        json_array_append(out, sum);
                }
                static const struct {
                        const char *total, *per;
                } adds[] = { { "total_local_gb_usage", "local_gb" }, { "total_vcpus_usage", "vcpus" },
                             { "total_memory_mb_usage", "memory_mb" } };
                for (size_t k = 0; k < ELEMENTSOF(adds); k++)
                        json_object_set_new(sum, adds[k].total,
                                            json_real(json_real_value(json_object_get(sum, adds[k].total)) +
                                                      (double) json_integer_value(json_object_get(s, adds[k].per)) *
                                                              hours));
                json_object_set_new(sum, "total_hours",
                                    json_real(json_real_value(json_object_get(sum, "total_hours")) + hours));
                if (detailed) {
                        json_t *u = json_deep_copy(s);
                        json_object_set_new(u, "started_at", usage_time(json_integer_value(json_object_get(s, "started_at"))));
                        json_object_set_new(u, "ended_at", json_is_integer(json_object_get(s, "ended_at"))
                                                                   ? usage_time(json_integer_value(json_object_get(s, "ended_at")))
                                                                   : json_null());
                        json_array_append_new(json_object_get(sum, "server_usages"), u);
                }
        }
        json_decref(by_project);
        return out;
}

/* The query of the call: its period and, from 2.40, its page. */
static int usage_query(Ctx *c, const ApiCall *call, const char *const *allowed, UsageQuery *q) {
        int r = compute_api_query_strict(c, call, RES_SERVER, allowed);
        if (r >= 0)
                r = period(c, call, &q->start, &q->stop);
        if (r >= 0 && api_version(call) >= API_VERSION(2, 40))
                r = compute_api_paging(c, call, RES_SERVER, &q->limit, &q->marker);
        return r;
}

static const char *const index_params[] = { "start", "end", "detailed", "limit", "marker", NULL };
static const char *const show_params[] = { "start", "end", "limit", "marker", NULL };

static int usage_index(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        static const ResDef usages = { .plural = "tenant_usages" };
        _cleanup_json_ json_t *servers = NULL;
        UsageQuery q = {};
        bool more = false;
        int r = usage_query(c, call, index_params, &q);
        if (r >= 0)
                r = compute_usage(c, &q, &servers, &more);
        if (r < 0)
                return r;
        size_t n = json_array_size(servers);
        reply->body = api_res_collection(call, &usages, summaries(servers, q.start, q.stop,
                                                                  streq_ptr(api_query(call, "detailed"), "1")),
                                         more, n ? jx_string(json_array_get(servers, n - 1), "instance_id") : NULL);
        return 0;
}

/* Nova's project ids (parameter_types.project_id, with '_'): one path segment, nothing to decode. */
static bool project_id_valid(const char *s) {
        size_t n = strlen(s);
        return n > 0 && n <= 255 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static int usage_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        static const ResDef usage = { .plural = "tenant_usage" };
        const char *project_id = api_param(call, "project_id");
        _cleanup_json_ json_t *servers = NULL, *list = NULL;
        UsageQuery q = { .project_id = project_id };
        bool more = false;
        if (!project_id_valid(project_id))
                return ctx_error(c, -EINVAL, RES_SERVER, "Invalid project id %s.", project_id);
        if (!c->auth.is_admin && !streq_ptr(project_id, c->auth.project_id))
                return ctx_error(c, -EACCES, RES_SERVER, "Policy doesn't allow "
                                 "os_compute_api:os-simple-tenant-usage:show to be performed.");
        int r = usage_query(c, call, show_params, &q);
        if (r >= 0)
                r = compute_usage(c, &q, &servers, &more);
        if (r < 0)
                return r;
        list = summaries(servers, q.start, q.stop, true);
        size_t n = json_array_size(servers);
        json_t *one = json_array_size(list) ? json_incref(json_array_get(list, 0)) : json_object();
        reply->body = api_res_collection(call, &usage, one, more,
                                         n ? jx_string(json_array_get(servers, n - 1), "instance_id") : NULL);
        return 0;
}

const ApiRoute compute_usage_routes[] = {
        { "GET", "/v2.1/os-simple-tenant-usage", usage_index, POLICY_ADMIN },
        { "GET", "/v2.1/os-simple-tenant-usage/{project_id}", usage_show, POLICY_AUTHENTICATED },
        {},
};
