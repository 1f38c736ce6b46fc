/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server actions that change power and access: reboot, os-stop,
 * os-start, pause, unpause, suspend, resume, lock, unlock, forceDelete,
 * and os-getConsoleOutput.  Each is a ServerAction (which states allow
 * it, its task) run by compute_server_action.
 */
#include "compute/compute_api.h"
#include "util/fileio.h"

#define ALL_STATES (~0u)

static const ServerAction reboot_soft = {
        "reboot", VM_BIT(VM_ACTIVE), TASK_REBOOTING, "compute.server.reboot",
};
static const ServerAction reboot_hard = {
        "reboot", VM_BIT(VM_ACTIVE) | VM_BIT(VM_STOPPED) | VM_BIT(VM_PAUSED) | VM_BIT(VM_SUSPENDED) | VM_BIT(VM_ERROR),
        TASK_REBOOTING_HARD, "compute.server.reboot",
};
static const ServerAction stop = {
        "stop", VM_BIT(VM_ACTIVE) | VM_BIT(VM_RESCUED) | VM_BIT(VM_ERROR), TASK_POWERING_OFF, "compute.server.stop",
};
static const ServerAction start = { "start", VM_BIT(VM_STOPPED), TASK_POWERING_ON, "compute.server.start" };
static const ServerAction pause_action = { "pause", VM_BIT(VM_ACTIVE), TASK_PAUSING, "compute.server.pause" };
static const ServerAction unpause = { "unpause", VM_BIT(VM_PAUSED), TASK_UNPAUSING, "compute.server.unpause" };
static const ServerAction suspend = { "suspend", VM_BIT(VM_ACTIVE), TASK_SUSPENDING, "compute.server.suspend" };
static const ServerAction resume = { "resume", VM_BIT(VM_SUSPENDED), TASK_RESUMING, "compute.server.resume" };
/* Locking changes no state and runs no task; it is allowed in any state, and while work runs. */
static const ServerAction lock = { "lock", ALL_STATES, TASK_NONE, NULL, .any_task_state = true, .ignores_lock = true };
static const ServerAction unlock = { "unlock", ALL_STATES, TASK_NONE, NULL, .any_task_state = true,
                                     .ignores_lock = true };

static int reboot(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        const char *type = jx_string(value, "type");
        bool hard = strcasecmp(type, "HARD") == 0;
        _cleanup_json_ json_t *payload = json_pack("{s:s}", "type", hard ? "HARD" : "SOFT");
        return compute_server_action(c, id, hard ? &reboot_hard : &reboot_soft, NULL, payload);
}

/* The actions that are nothing but their ServerAction. */
#define PLAIN(fn, action)                                                                                       \
        static int fn(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {     \
                return compute_server_action(c, id, &action, NULL, NULL);                                      \
        }
PLAIN(do_stop, stop)
PLAIN(do_start, start)
PLAIN(do_pause, pause_action)
PLAIN(do_unpause, unpause)
PLAIN(do_suspend, suspend)
PLAIN(do_resume, resume)

static int do_lock(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        _cleanup_json_ json_t *patch = json_pack("{s:b, s:s}", "locked", 1, "locked_by",
                                                 c->auth.is_admin ? "admin" : "owner");
        jx_set_string_or_null(patch, "locked_reason", jx_string(value, "locked_reason"));
        return compute_server_action(c, id, &lock, patch, NULL);
}

static int do_unlock(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL, *patch = json_pack("{s:b, s:n, s:n}", "locked", 0, "locked_by",
                                                              "locked_reason");
        int r = compute_server_get(c, id, &rec);
        if (r < 0)
                return r;
        /* What an admin locked, only an admin unlocks. */
        if (streq_ptr(jx_string(rec, "locked_by"), "admin") && !c->auth.is_admin)
                return ctx_error(c, -EACCES, RES_SERVER, "Instance %s is locked by an administrator.", id);
        return compute_server_action(c, id, &unlock, patch, NULL);
}

static int do_force_delete(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        return compute_server_delete(c, id);
}

/* The last lines of the guest's serial console, as its log file holds them. */
static int console_output(Ctx *c, const ApiCall *call, const char *id, const json_t *value, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const json_t *len = json_object_get(value, "length");
        int64_t lines = -1;
        size_t n = 0;
        int r = compute_server_get(c, id, &rec);
        if (r < 0)
                return r;
        if (json_is_integer(len))
                lines = json_integer_value(len);
        else if (json_is_string(len))
                (void) parse_int64(json_string_value(len), -1, INT64_MAX, &lines);
        path = compute_instance_path(id, "console.log");
        /* A log larger than this is cut from the front: the end is what a user wants. */
        r = path ? read_file_tail(path, 1 << 20, &text, &n) : -ENOENT;
        if (r == -ENOENT) {
                text = xstrdup("");
                n = 0;
        } else if (r < 0)
                return ctx_error(c, -EIO, RES_SERVER, "Cannot read the console of server %s: %s.", id, strerror(-r));
        const char *from = text;
        if (lines >= 0) {
                /* Count back from the end; a final newline does not start a line. */
                const char *p = text + n;
                int64_t seen = 0;
                if (p > text && p[-1] == '\n')
                        p--;
                while (p > text && seen < lines) {
                        p--;
                        if (*p == '\n' && ++seen == lines) {
                                p++;
                                break;
                        }
                }
                from = lines == 0 ? text + n : p;
        }
        _cleanup_free_ char *clean = utf8_sanitize(from);
        reply->status = 200;
        reply->body = json_pack("{s:s}", "output", clean);
        return 0;
}

const ServerActionRoute compute_power_actions[] = {
        { "reboot", "compute-action-reboot.json", reboot },
        { "os-stop", "compute-action-stop.json", do_stop },
        { "os-start", "compute-action-start.json", do_start },
        { "pause", "compute-action-pause.json", do_pause },
        { "unpause", "compute-action-unpause.json", do_unpause },
        { "suspend", "compute-action-suspend.json", do_suspend },
        { "resume", "compute-action-resume.json", do_resume },
        { "lock", "compute-action-lock.json", do_lock },
        { "unlock", "compute-action-unlock.json", do_unlock },
        { "forceDelete", "compute-action-force-delete.json", do_force_delete, 202 },
        { "os-getConsoleOutput", "compute-action-console-output.json", console_output, 200 },
        {},
};
