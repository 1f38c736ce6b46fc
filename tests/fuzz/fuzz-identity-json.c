/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over what the identity API does with a request body
 * before any handler runs: jx_parse, then api_schema_validate against
 * every identity schema, as the dispatch pipeline does.  For the auth
 * schema it also feeds the token decoder: the raw input as a token string,
 * the token id of a token-method body, and an encode/decode round trip of
 * the ids an auth body names.  Run by tests/fuzz/run; seeds live in
 * tests/fuzz/corpus/fuzz-identity-json/.
 */
#include "api/api_error.h"
#include "api/api_schema.h"
#include "identity/identity_token.h"
#include "util/embed.h"
#include "util/jx.h"

#include <dirent.h>

/*
 * Every schema in src/identity/meson.build's identity_schemas, by the base
 * name api_schema_get() knows it by.  LLVMFuzzerInitialize aborts if this
 * list and the embedded identity-*.json schemas disagree, so a new schema
 * cannot be silently left out of the fuzzing.
 */
static const char *const identity_schemas[] = {
        "identity-auth-tokens.json",
        "identity-domain-create.json",   "identity-domain-update.json",
        "identity-endpoint-create.json", "identity-endpoint-update.json",
        "identity-group-create.json",    "identity-group-update.json",
        "identity-project-create.json",  "identity-project-update.json",
        "identity-region-create.json",   "identity-region-update.json",
        "identity-role-create.json",     "identity-role-update.json",
        "identity-service-create.json",  "identity-service-update.json",
        "identity-user-create.json",     "identity-user-password.json",
        "identity-user-update.json",
};

#define AUTH_SCHEMA "identity-auth-tokens.json"

/* Defined by the generated identity_schemas.c (tools/embed.py). */
extern const EmbeddedFile identity_api_schemas[];

/* The schemas, looked up once; borrowed from api_schema_get's cache. */
static const json_t *schemas[ELEMENTSOF(identity_schemas)];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Removes dir/keys/token/<files> and the directories above them. */
static void state_dir_remove(const char *dir) {
        _cleanup_free_ char *keys = xasprintf("%s/keys", dir), *token = xasprintf("%s/keys/token", dir);
        DIR *d = opendir(token);
        struct dirent *de;

        if (d) {
                while ((de = readdir(d)))
                        if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                                _cleanup_free_ char *p = xasprintf("%s/%s", token, de->d_name);
                                (void) unlink(p);
                        }
                closedir(d);
        }
        (void) rmdir(token);
        (void) rmdir(keys);
        (void) rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *state_dir = NULL;
        size_t n_embedded = 0;
        int r;

        api_schema_register(identity_api_schemas);
        for (size_t i = 0; i < ELEMENTSOF(identity_schemas); i++) {
                schemas[i] = api_schema_get(identity_schemas[i]);
                if (!schemas[i]) {
                        fprintf(stderr, "fuzz-identity-json: schema %s is not embedded\n", identity_schemas[i]);
                        abort();
                }
        }
        for (size_t i = 0; identity_api_schemas[i].name; i++)
                if (startswith(identity_api_schemas[i].name, "identity-"))
                        n_embedded++;
        if (n_embedded != ELEMENTSOF(identity_schemas)) {
                fprintf(stderr, "fuzz-identity-json: %zu identity schemas are embedded but identity_schemas[] "
                                "lists %zu; update the list\n", n_embedded, ELEMENTSOF(identity_schemas));
                abort();
        }

        state_dir = xasprintf("%s/gureum-fuzz-XXXXXX", isempty(tmp) ? "/tmp" : tmp);
        if (!mkdtemp(state_dir)) {
                fprintf(stderr, "fuzz-identity-json: mkdtemp %s: %s\n", state_dir, strerror(errno));
                abort();
        }
        r = token_keys_init(state_dir);
        if (r >= 0)
                r = token_keys_load(state_dir);
        /*
         * The keys are in memory now.  Remove the files at once, since a
         * crash ends the process without running atexit handlers; a token
         * naming an unknown key then makes token_decode's reload find no
         * directory, which it must survive as well.
         */
        state_dir_remove(state_dir);
        if (r < 0) {
                fprintf(stderr, "fuzz-identity-json: token keys in %s: %s\n", state_dir, strerror(-r));
                abort();
        }
        return 0;
}

