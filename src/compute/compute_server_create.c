/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Creating servers (POST /servers): everything a request names is checked
 * first (flavor, image, key pair, zone, group, networks, metadata) with
 * Nova's 400s; then in one transaction the quota is checked, each server
 * is scheduled and its resources claimed, and its row, metadata, tags,
 * group membership, "create" action and build task are written together.
 * The API answers 202 and the build task does the rest.
 */
#include "compute/compute_internal.h"
#include "image/image.h"
#include "util/log.h"

#include <ctype.h>

/* Nova's name for the servers of one multi-create request: "name-1", "name-2", ... */
#define MULTI_NAME "%s-%lld"

void compute_server_create_done(ServerCreate *rq) {
        json_decref(rq->flavor);
        json_decref(rq->image);
        json_decref(rq->keypair);
        free(rq->nics);
        *rq = (ServerCreate) {};
}

int compute_flavor_resolve(Ctx *c, const char *ref, json_t **ret) {
        const char *slash = strrchr(ref, '/'), *id = slash ? slash + 1 : ref;
        int r = res_lookup(c, &res_flavor, id, ret);
        if (r == -ENOENT || (r >= 0 && res_flavor.can_read && !c->auth.is_admin && !res_flavor.can_read(c, *ret))) {
                if (r >= 0)
                        *ret = (json_decref(*ret), NULL);
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Flavor %s could not be found.", ref);
        }
        if (r >= 0 && json_is_true(json_object_get(*ret, "OS-FLV-DISABLED:disabled"))) {
                *ret = (json_decref(*ret), NULL);
                return ctx_error(c, -EINVAL, RES_FLAVOR, "Flavor %s is disabled.", ref);
        }
        return r;
}

/* The image an imageRef names, as the caller may see it, active, and fitting the flavor. */
static int resolve_image(Ctx *c, const char *ref, const json_t *flavor, json_t **ret) {
        const char *slash = strrchr(ref, '/'), *id = slash ? slash + 1 : ref;
        _cleanup_json_ json_t *img = NULL;
        if (!uuid_is_dashed(id) || image_get(c, id, &img) < 0) {
                ctx_clear_error(c);
                return ctx_error(c, -EINVAL, RES_IMAGE, "Image %s could not be found.", ref);
        }
        if (!streq_ptr(jx_string(img, "status"), "active"))
                return ctx_error(c, -EINVAL, RES_IMAGE, "Image %s is not active.", id);
        int64_t ram = json_integer_value(json_object_get(flavor, "ram"));
        int64_t disk_gb = json_integer_value(json_object_get(flavor, "disk"));
        if (json_integer_value(json_object_get(img, "min_ram")) > ram)
                return ctx_error(c, -EINVAL, RES_IMAGE, "Flavor's memory is too small for requested image.");
        /* A flavor with a disk of 0 boots from the image's own size (Nova allows it for admins' flavors). */
        if (disk_gb > 0) {
                int64_t need = json_integer_value(json_object_get(img, "min_disk"));
                json_t *vsize = json_object_get(img, "virtual_size");
                int64_t vgb = json_is_integer(vsize) ? (json_integer_value(vsize) + (1 << 30) - 1) >> 30 : 0;
                if (need > disk_gb || vgb > disk_gb)
                        return ctx_error(c, -EINVAL, RES_IMAGE, "Flavor's disk is too small for requested image.");
        }
        *ret = TAKE_PTR(img);
        return 0;
}

