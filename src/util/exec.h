/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running external programs (qemu-img, genisoimage, ip, nft, dnsmasq):
 * always an argv array, never a shell string (STYLE.md).  The child gets
 * /dev/null as stdin, no inherited descriptors, and is killed when it
 * overruns its timeout.  Tests can capture commands instead of running
 * them through a hook, as libvirt's virCommandSetDryRun does.
 */
#pragma once

#include "util/util.h"

/* The outcome of a command. */
typedef struct ExecResult {
        int status;              /* exit status, or 128 + signal */
        char *out;               /* stdout, NUL-terminated (at most 1 MiB kept) */
        char *err;               /* stderr, likewise */
} ExecResult;

void exec_result_done(ExecResult *r);

/*
 * Runs argv (argv[0] looked up in PATH; NULL-terminated), waits at most
 * timeout_usec (0: no limit), and fills *ret.  Returns 0 if it ran and
 * exited 0; -EIO if it exited non-zero or was killed (with the first line
 * of its stderr in e); -ETIMEDOUT if it overran (it is killed); -errno if
 * it could not start.  ret may be NULL when the output does not matter;
 * it is filled whenever the command ran (on -EIO and -ETIMEDOUT too) and
 * zeroed otherwise, so exec_result_done(ret) is always safe.
 */
int exec_run(const char *const *argv, int64_t timeout_usec, ExecResult *ret, Error *e);

/*
 * Like exec_run, but writes input (len bytes) to the child's stdin.
 */
int exec_run_input(const char *const *argv, const void *input, size_t len, int64_t timeout_usec, ExecResult *ret,
                   Error *e);

/*
 * Test hook: when set, exec_run calls fn instead of running anything, with
 * the argv and the input; fn's return value is exec_run's, and it may fill
 * *ret.  NULL restores real execution.
 */
typedef int (*ExecHook)(const char *const *argv, const void *input, size_t len, ExecResult *ret, void *userdata);
void exec_set_hook(ExecHook fn, void *userdata);
