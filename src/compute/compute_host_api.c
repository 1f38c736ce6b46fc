/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compute hosts in Nova's admin APIs: os-hypervisors (list, detail,
 * show, statistics, uptime, and the search and servers routes of before
 * 2.53), os-services (list; enabling, disabling and forcing down by
 * action name, and by service id from 2.53) and os-availability-zone.
 * Ids are integers before 2.53 and UUIDs from 2.53, as in Nova.
 */
#include "compute/compute_api.h"

#include <sys/utsname.h>

/* ---- shared ---- */

static bool uuid_ids(const ApiCall *call) {
        return api_version(call) >= API_VERSION(2, 53);
}

/* A host's id as a hypervisor (or its service's, with service): integer before 2.53, UUID from 2.53. */
static json_t *host_id(const ApiCall *call, const json_t *h, bool service) {
        if (uuid_ids(call))
                return json_string(jx_string(h, service ? "service_uuid" : "uuid"));
        return json_incref(json_object_get(h, "seq"));
}

static const char *state(const json_t *h) {
        return json_is_true(json_object_get(h, "up")) ? "up" : "down";
}

static const char *status(const json_t *h) {
        return json_is_true(json_object_get(h, "disabled")) ? "disabled" : "enabled";
}

/* The host whose id (as the call's version writes it) is id, from hosts, or NULL. */
static json_t *find_host(const ApiCall *call, const json_t *hosts, const char *id, bool service) {
        size_t i;
        json_t *h;
        json_array_foreach(hosts, i, h) {
                _cleanup_json_ json_t *hid = host_id(call, h, service);
                _cleanup_free_ char *text = json_is_string(hid) ? xstrdup(json_string_value(hid)) : jx_dump(hid);
                if (streq(text, id))
                        return h;
        }
        return NULL;
}

/* ---- os-hypervisors ---- */

static int64_t get_int(const json_t *h, const char *key) {
        return json_integer_value(json_object_get(h, key));
}

/* Nova's libvirt driver reports the CPU as JSON: here its architecture and the host's count as cores. */
static json_t *cpu_info(const ApiCall *call, const json_t *h) {
        struct utsname u;
        json_t *o = json_pack("{s:s, s:{s:i, s:I, s:i}, s:[]}", "arch", uname(&u) == 0 ? u.machine : "", "topology",
                              "sockets", 1, "cores", (json_int_t) get_int(h, "vcpus"), "threads", 1, "features");
        if (api_version(call) >= API_VERSION(2, 28))
                return o;
        /* A JSON document in a string until 2.28. */
        _cleanup_free_ char *text = jx_dump(o);
        json_decref(o);
        return json_string(text);
}

static json_t *render_hypervisor(const ApiCall *call, const json_t *h, bool detail) {
        json_t *o = json_object();
        json_object_set_new(o, "id", host_id(call, h, false));
        json_object_set(o, "hypervisor_hostname", json_object_get(h, "name"));
        json_object_set_new(o, "state", json_string(state(h)));
        json_object_set_new(o, "status", json_string(status(h)));
        if (!detail)
                return o;
        int64_t free_ram = get_int(h, "memory_mb") - get_int(h, "memory_mb_used");
        int64_t free_disk = get_int(h, "local_gb") - get_int(h, "local_gb_used");
        json_object_set(o, "hypervisor_type", json_object_get(h, "hypervisor_type"));
        json_object_set(o, "hypervisor_version", json_object_get(h, "hypervisor_version"));
        json_object_set(o, "host_ip", json_object_get(h, "host_ip"));
        json_object_set_new(o, "service", json_pack("{s:o, s:O, s:O}", "id", host_id(call, h, true), "host",
                                                    json_object_get(h, "name"), "disabled_reason",
                                                    json_object_get(h, "disabled_reason")));
        static const char *const copied[] = { "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
                                              "local_gb_used", "current_workload", "running_vms" };
        for (size_t i = 0; i < ELEMENTSOF(copied); i++)
                json_object_set(o, copied[i], json_object_get(h, copied[i]));
        json_object_set_new(o, "free_ram_mb", json_integer(free_ram));
        json_object_set_new(o, "free_disk_gb", json_integer(free_disk));
        json_object_set_new(o, "disk_available_least", json_integer(free_disk));
        json_object_set_new(o, "cpu_info", cpu_info(call, h));
        return o;
}

