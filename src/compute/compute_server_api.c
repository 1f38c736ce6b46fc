/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /compute/v2.1/servers: create, list, show, update, delete, and the
 * rendering of a server in Nova's shape for each microversion (which
 * fields exist, the embedded flavor of 2.47, tags of 2.26, ...).
 * Handlers parse and render; the service layer decides.
 */
#include "compute/compute_api.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <regex.h>

/* ---- rendering ---- */

char *compute_host_id(const char *project_id, const char *host) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        if (!host)
                return xstrdup("");
        _cleanup_free_ char *text = xasprintf("%s%s", project_id, host);
        EVP_Digest(text, strlen(text), digest, &n, EVP_sha224(), NULL);
        hex_encode(digest, n, hex);
        return xstrdup(hex);
}

/* Nova's OS-SRV-USG times: microseconds and no zone. */
static json_t *usage_time(const json_t *usec) {
        char buf[32];
        if (!json_is_integer(usec))
                return json_null();
        format_iso8601_usec(json_integer_value(usec), buf);
        buf[strlen(buf) - 1] = '\0';
        return json_string(buf);
}

static json_t *time_z(const json_t *usec) {
        char buf[32];
        return json_is_integer(usec) ? json_string(format_iso8601(json_integer_value(usec), buf)) : json_null();
}

/* Links for another compute resource (images and flavors in a server). */
static json_t *ref_links(const char *collection, const char *id) {
        _cleanup_free_ char *self = xasprintf("%s/compute/v2.1/%s/%s", api_base_url(), collection, id);
        _cleanup_free_ char *bookmark = xasprintf("%s/compute/%s/%s", api_base_url(), collection, id);
        return json_pack("[{s:s, s:s}, {s:s, s:s}]", "rel", "self", "href", self, "rel", "bookmark", "href", bookmark);
}

static bool shows_progress(const char *status) {
        static const char *const with[] = { "ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING" };
        for (size_t i = 0; i < ELEMENTSOF(with); i++)
                if (streq(status, with[i]))
                        return true;
        return false;
}

/* Extras loaded for a page of servers at once: metadata, tags and groups by server id. */
typedef struct ServerExtras {
        json_t *metadata;        /* id -> {key: value} */
        json_t *tags;            /* id -> [tag] */
        json_t *groups;          /* id -> [group id] */
        json_t *ports;           /* id -> [port id], in the guest's order */
        json_t *secgroups;       /* id -> [security group name], from its ports */
} ServerExtras;

static void extras_done(ServerExtras *x) {
        json_decref(x->metadata);
        json_decref(x->tags);
        json_decref(x->groups);
        json_decref(x->ports);
        json_decref(x->secgroups);
}

/* Ids per batched query: well under any database's limit on parameters. */
#define EXTRAS_BATCH 500

/*
 * Loads the extras of the servers in rows (an array of records): a few
 * queries for the whole page (ids in batches), not three per server.
 * Every server gets an entry in each map, empty when it has nothing.
 */
