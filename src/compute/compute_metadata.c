/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a guest learns about itself: the OpenStack metadata (meta_data.json,
 * user_data, network_data.json, vendor data) and the EC2 one, built from
 * the server's record.  One generator serves the config drive and, with
 * networking, the metadata service at 169.254.169.254.
 */
#include "compute/compute_internal.h"
#include "compute/compute_metadata.h"

#include <sodium.h>

/* The dated versions of the OpenStack layout Nova's config drives carry, besides latest. */
static const char *const versions[] = { "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30",
                                        "2016-10-06", "2017-02-22", "2018-08-27", "latest" };

void compute_metadata_done(ComputeMetadata *m) {
        json_decref(m->meta_data);
        json_decref(m->network_data);
        json_decref(m->ec2_meta_data);
        free(m->user_data);
        *m = (ComputeMetadata) {};
}

/* EC2's instance id: "i-" and eight hex digits of the uuid's start, as Nova derives one from its integer id. */
static char *ec2_id(const char *prefix, const char *uuid) {
        return xasprintf("%s-%.8s", prefix, uuid);
}

static int metadata_items(Ctx *c, const char *id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        json_t *meta = json_object();
        int r = db_query(c->db, &s, "SELECT key, value FROM server_metadata WHERE server_id = ? ORDER BY key", "s", id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_object_set_new(meta, db_col_text(s, 0), json_string(db_col_text(s, 1)));
        if (r < 0) {
                json_decref(meta);
                return res_db_error(c, r, RES_SERVER, "reading server metadata");
        }
        *ret = meta;
        return 0;
}

/*
 * network_data.json: a link per NIC, a network per fixed address (DHCP for
 * IPv4, as the guests of a gureum network get their address), and the
 * DNS servers of the subnets.
 */
static json_t *network_data(const json_t *nics) {
        json_t *links = json_array(), *networks = json_array(), *services = json_array();
        size_t i, k, d;
        json_t *nic, *ip, *dns;

        json_array_foreach(nics, i, nic) {
                const char *link = jx_string(nic, "tap");
                json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", link, "vif_id",
                                                       jx_string(nic, "port_id"), "type", "bridge", "ethernet_mac_address",
                                                       jx_string(nic, "mac_address"), "mtu", json_object_get(nic, "mtu")));
                json_array_foreach(json_object_get(nic, "fixed_ips"), k, ip) {
                        bool v6 = json_integer_value(json_object_get(ip, "version")) == 6;
                        _cleanup_free_ char *name = xasprintf("network%zu", json_array_size(networks));
                        json_array_append_new(networks, json_pack("{s:s, s:s, s:s, s:s}", "id", name, "link", link, "type",
                                                                  v6 ? "ipv6_dhcp" : "ipv4_dhcp", "network_id",
                                                                  jx_string(nic, "network_id")));
                        json_array_foreach(json_object_get(ip, "dns_nameservers"), d, dns)
                                json_array_append_new(services, json_pack("{s:s, s:O}", "type", "dns", "address", dns));
                }
        }
        return json_pack("{s:o, s:o, s:o}", "links", links, "networks", networks, "services", services);
}

/*
 * EC2's local-ipv4 and public-ipv4: the first IPv4 address of the first
 * NIC that has one, and a floating IP of that NIC, as Nova fills them.
 */
static void ec2_addresses(const json_t *nics, json_t *ec2) {
        size_t i, k;
        json_t *nic, *ip;
        json_array_foreach(nics, i, nic)
                json_array_foreach(json_object_get(nic, "fixed_ips"), k, ip) {
                        if (json_integer_value(json_object_get(ip, "version")) != 4)
                                continue;
                        json_object_set_new(ec2, "local-ipv4", json_string(jx_string(ip, "ip_address")));
                        json_t *floating = json_array_get(json_object_get(nic, "floating_ips"), 0);
                        if (json_is_string(floating))
                                json_object_set(ec2, "public-ipv4", floating);
                        return;
                }
}