/* Adds the servers on h to o: always from 2.75 when asked, else only when there are some (as Nova). */
static int add_servers(Ctx *c, const ApiCall *call, const json_t *h, json_t *o) {
        json_t *servers = NULL;
        int r = compute_host_servers(c, jx_string(h, "name"), &servers);
        if (r < 0)
                return r;
        if (json_array_size(servers) > 0 || api_version(call) >= API_VERSION(2, 75))
                json_object_set_new(o, "servers", servers);
        else
                json_decref(servers);
        return 0;
}

static int with_servers(Ctx *c, const ApiCall *call, bool *ret) {
        const char *v = uuid_ids(call) ? api_query(call, "with_servers") : NULL;
        *ret = false;
        if (v && compute_api_bool_string(v, ret) < 0)
                return ctx_error(c, -EINVAL, RES_HOST, "Invalid input for query parameters with_servers. Value: %s. "
                                 "It must be a boolean.", v);
        return 0;
}

/* For the list envelope and its links. */
static const ResDef hypervisors_def = { .singular = "hypervisor", .plural = "hypervisors", .path = "os-hypervisors" };

static const char *const hypervisor_params[] = { "limit", "marker", "hypervisor_hostname_pattern", "with_servers",
                                                 NULL };

static int hypervisors_view(Ctx *c, const ApiCall *call, ApiReply *reply, bool detail) {
        _cleanup_json_ json_t *hosts = NULL;
        const char *pattern = uuid_ids(call) ? api_query(call, "hypervisor_hostname_pattern") : NULL;
        const char *marker = NULL;
        bool servers = false, paged = api_version(call) >= API_VERSION(2, 33), seen, more = false;
        int64_t limit = 0;
        size_t i;
        json_t *h;
        int r = compute_api_query_strict(c, call, RES_HOST, hypervisor_params);
        if (r >= 0)
                r = with_servers(c, call, &servers);
        if (r >= 0 && paged)
                r = compute_api_paging(c, call, RES_HOST, &limit, &marker);
        if (r >= 0 && pattern && (api_query_has(call, "limit") || marker))
                r = ctx_error(c, -EINVAL, RES_HOST, "Paging over hypervisors with the hypervisor_hostname_pattern "
                              "query parameter is not supported.");
        if (r >= 0)
                r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        if (marker && !find_host(call, hosts, marker, false))
                return ctx_error(c, -EINVAL, RES_HOST, "marker [%s] not found", marker);
        json_t *out = json_array();
        _cleanup_free_ char *last = NULL;
        seen = !marker;
        json_array_foreach(hosts, i, h) {
                _cleanup_json_ json_t *hid = host_id(call, h, false);
                _cleanup_free_ char *text = json_is_string(hid) ? xstrdup(json_string_value(hid)) : jx_dump(hid);
                if (!seen) {
                        seen = streq(text, marker);
                        continue;
                }
                if (pattern && !strstr(jx_string(h, "name"), pattern))
                        continue;
                if (limit > 0 && (int64_t) json_array_size(out) >= limit) {
                        more = true;
                        break;
                }
                json_t *o = render_hypervisor(call, h, detail);
                json_array_append_new(out, o);
                if (servers && (r = add_servers(c, call, h, o)) < 0) {
                        json_decref(out);
                        return r;
                }
                free(last);
                last = TAKE_PTR(text);
        }
        if (pattern && json_array_size(out) == 0) {
                json_decref(out);
                return ctx_error(c, -ENOENT, RES_HOST, "No hypervisor matching '%s' could be found.", pattern);
        }
        /* From 2.33, a full page links to the next one, whose marker is the last id shown. */
        reply->body = api_res_collection(call, &hypervisors_def, out, paged && more, last);
        return 0;
}