static int extras_load(Ctx *c, const json_t *rows, ServerExtras *ret) {
        static const char *const sql[] = {
                "SELECT server_id, key, value FROM server_metadata WHERE server_id IN (",
                "SELECT server_id, tag, NULL FROM server_tags WHERE server_id IN (",
                "SELECT server_id, group_id, NULL FROM server_group_members WHERE server_id IN (",
                "SELECT server_id, port_id, NULL FROM server_nics WHERE server_id IN (",
        };
        static const char *const order[] = { ") ORDER BY server_id, key", ") ORDER BY server_id, tag",
                                             ") ORDER BY server_id, group_id", ") ORDER BY server_id, position" };
        ServerExtras x = { json_object(), json_object(), json_object(), json_object(), json_object() };
        json_t *maps[] = { x.metadata, x.tags, x.groups, x.ports };
        size_t n = json_array_size(rows);
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                const char *id = jx_string(json_array_get(rows, i), "id");
                json_object_set_new(x.metadata, id, json_object());
                json_object_set_new(x.tags, id, json_array());
                json_object_set_new(x.groups, id, json_array());
                json_object_set_new(x.ports, id, json_array());
        }
        for (size_t from = 0; r >= 0 && from < n; from += EXTRAS_BATCH) {
                size_t to = from + EXTRAS_BATCH < n ? from + EXTRAS_BATCH : n;
                DbArgs args = {};
                Buf marks = {};
                for (size_t i = from; i < to; i++) {
                        buf_puts(&marks, i > from ? ", ?" : "?");
                        db_args_str(&args, jx_string(json_array_get(rows, i), "id"));
                }
                for (size_t k = 0; r >= 0 && k < ELEMENTSOF(sql); k++) {
                        _cleanup_stmt_ DbStmt *st = NULL;
                        _cleanup_free_ char *q = xasprintf("%s%s%s", sql[k], marks.data, order[k]);
                        r = db_query_args(c->db, &st, q, args.v, args.n);
                        while (r >= 0 && (r = db_step(st)) > 0) {
                                json_t *slot = json_object_get(maps[k], db_col_text(st, 0));
                                if (!slot)
                                        continue;
                                if (k == 0)
                                        json_object_set_new(slot, db_col_text(st, 1), json_string(db_col_text(st, 2)));
                                else
                                        json_array_append_new(slot, json_string(db_col_text(st, 1)));
                        }
                }
                buf_done(&marks);
                db_args_done(&args);
                /* The ports' security groups are the networking service's to read. */
                _cleanup_json_ json_t *ids = json_array(), *names = NULL;
                for (size_t i = from; i < to; i++)
                        json_array_append(ids, json_object_get(json_array_get(rows, i), "id"));
                if (r >= 0 && (r = network_devices_group_names(c, ids, &names)) >= 0)
                        json_object_update(x.secgroups, names);
        }
        if (r < 0) {
                extras_done(&x);
                return res_db_error(c, r, RES_SERVER, "reading server metadata");
        }
        *ret = x;
        return 0;
}

