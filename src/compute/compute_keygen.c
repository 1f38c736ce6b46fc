/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key pairs the service generates for a user who sends no public key
 * (POST /os-keypairs with a name only, before 2.92): an RSA 2048 key by
 * ssh-keygen, its private half in PKCS#1 PEM ("BEGIN RSA PRIVATE KEY",
 * what tempest and paramiko load), or a self-signed x509 certificate by
 * openssl with the key and certificate as a base64 PKCS#12 bundle, as
 * Nova's generate_winrm_x509_cert makes them.  The tools write into a
 * private directory (0700, under the state directory) that is removed
 * before returning; the private key is handed back once and never stored.
 */
#include "compute/compute_internal.h"
#include "compute/compute_pubkey.h"
#include "util/exec.h"
#include "util/fileio.h"

#include <sodium.h>

/* Generating a 2048-bit key takes well under a second; a loaded 2-core machine may need more. */
#define KEYGEN_TIMEOUT_USEC (60 * 1000000LL)

/* A new private directory for the tools' files; caller removes it. */
static int keygen_dir(Ctx *c, char **ret) {
        _cleanup_free_ char *tmpl = config_state_path(compute.cfg, "keygen-XXXXXX");
        if (!mkdtemp(tmpl))
                return ctx_error(c, -errno, RES_KEYPAIR, "Cannot create a directory to generate a key pair in: %s.",
                                 strerror(errno));
        *ret = TAKE_PTR(tmpl);
        return 0;
}

static int run_tool(Ctx *c, const char *const *argv) {
        Error e = {};
        ExecResult res = {};
        int r = exec_run(argv, KEYGEN_TIMEOUT_USEC, &res, &e);
        exec_result_done(&res);
        if (r < 0)
                return ctx_error(c, r == -ETIMEDOUT ? r : -EIO, RES_KEYPAIR, "%s could not generate a key pair: %s",
                                 argv[0], e.message);
        return 0;
}

static int read_text(Ctx *c, const char *dir, const char *name, char **ret, size_t *ret_len) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        int r = read_file(path, 1 << 20, ret, ret_len);
        if (r < 0)
                return ctx_error(c, -EIO, RES_KEYPAIR, "Cannot read the generated key %s: %s.", name, strerror(-r));
        return 0;
}

typedef struct KeygenOut {
        char *private_key, *public_key, *fingerprint;
} KeygenOut;

static int keygen_ssh_in(Ctx *c, const char *dir, const char *comment, KeygenOut *out) {
        _cleanup_free_ char *key = xasprintf("%s/key", dir);
        const char *argv[] = { "ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", comment,
                               "-f", key, NULL };
        size_t n = 0;
        Error e = {};
        int r = run_tool(c, argv);
        if (r >= 0)
                r = read_text(c, dir, "key", &out->private_key, &n);
        if (r >= 0)
                r = read_text(c, dir, "key.pub", &out->public_key, &n);
        if (r < 0)
                return r;
        out->public_key[strcspn(out->public_key, "\r\n")] = '\0';
        if (compute_pubkey_ssh(out->public_key, &out->fingerprint, &e) < 0)
                return ctx_error(c, -EIO, RES_KEYPAIR, "ssh-keygen made a key gureum cannot read: %s.", e.message);
        return 0;
}

static int keygen_x509_in(Ctx *c, const char *dir, const char *user_id, KeygenOut *out) {
        _cleanup_free_ char *key = xasprintf("%s/key.pem", dir), *cert = xasprintf("%s/cert.pem", dir);
        _cleanup_free_ char *p12 = xasprintf("%s/key.p12", dir), *subject = xasprintf("/CN=%s", user_id);
        _cleanup_free_ char *san = xasprintf("subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:%s@localhost",
                                             user_id);
        _cleanup_free_ char *bundle = NULL;
        const char *req[] = { "openssl", "req", "-x509", "-nodes", "-days", "3650", "-newkey", "rsa:2048", "-keyout",
                              key, "-out", cert, "-outform", "PEM", "-subj", subject, "-addext",
                              "extendedKeyUsage=clientAuth", "-addext", san, NULL };
        const char *export[] = { "openssl", "pkcs12", "-export", "-inkey", key, "-in", cert, "-passout", "pass:",
                                 "-out", p12, NULL };
        size_t n = 0, cert_len = 0;
        Error e = {};
        int r = run_tool(c, req);
        if (r >= 0)
                r = run_tool(c, export);
        if (r >= 0)
                r = read_text(c, dir, "cert.pem", &out->public_key, &cert_len);
        if (r >= 0)
                r = read_text(c, dir, "key.p12", &bundle, &n);
        if (r < 0)
                return r;
        size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
        out->private_key = xmalloc(b64);
        sodium_bin2base64(out->private_key, b64, (const unsigned char *) bundle, n, sodium_base64_VARIANT_ORIGINAL);
        sodium_memzero(bundle, n);
        if (compute_pubkey_x509(out->public_key, &out->fingerprint, &e) < 0)
                return ctx_error(c, -EIO, RES_KEYPAIR, "openssl made a certificate gureum cannot read: %s.", e.message);
        return 0;
}

static void keygen_out_done(KeygenOut *o) {
        if (o->private_key)
                sodium_memzero(o->private_key, strlen(o->private_key));
        free(o->private_key);
        free(o->public_key);
        free(o->fingerprint);
        *o = (KeygenOut) {};
}

int compute_keygen(Ctx *c, const char *type, const char *name, const char *user_id, char **ret_private,
                   char **ret_public, char **ret_fingerprint) {
        _cleanup_free_ char *dir = NULL;
        KeygenOut out = {};
        int r = keygen_dir(c, &dir);
        if (r < 0)
                return r;
        r = streq(type, "x509") ? keygen_x509_in(c, dir, user_id, &out) : keygen_ssh_in(c, dir, name, &out);
        /* The private key must not outlive the request on disk, whatever happened. */
        int k = rm_rf(dir);
        if (r >= 0 && k < 0)
                r = ctx_error(c, -EIO, RES_KEYPAIR, "Cannot remove the directory a key pair was generated in: %s.",
                              strerror(-k));
        if (r < 0) {
                keygen_out_done(&out);
                return r;
        }
        *ret_private = TAKE_PTR(out.private_key);
        *ret_public = TAKE_PTR(out.public_key);
        *ret_fingerprint = TAKE_PTR(out.fingerprint);
        return 0;
}
