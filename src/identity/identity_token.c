/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token codec and key repository (see identity_token.h).
 *
 * Wire format, before base64url (no padding):
 *   header  : 'G' version(1) key_id(4)       -- authenticated, not secret
 *   nonce   : 24 random bytes
 *   sealed  : XChaCha20-Poly1305(payload), 16-byte tag
 * payload: flags(1) issued_at(8) expires_at(8) audit(16) parent_audit(16)
 *          then user_id, project_id, domain_id as len(1)+bytes.
 */
#include "identity/identity_token.h"
#include "util/fileio.h"
#include "util/log.h"

#include <dirent.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>

#define TOKEN_VERSION 1
#define HEADER_LEN 6
#define KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MAX_KEYS 100
#define MAX_PAYLOAD 1024

typedef struct TokenKey {
        uint8_t key[KEY_LEN];
        uint32_t id;            /* first 4 bytes of BLAKE2b(key) */
        long number;            /* file name; 0 is the staged key */
} TokenKey;

static struct {
        pthread_rwlock_t lock;
        TokenKey keys[MAX_KEYS];
        size_t n;
        int primary;            /* index of the highest-numbered key */
        char *dir;
        int64_t last_reload;    /* usec; reloads on unknown keys are rate limited */
} repo = { .lock = PTHREAD_RWLOCK_INITIALIZER, .primary = -1 };

static void (*keys_changed_hook)(void);

void token_keys_on_change(void (*fn)(void)) {
        keys_changed_hook = fn;
}

void token_payload_done(TokenPayload *p) {
        free(p->user_id);
        free(p->project_id);
        free(p->domain_id);
        *p = (TokenPayload) {};
}

void token_audit_id_new(char out[static TOKEN_AUDIT_ID_LEN + 1]) {
        uint8_t raw[16];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(out, TOKEN_AUDIT_ID_LEN + 1, raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static char *key_dir(const char *state_dir) {
        return xasprintf("%s/keys/token", state_dir);
}

static uint32_t key_id(const uint8_t key[KEY_LEN]) {
        uint8_t h[crypto_generichash_BYTES];
        crypto_generichash(h, sizeof(h), key, KEY_LEN, NULL, 0);
        return (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 | (uint32_t) h[2] << 8 | h[3];
}

static int key_read(const char *path, uint8_t key[KEY_LEN]) {
        _cleanup_free_ char *text = NULL;
        size_t len, bin_len;
        int r = read_file(path, 1024, &text, &len);
        if (r < 0)
                return r;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                text[--len] = '\0';
        if (sodium_base642bin(key, KEY_LEN, text, len, NULL, &bin_len, NULL,
                              sodium_base64_VARIANT_URLSAFE) != 0 ||
            bin_len != KEY_LEN)
                return -EINVAL;
        return 0;
}

static int key_write_new(const char *path) {
        uint8_t key[KEY_LEN];
        char text[sodium_base64_ENCODED_LEN(KEY_LEN, sodium_base64_VARIANT_URLSAFE) + 1];
        crypto_aead_xchacha20poly1305_ietf_keygen(key);
        sodium_bin2base64(text, sizeof(text) - 1, key, KEY_LEN, sodium_base64_VARIANT_URLSAFE);
        sodium_memzero(key, sizeof(key));
        size_t n = strlen(text);
        text[n] = '\n';
        return write_file_atomic(path, text, n + 1, 0600);
}

/* Reads the numbered key files of dir into keys (sorted by number). */
static int keys_scan(const char *dir, TokenKey *keys, size_t *ret_n) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;
        int r = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d)) && n < MAX_KEYS) {
                int64_t num;
                if (parse_int64(de->d_name, 0, 1000000000, &num) < 0)
                        continue;
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
                r = key_read(path, keys[n].key);
                if (r < 0) {
                        log_error("identity", "token key %s is unreadable or malformed", path);
                        break;
                }
                keys[n].number = (long) num;
                keys[n].id = key_id(keys[n].key);
                n++;
        }
        closedir(d);
        if (r < 0)
                return r;
        /* Insertion sort by number: at most a handful of keys. */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && keys[j - 1].number > keys[j].number; j--) {
                        TokenKey t = keys[j];
                        keys[j] = keys[j - 1];
                        keys[j - 1] = t;
                }
        *ret_n = n;
        return 0;
}

static int repo_reload_locked(void) {
        TokenKey keys[MAX_KEYS];
        size_t n = 0;
        int r = keys_scan(repo.dir, keys, &n);
        if (r < 0)
                return r;
        if (n < 1 || keys[n - 1].number == 0) {
                log_error("identity", "no primary token key in %s; run 'gureum init'", repo.dir);
                return -ENOENT;
        }
        memcpy(repo.keys, keys, sizeof(TokenKey) * n);
        repo.n = n;
        repo.primary = (int) n - 1;
        repo.last_reload = now_usec();
        sodium_memzero(keys, sizeof(keys));
        /* A dropped key must take its tokens with it, cached validations included. */
        if (keys_changed_hook)
                keys_changed_hook();
        return 0;
}