static json_t *compute_server_render(Ctx *c, const ApiCall *call, const json_t *rec, const ServerExtras *x,
                                     ServerView view) {
        int v = api_version(call);
        const char *id = jx_string(rec, "id"), *host = jx_string(rec, "host");
        const char *vm = jx_string(rec, "vm_state"), *task = jx_string(rec, "task_state");
        const char *status = server_status(vm_state_from_string(vm), task_state_from_string(task));
        const json_t *flavor = json_object_get(rec, "flavor");
        json_t *o = json_object();

        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "links", api_res_links(call, &res_server, id));
        json_object_set(o, "name", json_object_get(rec, "name"));
        if (view == SERVER_VIEW_BRIEF)
                return o;

        _cleanup_free_ char *hid = compute_host_id(jx_string(rec, "project_id"), host);
        json_object_set_new(o, "status", json_string(status));
        json_object_set(o, "tenant_id", json_object_get(rec, "project_id"));
        json_object_set(o, "user_id", json_object_get(rec, "user_id"));
        json_object_set(o, "metadata", json_object_get(x->metadata, id));
        json_object_set_new(o, "hostId", json_string(hid));
        const char *image = jx_string(rec, "image_id");
        json_object_set_new(o, "image", isempty(image) ? json_string("")
                                                       : json_pack("{s:s, s:o}", "id", image, "links",
                                                                   ref_links("images", image)));
        if (v >= API_VERSION(2, 47))
                json_object_set_new(o, "flavor", json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "vcpus",
                                                           json_object_get(flavor, "vcpus"), "ram",
                                                           json_object_get(flavor, "ram"), "disk",
                                                           json_object_get(flavor, "disk"), "ephemeral",
                                                           json_object_get(flavor, "ephemeral"), "swap",
                                                           json_object_get(flavor, "swap"), "original_name",
                                                           json_object_get(flavor, "original_name"), "extra_specs",
                                                           json_object_get(flavor, "extra_specs")));
        else
                json_object_set_new(o, "flavor", json_pack("{s:s, s:o}", "id", jx_string(flavor, "id"), "links",
                                                           ref_links("flavors", jx_string(flavor, "id"))));
        json_object_set_new(o, "created", time_z(json_object_get(rec, "created_at")));
        json_object_set_new(o, "updated", time_z(json_object_get(rec, "updated_at")));
        json_object_set_new(o, "addresses", compute_nics_addresses(c, json_object_get(x->ports, id),
                                                                   view != SERVER_VIEW_UPDATE || v >= API_VERSION(2, 75)));
        json_object_set_new(o, "accessIPv4", json_string(jx_string(rec, "access_ipv4") ?: ""));
        json_object_set_new(o, "accessIPv6", json_string(jx_string(rec, "access_ipv6") ?: ""));
        json_object_set_new(o, "OS-DCF:diskConfig", json_string("MANUAL"));
        if (shows_progress(status))
                json_object_set(o, "progress", json_object_get(rec, "progress"));
        if ((streq(status, "ERROR") || streq(status, "DELETED")) && json_is_object(json_object_get(rec, "fault")))
                json_object_set(o, "fault", json_object_get(rec, "fault"));
        if (v >= API_VERSION(2, 9))
                json_object_set(o, "locked", json_object_get(rec, "locked"));
        if (v >= API_VERSION(2, 19))
                json_object_set(o, "description", json_object_get(rec, "description"));
        if (v >= API_VERSION(2, 26))
                json_object_set(o, "tags", json_object_get(x->tags, id));
        if (v >= API_VERSION(2, 73))
                json_object_set(o, "locked_reason", json_object_get(rec, "locked_reason"));
        /* The narrower shape of PUT's answer, before 2.75 made it the full one. */
        if (view == SERVER_VIEW_UPDATE && v < API_VERSION(2, 75))
                return o;

        json_object_set(o, "key_name", json_object_get(rec, "key_name"));
        json_object_set_new(o, "config_drive",
                            json_string(json_is_true(json_object_get(rec, "config_drive")) ? "True" : ""));
        json_object_set(o, "OS-EXT-AZ:availability_zone", json_object_get(rec, "availability_zone"));
        json_object_set_new(o, "OS-SRV-USG:launched_at", usage_time(json_object_get(rec, "launched_at")));
        json_object_set_new(o, "OS-SRV-USG:terminated_at", usage_time(json_object_get(rec, "terminated_at")));
        json_object_set(o, "OS-EXT-STS:task_state", json_object_get(rec, "task_state"));
        json_object_set(o, "OS-EXT-STS:vm_state", json_object_get(rec, "vm_state"));
        json_object_set(o, "OS-EXT-STS:power_state", json_object_get(rec, "power_state"));
        json_object_set_new(o, "os-extended-volumes:volumes_attached", json_array());
        /* Nova lists the groups of the server's ports, and leaves the key out when there are none. */
        json_t *names = json_object_get(x->secgroups, id), *name;
        size_t i;
        if (json_array_size(names) > 0) {
                json_t *list = json_array();
                json_array_foreach(names, i, name)
                        json_array_append_new(list, json_pack("{s:O}", "name", name));
                json_object_set_new(o, "security_groups", list);
        }
        if (v >= API_VERSION(2, 71))
                json_object_set(o, "server_groups", json_object_get(x->groups, id));
        /* gureum checks no image signatures: no server trusts certificates (2.63). */
        if (v >= API_VERSION(2, 63))
                json_object_set_new(o, "trusted_image_certificates", json_null());
        if (c->auth.is_admin) {
                _cleanup_free_ char *instance_name = virt_domain_name(id);
                json_object_set(o, "OS-EXT-SRV-ATTR:host", json_object_get(rec, "host"));
                json_object_set(o, "OS-EXT-SRV-ATTR:hypervisor_hostname", json_object_get(rec, "host"));
                json_object_set_new(o, "OS-EXT-SRV-ATTR:instance_name", json_string(instance_name));
                if (v >= API_VERSION(2, 3)) {
                        json_object_set(o, "OS-EXT-SRV-ATTR:reservation_id", json_object_get(rec, "reservation_id"));
                        json_object_set(o, "OS-EXT-SRV-ATTR:launch_index", json_object_get(rec, "launch_index"));
                        json_object_set(o, "OS-EXT-SRV-ATTR:hostname", json_object_get(rec, "hostname"));
                        json_object_set_new(o, "OS-EXT-SRV-ATTR:kernel_id", json_string(""));
                        json_object_set_new(o, "OS-EXT-SRV-ATTR:ramdisk_id", json_string(""));
                        json_object_set_new(o, "OS-EXT-SRV-ATTR:root_device_name", json_string("/dev/vda"));
                        json_object_set(o, "OS-EXT-SRV-ATTR:user_data", json_object_get(rec, "user_data"));
                }
                if (v >= API_VERSION(2, 16))
                        json_object_set_new(o, "host_status", json_string(host ? "UP" : ""));
        }
        return o;
}

