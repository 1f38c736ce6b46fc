/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Subnet pools (Neutron's subnet_allocation extension): prefixes that
 * subnets are carved from, with default, minimum and maximum prefix
 * lengths, an optional per-project prefix quota, sharing, and one
 * default pool per IP version.  A pool's prefixes may only grow, and a
 * pool that subnets were taken from stays until they are gone.
 */
#include "network/network_internal.h"

static const ResField pool_fields[] = {
        { "project_id", RES_STRING, RES_FILTER | RES_SORT | RES_IMMUTABLE },
        { "name", RES_STRING, RES_FILTER | RES_SORT },
        { "description", RES_STRING, RES_FILTER | RES_SORT },
        { "ip_version", RES_INT, RES_FILTER | RES_SORT },
        { "prefixes", RES_JSON, 0 },
        { "default_prefixlen", RES_INT, RES_FILTER | RES_SORT },
        { "min_prefixlen", RES_INT, RES_FILTER | RES_SORT },
        { "max_prefixlen", RES_INT, RES_FILTER | RES_SORT },
        { "default_quota", RES_INT, RES_FILTER | RES_SORT },
        { "shared", RES_BOOL, RES_FILTER | RES_SORT },
        { "is_default", RES_BOOL, RES_FILTER | RES_SORT },
        { "address_scope_id", RES_STRING, RES_FILTER | RES_SORT },
        { "revision_number", RES_INT, RES_FILTER | RES_SORT },
        { "created_at", RES_TIME, RES_SORT },
        { "updated_at", RES_TIME, RES_SORT },
        {},
};

/* Neutron's InvalidInput (400); fmt is a literal. */
#define invalid(c, fmt, ...) ctx_error(c, -EINVAL, RES_SUBNETPOOL, "Invalid input for operation: " fmt, __VA_ARGS__)

/* The prefixes of a list of CIDR strings (a pool's or a request's), all of one IP version. */
static int prefixes_parse(Ctx *c, const json_t *list, NetPrefixSet *ret, int *ret_version) {
        size_t i;
        json_t *v;
        int version = 0;

        *ret = (NetPrefixSet) {};
        if (!json_is_array(list) || json_array_size(list) == 0)
                return ctx_error(c, -EINVAL, RES_SUBNETPOOL, "Empty subnet pool prefix list.");
        json_array_foreach(list, i, v) {
                const char *s = json_string_value(v);
                InetPrefix p;
                bool host_bits;
                if (!s || inet_prefix_parse(s, false, &p, &host_bits) < 0 || !strchr(s, '/')) {
                        network_prefixes_done(ret);
                        return ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                         "Invalid input for prefixes. Reason: '%s' is not a valid IP subnet.", s ? s : "");
                }
                if (host_bits) {
                        char canon[INET_PREFIX_MAX];
                        network_prefixes_done(ret);
                        return ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                         "Invalid input for prefixes. Reason: '%s' isn't a recognized IP subnet cidr, '%s' is recommended.",
                                         s, inet_prefix_format(&p, canon));
                }
                if (version && p.addr.version != version) {
                        network_prefixes_done(ret);
                        return ctx_error(c, -EINVAL, RES_SUBNETPOOL, "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
                }
                version = p.addr.version;
                network_prefixes_add(ret, &p);
        }
        network_prefixes_compact(ret);
        *ret_version = version;
        return 0;
}

static json_t *prefixes_json(const NetPrefixSet *s) {
        json_t *list = json_array();
        for (size_t i = 0; i < s->n; i++) {
                char t[INET_PREFIX_MAX];
                json_array_append_new(list, json_string(inet_prefix_format(&s->v[i], t)));
        }
        return list;
}

/* A pool's stored prefixes (read back from the record). */
static int pool_prefixes(Ctx *c, const json_t *pool, NetPrefixSet *ret) {
        int version;
        int r = prefixes_parse(c, json_object_get(pool, "prefixes"), ret, &version);
        if (r < 0) {
                ctx_clear_error(c);
                return ctx_error(c, -EIO, RES_SUBNETPOOL, "Subnet pool %s has unreadable prefixes.", jx_string(pool, "id"));
        }
        return 0;
}

