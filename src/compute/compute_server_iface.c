/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A server's interfaces after it was made (Nova's os-interface): attach
 * a port made on a network or the user's own, detach one.  As in Nova
 * the call is synchronous: the port is recorded and made in one
 * transaction, then plugged into the guest (the definition for its next
 * start, the running guest at once); a plug that fails undoes the port.
 * Detaching pulls the NIC out of the guest first, then lets the port go.
 */
#include "compute/compute_internal.h"
#include "util/log.h"

/* The tags of the server's NICs, by port id. */
static int nic_tags(Ctx *c, const char *server_id, json_t **ret) {
        _cleanup_stmt_ DbStmt *s = NULL;
        _cleanup_json_ json_t *tags = json_object();
        int r = db_query(c->db, &s, "SELECT port_id, tag FROM server_nics WHERE server_id = ?", "s", server_id);
        while (r >= 0 && (r = db_step(s)) > 0)
                json_object_set_new(tags, db_col_text(s, 0),
                                    db_col_text(s, 1) ? json_string(db_col_text(s, 1)) : json_null());
        if (r < 0)
                return res_db_error(c, r, RES_SERVER, "reading a server's NICs");
        *ret = TAKE_PTR(tags);
        return 0;
}

int compute_iface_list(Ctx *c, const char *server_id, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL, *nics = NULL, *tags = NULL;
        size_t i;
        json_t *nic;
        int r = compute_server_get(c, server_id, &rec);
        if (r >= 0)
                r = compute_nics_describe(c, server_id, &nics);
        if (r >= 0)
                r = nic_tags(c, server_id, &tags);
        if (r < 0)
                return r;
        json_array_foreach(nics, i, nic)
                json_object_set(nic, "tag", json_object_get(tags, jx_string(nic, "port_id")) ?: json_null());
        *ret = TAKE_PTR(nics);
        return 0;
}

int compute_iface_get(Ctx *c, const char *server_id, const char *port_id, json_t **ret) {
        _cleanup_json_ json_t *nics = NULL;
        size_t i;
        json_t *nic;
        int r = compute_iface_list(c, server_id, &nics);
        if (r < 0)
                return r;
        json_array_foreach(nics, i, nic)
                if (streq_ptr(jx_string(nic, "port_id"), port_id)) {
                        *ret = json_incref(nic);
                        return 0;
                }
        return ctx_error(c, -ENOENT, RES_SERVER, "Port id %s could not be found.", port_id);
}

/*
 * Plugs port_id into the server's guest, or pulls it out: the guest's
 * definition is made again from the server's NICs (which wires the new
 * one first), and the running guest gets or loses the NIC.  Nothing to do
 * for a server with no guest on a host of ours.
 */
static int plug(Ctx *c, const json_t *rec, const json_t *nic, bool in) {
        const char *id = jx_string(rec, "id");
        ComputeHost *h = compute_host_find(jx_string(rec, "host"));
        VirtNic vn = compute_guest_nic(nic);
        Error e = {};
        int r = 0;

        if (!h || compute_guest_power(h, id) == VIRT_POWER_NOSTATE)
                return 0;
        if (!in && (r = virt_plug_nic(&h->virt, id, &vn, false, &e)) < 0)
                return compute_guest_error(c, r, &e, "detach an interface from", id);
        r = compute_guest_define(c, rec, h);
        if (r >= 0 && in && (r = virt_plug_nic(&h->virt, id, &vn, true, &e)) < 0)
                r = compute_guest_error(c, r, &e, "attach an interface to", id);
        return r;
}

typedef struct IfaceChange {
        const json_t *rec;
        NetworkNicDefault how;
        const NetworkNicRequest *rq;
        size_t n;
        const char *action;
        char *port_id;           /* attach: the port made or taken */
} IfaceChange;

static int attach_locked(Ctx *c, void *userdata) {
        IfaceChange *ch = userdata;
        int r = compute_nics_add(c, ch->rec, ch->how, ch->rq, ch->n, &ch->port_id);
        return r < 0 ? r : compute_action_start(c, jx_string(ch->rec, "id"), ch->action);
}