int compute_server_render_one(Ctx *c, const ApiCall *call, const json_t *rec, ServerView view, json_t **ret) {
        _cleanup_json_ json_t *rows = json_pack("[O]", rec);
        ServerExtras x;
        int r = extras_load(c, rows, &x);
        if (r < 0)
                return r;
        *ret = compute_server_render(c, call, rec, &x, view);
        extras_done(&x);
        return 0;
}

/* ---- create ---- */

/* Nova's boolean parameters: true, "True", "yes", "1", ... */
static bool flag(const json_t *v) {
        bool b = false;
        if (json_is_boolean(v))
                return json_is_true(v);
        return json_is_string(v) && parse_bool(json_string_value(v), &b) >= 0 && b;
}

/* Nova's positive integers: 3 or "3". */
static int64_t count_of(const json_t *v, int64_t dflt) {
        int64_t n = dflt;
        if (json_is_integer(v))
                return json_integer_value(v);
        if (json_is_string(v))
                (void) parse_int64(json_string_value(v), 1, INT64_MAX, &n);
        return n;
}

/* An IPv6 address as Nova stores it: canonical (inet_ntop of inet_pton). */
static char *ipv6_canonical(const char *s) {
        struct in6_addr a;
        char out[INET6_ADDRSTRLEN];
        if (!s || inet_pton(AF_INET6, s, &a) != 1 || !inet_ntop(AF_INET6, &a, out, sizeof(out)))
                return s ? xstrdup(s) : NULL;
        return xstrdup(out);
}

static int servers_create(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *s = json_object_get(body, "server");
        const json_t *hints = json_object_get(body, "os:scheduler_hints");
        _cleanup_free_ char *ipv6 = ipv6_canonical(jx_string(s, "accessIPv6")), *reservation = NULL, *admin_pass = NULL;
        _cleanup_free_ char *flavor_ref = NULL;
        _cleanup_json_ json_t *servers = NULL;
        const json_t *group = NULL;
        int r;

        if (!hints)
                hints = json_object_get(body, "OS-SCH-HNT:scheduler_hints");
        group = json_object_get(hints, "group");
        if (json_is_array(group))
                group = json_array_get(group, 0);
        if (json_is_integer(json_object_get(s, "flavorRef")))
                flavor_ref = xasprintf("%lld", (long long) json_integer_value(json_object_get(s, "flavorRef")));
        else
                flavor_ref = xstrdup(jx_string(s, "flavorRef"));
        if (json_array_size(json_object_get(s, "block_device_mapping")) > 0 ||
            json_array_size(json_object_get(s, "block_device_mapping_v2")) > 0)
                return ctx_error(c, -EINVAL, RES_SERVER, "Block device mapping is not supported: volumes come with "
                                                         "the block storage service.");
        ServerCreate rq = {
                .name = jx_string(s, "name"), .image_ref = jx_string(s, "imageRef"), .flavor_ref = flavor_ref,
                .key_name = jx_string(s, "key_name"), .availability_zone = jx_string(s, "availability_zone"),
                .user_data = jx_string(s, "user_data"), .admin_pass = jx_string(s, "adminPass"),
                .access_ipv4 = jx_string(s, "accessIPv4"), .access_ipv6 = ipv6,
                .description = jx_string(s, "description"), .metadata = json_object_get(s, "metadata"),
                .tags = json_object_get(s, "tags"), .networks = json_object_get(s, "networks"),
                .security_groups = json_object_get(s, "security_groups"),
                .group_id = json_string_value(group), .config_drive = flag(json_object_get(s, "config_drive")),
                .min_count = count_of(json_object_get(s, "min_count"), 1),
        };
        rq.max_count = count_of(json_object_get(s, "max_count"), rq.min_count);
        if (!rq.image_ref)
                rq.image_ref = "";
        r = compute_server_create_check(c, &rq);
        if (r >= 0)
                r = compute_server_create(c, &rq, &servers, &reservation, &admin_pass);
        compute_server_create_done(&rq);
        if (r < 0)
                return r;
        if (flag(json_object_get(s, "return_reservation_id"))) {
                reply->body = json_pack("{s:s}", "reservation_id", reservation);
                return 0;
        }
        /* Nova answers with the first server of a multi-create. */
        const char *id = jx_string(json_array_get(servers, 0), "id");
        _cleanup_free_ char *location = xasprintf("%s/compute/v2.1/servers/%s", api_base_url(), id);
        api_reply_header(reply, "Location", location);
        /* The groups asked for, or the one every port gets, as Nova echoes them. */
        json_t *groups = json_object_get(s, "security_groups");
        groups = json_array_size(groups) ? json_incref(groups) : json_pack("[{s:s}]", "name", "default");
        reply->body = json_pack("{s:{s:s, s:o, s:s, s:s, s:o}}", "server", "id", id, "links",
                                api_res_links(call, &res_server, id), "OS-DCF:diskConfig", "MANUAL", "adminPass",
                                admin_pass, "security_groups", groups);
        return 0;
}