/*
 * The API puts parse and validation messages (which quote client bytes)
 * into a JSON error body, rendered by api_error_body exactly as the daemon
 * does.  A body that cannot be built or serialised would abort the daemon
 * (jx_dump of NULL), so it is a bug here too.
 */
static void check_message(const char *what, const char *msg) {
        _cleanup_json_ json_t *body = NULL;
        _cleanup_free_ char *text = NULL;

        if (!msg)
                return;
        body = api_error_body(API_STYLE_KEYSTONE, api_error_lookup(-EINVAL, RES_NONE, API_STYLE_KEYSTONE), msg);
        if (!body) {
                fprintf(stderr, "fuzz-identity-json: %s makes no error body: \"%s\"\n", what, msg);
                abort();
        }
        text = jx_dump(body);
}

static void decode_token(const char *token) {
        TokenPayload p;

        /* Fuzzed bytes cannot carry a valid tag: accepting them is a forgery. */
        if (token_decode(token, &p) >= 0) {
                fprintf(stderr, "fuzz-identity-json: token_decode accepted a token it did not issue (user '%s')\n",
                        p.user_id);
                abort();
        }
}

/* Encodes the ids a valid auth body names into a token and decodes it back. */
static void token_round_trip(const json_t *body) {
        TokenPayload in = {
                .user_id = (char *) jx_path_string(body, "auth", "identity", "password", "user", "id", NULL),
                .project_id = (char *) jx_path_string(body, "auth", "scope", "project", "id", NULL),
                .domain_id = (char *) jx_path_string(body, "auth", "scope", "domain", "id", NULL),
                .methods = TOKEN_METHOD_PASSWORD,
                .issued_at = 1,
                .expires_at = INT64_MAX,
        };
        _cleanup_free_ char *token = NULL;
        TokenPayload out;

        if (!in.user_id)
                return;
        token_audit_id_new(in.audit_id);
        if (token_encode(&in, &token) < 0)
                return; /* an id too long for the wire format: refused, fine */
        if (token_decode(token, &out) < 0) {
                fprintf(stderr, "fuzz-identity-json: cannot decode a token just encoded for user '%s'\n", in.user_id);
                abort();
        }
        if (!streq_ptr(in.user_id, out.user_id) || !streq_ptr(in.project_id, out.project_id) ||
            !streq_ptr(in.domain_id, out.domain_id) || !streq(in.audit_id, out.audit_id) ||
            out.methods != in.methods || out.system || out.issued_at != in.issued_at ||
            out.expires_at != in.expires_at) {
                fprintf(stderr, "fuzz-identity-json: token round trip changed the payload\n");
                abort();
        }
        token_payload_done(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        _cleanup_json_ json_t *j = NULL;
        json_error_t err;

        j = jx_parse((const char *) data, size, &err);
        if (!j) {
                check_message("the jansson error text", err.text);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(identity_schemas); i++) {
                _cleanup_free_ char *msg = NULL;
                int r = api_schema_validate(schemas[i], j, &msg);

                if (r < 0) {
                        if (!msg) {
                                fprintf(stderr, "fuzz-identity-json: %s failed without a message\n",
                                        identity_schemas[i]);
                                abort();
                        }
                        check_message("a validation message", msg);
                }
                if (!streq(identity_schemas[i], AUTH_SCHEMA))
                        continue;
                decode_token(text);
                if (r < 0)
                        continue;
                const char *tok = jx_path_string(j, "auth", "identity", "token", "id", NULL);
                if (tok)
                        decode_token(tok);
                token_round_trip(j);
        }
        return 0;
}