static int64_t field_int(const json_t *obj, const json_t *old, const char *name, int64_t dflt) {
        json_t *v = json_object_get(obj, name);
        if (!v && old)
                v = json_object_get(old, name);
        return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int bounds_error(Ctx *c, const char *type, int64_t len, const char *base, int64_t base_len) {
        return ctx_error(c, -EINVAL, RES_SUBNETPOOL, "Illegal prefix bounds: %s=%" PRId64 ", %s=%" PRId64 ".", type, len, base,
                         base_len);
}

/* Fills and checks the three prefix lengths (Neutron's defaults: /8../32 for IPv4, /64../128 for IPv6). */
static int bounds_check(Ctx *c, json_t *obj, const json_t *old, int version) {
        int64_t bits = inet_bits(version);
        int64_t min = field_int(obj, old, "min_prefixlen", version == 4 ? 8 : 64);
        int64_t max = field_int(obj, old, "max_prefixlen", bits);
        int64_t dflt = field_int(obj, old, "default_prefixlen", min);

        if (min < 0)
                return ctx_error(c, -EINVAL, RES_SUBNETPOOL, "Prefix '%" PRId64 "' not supported in IPv%d pool.", min, version);
        if (min > max)
                return bounds_error(c, "min_prefixlen", min, "max_prefixlen", max);
        if (max > bits)
                return bounds_error(c, "max_prefixlen", max, "ip_version_max", bits);
        if (dflt < min)
                return bounds_error(c, "default_prefixlen", dflt, "min_prefixlen", min);
        if (dflt > max)
                return bounds_error(c, "default_prefixlen", dflt, "max_prefixlen", max);
        json_object_set_new(obj, "min_prefixlen", json_integer(min));
        json_object_set_new(obj, "max_prefixlen", json_integer(max));
        json_object_set_new(obj, "default_prefixlen", json_integer(dflt));
        return 0;
}

/* Only one default pool per IP version. */
static int default_unique(Ctx *c, int version, const char *except_id) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM subnetpools WHERE is_default = 1 AND ip_version = ? AND id <> ?",
                             "is", (int64_t) version, except_id ? except_id : "");
        if (r < 0)
                return res_db_error(c, r, RES_SUBNETPOOL, "reading subnet pools");
        if (n > 0)
                return invalid(c, "%s", "A default subnetpool for this IP family has already been set. Only one default may exist per IP family.");
        return 0;
}

static const char *const admin_fields[] = { "shared", "is_default", NULL };