/* ---- list ---- */

/* The most servers a page holds, with or without ?limit (Nova's max_limit). */
#define SERVERS_MAX_LIMIT 1000

/* What GET /servers takes besides the engine's filters, and how. */
typedef struct ServerFilter {
        regex_t name;            /* ?name=: a regular expression, searched */
        bool has_name;
        char *status;            /* ?status=, upper case */
        bool include_deleted;    /* changes-since, or deleted=true for admins */
        char **tags, **tags_any, **not_tags, **not_tags_any;
        json_t *ip_ids[2];       /* ?ip=, ?ip6=: the servers with such an address (the query borrows the ids) */
} ServerFilter;

static void filter_done(ServerFilter *f) {
        if (f->has_name)
                regfree(&f->name);
        free(f->status);
        strv_free(f->tags);
        strv_free(f->tags_any);
        strv_free(f->not_tags);
        strv_free(f->not_tags_any);
        json_decref(f->ip_ids[0]);
        json_decref(f->ip_ids[1]);
}

/* Comma-separated values, as Nova's tag filters take them. */
static char **split_commas(const char *s) {
        char **v = xcalloc(1, sizeof(char *));
        size_t n = 0;
        if (!s)
                return v;
        _cleanup_free_ char *copy = xstrdup(s);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                v = xrealloc(v, (n + 2) * sizeof(char *));
                v[n++] = xstrdup(t);
                v[n] = NULL;
        }
        return v;
}

static bool has_tag(const json_t *tags, const char *t) {
        size_t i;
        json_t *v;
        json_array_foreach(tags, i, v)
                if (streq(json_string_value(v), t))
                        return true;
        return false;
}

static bool tags_match(const ServerFilter *f, const json_t *tags) {
        bool any = !f->tags_any[0];
        for (char **t = f->tags; *t; t++)
                if (!has_tag(tags, *t))
                        return false;
        for (char **t = f->tags_any; *t; t++)
                any = any || has_tag(tags, *t);
        if (!any)
                return false;
        if (f->not_tags[0]) {
                bool all = true;
                for (char **t = f->not_tags; *t; t++)
                        all = all && has_tag(tags, *t);
                if (all)
                        return false;
        }
        for (char **t = f->not_tags_any; *t; t++)
                if (has_tag(tags, *t))
                        return false;
        return true;
}

static bool row_matches(const ServerFilter *f, const json_t *rec, const ServerExtras *x) {
        if (f->has_name && regexec(&f->name, jx_string(rec, "name"), 0, NULL, 0) != 0)
                return false;
        if (f->status) {
                const char *status = server_status(vm_state_from_string(jx_string(rec, "vm_state")),
                                                   task_state_from_string(jx_string(rec, "task_state")));
                if (!streq(status, f->status))
                        return false;
        }
        return tags_match(f, json_object_get(x->tags, jx_string(rec, "id")));
}

/* The query parameters GET /servers reads itself, besides the engine's filters and paging. */
static const char *const list_params[] = {
        "name", "status", "image", "flavor", "changes-since", "changes-before", "all_tenants", "tenant_id",
        "project_id", "host", "deleted", "ip", "ip6", "tags", "tags-any", "not-tags", "not-tags-any",
        "reservation_id", "availability_zone", "user_id", "locked", NULL,
};

/*
 * A filter's value, when the caller may filter by it: admins by every
 * filter, others by those Nova lets them use at the call's microversion
 * (ip6 from 2.5, tags from 2.26, changes-before from 2.66, the zone only
 * from 2.83, past our maximum); Nova ignores the others silently.
 */