int compute_server_create_check(Ctx *c, ServerCreate *rq) {
        int r;

        if (!c->auth.project_id)
                return ctx_error(c, -EACCES, RES_SERVER, "Creating a server needs a project-scoped token.");
        if (rq->min_count < 1 || rq->max_count < rq->min_count)
                return ctx_error(c, -EINVAL, RES_SERVER, "min_count must be <= max_count");
        if (rq->max_count > compute.cfg->compute_max_per_request)
                return ctx_error(c, -EINVAL, RES_SERVER, "A request may create at most %lld servers.",
                                 (long long) compute.cfg->compute_max_per_request);
        r = compute_flavor_resolve(c, rq->flavor_ref, &rq->flavor);
        if (r >= 0 && isempty(rq->image_ref))
                r = ctx_error(c, -EINVAL, RES_SERVER, "Block Device Mapping is Invalid: Boot sequence for the instance "
                                                      "and image/block device mapping combination is not valid.");
        if (r >= 0)
                r = resolve_image(c, rq->image_ref, rq->flavor, &rq->image);
        if (r >= 0 && rq->key_name) {
                r = compute_keypair_find(c, c->auth.user_id, rq->key_name, &rq->keypair);
                if (r == -ENOENT) {
                        ctx_clear_error(c);
                        r = ctx_error(c, -EINVAL, RES_KEYPAIR, "Invalid key_name provided.");
                }
        }
        if (r >= 0 && rq->availability_zone) {
                int64_t n = 0;
                r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM compute_hosts WHERE availability_zone = ?", "s",
                                 rq->availability_zone);
                if (r >= 0 && n == 0)
                        r = ctx_error(c, -EINVAL, RES_SERVER, "The requested availability zone is not available");
        }
        if (r >= 0)
                r = compute_nics_parse(c, rq->networks, rq->max_count, rq);
        if (r >= 0)
                r = network_nics_check(c, c->auth.project_id, rq->nics_how, rq->nics, rq->n_nics,
                                       rq->security_groups);
        if (r >= 0 && rq->metadata)
                r = compute_server_metadata_quota(c, c->auth.project_id, (int64_t) json_object_size(rq->metadata));
        if (r >= 0 && rq->group_id) {
                _cleanup_json_ json_t *g = NULL;
                r = res_lookup(c, &res_server_group, rq->group_id, &g);
                if (r == -ENOENT || (r >= 0 && !c->auth.is_admin &&
                                     !streq_ptr(jx_string(g, "project_id"), c->auth.project_id)))
                        r = ctx_error(c, -EINVAL, RES_SERVER_GROUP, "Invalid server group %s.", rq->group_id);
        }
        return r < 0 ? r : 0;
}

/* Nova's hostname for a display name: lower case letters, digits, '-' and '.', at most 63. */
static char *hostname_of(const char *name, const char *id) {
        size_t n = 0;
        char *h = xmalloc(64);
        for (const char *p = name; *p && n < 63; p++) {
                char ch = (char) tolower((unsigned char) *p);
                if (ch == ' ' || ch == '_')
                        ch = '-';
                if (isalnum((unsigned char) ch) || ch == '-' || ch == '.')
                        h[n++] = ch;
        }
        while (n > 0 && (h[n - 1] == '-' || h[n - 1] == '.'))
                n--;
        h[n] = '\0';
        size_t lead = strspn(h, "-.");
        if (h[lead] == '\0') {
                free(h);
                return xasprintf("server-%s", id);
        }
        memmove(h, h + lead, strlen(h + lead) + 1);
        return h;
}

static char *random_text(size_t n, const char *alphabet) {
        uint8_t bytes[64];
        size_t k = strlen(alphabet);
        char *s = xmalloc(n + 1);
        random_bytes(bytes, n);
        for (size_t i = 0; i < n; i++)
                s[i] = alphabet[bytes[i] % k];
        s[n] = '\0';
        return s;
}

json_t *compute_flavor_snapshot(const json_t *f) {
        return json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:O, s:{}}", "id", jx_string(f, "id"), "original_name",
                         jx_string(f, "name"), "vcpus", json_object_get(f, "vcpus"), "ram", json_object_get(f, "ram"),
                         "disk", json_object_get(f, "disk"), "ephemeral",
                         json_object_get(f, "OS-FLV-EXT-DATA:ephemeral"), "swap", json_object_get(f, "swap"),
                         "extra_specs");
}

typedef struct CreateRun {
        const ServerCreate *rq;
        const char *reservation;
        const char *admin_pass;
        json_t *servers;         /* the records made */
} CreateRun;