static int hypervisors_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return hypervisors_view(c, call, reply, false);
}

static int hypervisors_detail(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return hypervisors_view(c, call, reply, true);
}

/* The host of the route's {hypervisor_id}: Nova's 400 for a non-UUID from 2.53, 404 otherwise. */
static int hypervisor_of(Ctx *c, const ApiCall *call, json_t **ret_hosts, json_t **ret) {
        const char *id = api_param(call, "hypervisor_id");
        _cleanup_free_ char *canonical = NULL;
        int64_t n;
        if (uuid_ids(call) && !uuid_is_valid(id))
                return ctx_error(c, -EINVAL, RES_HOST, "Invalid uuid %s", id);
        if (!uuid_ids(call) && parse_int64(id, INT64_MIN, INT64_MAX, &n) < 0)
                return ctx_error(c, -ENOENT, RES_HOST, "Hypervisor with ID '%s' could not be found.", id);
        /* "01" is hypervisor 1, as Nova reads integers. */
        canonical = uuid_ids(call) ? xstrdup(id) : xasprintf("%lld", (long long) n);
        int r = compute_hosts_list(c, ret_hosts);
        if (r < 0)
                return r;
        *ret = find_host(call, *ret_hosts, canonical, false);
        if (!*ret)
                return ctx_error(c, -ENOENT, RES_HOST, "Hypervisor with ID '%s' could not be found.", id);
        return 0;
}

static const char *const show_params[] = { "with_servers", NULL };

static int hypervisors_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *hosts = NULL;
        json_t *h = NULL;
        bool servers = false;
        int r = compute_api_query_strict(c, call, RES_HOST, show_params);
        if (r >= 0)
                r = with_servers(c, call, &servers);
        if (r >= 0)
                r = hypervisor_of(c, call, &hosts, &h);
        if (r < 0)
                return r;
        json_t *o = render_hypervisor(call, h, true);
        if (servers && (r = add_servers(c, call, h, o)) < 0) {
                json_decref(o);
                return r;
        }
        reply->body = json_pack("{s:o}", "hypervisor", o);
        return 0;
}

static int hypervisors_uptime(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *hosts = NULL;
        _cleanup_free_ char *uptime = NULL;
        json_t *h = NULL;
        int r = hypervisor_of(c, call, &hosts, &h);
        if (r < 0)
                return r;
        /* Only a host whose hypervisor answers has an uptime to tell (Nova: ComputeServiceUnavailable). */
        if (!json_is_true(json_object_get(h, "up")))
                return ctx_error(c, -EINVAL, RES_HOST, "Compute service of %s is unavailable at this time.",
                                 jx_string(h, "name"));
        uptime = compute_host_uptime();
        json_t *o = render_hypervisor(call, h, false);
        json_object_set_new(o, "uptime", json_string(uptime));
        reply->body = json_pack("{s:o}", "hypervisor", o);
        return 0;
}

/* GET /os-hypervisors/{pattern}/search and /servers, before 2.53. */
static int hypervisors_match(Ctx *c, const ApiCall *call, ApiReply *reply, bool servers) {
        const char *pattern = api_param(call, "hypervisor_hostname_pattern");
        _cleanup_json_ json_t *hosts = NULL;
        size_t i;
        json_t *h;
        int r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        json_t *out = json_array();
        json_array_foreach(hosts, i, h) {
                /* "." and ".." are path segments, never a pattern a client meant. */
                if (streq(pattern, ".") || streq(pattern, "..") || !strstr(jx_string(h, "name"), pattern))
                        continue;
                json_t *o = render_hypervisor(call, h, false);
                json_array_append_new(out, o);
                if (servers && (r = add_servers(c, call, h, o)) < 0) {
                        json_decref(out);
                        return r;
                }
        }
        if (json_array_size(out) == 0) {
                json_decref(out);
                return ctx_error(c, -ENOENT, RES_HOST, "No hypervisor matching '%s' could be found.", pattern);
        }
        reply->body = json_pack("{s:o}", "hypervisors", out);
        return 0;
}