static const char *user_filter(Ctx *c, const ApiCall *call, const char *name, int since) {
        if (!c->auth.is_admin && api_version(call) < since)
                return NULL;
        return api_query(call, name);
}

/*
 * Nova's ip filter through Neutron: the regex Nova's clients send (such as
 * "^10\.0\.0\.5$") loses its anchors and escapes and becomes a
 * substring of a port's address.
 */
static int ip_filter(Ctx *c, ResQuery *q, const char *pattern, json_t **ret_ids) {
        _cleanup_free_ char *text = xstrdup(pattern);
        json_t *ids = NULL, *v;
        size_t i;
        size_t n = strlen(text), k = 0;
        if (n > 0 && text[n - 1] == '$')
                text[--n] = '\0';
        for (i = text[0] == '^' ? 1 : 0; i < n; i++) {
                if (text[i] == '\\' && text[i + 1] == '.')
                        continue;
                text[k++] = text[i];
        }
        text[k] = '\0';
        int r = network_devices_with_ip(c, text, &ids);
        if (r < 0)
                return r;
        buf_puts(&q->where, " AND id IN (NULL");
        json_array_foreach(ids, i, v) {
                buf_puts(&q->where, ", ?");
                db_args_str(&q->args, json_string_value(v));
        }
        buf_puts(&q->where, ")");
        *ret_ids = ids;
        return 0;
}