static int detach_locked(Ctx *c, void *userdata) {
        IfaceChange *ch = userdata;
        const char *id = jx_string(ch->rec, "id");
        int r = compute_nics_remove(c, id, ch->port_id);
        if (r == -ENOENT)
                return ctx_error(c, -ENOENT, RES_SERVER, "Port id %s could not be found.", ch->port_id);
        return r < 0 ? r : compute_action_start(c, id, ch->action);
}

static int record_event(Ctx *c, const char *id, const char *event, const char *error) {
        int r = compute_action_event(c, id, event, error ? "Error" : "Success", error);
        if (r < 0)
                ctx_clear_error(c);
        return 0;
}

int compute_iface_attach(Ctx *c, const char *server_id, const NetworkNicRequest *rq, json_t **ret) {
        _cleanup_json_ json_t *rec = NULL, *nic = NULL;
        bool listed = rq->port_id || rq->network_id;
        IfaceChange ch = { .how = listed ? NETWORK_NICS_LISTED : NETWORK_NICS_DEFAULT, .rq = rq, .n = listed,
                           .action = "attach_interface" };
        int r = compute_server_get(c, server_id, &rec);
        if (r >= 0)
                r = compute_server_check_editable(c, rec, "attach_interface", true, true);
        if (r >= 0)
                r = network_nics_check(c, jx_string(rec, "project_id"), ch.how, rq, ch.n, NULL);
        if (r < 0)
                return r;
        ch.rec = rec;
        r = res_transaction(c, "attaching an interface", attach_locked, &ch);
        if (r < 0)
                return r;
        _cleanup_free_ char *port_id = ch.port_id;
        r = compute_iface_get(c, server_id, port_id, &nic);
        if (r >= 0)
                r = plug(c, rec, nic, true);
        if (r < 0) {
                /* Undo: the port goes (or is the user's again), and the guest's definition loses it. */
                _cleanup_free_ char *why = xstrdup(c->error_message ? c->error_message : "attaching failed");
                int code = r;
                ctx_clear_error(c);
                ch.port_id = port_id;
                ch.action = "attach_interface";
                if (res_transaction(c, "undoing an interface attach", detach_locked, &ch) < 0 ||
                    (nic && plug(c, rec, nic, false) < 0))
                        ctx_clear_error(c);
                record_event(c, server_id, "compute_attach_interface", why);
                log_full(LOG_LEVEL_WARNING, "compute", c->request_id, "attaching port %s to server %s failed: %s",
                         port_id, server_id, why);
                return ctx_error(c, code == -EAGAIN ? -EAGAIN : -EIO, RES_SERVER,
                                 "Failed to attach network adapter device to %s", server_id);
        }
        record_event(c, server_id, "compute_attach_interface", NULL);
        log_full(LOG_LEVEL_INFO, "compute", c->request_id, "attached port %s to server %s", port_id, server_id);
        *ret = TAKE_PTR(nic);
        return 0;
}

int compute_iface_detach(Ctx *c, const char *server_id, const char *port_id) {
        _cleanup_json_ json_t *rec = NULL, *nic = NULL;
        IfaceChange ch = { .port_id = (char *) port_id, .action = "detach_interface" };
        int r = compute_server_get(c, server_id, &rec);
        if (r >= 0)
                r = compute_server_check_editable(c, rec, "detach_interface", true, true);
        if (r >= 0)
                r = compute_iface_get(c, server_id, port_id, &nic);
        if (r < 0)
                return r;
        ch.rec = rec;
        /* Out of the running guest first: a port deleted under a running guest would leave its tap dangling. */
        ComputeHost *h = compute_host_find(jx_string(rec, "host"));
        if (h && compute_guest_power(h, server_id) != VIRT_POWER_NOSTATE) {
                VirtNic vn = compute_guest_nic(nic);
                Error e = {};
                if ((r = virt_plug_nic(&h->virt, server_id, &vn, false, &e)) < 0)
                        return compute_guest_error(c, r, &e, "detach an interface from", server_id);
        }
        r = res_transaction(c, "detaching an interface", detach_locked, &ch);
        if (r >= 0 && h && compute_guest_power(h, server_id) != VIRT_POWER_NOSTATE)
                r = compute_guest_define(c, rec, h);
        record_event(c, server_id, "compute_detach_interface", r < 0 ? c->error_message : NULL);
        if (r >= 0)
                log_full(LOG_LEVEL_INFO, "compute", c->request_id, "detached port %s from server %s", port_id, server_id);
        return r;
}