static int hypervisors_search(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return hypervisors_match(c, call, reply, false);
}

static int hypervisors_servers(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return hypervisors_match(c, call, reply, true);
}

/* Sums over the enabled hosts, as Nova's statistics. */
static int hypervisors_statistics(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        static const char *const summed[] = { "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
                                              "local_gb_used", "current_workload", "running_vms" };
        _cleanup_json_ json_t *hosts = NULL;
        int64_t sums[ELEMENTSOF(summed)] = {}, count = 0;
        size_t i;
        json_t *h;
        int r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        json_array_foreach(hosts, i, h) {
                if (json_is_true(json_object_get(h, "disabled")))
                        continue;
                count++;
                for (size_t k = 0; k < ELEMENTSOF(summed); k++)
                        sums[k] += get_int(h, summed[k]);
        }
        json_t *o = json_pack("{s:I}", "count", (json_int_t) count);
        for (size_t k = 0; k < ELEMENTSOF(summed); k++)
                json_object_set_new(o, summed[k], json_integer(sums[k]));
        json_object_set_new(o, "free_ram_mb", json_integer(sums[1] - sums[4]));
        json_object_set_new(o, "free_disk_gb", json_integer(sums[2] - sums[5]));
        json_object_set_new(o, "disk_available_least", json_integer(sums[2] - sums[5]));
        reply->body = json_pack("{s:o}", "hypervisor_statistics", o);
        return 0;
}

/* ---- os-services ---- */

static json_t *render_service(Ctx *c, const ApiCall *call, const json_t *h) {
        json_t *o = json_pack("{s:o, s:s, s:O, s:O, s:s, s:s, s:o, s:O}", "id", host_id(call, h, true), "binary",
                              "nova-compute", "host", json_object_get(h, "name"), "zone",
                              json_object_get(h, "availability_zone"), "status", status(h), "state", state(h),
                              "updated_at", compute_api_time_json(json_object_get(h, "heartbeat_at")),
                              "disabled_reason", json_object_get(h, "disabled_reason"));
        if (api_version(call) >= API_VERSION(2, 11))
                json_object_set(o, "forced_down", json_object_get(h, "forced_down"));
        return o;
}

static const char *const service_params[] = { "host", "binary", NULL };

static int services_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *hosts = NULL;
        const char *host = api_query(call, "host"), *binary = api_query(call, "binary");
        size_t i;
        json_t *h;
        int r = compute_api_query_strict(c, call, RES_HOST, service_params);
        if (r >= 0)
                r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        json_t *out = json_array();
        json_array_foreach(hosts, i, h) {
                if ((!isempty(host) && !streq(host, jx_string(h, "name"))) ||
                    (!isempty(binary) && !streq(binary, "nova-compute")))
                        continue;
                json_array_append_new(out, render_service(c, call, h));
        }
        reply->body = json_pack("{s:o}", "services", out);
        return 0;
}

static int only_compute(Ctx *c, const char *binary) {
        if (!streq(binary, "nova-compute"))
                return ctx_error(c, -EINVAL, RES_HOST, "Updating a %s service is not supported. Only nova-compute "
                                 "services can be updated.", binary);
        return 0;
}