static int parse_list(Ctx *c, const ApiCall *call, ResQuery *q, ServerFilter *f) {
        const char *v;
        int64_t t;
        int r;
        bool admin = c->auth.is_admin, b = false;

        if ((v = api_query(call, "name"))) {
                if (regcomp(&f->name, v, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
                        return ctx_error(c, -EINVAL, RES_SERVER, "Invalid regular expression in name: %s.", v);
                f->has_name = true;
        }
        if ((v = api_query(call, "status"))) {
                bool vms[_VM_STATE_MAX];
                f->status = xstrdup(v);
                for (char *p = f->status; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                /* An unknown status matches nothing, until 2.38 makes it a 400 for everyone, as in Nova. */
                if (server_status_states(f->status, vms) == 0) {
                        if (!streq(f->status, "DELETED") && !streq(f->status, "SOFT_DELETED") &&
                            api_version(call) >= API_VERSION(2, 38))
                                return ctx_error(c, -EINVAL, RES_SERVER, "Invalid status value");
                        buf_puts(&q->where, " AND 1 = 0");
                        if (streq(f->status, "DELETED"))
                                f->include_deleted = true;
                }
                if (streq(f->status, "DELETED") || streq(f->status, "SOFT_DELETED"))
                        f->include_deleted = true;
        }
        if ((v = api_query(call, "changes-since"))) {
                if (parse_iso8601(v, &t) < 0)
                        return ctx_error(c, -EINVAL, RES_SERVER, "Invalid input for query parameters changes-since. "
                                                                 "Value: %s. It must be an ISO 8601 date-time.", v);
                buf_puts(&q->where, " AND updated_at >= ?");
                db_args_int(&q->args, t);
                f->include_deleted = true;
        }
        if ((v = user_filter(c, call, "changes-before", API_VERSION(2, 66)))) {
                if (parse_iso8601(v, &t) < 0)
                        return ctx_error(c, -EINVAL, RES_SERVER, "Invalid input for query parameters changes-before. "
                                                                 "Value: %s. It must be an ISO 8601 date-time.", v);
                buf_puts(&q->where, " AND updated_at <= ?");
                db_args_int(&q->args, t);
                f->include_deleted = true;
        }
        if ((v = api_query(call, "image"))) {
                const char *slash = strrchr(v, '/');
                buf_puts(&q->where, " AND image_id = ?");
                db_args_str(&q->args, slash ? slash + 1 : v);
        }
        if ((v = api_query(call, "flavor"))) {
                const char *slash = strrchr(v, '/');
                buf_puts(&q->where, " AND flavor_id = ?");
                db_args_str(&q->args, slash ? slash + 1 : v);
        }
        if ((v = api_query(call, "ip")) && (r = ip_filter(c, q, v, &f->ip_ids[0])) < 0)
                return r;
        if ((v = user_filter(c, call, "ip6", API_VERSION(2, 5))) && (r = ip_filter(c, q, v, &f->ip_ids[1])) < 0)
                return r;
        if ((v = api_query(call, "reservation_id"))) {
                buf_puts(&q->where, " AND reservation_id = ?");
                db_args_str(&q->args, v);
        }
        if ((v = user_filter(c, call, "availability_zone", API_VERSION(2, 83)))) {
                buf_puts(&q->where, " AND availability_zone = ?");
                db_args_str(&q->args, v);
        }
        if (admin && (v = api_query(call, "host"))) {
                buf_puts(&q->where, " AND host = ?");
                db_args_str(&q->args, v);
        }
        if (admin && (v = api_query(call, "deleted")) && parse_bool(v, &b) >= 0 && b)
                f->include_deleted = true;
        /* Whose servers: the caller's project, unless an admin asks for all or another. */
        const char *project = api_query(call, "project_id") ? api_query(call, "project_id") : api_query(call, "tenant_id");
        bool all = admin && api_query(call, "all_tenants") &&
                   (isempty(api_query(call, "all_tenants")) || (parse_bool(api_query(call, "all_tenants"), &b) >= 0 && b));
        if (!admin || !all || project) {
                buf_puts(&q->where, " AND project_id = ?");
                db_args_str(&q->args, admin && project ? project : c->auth.project_id ? c->auth.project_id : "");
        }
        if (!f->include_deleted)
                buf_puts(&q->where, " AND vm_state <> 'deleted'");
        f->tags = split_commas(user_filter(c, call, "tags", API_VERSION(2, 26)));
        f->tags_any = split_commas(user_filter(c, call, "tags-any", API_VERSION(2, 26)));
        f->not_tags = split_commas(user_filter(c, call, "not-tags", API_VERSION(2, 26)));
        f->not_tags_any = split_commas(user_filter(c, call, "not-tags-any", API_VERSION(2, 26)));
        return 0;
}

/* Whether the list needs filters the database cannot apply (regular expressions, statuses, tags). */
static bool filters_in_memory(const ServerFilter *f) {
        return f->has_name || f->status || f->tags[0] || f->tags_any[0] || f->not_tags[0] || f->not_tags_any[0];
}

/*
 * A page: when every filter is SQL, the database pages (marker and
 * limit) and only the page's rows are read and rendered; otherwise every
 * matching row is read and filtered here, and the page taken after.
 * Without ?limit a page holds at most SERVERS_MAX_LIMIT servers, with a
 * next link when there are more (Nova's max_limit).
 */
static int servers_list_view(Ctx *c, const ApiCall *call, ApiReply *reply, ServerView view) {
        _cleanup_json_ json_t *rows = NULL;
        _cleanup_free_ char *marker = NULL;
        ServerFilter f = {};
        ServerExtras x = {};
        int64_t limit = 0;
        bool more = false, in_memory = false;
        ResQuery q;
        int r;

        res_query_init(&q);
        r = api_res_query(c, call, &res_server, api_version(call) >= API_VERSION(2, 75), list_params, &q);
        if (r >= 0)
                r = parse_list(c, call, &q, &f);
        if (r >= 0) {
                limit = q.limit > 0 && q.limit < SERVERS_MAX_LIMIT ? q.limit : SERVERS_MAX_LIMIT;
                if (!q.order_by)
                        q.order_by = xstrdup("created_at desc, id desc");
                in_memory = filters_in_memory(&f);
                if (in_memory) {
                        marker = TAKE_PTR(q.marker);
                        q.limit = 0;
                } else
                        q.limit = limit;
                r = res_list(c, &res_server, &q, &rows, &more);
                if (r == -EINVAL && q.marker) {
                        ctx_clear_error(c);
                        r = ctx_error(c, -EINVAL, RES_SERVER, "marker [%s] not found", q.marker);
                }
        }
        /* The brief view shows no extras: only tag filters need them (of every row they look at). */
        if (r >= 0 && (view != SERVER_VIEW_BRIEF || in_memory))
                r = extras_load(c, rows, &x);
        else if (r >= 0)
                x = (ServerExtras) { json_object(), json_object(), json_object() };
        if (r < 0) {
                res_query_done(&q);
                filter_done(&f);
                return r;
        }
        json_t *out = json_array(), *rec;
        bool seen = !marker;
        const char *last = NULL;
        size_t i;
        json_array_foreach(rows, i, rec) {
                if (in_memory && !row_matches(&f, rec, &x))
                        continue;
                if (!seen) {
                        seen = streq(jx_string(rec, "id"), marker);
                        continue;
                }
                if ((int64_t) json_array_size(out) >= limit) {
                        more = true;
                        break;
                }
                json_array_append_new(out, compute_server_render(c, call, rec, &x, view));
                last = jx_string(rec, "id");
        }
        extras_done(&x);
        res_query_done(&q);
        filter_done(&f);
        if (!seen) {
                json_decref(out);
                return ctx_error(c, -EINVAL, RES_SERVER, "marker [%s] not found", marker);
        }
        reply->body = api_res_collection(call, &res_server, out, more, last);
        return 0;
}

static int servers_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return servers_list_view(c, call, reply, SERVER_VIEW_BRIEF);
}

static int servers_detail(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return servers_list_view(c, call, reply, SERVER_VIEW_DETAIL);
}

/* ---- show, update, delete ---- */

static int servers_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        json_t *o;
        int r = compute_server_get(c, api_param(call, "server_id"), &rec);
        if (r >= 0)
                r = compute_server_render_one(c, call, rec, SERVER_VIEW_DETAIL, &o);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "server", o);
        return 0;
}

