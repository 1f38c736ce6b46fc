/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trees of the metadata service, from one ComputeMetadata (the same
 * the config drive is written from):
 *
 *   /openstack[/]                         the dated versions and "latest"
 *   /openstack/<version>[/]               meta_data.json, network_data.json, user_data, vendor_data*.json
 *   /[<ec2 version>][/]                   the EC2 versions; under one: meta-data/, user-data, dynamic/
 *   /<ec2 version>/meta-data/...          a walk of ec2_meta_data: objects list their keys
 *   /<ec2 version>/dynamic/instance-identity/document
 *
 * Listings end each line with "\n" but the last, and name directories
 * with a trailing "/", as cloud-init expects.  The path comes from the
 * guest: it is split on "/", empty segments ignored, and matched against
 * known names only; nothing of it reaches a file or a format.
 */
#include "metadata/metadata.h"
#include "compute/compute_metadata.h"
#include "util/buf.h"

static const char *const openstack_versions[] = { "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
                                                  "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27",
                                                  "2020-10-14", "latest", NULL };
static const char *const ec2_versions[] = { "1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10",
                                            "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04", "latest", NULL };

#define MAX_SEGMENTS 16

typedef struct Path {
        char *segs[MAX_SEGMENTS];
        size_t n;
        bool trailing_slash;
        char *copy;
} Path;

static void path_done(Path *p) {
        free(p->copy);
}

static int path_split(const char *path, Path *ret) {
        Path p = { .copy = xstrdup(path ? path : "/") };
        char *save = NULL;
        p.trailing_slash = *p.copy && p.copy[strlen(p.copy) - 1] == '/';
        for (char *s = strtok_r(p.copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
                if (p.n == MAX_SEGMENTS) {
                        free(p.copy);
                        return -ENOENT;
                }
                p.segs[p.n++] = s;
        }
        *ret = p;
        return 0;
}

static bool listed(const char *const *list, const char *s) {
        for (size_t i = 0; list[i]; i++)
                if (streq(list[i], s))
                        return true;
        return false;
}

static int text(Buf *b, char **ret, size_t *ret_len, const char **ret_type) {
        /* A listing ends without a newline after its last line. */
        if (b->len && b->data[b->len - 1] == '\n')
                b->data[--b->len] = '\0';
        *ret_len = b->len;
        *ret = b->data ? buf_steal(b) : xstrdup("");
        *ret_type = "text/plain";
        return 0;
}

static int listing(const char *const *names, char **ret, size_t *ret_len, const char **ret_type) {
        Buf b = {};
        for (size_t i = 0; names[i]; i++)
                buf_printf(&b, "%s\n", names[i]);
        return text(&b, ret, ret_len, ret_type);
}

static int document(const json_t *j, char **ret, size_t *ret_len, const char **ret_type) {
        *ret = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        if (!*ret)
                abort(); /* jansson fails only on OOM here */
        *ret_len = strlen(*ret);
        *ret_type = "application/json";
        return 0;
}

static int user_data(const ComputeMetadata *m, char **ret, size_t *ret_len, const char **ret_type) {
        if (!m->user_data)
                return -ENOENT;
        *ret = xmemdup(m->user_data, m->user_data_len);
        *ret_len = m->user_data_len;
        *ret_type = "text/plain";
        return 0;
}

static int openstack(const ComputeMetadata *m, const Path *p, char **ret, size_t *ret_len, const char **ret_type) {
        if (p->n == 1)
                return listing(openstack_versions, ret, ret_len, ret_type);
        if (!listed(openstack_versions, p->segs[1]))
                return -ENOENT;
        if (p->n == 2) {
                const char *with[] = { "meta_data.json", "network_data.json", "user_data", "vendor_data.json",
                                       "vendor_data2.json", NULL };
                const char *without[] = { "meta_data.json", "network_data.json", "vendor_data.json",
                                          "vendor_data2.json", NULL };
                return listing(m->user_data ? with : without, ret, ret_len, ret_type);
        }
        if (p->n > 3)
                return -ENOENT;
        const char *file = p->segs[2];
        if (streq(file, "meta_data.json"))
                return document(m->meta_data, ret, ret_len, ret_type);
        if (streq(file, "network_data.json"))
                return document(m->network_data, ret, ret_len, ret_type);
        if (streq(file, "user_data"))
                return user_data(m, ret, ret_len, ret_type);
        if (streq(file, "vendor_data.json") || streq(file, "vendor_data2.json")) {
                _cleanup_json_ json_t *empty = json_object();
                return document(empty, ret, ret_len, ret_type);
        }
        return -ENOENT;
}

/* EC2's public-keys: "0=name" at the top, "openssh-key" under each index. */
static int ec2_public_keys(const ComputeMetadata *m, const Path *p, size_t at, char **ret, size_t *ret_len,
                           const char **ret_type) {
        const json_t *keys = json_object_get(m->ec2_meta_data, "public-keys");
        const json_t *names = json_object_get(m->meta_data, "public_keys");
        if (p->n == at) {
                Buf b = {};
                const char *idx;
                json_t *v;
                json_object_foreach((json_t *) keys, idx, v) {
                        const char *name = "";
                        const char *k;
                        json_t *unused;
                        json_object_foreach((json_t *) names, k, unused) {
                                name = k; /* one key per server: its name */
                                break;
                        }
                        buf_printf(&b, "%s=%s\n", idx, name);
                }
                return text(&b, ret, ret_len, ret_type);
        }
        const json_t *entry = json_object_get(keys, p->segs[at]);
        if (!entry)
                return -ENOENT;
        if (p->n == at + 1) {
                const char *names1[] = { "openssh-key", NULL };
                return listing(names1, ret, ret_len, ret_type);
        }
        if (p->n == at + 2 && streq(p->segs[at + 1], "openssh-key")) {
                const char *key = jx_string(entry, "openssh-key");
                Buf b = {};
                buf_puts(&b, key ? key : "");
                *ret_len = b.len;
                *ret = b.data ? buf_steal(&b) : xstrdup("");
                *ret_type = "text/plain";
                return 0;
        }
        return -ENOENT;
}

/* The keys of ec2_meta_data from segment start on. */
static int ec2_meta_data(const ComputeMetadata *m, const Path *p, size_t start, char **ret, size_t *ret_len,
                         const char **ret_type) {
        const json_t *node = m->ec2_meta_data;
        for (size_t i = start; i < p->n; i++) {
                if (streq(p->segs[i], "public-keys") && i == start)
                        return ec2_public_keys(m, p, i + 1, ret, ret_len, ret_type);
                if (!json_is_object(node) || !(node = json_object_get(node, p->segs[i])))
                        return -ENOENT;
        }
        if (json_is_object(node)) {
                Buf b = {};
                const char *k;
                json_t *v;
                json_object_foreach((json_t *) node, k, v)
                        buf_printf(&b, "%s%s\n", k, json_is_object(v) ? "/" : "");
                return text(&b, ret, ret_len, ret_type);
        }
        Buf b = {};
        if (json_is_string(node))
                buf_puts(&b, json_string_value(node));
        else if (json_is_integer(node))
                buf_printf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(node));
        *ret_len = b.len;
        *ret = b.data ? buf_steal(&b) : xstrdup("");
        *ret_type = "text/plain";
        return 0;
}