/* PUT /os-services/{enable|disable|disable-log-reason|force-down} with {host, binary}, before 2.53. */
static int services_action(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *action = api_param(call, "service_id"), *host = jx_string(body, "host");
        const char *binary = jx_string(body, "binary"), *reason = jx_string(body, "disabled_reason");
        bool down = false;
        int r;

        if (streq(action, "enable") || streq(action, "disable") || streq(action, "disable-log-reason")) {
                bool disable = !streq(action, "enable");
                if (streq(action, "disable-log-reason") && !reason)
                        return ctx_error(c, -EINVAL, RES_HOST, "Missing disabled reason field");
                if (!streq(action, "disable-log-reason"))
                        reason = NULL;
                r = only_compute(c, binary);
                if (r >= 0)
                        r = compute_host_set_service(c, host, disable, reason, -1);
                if (r < 0)
                        return r;
                reply->body = json_pack("{s:{s:s, s:s, s:s}}", "service", "host", host, "binary", binary, "status",
                                        disable ? "disabled" : "enabled");
                if (reason)
                        json_object_set_new(json_object_get(reply->body, "service"), "disabled_reason",
                                            json_string(reason));
                return 0;
        }
        if (streq(action, "force-down") && api_version(call) >= API_VERSION(2, 11)) {
                if (!json_object_get(body, "forced_down"))
                        return ctx_error(c, -EINVAL, RES_HOST, "Missing forced_down field");
                if (compute_api_bool(json_object_get(body, "forced_down"), &down) < 0)
                        return ctx_error(c, -EINVAL, RES_HOST, "Invalid input for field/attribute forced_down.");
                r = only_compute(c, binary);
                if (r >= 0)
                        r = compute_host_set_service(c, host, -1, NULL, down);
                if (r < 0)
                        return r;
                reply->body = json_pack("{s:{s:s, s:s, s:b}}", "service", "host", host, "binary", binary,
                                        "forced_down", down);
                return 0;
        }
        return ctx_error(c, -ENOENT, RES_HOST, "Unknown action");
}

/* PUT /os-services/{service_id} from 2.53: the service by its UUID, and the changes in the body. */
static int services_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *id = api_param(call, "service_id"), *st = jx_string(body, "status");
        const char *reason = jx_string(body, "disabled_reason");
        _cleanup_json_ json_t *hosts = NULL, *after = NULL;
        int disabled = -1, forced = -1;
        bool down = false;
        if (!uuid_is_valid(id))
                return ctx_error(c, -EINVAL, RES_HOST, "Invalid uuid %s", id);
        int r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        json_t *h = find_host(call, hosts, id, true);
        if (!h)
                return ctx_error(c, -ENOENT, RES_HOST, "Service %s could not be found.", id);
        if (st && streq(st, "enabled") && reason)
                return ctx_error(c, -EINVAL, RES_HOST, "Specifying 'disabled_reason' with status 'enabled' is "
                                 "invalid.");
        if (st)
                disabled = streq(st, "disabled");
        if (json_object_get(body, "forced_down")) {
                if (compute_api_bool(json_object_get(body, "forced_down"), &down) < 0)
                        return ctx_error(c, -EINVAL, RES_HOST, "Invalid input for field/attribute forced_down.");
                forced = down;
        }
        if (disabled < 0 && forced < 0)
                return ctx_error(c, -EINVAL, RES_HOST, "No updates were requested. Fields 'status' or "
                                 "'forced_down' should be specified.");
        r = compute_host_set_service(c, jx_string(h, "name"), disabled, reason, forced);
        if (r >= 0)
                r = compute_hosts_list(c, &after);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "service", render_service(c, call, find_host(call, after, id, true)));
        return 0;
}

/* ---- os-availability-zone ---- */

/* The zones in the order their first host registered: {zone: available}, available if a host in it is enabled. */
static json_t *zones_of(const json_t *hosts) {
        json_t *zones = json_object();
        size_t i;
        json_t *h;
        json_array_foreach(hosts, i, h) {
                const char *z = jx_string(h, "availability_zone");
                bool enabled = !json_is_true(json_object_get(h, "disabled"));
                json_object_set_new(zones, z, json_boolean(enabled || json_is_true(json_object_get(zones, z))));
        }
        return zones;
}