int token_keys_load(const char *state_dir) {
        if (sodium_init() < 0)
                return -EIO;
        pthread_rwlock_wrlock(&repo.lock);
        char *old = repo.dir;
        repo.dir = key_dir(state_dir);
        int r = repo_reload_locked();
        if (r < 0) {
                /* Keep the repository that the loaded keys came from. */
                free(repo.dir);
                repo.dir = old;
        } else
                free(old);
        pthread_rwlock_unlock(&repo.lock);
        return r;
}

int token_keys_init(const char *state_dir) {
        _cleanup_free_ char *dir = key_dir(state_dir);
        _cleanup_free_ char *staged = xasprintf("%s/0", dir);
        _cleanup_free_ char *primary = xasprintf("%s/1", dir);
        TokenKey keys[MAX_KEYS];
        size_t n = 0;
        int r;

        if (sodium_init() < 0)
                return -EIO;
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;
        r = keys_scan(dir, keys, &n);
        if (r < 0)
                return r;
        sodium_memzero(keys, sizeof(keys));
        if (n > 0)
                return 0; /* already there: never replace keys that issued tokens */
        r = key_write_new(staged);
        if (r < 0)
                return r;
        return key_write_new(primary);
}

int token_keys_rotate(const char *state_dir, int64_t max_active_keys) {
        _cleanup_free_ char *dir = key_dir(state_dir);
        _cleanup_free_ char *staged = xasprintf("%s/0", dir);
        TokenKey keys[MAX_KEYS];
        size_t n = 0;
        int r;

        if (sodium_init() < 0)
                return -EIO;
        r = keys_scan(dir, keys, &n);
        if (r < 0)
                return r;
        /* Only the file numbers are needed from here on; forget the secrets. */
        long numbers[MAX_KEYS];
        for (size_t i = 0; i < n; i++)
                numbers[i] = keys[i].number;
        sodium_memzero(keys, sizeof(keys));
        if (n == 0 || numbers[0] != 0)
                return -ENOENT;
        /* Promote the staged key; every daemon may already know it. */
        _cleanup_free_ char *promoted = xasprintf("%s/%ld", dir, numbers[n - 1] + 1);
        if (rename(staged, promoted) < 0)
                return -errno;
        r = key_write_new(staged);
        if (r < 0)
                return r;
        /* Now n+1 keys; drop the oldest secondaries beyond the limit. */
        size_t total = n + 1;
        for (size_t i = 1; total > (size_t) max_active_keys && i < n; i++, total--) {
                _cleanup_free_ char *old = xasprintf("%s/%ld", dir, numbers[i]);
                if (unlink(old) < 0)
                        return -errno;
        }
        return 0;
}

static void put64(uint8_t *p, int64_t v) {
        for (int i = 7; i >= 0; i--, v >>= 8)
                p[i] = (uint8_t) (v & 0xff);
}

static int64_t get64(const uint8_t *p) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v = v << 8 | p[i];
        return (int64_t) v;
}

static int put_str(uint8_t *buf, size_t *off, const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n > 255 || *off + 1 + n > MAX_PAYLOAD)
                return -EINVAL;
        buf[(*off)++] = (uint8_t) n;
        memcpy(buf + *off, s ? s : "", n);
        *off += n;
        return 0;
}

static int get_str(const uint8_t *buf, size_t len, size_t *off, char **ret) {
        if (*off >= len)
                return -EPERM;
        size_t n = buf[(*off)++];
        if (*off + n > len || memchr(buf + *off, 0, n))
                return -EPERM;
        *ret = n ? xstrndup((const char *) buf + *off, n) : NULL;
        *off += n;
        return 0;
}

