/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading the root namespace's filter ruleset (net_linux.h): whole, or
 * only what changed.  Replacing both tables whole is always right, but
 * costs time in proportion to every port on the host (about a second for
 * a thousand ports with five rules each on a busy two-core machine), so
 * adding one port would cost as much as loading them all.  Instead the
 * driver remembers the ruleset it last loaded (as the model of
 * net_nft_filter_model) together with the kernel's nftables generation
 * right after that load, and next time loads only the difference
 * (net_nft_filter_delta: one transaction).
 *
 * The generation is what makes that safe: the kernel counts every
 * committed nftables transaction in the namespace, whoever commits it.
 * If it is still the number we saw after our own load, nobody has
 * touched any table since, so the kernel holds exactly what we remember;
 * if not (a table flushed or deleted by hand, or just another program's
 * rules), the tables are replaced whole.  A delta the kernel refuses falls
 * back to the whole script too.
 *
 * When the driver is closed, what was loaded is kept in the state
 * directory (the state as JSON, and the generation, boot id and namespace
 * it was loaded into, and a hash of its whole script), so a new process
 * (a restarted gureumd, net-tool) can go on with deltas.  A stale or
 * foreign file (or none, after a crash) only costs a whole load.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "net/net_json.h"
#include "net/net_linux.h"
#include "util/fileio.h"
#include "util/jx.h"

#define FILTER_STATE "filter.json"
#define FILTER_META "filter.meta"

/* What identifies the kernel namespace a generation number belongs to. */
static void kernel_id(char buf[static 128]) {
        _cleanup_free_ char *boot = NULL;
        size_t len;
        struct stat st = {};
        if (read_file("/proc/sys/kernel/random/boot_id", 64, &boot, &len) < 0)
                boot = xstrdup("?");
        boot[strcspn(boot, "\n")] = '\0';
        (void) stat("/proc/self/ns/net", &st);
        snprintf(buf, 128, "%s/%llu", boot, (unsigned long long) st.st_ino);
}

static uint64_t script_hash(const NetNames *n, const NftFilter *f) {
        Buf b = {};
        net_nft_filter_script(n, f, &b);
        uint64_t h = hash_fnv1a(b.data ? b.data : "");
        buf_done(&b);
        return h;
}

/* A cache file: written whole and renamed, not synced (losing it costs one whole load). */
static void cache_write(const char *dir, const char *name, const char *data, size_t len) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name), *tmp = xasprintf("%s/.%s.tmp", dir, name);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0 || write_all(fd, data, len) < 0 || rename(tmp, path) < 0)
                (void) unlink(tmp);
}

static void files_forget(const char *dir) {
        if (!dir)
                return;
        _cleanup_free_ char *a = xasprintf("%s/" FILTER_STATE, dir), *b = xasprintf("%s/" FILTER_META, dir);
        (void) unlink(a);
        (void) unlink(b);
}

static void files_save(NetDriver *d, json_t *state, const NftFilter *f, uint32_t genid) {
        const char *dir = d->cfg.state_dir;
        char kid[128];
        if (!dir)
                return;
        files_forget(dir);
        _cleanup_free_ char *text = json_dumps(state, JSON_COMPACT);
        if (!text)
                return;
        cache_write(dir, FILTER_STATE, text, strlen(text));
        kernel_id(kid);
        _cleanup_free_ char *meta = xasprintf("%u %s %016llx\n", genid, kid,
                                              (unsigned long long) script_hash(&d->cfg.names, f));
        cache_write(dir, FILTER_META, meta, strlen(meta));
}

/* The model of the files, if they describe what generation genid of this namespace holds. */
static NftFilter *files_load(NetDriver *d, uint32_t genid) {
        const char *dir = d->cfg.state_dir;
        _cleanup_free_ char *mpath = NULL, *spath = NULL, *meta = NULL, *text = NULL;
        _cleanup_net_state_doc_ NetStateDoc *doc = NULL;
        NftFilter *f = NULL;
        char kid[128], want[200];
        size_t len;

        if (!dir)
                return NULL;
        mpath = xasprintf("%s/" FILTER_META, dir);
        spath = xasprintf("%s/" FILTER_STATE, dir);
        if (read_file(mpath, 4096, &meta, &len) < 0)
                return NULL;
        kernel_id(kid);
        snprintf(want, sizeof(want), "%u %s ", genid, kid);
        if (!startswith(meta, want))
                return NULL;
        if (read_file(spath, 1 << 30, &text, &len) < 0 || net_state_parse(text, len, &doc, NULL) < 0)
                return NULL;
        if (net_nft_filter_model(&d->cfg.names, &doc->state, &f, NULL) < 0)
                return NULL;
        /* Built by this very code: the same script, hash for hash, or nothing is known. */
        char hash[32];
        snprintf(hash, sizeof(hash), "%016llx\n", (unsigned long long) script_hash(&d->cfg.names, f));
        if (!streq(meta + strlen(want), hash))
                return net_nft_filter_free(f);
        return f;
}

static int nft_load(const Buf *script, Error *e) {
        const char *argv[] = { "nft", "-f", "-", NULL };
        return net_run(argv, script->data, script->len, e);
}

int net_filter_apply(NetDriver *d, NetFilterMemo *m, const NetState *state, NftFilter *f, Error *e) {
        const NetNames *n = &d->cfg.names;
        uint32_t before = 0, after = 0;
        bool known = net_nft_genid(&before) == 0;
        Buf script = {};
        int r = -EAGAIN;

        if (known && !(m->loaded && m->genid == before)) {
                m->loaded = net_nft_filter_free(m->loaded);
                m->loaded = files_load(d, before);
                m->genid = before;
        }
        if (known && m->loaded) {
                net_nft_filter_delta(n, m->loaded, f, &script);
                if (script.len == 0) {
                        /* Nothing to change: the kernel holds it already. */
                        buf_done(&script);
                        net_nft_filter_free(m->loaded);
                        m->loaded = f;
                        if (m->state) {
                                json_decref(m->state);
                                m->state = net_state_to_json(state);
                        }
                        return 0;
                }
                Error ignored = {};
                r = nft_load(&script, &ignored);
                buf_done(&script);
        }
        if (r < 0) {
                /* No memory, a changed generation, or a delta refused: both tables whole. */
                net_nft_filter_script(n, f, &script);
                r = nft_load(&script, e);
                buf_done(&script);
        }
        m->loaded = net_nft_filter_free(m->loaded);
        if (r < 0) {
                files_forget(d->cfg.state_dir);
                net_nft_filter_free(f);
                return r;
        }
        /* Ours was the only commit since we looked: the kernel holds exactly f. */
        files_forget(d->cfg.state_dir);
        json_decref(m->state);
        m->state = NULL;
        if (known && net_nft_genid(&after) == 0 && after == before + 1) {
                m->loaded = f;
                m->genid = after;
                m->state = net_state_to_json(state);
        } else
                net_nft_filter_free(f);
        return 0;
}

void net_filter_save(NetDriver *d, NetFilterMemo *m) {
        uint32_t now;
        /* Only while the kernel still holds what we loaded last; otherwise a new process starts whole. */
        if (m->loaded && m->state && net_nft_genid(&now) == 0 && now == m->genid)
                files_save(d, m->state, m->loaded, now);
}

void net_filter_memo_done(NetFilterMemo *m) {
        m->loaded = net_nft_filter_free(m->loaded);
        if (m->state)
                json_decref(m->state);
        m->state = NULL;
        m->genid = 0;
}

void net_filter_forget(NetDriver *d, NetFilterMemo *m) {
        net_filter_memo_done(m);
        files_forget(d->cfg.state_dir);
}
