/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over what the networking service does with untrusted
 * input.  The first byte picks what the rest of the input is:
 *
 *   low 4 bits (mod 9)  0 text for util/inet.h's parsers (an address, a
 *                       prefix strict and not, a MAC), each result checked
 *                       by formatting and parsing it again;
 *                       1 lines of CIDRs, the first half a subnet pool's
 *                       prefixes and the rest subnets taken from it, for
 *                       the prefix arithmetic (network_prefixes.c), whose
 *                       results are checked against the definitions;
 *                       2 a subnet create body, 3 a subnet update body,
 *                       4 a port create body, 5 a port update body,
 *                       6 a subnet pool create body, 7 a tags body: each
 *                       parsed and validated against its route's schema
 *                       as the dispatch pipeline does, then, when valid,
 *                       given to the engine with the service's hooks on a
 *                       real SQLite database;
 *                       8 a list query string ("name=value&..."), as the
 *                       list handler reads filters (tags ones included).
 *   bit 7 clear         the caller is an admin of the project owning the
 *                       fixtures; set, a plain member of another project.
 *
 * LLVMFuzzerInitialize makes a state dir with a migrated database holding
 * a network with an IPv4 and a SLAAC subnet, a port and a subnet pool;
 * each input runs inside an outer transaction that is rolled back, so
 * inputs stay independent.  Aborts when a result breaks a contract: a
 * server error (5xx) for client input, an error body that cannot be
 * rendered, a transaction left open, a port with two addresses alike or
 * outside its subnets, a subnet overlapping another of its network or
 * with a gateway inside its pools, more tags than the limit, or prefix
 * arithmetic that disagrees with its definition.  Run by tests/fuzz/run;
 * seeds live in tests/fuzz/corpus/fuzz-network-input/.
 */
#include "api/api_schema.h"
#include "fuzz_service.h"
#include "network/network_internal.h"
#include "util/buf.h"

#include <inttypes.h>

#define OWNER_PROJECT "f0220e4b0d6e4d1c9c4ce8f3b3a4c0aa"
#define OTHER_PROJECT "f0220e4b0d6e4d1c9c4ce8f3b3a4c0bb"
#define NETWORK_ID "5a0f0c55-0a3e-4d53-9d1f-3a6a0e000001"
#define SUBNET_ID "5a0f0c55-0a3e-4d53-9d1f-3a6a0e000002"
#define SLAAC_ID "5a0f0c55-0a3e-4d53-9d1f-3a6a0e000003"
#define PORT_ID "5a0f0c55-0a3e-4d53-9d1f-3a6a0e000004"
#define POOL_ID "5a0f0c55-0a3e-4d53-9d1f-3a6a0e000005"

typedef enum Target {
        TARGET_INET,
        TARGET_PREFIXES,
        TARGET_SUBNET_CREATE,
        TARGET_SUBNET_UPDATE,
        TARGET_PORT_CREATE,
        TARGET_PORT_UPDATE,
        TARGET_POOL_CREATE,
        TARGET_TAGS,
        TARGET_LIST,
        _TARGET_MAX,
} Target;

/* The request schemas of the routes (src/network/network_*_api.c), by target. */
static const char *const schema_names[_TARGET_MAX] = {
        [TARGET_SUBNET_CREATE] = "network-subnet-create.json", [TARGET_SUBNET_UPDATE] = "network-subnet-update.json",
        [TARGET_PORT_CREATE] = "network-port-create.json",     [TARGET_PORT_UPDATE] = "network-port-update.json",
        [TARGET_POOL_CREATE] = "network-subnetpool-create.json", [TARGET_TAGS] = "network-tags.json",
};

extern const EmbeddedFile network_api_schemas[];

static const json_t *schemas[_TARGET_MAX];
static Db *db;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An admin is of OWNER_PROJECT, a member of OTHER_PROJECT. */
static void ctx_setup(Ctx *c, bool admin) {
        fuzz_ctx(c, db, admin ? OWNER_PROJECT : OTHER_PROJECT, admin);
}

static json_t *parse_or_die(const char *text) {
        json_error_t err;
        json_t *j = jx_parse(text, strlen(text), &err);
        if (!j)
                fuzz_broken("fixture JSON does not parse: %s", err.text);
        return j;
}