static int pool_prepare(Ctx *c, json_t *obj, const json_t *old) {
        NetPrefixSet set = {};
        int version, r;

        if ((r = network_admin_only(c, &res_subnetpool, obj, !old, admin_fields)) < 0 ||
            (r = network_int_attr(c, RES_SUBNETPOOL, obj, "default_prefixlen", 0, 128)) < 0 ||
            (r = network_int_attr(c, RES_SUBNETPOOL, obj, "min_prefixlen", 0, 128)) < 0 ||
            (r = network_int_attr(c, RES_SUBNETPOOL, obj, "max_prefixlen", 0, 128)) < 0 ||
            (r = network_int_attr(c, RES_SUBNETPOOL, obj, "default_quota", 0, INT32_MAX)) < 0)
                return r;
        network_revision_bump(obj, old);
        if (!json_is_null(json_object_get(obj, "address_scope_id")) && json_object_get(obj, "address_scope_id"))
                return ctx_error(c, -ENOENT, RES_NONE, "Address scope %s could not be found.",
                                 jx_string(obj, "address_scope_id"));
        if (!old) {
                if ((r = network_owner_prepare(c, &res_subnetpool, obj)) < 0 ||
                    (r = network_quota_check(c, jx_string(obj, "project_id"), "subnetpool", 1)) < 0)
                        return r;
                if ((r = prefixes_parse(c, json_object_get(obj, "prefixes"), &set, &version)) < 0)
                        return r;
                json_object_set_new(obj, "prefixes", prefixes_json(&set));
                json_object_set_new(obj, "ip_version", json_integer(version));
                network_prefixes_done(&set);
        } else {
                version = (int) json_integer_value(json_object_get(old, "ip_version"));
                if (json_object_get(obj, "prefixes")) {
                        NetPrefixSet had = {};
                        if ((r = prefixes_parse(c, json_object_get(obj, "prefixes"), &set, &version)) < 0)
                                return r;
                        if (version != json_integer_value(json_object_get(old, "ip_version"))) {
                                network_prefixes_done(&set);
                                return ctx_error(c, -EINVAL, RES_SUBNETPOOL, "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
                        }
                        if ((r = pool_prefixes(c, old, &had)) < 0) {
                                network_prefixes_done(&set);
                                return r;
                        }
                        bool grows = network_prefixes_cover(&set, &had);
                        network_prefixes_done(&had);
                        if (!grows) {
                                network_prefixes_done(&set);
                                return ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                                 "Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.");
                        }
                        json_object_set_new(obj, "prefixes", prefixes_json(&set));
                        network_prefixes_done(&set);
                }
        }
        if ((r = bounds_check(c, obj, old, version)) < 0)
                return r;
        if (json_is_true(json_object_get(obj, "is_default")) && !(old && json_is_true(json_object_get(old, "is_default"))) &&
            (r = default_unique(c, version, old ? jx_string(old, "id") : NULL)) < 0)
                return r;
        return 0;
}

/* Neutron: a pool subnets were taken from cannot go (400, SubnetPoolDeleteError). */
static int pool_before_delete(Ctx *c, const json_t *old) {
        int64_t n = 0;
        int r = db_query_int(c->db, &n, "SELECT COUNT(*) FROM subnets WHERE subnetpool_id = ?", "s", jx_string(old, "id"));
        if (r < 0)
                return res_db_error(c, r, RES_SUBNETPOOL, "reading a subnet pool's subnets");
        if (n > 0)
                return ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                 "Unable to delete subnet pool: Subnet pool has existing allocations.");
        return network_tags_delete(c, jx_string(old, "id"));
}

static void pool_decorate(Ctx *c, json_t *obj) {
        if (!json_object_get(obj, "address_scope_id"))
                json_object_set_new(obj, "address_scope_id", json_null());
        network_decorate_standard(c, obj);
}

const ResDef res_subnetpool = {
        .kind = RES_SUBNETPOOL, .table = "subnetpools", .singular = "subnetpool", .plural = "subnetpools",
        .fields = pool_fields, .id_kind = RES_ID_UUID, .order_by = "created_at, id",
        .not_found = "Subnet pool %s could not be found.",
        .conflict = "Subnet pool %s already exists.",
        .prepare = pool_prepare, .before_delete = pool_before_delete, .decorate = pool_decorate,
};

int network_subnetpool_default(Ctx *c, int ip_version, json_t **ret) {
        DbArg a = { .type = 'i', .i = ip_version };
        DbArgs args = { .v = &a, .n = 1 };
        return res_find(c, &res_subnetpool, "is_default = 1 AND ip_version = ?", &args, ret);
}

/* The subnets already taken from the pool; with project_id, that project's only. */
static int pool_allocations(Ctx *c, const char *pool_id, const char *project_id, NetPrefixSet *ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int r = project_id ? db_query(c->db, &s, "SELECT cidr FROM subnets WHERE subnetpool_id = ? AND project_id = ?",
                                      "ss", pool_id, project_id)
                           : db_query(c->db, &s, "SELECT cidr FROM subnets WHERE subnetpool_id = ?", "s", pool_id);
        *ret = (NetPrefixSet) {};
        while (r >= 0 && (r = db_step(s)) > 0) {
                InetPrefix p;
                if (inet_prefix_parse(db_col_text(s, 0), false, &p, NULL) >= 0)
                        network_prefixes_add(ret, &p);
        }
        if (r < 0) {
                network_prefixes_done(ret);
                return res_db_error(c, r, RES_SUBNETPOOL, "reading a subnet pool's allocations");
        }
        return 0;
}

