/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Public key checks and fingerprints (see compute_pubkey.h).  An OpenSSH
 * line is "<type> <base64 blob>[ comment]"; the blob is a sequence of
 * length-prefixed strings (RFC 4251 section 5): the type again, then the
 * key's fields, and nothing after them.  Each field is checked as the
 * Python cryptography loader Nova calls checks it (RSA's e and n, the
 * size of an Ed25519 key, an ECDSA point on its curve), so what Nova
 * refuses is refused here.  Certificates are parsed by OpenSSL.
 */
#include "compute/compute_pubkey.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* The largest RSA modulus OpenSSL will use (OPENSSL_RSA_MAX_MODULUS_BITS), in bytes. */
#define RSA_MAX_BYTES (16384 / 8)

/* "aa:bb:..." of n bytes; a new string. */
static char *colon_hex(const unsigned char *d, size_t n) {
        static const char digits[] = "0123456789abcdef";
        char *s = xmalloc(n * 3 + 1);
        for (size_t i = 0; i < n; i++) {
                s[3 * i] = digits[d[i] >> 4];
                s[3 * i + 1] = digits[d[i] & 15];
                s[3 * i + 2] = ':';
        }
        s[n ? n * 3 - 1 : 0] = '\0';
        return s;
}

static int b64_value(char ch) {
        if (ch >= 'A' && ch <= 'Z')
                return ch - 'A';
        if (ch >= 'a' && ch <= 'z')
                return ch - 'a' + 26;
        if (ch >= '0' && ch <= '9')
                return ch - '0' + 52;
        if (ch == '+')
                return 62;
        if (ch == '/')
                return 63;
        return -1;
}

/*
 * Decodes standard base64 with its padding, strictly: only the alphabet,
 * '=' only at the end, a length that is a multiple of four.  Returns the
 * decoded length, or -1.  out must hold n / 4 * 3 bytes.
 */
static ssize_t b64_decode(const char *in, size_t n, unsigned char *out) {
        size_t pad = 0, o = 0;
        if (n == 0 || n % 4 != 0)
                return -1;
        if (in[n - 1] == '=')
                pad = in[n - 2] == '=' ? 2 : 1;
        for (size_t i = 0; i < n; i += 4) {
                int v[4];
                for (size_t k = 0; k < 4; k++) {
                        bool is_pad = i + k >= n - pad;
                        v[k] = is_pad ? 0 : b64_value(in[i + k]);
                        if (v[k] < 0 || (is_pad && in[i + k] != '='))
                                return -1;
                }
                uint32_t w = (uint32_t) v[0] << 18 | (uint32_t) v[1] << 12 | (uint32_t) v[2] << 6 | (uint32_t) v[3];
                out[o++] = (unsigned char) (w >> 16);
                out[o++] = (unsigned char) (w >> 8);
                out[o++] = (unsigned char) w;
        }
        return (ssize_t) (o - pad);
}

/* A cursor over the blob's length-prefixed strings. */
typedef struct Blob {
        const unsigned char *p;
        size_t left;
} Blob;

/* The next string of b; false if the blob ends before it does. */
static bool blob_string(Blob *b, const unsigned char **ret, size_t *ret_len) {
        if (b->left < 4)
                return false;
        size_t n = (size_t) b->p[0] << 24 | (size_t) b->p[1] << 16 | (size_t) b->p[2] << 8 | (size_t) b->p[3];
        if (n > b->left - 4)
                return false;
        *ret = b->p + 4;
        *ret_len = n;
        b->p += 4 + n;
        b->left -= 4 + n;
        return true;
}

static bool blob_string_is(Blob *b, const char *want) {
        const unsigned char *s;
        size_t n;
        return blob_string(b, &s, &n) && n == strlen(want) && memcmp(s, want, n) == 0;
}

/* An mpint (RFC 4251): two's complement, so a first byte over 0x7f would be negative. */
static BIGNUM *blob_mpint(Blob *b, size_t max_bytes) {
        const unsigned char *s;
        size_t n;
        if (!blob_string(b, &s, &n) || n > max_bytes || (n > 0 && s[0] > 0x7f))
                return NULL;
        return BN_bin2bn(s, (int) n, NULL);
}

/* ssh-rsa: e and n, with cryptography's rules: n >= 3, 3 <= e < n, e odd. */
static int check_rsa(Blob *b, Error *e) {
        BIGNUM *pe = blob_mpint(b, RSA_MAX_BYTES + 1), *pn = pe ? blob_mpint(b, RSA_MAX_BYTES + 1) : NULL;
        int r = 0;
        if (!pe || !pn)
                r = error_set(e, -EINVAL, "the RSA key's exponent or modulus is malformed");
        else if (BN_num_bits(pn) < 2 || BN_cmp(pe, pn) >= 0 || BN_num_bits(pe) < 2 || !BN_is_odd(pe))
                r = error_set(e, -EINVAL, "the RSA key's exponent or modulus is out of range");
        BN_free(pe);
        BN_free(pn);
        return r;
}

static int check_ed25519(Blob *b, Error *e) {
        const unsigned char *s;
        size_t n;
        if (!blob_string(b, &s, &n) || n != 32)
                return error_set(e, -EINVAL, "an Ed25519 key is 32 bytes");
        return 0;
}

