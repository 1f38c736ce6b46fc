/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over the key pair parser (src/compute/compute_pubkey.h):
 * the input as an OpenSSH public key line and as a PEM certificate, both
 * as a whole and cut at its first NUL, as the API would see it.  Aborts
 * when a result breaks the header's contract: a success must give a
 * well-formed fingerprint of the right length, a failure a reason and no
 * fingerprint.  Run by tests/fuzz/run; seeds live in
 * tests/fuzz/corpus/fuzz-compute-keys/.
 */
#include <ctype.h>

#include <openssl/err.h>

#include "compute/compute_pubkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _noreturn_ void broken(const char *what, const char *detail) {
        fprintf(stderr, "fuzz-compute-keys: %s (%.200s)\n", what, detail ? detail : "");
        abort();
}

/* "aa:bb:..." of n bytes: lower-case hex pairs joined by colons. */
static void check_fingerprint(const char *fp, size_t n) {
        if (strlen(fp) != n * 3 - 1)
                broken("fingerprint of the wrong length", fp);
        for (size_t i = 0; i < n * 3 - 1; i++) {
                bool colon = i % 3 == 2;
                if (colon ? fp[i] != ':' : !(isdigit((unsigned char) fp[i]) || (fp[i] >= 'a' && fp[i] <= 'f')))
                        broken("fingerprint is not colon-separated lower-case hex", fp);
        }
}

static void check(int r, char *fp, const Error *e, size_t digest_len) {
        if (r == 0) {
                if (!fp)
                        broken("accepted without a fingerprint", NULL);
                check_fingerprint(fp, digest_len);
        } else {
                if (r != -EINVAL)
                        broken("refused with another code than -EINVAL", e->message);
                if (fp)
                        broken("refused but a fingerprint was set", fp);
                if (!e->message[0])
                        broken("refused without a reason", NULL);
        }
        free(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = xmalloc(size + 1);
        memcpy(text, data, size);
        text[size] = '\0';

        char *fp = NULL;
        Error e = {};
        check(compute_pubkey_ssh(text, &fp, &e), fp, &e, 16);
        fp = NULL;
        e = (Error) {};
        check(compute_pubkey_x509(text, &fp, &e), fp, &e, 20);
        /* OpenSSL's error queue is per thread: drained, or it grows with every refused certificate. */
        ERR_clear_error();
        return 0;
}