static int zones_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *hosts = NULL, *zones = NULL;
        const char *z;
        json_t *v;
        int r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        zones = zones_of(hosts);
        json_t *out = json_array();
        json_object_foreach(zones, z, v)
                json_array_append_new(out, json_pack("{s:s, s:{s:O}, s:n}", "zoneName", z, "zoneState", "available",
                                                     v, "hosts"));
        reply->body = json_pack("{s:o}", "availabilityZoneInfo", out);
        return 0;
}

/* The detail: each available zone's enabled hosts and the state of their nova-compute. */
static int zones_detail(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *hosts = NULL, *zones = NULL;
        const char *z;
        json_t *v, *h;
        size_t i;
        int r = compute_hosts_list(c, &hosts);
        if (r < 0)
                return r;
        zones = zones_of(hosts);
        json_t *out = json_array();
        json_object_foreach(zones, z, v) {
                json_t *zone_hosts = json_is_true(v) ? json_object() : json_null();
                json_array_foreach(hosts, i, h) {
                        if (!json_is_true(v) || !streq(jx_string(h, "availability_zone"), z) ||
                            json_is_true(json_object_get(h, "disabled")))
                                continue;
                        json_object_set_new(zone_hosts, jx_string(h, "name"),
                                            json_pack("{s:{s:O, s:b, s:o}}", "nova-compute", "available",
                                                      json_object_get(h, "up"), "active", 1, "updated_at",
                                                      compute_api_time_json(json_object_get(h, "heartbeat_at"))));
                }
                json_array_append_new(out, json_pack("{s:s, s:{s:O}, s:o}", "zoneName", z, "zoneState", "available",
                                                     v, "hosts", zone_hosts));
        }
        reply->body = json_pack("{s:o}", "availabilityZoneInfo", out);
        return 0;
}

/* ---- os-aggregates ---- */

/*
 * gureum has no host aggregates: the list is empty, as a Nova without
 * any shows it.  `openstack hypervisor show` reads it to name a host's
 * aggregates, and fails without it.
 */
static int aggregates_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        reply->body = json_pack("{s:[]}", "aggregates");
        return 0;
}

const ApiRoute compute_host_routes[] = {
        { "GET", "/v2.1/os-aggregates", aggregates_list, POLICY_ADMIN },
        { "GET", "/v2.1/os-hypervisors", hypervisors_list, POLICY_ADMIN },
        { "GET", "/v2.1/os-hypervisors/detail", hypervisors_detail, POLICY_ADMIN },
        { "GET", "/v2.1/os-hypervisors/statistics", hypervisors_statistics, POLICY_ADMIN,
          .max_version = API_VERSION(2, 87) },
        { "GET", "/v2.1/os-hypervisors/{hypervisor_id}", hypervisors_show, POLICY_ADMIN },
        { "GET", "/v2.1/os-hypervisors/{hypervisor_id}/uptime", hypervisors_uptime, POLICY_ADMIN,
          .max_version = API_VERSION(2, 87) },
        { "GET", "/v2.1/os-hypervisors/{hypervisor_hostname_pattern}/search", hypervisors_search, POLICY_ADMIN,
          .max_version = API_VERSION(2, 52) },
        { "GET", "/v2.1/os-hypervisors/{hypervisor_hostname_pattern}/servers", hypervisors_servers, POLICY_ADMIN,
          .max_version = API_VERSION(2, 52) },
        { "GET", "/v2.1/os-services", services_list, POLICY_ADMIN },
        { "PUT", "/v2.1/os-services/{service_id}", services_action, POLICY_ADMIN, "compute-service-update.json",
          .max_version = API_VERSION(2, 52) },
        { "PUT", "/v2.1/os-services/{service_id}", services_update, POLICY_ADMIN, "compute-service-update-v253.json",
          .min_version = API_VERSION(2, 53) },
        { "GET", "/v2.1/os-availability-zone", zones_list, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/os-availability-zone/detail", zones_detail, POLICY_ADMIN },
        {},
};