int compute_metadata_build(Ctx *c, const json_t *rec, const char *admin_pass, ComputeMetadata *ret) {
        const char *id = jx_string(rec, "id"), *key_name = jx_string(rec, "key_name");
        const char *key_data = jx_string(rec, "key_data"), *user_data = jx_string(rec, "user_data");
        uint8_t seed[512];
        char seed_b64[sodium_base64_ENCODED_LEN(512, sodium_base64_VARIANT_ORIGINAL)];
        json_t *meta = NULL;
        int r;

        r = metadata_items(c, id, &meta);
        if (r < 0)
                return r;
        random_bytes(seed, sizeof(seed));
        sodium_bin2base64(seed_b64, sizeof(seed_b64), seed, sizeof(seed), sodium_base64_VARIANT_ORIGINAL);
        ComputeMetadata m = {};
        m.meta_data = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:{}, s:[], s:[], s:s}", "uuid", id, "name",
                                jx_string(rec, "name"), "hostname", jx_string(rec, "hostname"), "launch_index",
                                (json_int_t) json_integer_value(json_object_get(rec, "launch_index")),
                                "availability_zone", jx_string(rec, "availability_zone"), "project_id",
                                jx_string(rec, "project_id"), "meta", meta, "public_keys", "keys", "devices",
                                "random_seed", seed_b64);
        if (key_name && key_data) {
                json_object_set_new(json_object_get(m.meta_data, "public_keys"), key_name, json_string(key_data));
                json_array_append_new(json_object_get(m.meta_data, "keys"),
                                      json_pack("{s:s, s:s, s:s}", "name", key_name, "type", "ssh", "data", key_data));
        }
        if (admin_pass)
                json_object_set_new(m.meta_data, "admin_pass", json_string(admin_pass));
        _cleanup_json_ json_t *nics = NULL;
        if (compute_nics_describe(c, id, &nics) < 0) {
                ctx_clear_error(c);
                nics = json_array();
        }
        m.network_data = network_data(nics);

        _cleanup_free_ char *instance = ec2_id("i", id), *ami = ec2_id("ami", jx_string(rec, "image_id"));
        m.ec2_meta_data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:{s:s}, s:s, s:{}}", "ami-id", ami,
                                    "hostname", jx_string(rec, "hostname"), "instance-id", instance, "instance-type",
                                    jx_path_string(rec, "flavor", "original_name", NULL) ?: "", "local-hostname",
                                    jx_string(rec, "hostname"), "ami-launch-index",
                                    (json_int_t) json_integer_value(json_object_get(rec, "launch_index")),
                                    "reservation-id", jx_string(rec, "reservation_id"), "placement",
                                    "availability-zone", jx_string(rec, "availability_zone"), "security-groups", "",
                                    "public-keys");
        json_object_set_new(m.ec2_meta_data, "public-hostname", json_string(jx_string(rec, "hostname")));
        ec2_addresses(nics, m.ec2_meta_data);
        if (key_name && key_data)
                json_object_set_new(json_object_get(m.ec2_meta_data, "public-keys"), "0",
                                    json_pack("{s:s}", "openssh-key", key_data));

        if (user_data) {
                size_t cap = strlen(user_data), len = 0;
                m.user_data = xmalloc(cap + 1);
                if (sodium_base642bin((unsigned char *) m.user_data, cap, user_data, strlen(user_data), " \t\r\n",
                                      &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
                        compute_metadata_done(&m);
                        return ctx_error(c, -EINVAL, RES_SERVER, "The user data of server %s is not base64.", id);
                }
                m.user_data_len = len;
        }
        *ret = m;
        return 0;
}

/* Adds a file to the list; the text is owned by texts. */
static void add(StorageFile **files, size_t *n, char ***texts, size_t *n_texts, char *path, char *text, size_t len) {
        *texts = xrealloc(*texts, (*n_texts + 2) * sizeof(char *));
        (*texts)[(*n_texts)++] = path;
        if (text)
                (*texts)[(*n_texts)++] = text;
        *files = xrealloc(*files, (*n + 1) * sizeof(StorageFile));
        (*files)[(*n)++] = (StorageFile) { path, text, len };
}

int compute_metadata_files(const ComputeMetadata *m, StorageFile **ret_files, size_t *ret_n, char ***ret_texts) {
        StorageFile *files = NULL;
        char **texts = NULL;
        size_t n = 0, n_texts = 0;
        char *meta = jx_dump(m->meta_data), *net = jx_dump(m->network_data);

        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                add(&files, &n, &texts, &n_texts, xasprintf("openstack/%s/meta_data.json", versions[i]), xstrdup(meta),
                    strlen(meta));
                add(&files, &n, &texts, &n_texts, xasprintf("openstack/%s/network_data.json", versions[i]),
                    xstrdup(net), strlen(net));
                add(&files, &n, &texts, &n_texts, xasprintf("openstack/%s/vendor_data.json", versions[i]),
                    xstrdup("{}"), 2);
                add(&files, &n, &texts, &n_texts, xasprintf("openstack/%s/vendor_data2.json", versions[i]),
                    xstrdup("{}"), 2);
                if (m->user_data)
                        add(&files, &n, &texts, &n_texts, xasprintf("openstack/%s/user_data", versions[i]),
                            xmemdup(m->user_data, m->user_data_len), m->user_data_len);
        }
        char *ec2 = jx_dump(m->ec2_meta_data);
        add(&files, &n, &texts, &n_texts, xstrdup("ec2/latest/meta-data.json"), ec2, strlen(ec2));
        if (m->user_data)
                add(&files, &n, &texts, &n_texts, xstrdup("ec2/latest/user-data"),
                    xmemdup(m->user_data, m->user_data_len), m->user_data_len);
        free(meta);
        free(net);
        texts = xrealloc(texts, (n_texts + 1) * sizeof(char *));
        texts[n_texts] = NULL;
        *ret_files = files;
        *ret_n = n;
        *ret_texts = texts;
        return 0;
}

int compute_server_metadata(Ctx *c, const char *server_id, ComputeMetadata *ret) {
        _cleanup_json_ json_t *rec = NULL;
        int r = compute_server_load(c, server_id, &rec);
        if (r < 0)
                return r;
        if (streq_ptr(jx_string(rec, "vm_state"), "deleted"))
                return -ENOENT;
        return compute_metadata_build(c, rec, NULL, ret);
}