/* Creates a record as res_create does (its hooks, one transaction), but with the id the seeds name. */
static void fixture(Ctx *c, const ResDef *d, const char *text) {
        _cleanup_json_ json_t *obj = parse_or_die(text);
        int r = db_begin(db);
        if (r >= 0 && d->prepare)
                r = d->prepare(c, obj, NULL);
        if (r >= 0)
                r = res_insert(c, d, obj);
        if (r >= 0 && d->after)
                r = d->after(c, obj, NULL);
        if (r < 0) {
                db_rollback(db);
                fuzz_broken("cannot create the fixed %s: %s", d->singular, c->error_message ? c->error_message : "?");
        }
        if (db_commit(db) < 0)
                fuzz_broken("cannot commit the fixed %s", d->singular);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static Config cfg; /* the service keeps it: it lives as long as the process */
        Ctx c;

        fuzz_schemas(network_api_schemas, schema_names, ELEMENTSOF(schema_names), schemas);
        db = fuzz_state_open(&cfg);
        free(cfg.network_bridge_mappings);
        cfg.network_bridge_mappings = xstrdup("public:gt-ext");
        if (network_config_load(&cfg) < 0)
                fuzz_broken("cannot load the [network] config");
        atexit(network_config_done);

        ctx_setup(&c, true);
        fixture(&c, &res_network, "{\"id\": \"" NETWORK_ID "\", \"name\": \"fuzz\", \"shared\": true}");
        fixture(&c, &res_subnet, "{\"id\": \"" SUBNET_ID "\", \"network_id\": \"" NETWORK_ID "\", \"ip_version\": 4,"
                                 " \"cidr\": \"10.0.0.0/28\", \"dns_nameservers\": [\"10.0.0.1\"]}");
        fixture(&c, &res_subnet, "{\"id\": \"" SLAAC_ID "\", \"network_id\": \"" NETWORK_ID "\", \"ip_version\": 6,"
                                 " \"cidr\": \"fd00:1::/64\", \"ipv6_address_mode\": \"slaac\"}");
        fixture(&c, &res_port, "{\"id\": \"" PORT_ID "\", \"network_id\": \"" NETWORK_ID "\", \"tags\": [\"a\"],"
                               " \"allowed_address_pairs\": [{\"ip_address\": \"10.9.0.0/24\"}]}");
        fixture(&c, &res_subnetpool, "{\"id\": \"" POOL_ID "\", \"prefixes\": [\"10.64.0.0/16\"], \"shared\": true,"
                                     " \"default_prefixlen\": 24}");
        ctx_done(&c);
        return 0;
}

/* The error body the API would render for a failure; one that cannot be built would abort the daemon. */
static void check_message(const char *what, int code, ResourceKind kind, const char *msg) {
        fuzz_check_message(what, API_STYLE_NEUTRON, code, kind, msg);
}

/* A failure must be the client's (never a 5xx) with a message that renders. */
static void check_call(const char *what, Ctx *c, int r) {
        if (r >= 0)
                return;
        if (api_error_lookup(r, c->error_resource, API_STYLE_NEUTRON)->status >= 500)
                fuzz_broken("%s answered client input with a server error (%s): %s", what, strerror(-r),
                       c->error_message ? c->error_message : "(no message)");
        check_message(what, r, c->error_resource, c->error_message);
        ctx_clear_error(c);
}

/* ---- parsers ---- */