static int insert_one(Ctx *c, CreateRun *run, int64_t index, int64_t count) {
        const ServerCreate *rq = run->rq;
        _cleanup_free_ char *id = uuid_dashed_new(), *host = NULL, *name = NULL, *hostname = NULL;
        const json_t *f = rq->flavor;
        int64_t vcpus = json_integer_value(json_object_get(f, "vcpus"));
        int64_t ram = json_integer_value(json_object_get(f, "ram"));
        int64_t disk = json_integer_value(json_object_get(f, "disk"));
        SchedRequest sched = { .vcpus = vcpus, .memory_mb = ram, .disk_gb = disk,
                               .availability_zone = rq->availability_zone, .group_id = rq->group_id };
        const char *key;
        json_t *v;
        int r;

        name = count > 1 ? xasprintf(MULTI_NAME, rq->name, (long long) index + 1) : xstrdup(rq->name);
        hostname = hostname_of(name, id);
        /* Each server counts against its group's members quota, those of this request included (Nova's order). */
        if (rq->group_id && (r = compute_group_members_quota(c, rq->group_id, 1)) < 0)
                return r;
        r = compute_schedule(c, &sched, id, "current", &host);
        bool no_host = r == -ENOSPC;
        if (no_host)
                ctx_clear_error(c);
        else if (r < 0)
                return r;
        _cleanup_json_ json_t *rec = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:s, s:s, s:i, s:b, s:s, s:s, s:I, s:b, s:I}", "id", id,
                "name", name, "project_id", c->auth.project_id, "user_id", c->auth.user_id ? c->auth.user_id : "",
                "image_id", jx_string(rq->image, "id"), "flavor", compute_flavor_snapshot(f), "vcpus", (json_int_t) vcpus,
                "memory_mb", (json_int_t) ram, "root_gb", (json_int_t) disk, "vm_state",
                no_host ? "error" : "building", "task_state", no_host ? "" : "scheduling", "power_state", 0,
                "config_drive", rq->config_drive || compute.cfg->compute_force_config_drive, "hostname", hostname,
                "reservation_id", run->reservation, "launch_index", (json_int_t) index, "locked", 0, "progress",
                (json_int_t) 0);
        json_object_set(rec, "flavor_id", json_object_get(f, "id"));
        if (no_host)
                json_object_set_new(rec, "task_state", json_null());
        else
                json_object_set_new(rec, "host", json_string(host));
        json_object_set_new(rec, "availability_zone", json_string(rq->availability_zone
                                                                          ? rq->availability_zone
                                                                          : compute.cfg->compute_availability_zone));
        static const char *const optional[] = { "key_name", "user_data", "access_ipv4", "access_ipv6", "description" };
        const char *values[] = { rq->key_name, rq->user_data, rq->access_ipv4, rq->access_ipv6, rq->description };
        for (size_t i = 0; i < ELEMENTSOF(optional); i++)
                if (values[i])
                        json_object_set_new(rec, optional[i], json_string(values[i]));
        if (rq->keypair)
                json_object_set(rec, "key_data", json_object_get(rq->keypair, "public_key"));
        r = res_insert(c, &res_server, rec);
        if (r < 0)
                return r;
        /* A server no host takes gets no ports (Nova allocates them on the host). */
        if (no_host)
                r = compute_server_fault(c, id, 500, "No valid host was found. There are not enough hosts available.");
        else
                r = compute_nics_allocate(c, rq, id, hostname);
        if (r < 0)
                return r;
        json_object_foreach((json_t *) rq->metadata, key, v) {
                if (r < 0)
                        break;
                r = db_run(c->db, "INSERT INTO server_metadata (server_id, key, value) VALUES (?, ?, ?)", "sss", id, key,
                           json_string_value(v));
        }
        size_t i;
        json_array_foreach(rq->tags, i, v) {
                if (r < 0)
                        break;
                r = db_run(c->db, "INSERT INTO server_tags (server_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", "ss",
                           id, json_string_value(v));
        }
        if (r >= 0 && rq->group_id)
                r = db_run(c->db, "INSERT INTO server_group_members (group_id, server_id) VALUES (?, ?)", "ss",
                           rq->group_id, id);
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "storing a server");
        r = compute_action_start(c, id, "create");
        if (r >= 0 && !no_host) {
                _cleanup_json_ json_t *payload = json_pack("{s:s}", "admin_pass", run->admin_pass);
                r = task_enqueue(c, "compute.server.build", id, payload, NULL);
        }
        if (r < 0)
                return r;
        json_array_append_new(run->servers, json_pack("{s:s}", "id", id));
        return 0;
}

static int create_locked(Ctx *c, void *userdata) {
        CreateRun *run = userdata;
        const ServerCreate *rq = run->rq;
        int64_t count = 0;
        int r = compute_quota_servers(c, c->auth.project_id, rq->min_count, rq->max_count,
                                      json_integer_value(json_object_get(rq->flavor, "vcpus")),
                                      json_integer_value(json_object_get(rq->flavor, "ram")), &count);
        for (int64_t i = 0; r >= 0 && i < count; i++)
                r = insert_one(c, run, i, count);
        return r;
}

int compute_server_create(Ctx *c, const ServerCreate *rq, json_t **ret_servers, char **ret_reservation,
                          char **ret_admin_pass) {
        _cleanup_free_ char *suffix = random_text(8, "abcdefghijklmnopqrstuvwxyz0123456789");
        _cleanup_free_ char *reservation = xasprintf("r-%s", suffix);
        _cleanup_free_ char *admin_pass = rq->admin_pass ? xstrdup(rq->admin_pass)
                                                         : random_text(12, "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
        CreateRun run = { .rq = rq, .reservation = reservation, .admin_pass = admin_pass, .servers = json_array() };
        int r = res_transaction(c, "creating servers", create_locked, &run);
        if (r < 0) {
                json_decref(run.servers);
                return r;
        }
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "created %zu server(s) of reservation %s",
                 json_array_size(run.servers), reservation);
        *ret_servers = run.servers;
        *ret_reservation = TAKE_PTR(reservation);
        *ret_admin_pass = TAKE_PTR(admin_pass);
        return 0;
}
