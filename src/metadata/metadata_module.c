/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata service's entry in the daemon's module table: its HTTP
 * server from recovery to stop, listeners kept in step with the
 * namespaces the data plane serves (every tick), and the answer to a
 * request: the network it came in on and its source address name a
 * compute port, whose server's metadata (the generator the config drive
 * uses too) is walked by the request's path.
 */
#include "compute/compute_metadata.h"
#include "db/db.h"
#include "engine/module.h"
#include "metadata/metadata.h"
#include "metadata/metadata_server.h"
#include "network/network.h"
#include "util/log.h"

#define SYNC_USEC (1 * 1000000LL)

static MetadataServer *server;

static int answer(const char *network_id, const char *ip, const char *path, char **ret, size_t *ret_len,
                  const char **ret_type) {
        _cleanup_free_ char *server_id = NULL;
        ComputeMetadata m = {};
        Ctx c;
        int r;

        ctx_init(&c, db_thread());
        r = network_port_device_at(&c, network_id, ip, &server_id);
        if (r >= 0)
                r = compute_server_metadata(&c, server_id, &m);
        if (r >= 0) {
                /* The address it asked from is its own: the data plane lets no port use another's. */
                json_object_set_new(m.ec2_meta_data, "local-ipv4", json_string(ip));
                r = metadata_answer(&m, path, ret, ret_len, ret_type);
        }
        if (r < 0 && r != -ENOENT)
                log_warning("metadata", "cannot answer %s for %s on network %s: %s", path, ip, network_id,
                            c.error_message ? c.error_message : strerror(-r));
        compute_metadata_done(&m);
        ctx_done(&c);
        return r;
}

static int module_recover(Ctx *c) {
        return metadata_server_start(answer, 80, &server);
}

static void module_tick(Ctx *c) {
        _cleanup_json_ json_t *list = network_dataplane_metadata_targets();
        size_t n = json_array_size(list), i;
        json_t *v;
        _cleanup_free_ MetadataTarget *targets = xcalloc(n ? n : 1, sizeof(MetadataTarget));
        json_array_foreach(list, i, v) {
                snprintf(targets[i].network_id, sizeof(targets[i].network_id), "%s", jx_string(v, "network_id"));
                snprintf(targets[i].netns, sizeof(targets[i].netns), "%s", jx_string(v, "netns"));
        }
        metadata_server_sync(server, targets, n);
}

static void module_stop(void) {
        server = metadata_server_stop(server);
}

const Module metadata_module = {
        .name = "metadata",
        .recover = module_recover,
        .tick = module_tick,
        .tick_usec = SYNC_USEC,
        .stop = module_stop,
};