static void fuzz_inet(const char *text) {
        InetAddr a, b;
        InetPrefix p, q;
        uint8_t m[6], m2[6];
        char buf[INET_PREFIX_MAX], mbuf[MAC_TEXT_MAX];
        bool host_bits;

        if (inet_addr_parse(text, &a) >= 0) {
                if (inet_addr_parse(inet_addr_format(&a, buf), &b) < 0 || inet_addr_cmp(&a, &b) != 0)
                        fuzz_broken("address \"%s\" does not survive formatting as \"%s\"", text, buf);
                if (!streq(text, buf) && inet_addr_parse(buf, &b) >= 0 && !streq(inet_addr_format(&b, buf), buf))
                        fuzz_broken("the canonical form of \"%s\" is not stable", text);
        }
        for (int strict = 0; strict < 2; strict++)
                if (inet_prefix_parse(text, strict, &p, &host_bits) >= 0) {
                        if (p.len > inet_bits(p.addr.version))
                                fuzz_broken("prefix \"%s\" has length %u", text, p.len);
                        if (strict && host_bits)
                                fuzz_broken("strict parsing accepted host bits in \"%s\"", text);
                        if (inet_prefix_parse(inet_prefix_format(&p, buf), true, &q, NULL) < 0 || q.len != p.len ||
                            inet_addr_cmp(&p.addr, &q.addr) != 0)
                                fuzz_broken("prefix \"%s\" does not survive formatting as \"%s\"", text, buf);
                        if (!inet_prefix_contains(&p, &p.addr) || !inet_prefix_overlaps(&p, &q))
                                fuzz_broken("prefix \"%s\" does not contain itself", text);
                }
        if (mac_parse(text, m) >= 0) {
                if ((m[0] & 1) || mac_parse(mac_format(m, mbuf), m2) < 0 || memcmp(m, m2, 6) != 0)
                        fuzz_broken("MAC \"%s\" is multicast or does not survive formatting as \"%s\"", text, mbuf);
                InetPrefix slaac;
                if (inet_prefix_parse("fd00::/64", true, &slaac, NULL) < 0 || inet_addr_eui64(&slaac, m, &a) < 0 ||
                    !inet_prefix_contains(&slaac, &a) || !inet_addr_is_eui64(&a))
                        fuzz_broken("the SLAAC address of MAC \"%s\" is wrong", text);
        }
}

/* Whether a holds b (same family, a no longer, b's address inside a). */
static bool holds(const InetPrefix *a, const InetPrefix *b) {
        return a->addr.version == b->addr.version && a->len <= b->len && inet_prefix_contains(a, &b->addr);
}

static void check_compacted(const char *what, const NetPrefixSet *s) {
        for (size_t i = 0; i < s->n; i++)
                for (size_t j = i + 1; j < s->n; j++)
                        if (s->v[i].addr.version == s->v[j].addr.version && inet_prefix_overlaps(&s->v[i], &s->v[j]))
                                fuzz_broken("%s: compacted blocks %zu and %zu overlap", what, i, j);
}

static void fuzz_prefixes(const char *text) {
        NetPrefixSet pool = {}, used = {}, free_blocks = {}, both = {};
        _cleanup_free_ char *copy = xstrdup(text);
        char *save = NULL;
        size_t lines = 0;

        for (char *line = strtok_r(copy, "\n", &save); line && lines < 64; line = strtok_r(NULL, "\n", &save), lines++) {
                InetPrefix p;
                if (inet_prefix_parse(line, false, &p, NULL) < 0)
                        continue;
                /* Keep the work bounded: a /0 minus many hosts splits into a block per bit per host. */
                network_prefixes_add(lines % 2 ? &used : &pool, &p);
        }
        network_prefixes_compact(&pool);
        check_compacted("pool", &pool);
        network_prefixes_subtract(&pool, &used, &free_blocks);
        check_compacted("free", &free_blocks);
        for (size_t i = 0; i < free_blocks.n; i++) {
                if (!network_prefixes_contain(&pool, &free_blocks.v[i]))
                        fuzz_broken("a free block is outside the pool");
                for (size_t j = 0; j < used.n; j++)
                        if (free_blocks.v[i].addr.version == used.v[j].addr.version &&
                            inet_prefix_overlaps(&free_blocks.v[i], &used.v[j]))
                                fuzz_broken("a free block overlaps a used prefix");
        }
        /* The free blocks and the used prefixes together cover the pool. */
        for (size_t i = 0; i < free_blocks.n; i++)
                network_prefixes_add(&both, &free_blocks.v[i]);
        for (size_t i = 0; i < used.n; i++)
                network_prefixes_add(&both, &used.v[i]);
        if (!network_prefixes_cover(&both, &pool))
                fuzz_broken("free blocks and used prefixes do not cover the pool");
        for (unsigned len = 0; len <= 128; len += 7) {
                InetPrefix got;
                if (!network_prefixes_pick(&free_blocks, len, &got))
                        continue;
                bool inside = false;
                for (size_t i = 0; i < free_blocks.n; i++)
                        inside = inside || holds(&free_blocks.v[i], &got);
                if (got.len != len || !inside)
                        fuzz_broken("picked a /%u that is not inside a free block", len);
        }
        network_prefixes_done(&pool);
        network_prefixes_done(&used);
        network_prefixes_done(&free_blocks);
        network_prefixes_done(&both);
}