static int ec2_identity(const ComputeMetadata *m, char **ret, size_t *ret_len, const char **ret_type) {
        _cleanup_json_ json_t *doc = json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:s}", "instanceId",
                jx_string(m->ec2_meta_data, "instance-id") ?: "", "imageId", jx_string(m->ec2_meta_data, "ami-id") ?: "",
                "instanceType", jx_string(m->ec2_meta_data, "instance-type") ?: "", "availabilityZone",
                jx_path_string(m->ec2_meta_data, "placement", "availability-zone", NULL) ?: "", "region", "RegionOne",
                "privateIp", jx_string(m->ec2_meta_data, "local-ipv4") ?: "", "kernelId", "ramdiskId", "version",
                "2017-09-30");
        return document(doc, ret, ret_len, ret_type);
}

static int ec2(const ComputeMetadata *m, const Path *p, char **ret, size_t *ret_len, const char **ret_type) {
        if (p->n == 0)
                return listing(ec2_versions, ret, ret_len, ret_type);
        if (!listed(ec2_versions, p->segs[0]))
                return -ENOENT;
        if (p->n == 1) {
                const char *with[] = { "dynamic/", "meta-data/", "user-data", NULL };
                const char *without[] = { "dynamic/", "meta-data/", NULL };
                return listing(m->user_data ? with : without, ret, ret_len, ret_type);
        }
        const char *what = p->segs[1];
        if (streq(what, "user-data"))
                return p->n == 2 ? user_data(m, ret, ret_len, ret_type) : -ENOENT;
        if (streq(what, "meta-data"))
                return ec2_meta_data(m, p, 2, ret, ret_len, ret_type);
        if (streq(what, "dynamic")) {
                if (p->n == 2) {
                        const char *names[] = { "instance-identity/", NULL };
                        return listing(names, ret, ret_len, ret_type);
                }
                if (!streq(p->segs[2], "instance-identity"))
                        return -ENOENT;
                if (p->n == 3) {
                        const char *names[] = { "document", NULL };
                        return listing(names, ret, ret_len, ret_type);
                }
                if (p->n == 4 && streq(p->segs[3], "document"))
                        return ec2_identity(m, ret, ret_len, ret_type);
        }
        return -ENOENT;
}

int metadata_answer(const ComputeMetadata *m, const char *path, char **ret, size_t *ret_len, const char **ret_type) {
        Path p;
        int r = path_split(path, &p);
        if (r < 0)
                return r;
        if (p.n > 0 && streq(p.segs[0], "openstack"))
                r = openstack(m, &p, ret, ret_len, ret_type);
        else
                r = ec2(m, &p, ret, ret_len, ret_type);
        path_done(&p);
        return r;
}
