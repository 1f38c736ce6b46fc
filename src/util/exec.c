/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The argv-only process runner of exec.h.  posix_spawnp starts the child
 * in a process group of its own with a clean signal mask, stdin from
 * /dev/null or a pipe, stdout and stderr into pipes, and every other
 * descriptor closed.  One poll() loop then feeds stdin, drains both
 * pipes (so a chatty child never blocks on a full pipe) and watches a
 * pidfd for the child's exit, until the child is gone or the deadline
 * passes, when the whole group gets SIGKILL and is reaped.
 */
#include "util/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "util/buf.h"

extern char **environ;

/* Output kept per stream; the rest is read and dropped. */
#define EXEC_OUTPUT_MAX (1024 * 1024)

static ExecHook exec_hook;
static void *exec_hook_userdata;

void exec_set_hook(ExecHook fn, void *userdata) {
        exec_hook = fn;
        exec_hook_userdata = userdata;
}

void exec_result_done(ExecResult *r) {
        if (!r)
                return;
        free(r->out);
        free(r->err);
        *r = (ExecResult) {};
}

/* One captured stream: the pipe's read end and what was kept of it. */
typedef struct Stream {
        int fd;
        Buf buf;
        bool truncated;
} Stream;

/* Reads what is there now.  Returns 1 at EOF, 0 when it would block, -errno. */
static int stream_drain(Stream *s) {
        char chunk[65536];
        for (;;) {
                ssize_t k = read(s->fd, chunk, sizeof(chunk));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (k == 0)
                        return 1;
                size_t keep = (size_t) k;
                if (s->buf.len + keep > EXEC_OUTPUT_MAX) {
                        keep = EXEC_OUTPUT_MAX - s->buf.len;
                        s->truncated = true;
                }
                if (keep > 0)
                        buf_append(&s->buf, chunk, keep);
        }
}