/* ---- the service on a database ---- */

/* Every address of every port is unique and inside a subnet of its network; subnets do not overlap. */
static void check_network(const char *what) {
        _cleanup_stmt_ DbStmt *s = NULL;
        int64_t n = 0;

        if (db_query_int(db, &n,
                         "SELECT COUNT(*) FROM port_ips i JOIN subnets s ON s.id = i.subnet_id WHERE s.network_id <> i.network_id",
                         "") < 0 || n)
                fuzz_broken("%s: an address is on a subnet of another network", what);
        if (db_query(db, &s, "SELECT i.ip_address, s.cidr FROM port_ips i JOIN subnets s ON s.id = i.subnet_id", "") < 0)
                fuzz_broken("%s: cannot read addresses", what);
        while (db_step(s) > 0) {
                InetAddr a;
                InetPrefix p;
                if (inet_addr_parse(db_col_text(s, 0), &a) < 0 || inet_prefix_parse(db_col_text(s, 1), true, &p, NULL) < 0 ||
                    !inet_prefix_contains(&p, &a))
                        fuzz_broken("%s: address %s is outside its subnet %s", what, db_col_text(s, 0), db_col_text(s, 1));
        }
        db_stmt_release(TAKE_PTR(s));
        if (db_query(db, &s, "SELECT a.cidr, b.cidr FROM subnets a JOIN subnets b ON a.network_id = b.network_id AND a.id < b.id",
                     "") < 0)
                fuzz_broken("%s: cannot read subnets", what);
        while (db_step(s) > 0) {
                InetPrefix p, q;
                if (inet_prefix_parse(db_col_text(s, 0), true, &p, NULL) < 0 ||
                    inet_prefix_parse(db_col_text(s, 1), true, &q, NULL) < 0 || inet_prefix_overlaps(&p, &q))
                        fuzz_broken("%s: subnets %s and %s of one network overlap", what, db_col_text(s, 0), db_col_text(s, 1));
        }
        db_stmt_release(TAKE_PTR(s));
        if (db_query_int(db, &n, "SELECT COUNT(*) FROM (SELECT resource_id FROM network_tags GROUP BY resource_id HAVING COUNT(*) > ?)",
                         "i", (int64_t) NETWORK_TAGS_MAX) < 0 || n)
                fuzz_broken("%s: a resource has more than %d tags", what, NETWORK_TAGS_MAX);
}

/* The gateway of a written subnet is outside its pools. */
static void check_subnet(const char *what, const json_t *subnet) {
        SubnetInfo info;
        Ctx c;
        ctx_init(&c, db);
        if (network_subnet_info(&c, subnet, &info) < 0)
                fuzz_broken("%s: the subnet reads back unparsable", what);
        ctx_done(&c);
        for (size_t i = 0; info.has_gateway && i < info.n_pools; i++)
                if (inet_addr_cmp(&info.gateway, &info.pools[i].start) >= 0 &&
                    inet_addr_cmp(&info.gateway, &info.pools[i].end) <= 0)
                        fuzz_broken("%s: the gateway is inside an allocation pool", what);
}