static int servers_update(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const json_t *s = json_object_get(body, "server");
        _cleanup_free_ char *ipv6 = ipv6_canonical(jx_string(s, "accessIPv6"));
        _cleanup_json_ json_t *rec = NULL, *patch = json_object(), *updated = NULL;
        const char *id = api_param(call, "server_id");
        json_t *o;
        int r = compute_server_get(c, id, &rec);
        if (r < 0)
                return r;
        if (json_is_true(json_object_get(rec, "locked")) && !c->auth.is_admin)
                return ctx_error(c, -EBUSY, RES_SERVER, "Instance %s is locked", id);
        if (json_object_get(s, "name"))
                json_object_set(patch, "name", json_object_get(s, "name"));
        if (json_object_get(s, "accessIPv4"))
                json_object_set(patch, "access_ipv4", json_object_get(s, "accessIPv4"));
        if (ipv6)
                json_object_set_new(patch, "access_ipv6", json_string(ipv6));
        if (json_object_get(s, "description"))
                json_object_set(patch, "description", json_object_get(s, "description"));
        r = res_update(c, &res_server, id, patch, &updated);
        if (r >= 0)
                r = compute_server_render_one(c, call, updated, SERVER_VIEW_UPDATE, &o);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "server", o);
        return 0;
}

/* Deleting is allowed in every state and while other work runs: the delete task waits its turn. */
static const ServerAction delete_action = {
        .name = "delete", .vm_states = ~0u, .task_state = TASK_DELETING, .task_kind = "compute.server.delete",
        .any_task_state = true,
};

int compute_server_delete(Ctx *c, const char *id) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_get(c, id, &rec);
        if (r < 0)
                return r;
        /* Deleting twice is one delete. */
        if (streq_ptr(jx_string(rec, "task_state"), "deleting"))
                return 0;
        return compute_server_action(c, id, &delete_action, NULL, NULL);
}

static int servers_delete(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        return compute_server_delete(c, api_param(call, "server_id"));
}

const ApiRoute compute_server_routes[] = {
        { "GET", "/v2.1/servers", servers_list, POLICY_AUTHENTICATED },
        { "GET", "/v2.1/servers/detail", servers_detail, POLICY_AUTHENTICATED },
        { "POST", "/v2.1/servers", servers_create, POLICY_AUTHENTICATED, "compute-server-create.json", 202,
          .max_version = API_VERSION(2, 36) },
        { "POST", "/v2.1/servers", servers_create, POLICY_AUTHENTICATED, "compute-server-create-v237.json", 202,
          .min_version = API_VERSION(2, 37) },
        { "GET", "/v2.1/servers/{server_id}", servers_show, POLICY_AUTHENTICATED },
        { "PUT", "/v2.1/servers/{server_id}", servers_update, POLICY_AUTHENTICATED, "compute-server-update.json" },
        { "DELETE", "/v2.1/servers/{server_id}", servers_delete, POLICY_AUTHENTICATED, NULL, 204 },
        {},
};