/*
 * Writes to the child's stdin without dying of SIGPIPE if it has closed
 * it: SIGPIPE is blocked for this thread around the write, and one that
 * the write raised is consumed before it is unblocked (as libcurl does).
 */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n) {
        sigset_t pipe_set, old, pending;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
        sigpending(&pending);
        bool was_pending = sigismember(&pending, SIGPIPE);

        ssize_t k = write(fd, p, n);
        int saved = errno;
        if (k < 0 && errno == EPIPE && !was_pending) {
                static const struct timespec zero = { 0, 0 };
                while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                        ;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = saved;
        return k;
}

static void close_fd(int *fd) {
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

/* The first line of s, at most 300 bytes, for an error message. */
static void first_line(const char *s, char out[static 301]) {
        size_t n = 0;
        if (s) {
                while (*s == '\n' || *s == ' ')
                        s++;
                while (s[n] && s[n] != '\n' && n < 300)
                        n++;
        }
        memcpy(out, s ? s : "", n);
        out[n] = '\0';
}

static pid_t waitpid_noeintr(pid_t pid, int *status) {
        pid_t r;
        do
                r = waitpid(pid, status, 0);
        while (r < 0 && errno == EINTR);
        return r;
}

static int run_child(const char *const *argv, const void *input, size_t len, int64_t timeout_usec,
                     ExecResult *ret, Error *e) {
        int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 };
        _cleanup_close_ int devnull = -1, pidfd = -1;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        Stream out = { .fd = -1 }, err = { .fd = -1 };
        int r = 0, status = 0;
        pid_t pid;

        if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
                close_fd(&outp[0]);
                close_fd(&outp[1]);
                return error_set(e, r, "Cannot create a pipe for '%s': %s.", argv[0], strerror(-r));
        }
        if (input) {
                if (pipe2(inp, O_CLOEXEC) < 0)
                        r = -errno;
        } else {
                devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull < 0)
                        r = -errno;
        }
        if (r < 0) {
                for (int i = 0; i < 2; i++) {
                        close_fd(&outp[i]);
                        close_fd(&errp[i]);
                }
                return error_set(e, r, "Cannot set up the standard input of '%s': %s.", argv[0], strerror(-r));
        }

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, input ? inp[0] : devnull, STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
        /* Ours are all O_CLOEXEC, but a library's may not be. */
        posix_spawn_file_actions_addclosefrom_np(&fa, 3);

        /* A group of its own, so a timeout kills grandchildren too; default signals, none blocked. */
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);

        r = -posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *) argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close_fd(&outp[1]);
        close_fd(&errp[1]);
        close_fd(&inp[0]);
        if (r < 0) {
                close_fd(&outp[0]);
                close_fd(&errp[0]);
                close_fd(&inp[1]);
                return error_set(e, r, "Cannot run '%s': %s.", argv[0], strerror(-r));
        }

        out.fd = outp[0];
        err.fd = errp[0];
        (void) fcntl(out.fd, F_SETFL, O_NONBLOCK);
        (void) fcntl(err.fd, F_SETFL, O_NONBLOCK);
        if (inp[1] >= 0)
                (void) fcntl(inp[1], F_SETFL, O_NONBLOCK);
        /* The child's exit, even if a grandchild keeps the pipes open. */
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);

        const char *in_p = input;
        size_t in_left = len;
        if (inp[1] >= 0 && in_left == 0)
                close_fd(&inp[1]);
        int64_t deadline = timeout_usec > 0 ? mono_usec() + timeout_usec : 0;
        bool timed_out = false, exited = false;

        /*
         * Until the child exits (its pidfd says so), even after it closed
         * its pipes: a child that closes stdout and stderr and goes on
         * running must still meet its deadline.  Without a pidfd (old
         * kernels), until both pipes are closed.
         */
        while (pidfd >= 0 || out.fd >= 0 || err.fd >= 0 || inp[1] >= 0) {
                struct pollfd pfd[4];
                Stream *which[4] = {};
                nfds_t n = 0;
                int wait_ms = -1;

                if (out.fd >= 0) {
                        which[n] = &out;
                        pfd[n++] = (struct pollfd) { .fd = out.fd, .events = POLLIN };
                }
                if (err.fd >= 0) {
                        which[n] = &err;
                        pfd[n++] = (struct pollfd) { .fd = err.fd, .events = POLLIN };
                }
                if (inp[1] >= 0)
                        pfd[n++] = (struct pollfd) { .fd = inp[1], .events = POLLOUT };
                if (pidfd >= 0 && !exited)
                        pfd[n++] = (struct pollfd) { .fd = pidfd, .events = POLLIN };

                if (deadline) {
                        int64_t left = deadline - mono_usec();
                        if (left <= 0) {
                                timed_out = true;
                                break;
                        }
                        wait_ms = (int) ((left + 999) / 1000);
                }
                int k = poll(pfd, n, wait_ms);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (nfds_t i = 0; i < n; i++) {
                        if (!pfd[i].revents)
                                continue;
                        if (which[i]) {
                                int d = stream_drain(which[i]);
                                if (d != 0)
                                        close_fd(&which[i]->fd);
                        } else if (pfd[i].fd == inp[1]) {
                                if (pfd[i].revents & (POLLERR | POLLHUP)) {
                                        close_fd(&inp[1]);
                                        continue;
                                }
                                size_t chunk = in_left < 65536 ? in_left : 65536;
                                ssize_t w = write_nosigpipe(inp[1], in_p, chunk);
                                if (w < 0) {
                                        if (errno != EINTR && errno != EAGAIN)
                                                close_fd(&inp[1]); /* the child stopped reading */
                                        continue;
                                }
                                in_p += w;
                                in_left -= (size_t) w;
                                if (in_left == 0)
                                        close_fd(&inp[1]);
                        } else if (pfd[i].fd == pidfd) {
                                exited = true;
                        }
                }
                if (exited) {
                        /* Whatever is buffered now is all the child wrote. */
                        if (out.fd >= 0)
                                (void) stream_drain(&out);
                        if (err.fd >= 0)
                                (void) stream_drain(&err);
                        break;
                }
        }
        close_fd(&out.fd);
        close_fd(&err.fd);
        close_fd(&inp[1]);

        if (timed_out || r < 0)
                (void) kill(-pid, SIGKILL);
        if (waitpid_noeintr(pid, &status) < 0 && r == 0)
                r = -errno;

        char line[301];
        first_line(err.buf.data, line);
        if (ret) {
                ret->status = WIFEXITED(status) ? WEXITSTATUS(status)
                              : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
                ret->out = buf_steal(&out.buf);
                ret->err = buf_steal(&err.buf);
        }
        buf_done(&out.buf);
        buf_done(&err.buf);
        if (r < 0)
                return error_set(e, r, "Cannot wait for '%s': %s.", argv[0], strerror(-r));
        if (timed_out)
                return error_set(e, -ETIMEDOUT, "'%s' did not finish within %lld ms and was killed.", argv[0],
                                 (long long) (timeout_usec / 1000));
        if (WIFSIGNALED(status))
                return error_set(e, -EIO, "'%s' was killed by signal %d%s%s", argv[0], WTERMSIG(status),
                                 line[0] ? ": " : ".", line);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return error_set(e, -EIO, "'%s' exited with status %d%s%s", argv[0],
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, line[0] ? ": " : ".", line);
        return 0;
}

int exec_run_input(const char *const *argv, const void *input, size_t len, int64_t timeout_usec, ExecResult *ret,
                   Error *e) {
        if (ret)
                *ret = (ExecResult) {};
        if (!argv || !argv[0])
                return error_set(e, -EINVAL, "No command to run.");
        if (exec_hook)
                return exec_hook(argv, input, len, ret, exec_hook_userdata);
        /* A pipe even for 0 bytes when input is given: the child then sees EOF at once. */
        return run_child(argv, input, len, timeout_usec, ret, e);
}

int exec_run(const char *const *argv, int64_t timeout_usec, ExecResult *ret, Error *e) {
        return exec_run_input(argv, NULL, 0, timeout_usec, ret, e);
}