/* 2^exp, exp may be negative (an IPv6 subnet longer than /64 is a fraction of a unit). */
static double power_of_two(int exp) {
        double x = 1;
        for (; exp > 0; exp--)
                x *= 2;
        for (; exp < 0; exp++)
                x /= 2;
        return x;
}

/* Neutron's per-project prefix quota, in /32s (IPv4) or /64s (IPv6). */
static int quota_check(Ctx *c, const json_t *pool, const char *project_id, unsigned len) {
        json_t *quota = json_object_get(pool, "default_quota");
        int version = (int) json_integer_value(json_object_get(pool, "ip_version"));
        int unit = version == 4 ? 32 : 64;
        NetPrefixSet mine;
        double used = 0;
        if (!json_is_integer(quota) || json_integer_value(quota) == 0)
                return 0; /* Neutron: no quota, or 0, means no limit */
        int r = pool_allocations(c, jx_string(pool, "id"), project_id, &mine);
        if (r < 0)
                return r;
        for (size_t i = 0; i < mine.n; i++)
                used += power_of_two(unit - (int) mine.v[i].len);
        network_prefixes_done(&mine);
        if (used + power_of_two(unit - (int) len) > (double) json_integer_value(quota))
                return ctx_error(c, -EDQUOT, RES_SUBNETPOOL, "Per-project subnet pool prefix quota exceeded.");
        return 0;
}

int network_subnetpool_allocate(Ctx *c, const json_t *pool, const char *project_id, const InetPrefix *want,
                                unsigned prefixlen, InetPrefix *ret) {
        const char *id = jx_string(pool, "id");
        int64_t min = json_integer_value(json_object_get(pool, "min_prefixlen"));
        int64_t max = json_integer_value(json_object_get(pool, "max_prefixlen"));
        unsigned len = want ? want->len : prefixlen ? prefixlen : (unsigned) json_integer_value(json_object_get(pool, "default_prefixlen"));
        NetPrefixSet prefixes = {}, used = {}, free_blocks = {};
        int r;

        if (len > max)
                return ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                 "Unable to allocate subnet with prefix length %u, maximum allowed prefix is %" PRId64 ".", len, max);
        if (len < min)
                return ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                 "Unable to allocate subnet with prefix length %u, minimum allowed prefix is %" PRId64 ".", len, min);
        /*
         * Writing the pool's row first holds it until the subnet is stored:
         * on PostgreSQL a concurrent allocation from the same pool waits here
         * (SQLite's transactions are serial anyway), as Neutron's hash swap.
         */
        r = db_run(c->db, "UPDATE subnetpools SET updated_at = updated_at WHERE id = ?", "s", id);
        if (r < 0)
                return res_db_error(c, r, RES_SUBNETPOOL, "locking a subnet pool");
        if ((r = quota_check(c, pool, project_id, len)) < 0 || (r = pool_prefixes(c, pool, &prefixes)) < 0)
                return r;
        if ((r = pool_allocations(c, id, NULL, &used)) < 0) {
                network_prefixes_done(&prefixes);
                return r;
        }
        network_prefixes_subtract(&prefixes, &used, &free_blocks);
        if (want) {
                if (!network_prefixes_contain(&prefixes, want))
                        r = ctx_error(c, -EINVAL, RES_SUBNETPOOL,
                                      "Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.");
                else if (!network_prefixes_contain(&free_blocks, want))
                        r = ctx_error(c, -EBUSY, RES_NONE,
                                      "Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.");
                else
                        *ret = *want;
        } else if (!network_prefixes_pick(&free_blocks, len, ret))
                r = ctx_error(c, -EBUSY, RES_NONE,
                              "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /%u.", len);
        network_prefixes_done(&prefixes);
        network_prefixes_done(&used);
        network_prefixes_done(&free_blocks);
        return r;
}