/* ecdsa-sha2-<curve>: the curve's name again and an uncompressed point on it. */
static int check_ecdsa(Blob *b, const char *curve, int nid, Error *e) {
        const unsigned char *s;
        size_t n;
        int r = 0;
        if (!blob_string_is(b, curve))
                return error_set(e, -EINVAL, "the ECDSA key names another curve than its type");
        if (!blob_string(b, &s, &n) || n < 1 || s[0] != 4)
                return error_set(e, -EINVAL, "the ECDSA key's point is not an uncompressed point");
        EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
        EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
        if (!pt)
                r = error_set(e, -ENOMEM, "OpenSSL could not set up the curve %s", curve);
        else if (EC_POINT_oct2point(g, pt, s, n, NULL) != 1 || EC_POINT_is_on_curve(g, pt, NULL) != 1 ||
                 EC_POINT_is_at_infinity(g, pt))
                r = error_set(e, -EINVAL, "the ECDSA key's point is not on the curve %s", curve);
        EC_POINT_free(pt);
        EC_GROUP_free(g);
        ERR_clear_error(); /* what OpenSSL queued about a bad point: reported above */
        return r;
}

static const struct {
        const char *type;
        const char *curve;       /* ECDSA's curve name in the blob, or NULL */
        int nid;
} key_types[] = {
        { "ssh-rsa", NULL, 0 },
        { "ssh-ed25519", NULL, 0 },
        { "ecdsa-sha2-nistp256", "nistp256", NID_X9_62_prime256v1 },
        { "ecdsa-sha2-nistp384", "nistp384", NID_secp384r1 },
        { "ecdsa-sha2-nistp521", "nistp521", NID_secp521r1 },
};

int compute_pubkey_ssh(const char *line, char **ret_fingerprint, Error *e) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int dn = 0;
        size_t tn, bn;
        size_t k;
        int r;

        if (strlen(line) > COMPUTE_PUBKEY_MAX)
                return error_set(e, -EINVAL, "the key is longer than %d bytes", COMPUTE_PUBKEY_MAX);
        /* "<type>[ \t]+<blob>", as cryptography's loader reads it: no leading white space. */
        tn = strcspn(line, " \t\r\n");
        const char *blob_text = line + tn + strspn(line + tn, " \t");
        if (tn == 0 || blob_text == line + tn)
                return error_set(e, -EINVAL, "a key is its type, a space and its base64 data");
        bn = strcspn(blob_text, " \t\r\n");
        for (k = 0; k < ELEMENTSOF(key_types); k++)
                if (strlen(key_types[k].type) == tn && strncmp(line, key_types[k].type, tn) == 0)
                        break;
        if (k == ELEMENTSOF(key_types))
                return error_set(e, -EINVAL, "the key type '%.*s' is not ssh-rsa, ssh-ed25519 or "
                                 "ecdsa-sha2-nistp256/384/521", (int) (tn < 64 ? tn : 64), line);

        _cleanup_free_ unsigned char *raw = xmalloc(bn / 4 * 3 + 3);
        ssize_t rn = b64_decode(blob_text, bn, raw);
        if (rn < 0)
                return error_set(e, -EINVAL, "the key's data is not valid base64");
        Blob b = { raw, (size_t) rn };
        if (!blob_string_is(&b, key_types[k].type))
                return error_set(e, -EINVAL, "the key's data holds another type of key than %s", key_types[k].type);
        if (streq(key_types[k].type, "ssh-rsa"))
                r = check_rsa(&b, e);
        else if (streq(key_types[k].type, "ssh-ed25519"))
                r = check_ed25519(&b, e);
        else
                r = check_ecdsa(&b, key_types[k].curve, key_types[k].nid, e);
        if (r < 0)
                return r;
        if (b.left != 0)
                return error_set(e, -EINVAL, "the key's data has %zu bytes after the key", b.left);
        if (EVP_Digest(raw, (size_t) rn, digest, &dn, EVP_md5(), NULL) != 1)
                return error_set(e, -EIO, "OpenSSL could not compute an MD5 digest");
        *ret_fingerprint = colon_hex(digest, dn);
        return 0;
}

int compute_pubkey_x509(const char *pem, char **ret_fingerprint, Error *e) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int dn = 0;
        size_t n = strlen(pem);

        if (n > COMPUTE_PUBKEY_MAX)
                return error_set(e, -EINVAL, "the certificate is longer than %d bytes", COMPUTE_PUBKEY_MAX);
        BIO *bio = BIO_new_mem_buf(pem, (int) n);
        if (!bio)
                return error_set(e, -ENOMEM, "OpenSSL could not read the certificate");
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!cert) {
                ERR_clear_error();
                return error_set(e, -EINVAL, "the data is not a PEM x509 certificate");
        }
        int ok = X509_digest(cert, EVP_sha1(), digest, &dn);
        X509_free(cert);
        if (ok != 1)
                return error_set(e, -EIO, "OpenSSL could not compute the certificate's SHA1 digest");
        *ret_fingerprint = colon_hex(digest, dn);
        return 0;
}