static void fuzz_write(Ctx *c, Target target, const json_t *body) {
        json_t *rec = NULL;
        const char *what = schema_names[target];
        int r;

        switch (target) {
        case TARGET_SUBNET_CREATE:
                if (json_object_get(body, "subnet"))
                        r = res_create(c, &res_subnet, json_object_get(body, "subnet"), &rec);
                else
                        r = res_create_many(c, &res_subnet, json_object_get(body, "subnets"), &rec);
                break;
        case TARGET_SUBNET_UPDATE:
                r = res_update(c, &res_subnet, SUBNET_ID, json_object_get(body, "subnet"), &rec);
                break;
        case TARGET_PORT_CREATE:
                if (json_object_get(body, "port"))
                        r = res_create(c, &res_port, json_object_get(body, "port"), &rec);
                else
                        r = res_create_many(c, &res_port, json_object_get(body, "ports"), &rec);
                break;
        case TARGET_PORT_UPDATE:
                r = res_update(c, &res_port, PORT_ID, json_object_get(body, "port"), &rec);
                break;
        case TARGET_POOL_CREATE:
                if (json_object_get(body, "subnetpool"))
                        r = res_create(c, &res_subnetpool, json_object_get(body, "subnetpool"), &rec);
                else
                        r = res_create_many(c, &res_subnetpool, json_object_get(body, "subnetpools"), &rec);
                break;
        case TARGET_TAGS:
                r = network_tags_add(c, &res_port, PORT_ID, json_object_get(body, "tags"), true);
                break;
        default:
                abort();
        }
        check_call(what, c, r);
        if (r >= 0 && (target == TARGET_SUBNET_CREATE || target == TARGET_SUBNET_UPDATE) && json_is_object(rec))
                check_subnet(what, rec);
        json_decref(rec);
        check_network(what);
}

/* "a=b&c=d" as the list handler gets it: each pair a filter, the tag ones through network_tags_filter. */
static void fuzz_list(Ctx *c, const char *text) {
        _cleanup_free_ char *copy = xstrdup(text);
        _cleanup_json_ json_t *keep = json_array(), *rows = NULL;
        char *save = NULL;
        ResQuery q;
        int r = 0;

        res_query_init(&q);
        q.repeat_is_any = true;
        for (char *pair = strtok_r(copy, "&", &save); pair && r >= 0; pair = strtok_r(NULL, "&", &save)) {
                char *eq = strchr(pair, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                r = network_tags_filter(c, &res_port, pair, eq + 1, &q, keep);
                if (r == 0)
                        r = res_query_filter(c, &res_port, &q, pair, eq + 1, true);
        }
        if (r >= 0) {
                network_visible_sql(c, &res_port, &q.where, &q.args);
                r = res_list(c, &res_port, &q, &rows, NULL);
        }
        res_query_done(&q);
        check_call("a port list", c, r);
}

static void check_database(void) {
        if (db_exec_script(db, "BEGIN; ROLLBACK;") < 0)
                fuzz_broken("an input left a transaction open: %s", db_errmsg(db));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_json_ json_t *body = NULL;
        _cleanup_free_ char *msg = NULL, *text = NULL;
        json_error_t err;
        Ctx c;

        if (size < 1 || size > 65536)
                return 0;
        Target target = (Target) ((data[0] & 0x0f) % _TARGET_MAX);
        bool admin = !(data[0] & 0x80);
        data++;
        size--;
        text = xmemdup(data, size);
        if (strlen(text) != size)
                return 0; /* a NUL inside: not what a JSON body or a decoded query can hold */

        if (target == TARGET_INET) {
                fuzz_inet(text);
                return 0;
        }
        if (target == TARGET_PREFIXES) {
                fuzz_prefixes(text);
                return 0;
        }
        if (target != TARGET_LIST) {
                body = jx_parse(text, size, &err);
                if (!body) {
                        check_message("the jansson error text", -EINVAL, RES_NONE, err.text);
                        return 0;
                }
                if (api_schema_validate(schemas[target], body, &msg) < 0) {
                        if (!msg)
                                fuzz_broken("%s failed without a message", schema_names[target]);
                        check_message("a validation message", -EINVAL, RES_NONE, msg);
                        return 0;
                }
        }
        ctx_setup(&c, admin);
        if (db_begin(db) < 0)
                fuzz_broken("cannot begin a transaction: %s", db_errmsg(db));
        if (target == TARGET_LIST)
                fuzz_list(&c, text);
        else
                fuzz_write(&c, target, body);
        db_rollback(db);
        ctx_done(&c);
        check_database();
        return 0;
}