static int audit_put(uint8_t out[16], const char *audit) {
        size_t n;
        memset(out, 0, 16);
        if (!*audit)
                return 0;
        if (sodium_base642bin(out, 16, audit, strlen(audit), NULL, &n, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != 16)
                return -EINVAL;
        return 0;
}

static void audit_get(const uint8_t in[16], char out[static TOKEN_AUDIT_ID_LEN + 1]) {
        static const uint8_t zero[16];
        if (memcmp(in, zero, 16) == 0) {
                out[0] = '\0';
                return;
        }
        sodium_bin2base64(out, TOKEN_AUDIT_ID_LEN + 1, in, 16, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int token_encode(const TokenPayload *p, char **ret) {
        uint8_t plain[MAX_PAYLOAD], wire[HEADER_LEN + NONCE_LEN + MAX_PAYLOAD + TAG_LEN];
        size_t off = 0;
        unsigned long long sealed_len;
        int r;

        if (isempty(p->user_id))
                return -EINVAL; /* a token for nobody could never be decoded */
        plain[off++] = (uint8_t) (p->methods | (p->system ? 0x80 : 0));
        put64(plain + off, p->issued_at);
        off += 8;
        put64(plain + off, p->expires_at);
        off += 8;
        if (audit_put(plain + off, p->audit_id) < 0 || audit_put(plain + off + 16, p->parent_audit_id) < 0)
                return -EINVAL;
        off += 32;
        if ((r = put_str(plain, &off, p->user_id)) < 0 || (r = put_str(plain, &off, p->project_id)) < 0 ||
            (r = put_str(plain, &off, p->domain_id)) < 0)
                return r;

        pthread_rwlock_rdlock(&repo.lock);
        if (repo.primary < 0) {
                pthread_rwlock_unlock(&repo.lock);
                return -ENOENT;
        }
        const TokenKey *k = &repo.keys[repo.primary];
        wire[0] = 'G';
        wire[1] = TOKEN_VERSION;
        wire[2] = (uint8_t) (k->id >> 24);
        wire[3] = (uint8_t) (k->id >> 16);
        wire[4] = (uint8_t) (k->id >> 8);
        wire[5] = (uint8_t) k->id;
        randombytes_buf(wire + HEADER_LEN, NONCE_LEN);
        crypto_aead_xchacha20poly1305_ietf_encrypt(wire + HEADER_LEN + NONCE_LEN, &sealed_len, plain, off, wire,
                                                   HEADER_LEN, NULL, wire + HEADER_LEN, k->key);
        pthread_rwlock_unlock(&repo.lock);
        sodium_memzero(plain, sizeof(plain));

        size_t wire_len = HEADER_LEN + NONCE_LEN + (size_t) sealed_len;
        size_t out_len = sodium_base64_ENCODED_LEN(wire_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        char *out = xmalloc(out_len);
        sodium_bin2base64(out, out_len, wire, wire_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        *ret = out;
        return 0;
}

/* Decrypts with the key named in the header; -ENOKEY if we do not have it. */
static int open_sealed(const uint8_t *wire, size_t wire_len, uint8_t *plain, unsigned long long *plain_len) {
        uint32_t id = (uint32_t) wire[2] << 24 | (uint32_t) wire[3] << 16 | (uint32_t) wire[4] << 8 | wire[5];
        int r = -ENOKEY;

        pthread_rwlock_rdlock(&repo.lock);
        for (size_t i = 0; i < repo.n; i++) {
                if (repo.keys[i].id != id)
                        continue;
                r = crypto_aead_xchacha20poly1305_ietf_decrypt(
                            plain, plain_len, NULL, wire + HEADER_LEN + NONCE_LEN,
                            wire_len - HEADER_LEN - NONCE_LEN, wire, HEADER_LEN, wire + HEADER_LEN,
                            repo.keys[i].key) == 0
                        ? 0
                        : -EPERM;
                break;
        }
        pthread_rwlock_unlock(&repo.lock);
        return r;
}

int token_decode(const char *token, TokenPayload *ret) {
        uint8_t wire[HEADER_LEN + NONCE_LEN + MAX_PAYLOAD + TAG_LEN], plain[MAX_PAYLOAD];
        size_t wire_len, off = 0, tlen = strlen(token);
        unsigned long long plain_len;
        TokenPayload p = {};
        int r;

        if (tlen > sodium_base64_ENCODED_LEN(sizeof(wire), sodium_base64_VARIANT_URLSAFE_NO_PADDING))
                return -EPERM;
        if (sodium_base642bin(wire, sizeof(wire), token, tlen, NULL, &wire_len, NULL,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
                return -EPERM;
        if (wire_len < HEADER_LEN + NONCE_LEN + TAG_LEN + 1 || wire[0] != 'G' || wire[1] != TOKEN_VERSION)
                return -EPERM;
        r = open_sealed(wire, wire_len, plain, &plain_len);
        if (r == -ENOKEY) {
                /* Maybe another process rotated keys: look again, at most once a second. */
                pthread_rwlock_wrlock(&repo.lock);
                if (repo.dir && now_usec() - repo.last_reload > 1000000)
                        (void) repo_reload_locked();
                pthread_rwlock_unlock(&repo.lock);
                r = open_sealed(wire, wire_len, plain, &plain_len);
        }
        if (r < 0)
                return -EPERM;
        if (plain_len < 1 + 16 + 32)
                return -EPERM;
        p.methods = plain[off] & 0x7f;
        p.system = plain[off] & 0x80;
        off++;
        p.issued_at = get64(plain + off);
        p.expires_at = get64(plain + off + 8);
        off += 16;
        audit_get(plain + off, p.audit_id);
        audit_get(plain + off + 16, p.parent_audit_id);
        off += 32;
        if (get_str(plain, plain_len, &off, &p.user_id) < 0 || get_str(plain, plain_len, &off, &p.project_id) < 0 ||
            get_str(plain, plain_len, &off, &p.domain_id) < 0 || off != plain_len || !p.user_id) {
                token_payload_done(&p);
                return -EPERM;
        }
        *ret = p;
        return 0;
}
