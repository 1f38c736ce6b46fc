/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over the gureum.conf parser: config_parse on the
 * input, then, for a config it accepts, the helpers the daemon calls on
 * it (config_listen_split, config_public_url, config_state_path).  Run by
 * tests/fuzz/run; seeds live in tests/fuzz/corpus/fuzz-config/.
 */
#include "core/config.h"

/* Where our own findings go: stderr as it was before LLVMFuzzerInitialize. */
static FILE *report;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        FILE *null;

        report = stderr;
        /*
         * config_parse reports every problem on stderr, which would drown
         * libFuzzer's output.  Point the stdio stream at /dev/null: libFuzzer
         * kept its own copy of the old stream, and the sanitizers write to
         * fd 2 directly, so their reports still get through.  Set
         * GUREUM_FUZZ_VERBOSE=1 to see the messages when reproducing.
         */
        if (!isempty(getenv("GUREUM_FUZZ_VERBOSE")))
                return 0;
        null = fopen("/dev/null", "we");
        if (null)
                stderr = null;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        Config cfg;

        config_defaults(&cfg);
        cfg.state_dir = xstrdup("/nonexistent/gureum-fuzz");
        if (config_parse(&cfg, "fuzz.conf", text) >= 0) {
                _cleanup_free_ char *host = NULL, *url = NULL, *path = NULL;
                uint16_t port;

                if (config_listen_split(cfg.listen, &host, &port) < 0) {
                        /* config_parse promised a listen address that splits. */
                        fprintf(report, "fuzz-config: accepted listen address '%s' does not split\n", cfg.listen);
                        abort();
                }
                url = config_public_url(&cfg);
                path = config_state_path(&cfg, "gureum.db");
        }
        config_done(&cfg);
        return 0;
}
