/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared bits of the cmocka unit tests: the includes cmocka needs in the
 * order it needs them, and a scratch directory under /tmp that teardown
 * removes whether the test passed or failed (cmocka runs teardown after a
 * failed assertion too).
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>

#include "util/util.h"

/* Creates /tmp/gureum-test-XXXXXX; returns a new string, or NULL on failure. */
static inline char *test_tmpdir_new(void) {
        char tmpl[] = "/tmp/gureum-test-XXXXXX";
        if (!mkdtemp(tmpl))
                return NULL;
        return xstrdup(tmpl);
}

static inline int test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

/* rm -rf dir, then frees it; NULL-safe.  Returns 0 or -1. */
static inline int test_tmpdir_remove(char *dir) {
        int r = 0;
        if (!dir)
                return 0;
        if (startswith(dir, "/tmp/gureum-test-"))
                r = nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
        return r;
}

/* True if path exists. */
static inline bool test_exists(const char *path) {
        return access(path, F_OK) == 0;
}
