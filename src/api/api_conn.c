/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection accounting (see api_conn.h).  libmicrohttpd has only idle
 * timeouts: a client that drips one header byte every few seconds
 * (slowloris) resets them forever and holds its connection slot.  So each
 * connection waiting for a request's headers is on a list ordered by
 * deadline, and a thread of ours shuts down the socket of the first one
 * whose deadline passed.  libmicrohttpd polls that socket, sees it shut
 * and closes the connection in its own thread; we never close a socket
 * libmicrohttpd owns, and the socket stays open until its NOTIFY_CLOSED
 * (api_conns_remove), which takes our lock.  Issue 7, F2.
 *
 * The same thread gives freed memory back to the system when the server
 * falls idle (no connection open) after serving: glibc keeps what threads
 * freed in their arenas, and after a burst of load the daemon's RSS stayed
 * well above its idle size (issue 7, F6).
 */
#include "api/api_conn.h"
#include "util/log.h"

#include <assert.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

/* The housekeeping thread wakes at least this often. */
#define TICK_USEC 1000000

struct ApiConn {
        int fd;                  /* borrowed from libmicrohttpd */
        bool waiting;            /* on the waiting list */
        int64_t deadline;        /* when waiting: monotonic usec */
        ApiConn *prev, *next;    /* the waiting list */
};

struct ApiConns {
        pthread_mutex_t lock;
        pthread_cond_t wake;     /* CLOCK_MONOTONIC */
        pthread_t thread;
        bool stopping;
        int64_t header_timeout;  /* usec */
        unsigned count;          /* open connections */
        bool served;             /* a connection was opened since memory was last trimmed */
        ApiConn *head, *tail;    /* waiting for headers, earliest deadline first */
};

static void waiting_remove(ApiConns *t, ApiConn *c) {
        if (!c->waiting)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                t->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                t->tail = c->prev;
        c->prev = c->next = NULL;
        c->waiting = false;
}

/* Deadlines are now + a constant, so appending keeps the list sorted. */
static void waiting_append(ApiConns *t, ApiConn *c) {
        waiting_remove(t, c);
        c->deadline = mono_usec() + t->header_timeout;
        c->prev = t->tail;
        if (t->tail)
                t->tail->next = c;
        else
                t->head = c;
        t->tail = c;
        c->waiting = true;
}

static struct timespec timespec_of(int64_t usec) {
        return (struct timespec) { .tv_sec = usec / 1000000, .tv_nsec = (usec % 1000000) * 1000 };
}

static void *housekeeping(void *userdata) {
        ApiConns *t = userdata;

        pthread_mutex_lock(&t->lock);
        while (!t->stopping) {
                int64_t now = mono_usec();
                ApiConn *c = t->head;
                if (c && c->deadline <= now) {
                        /* libmicrohttpd sees the shutdown at its next poll and closes the connection. */
                        (void) shutdown(c->fd, SHUT_RDWR);
                        waiting_remove(t, c);
                        log_debug("http", "closed a connection whose request headers took longer than %lld s",
                                  (long long) (t->header_timeout / 1000000));
                        continue;
                }
                if (t->count == 0 && t->served) {
                        t->served = false;
                        pthread_mutex_unlock(&t->lock);
                        (void) malloc_trim(0);
                        pthread_mutex_lock(&t->lock);
                        continue;
                }
                int64_t until = now + TICK_USEC;
                if (c && c->deadline < until)
                        until = c->deadline;
                struct timespec ts = timespec_of(until);
                (void) pthread_cond_timedwait(&t->wake, &t->lock, &ts);
        }
        pthread_mutex_unlock(&t->lock);
        return NULL;
}

int api_conns_new(int64_t header_timeout_usec, ApiConns **ret) {
        ApiConns *t = xcalloc(1, sizeof(*t));
        pthread_condattr_t attr;
        int r;

        t->header_timeout = header_timeout_usec;
        pthread_mutex_init(&t->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&t->wake, &attr);
        pthread_condattr_destroy(&attr);
        r = pthread_create(&t->thread, NULL, housekeeping, t);
        if (r != 0) {
                pthread_cond_destroy(&t->wake);
                pthread_mutex_destroy(&t->lock);
                free(t);
                return -r;
        }
        *ret = t;
        return 0;
}

ApiConns *api_conns_free(ApiConns *t) {
        if (!t)
                return NULL;
        pthread_mutex_lock(&t->lock);
        t->stopping = true;
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->thread, NULL);
        assert(t->count == 0 && !t->head);
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
}

ApiConn *api_conns_add(ApiConns *t, int fd) {
        ApiConn *c = xcalloc(1, sizeof(*c));
        c->fd = fd;
        pthread_mutex_lock(&t->lock);
        t->count++;
        t->served = true;
        waiting_append(t, c);
        pthread_mutex_unlock(&t->lock);
        return c;
}

void api_conns_remove(ApiConns *t, ApiConn *c) {
        pthread_mutex_lock(&t->lock);
        waiting_remove(t, c);
        t->count--;
        pthread_mutex_unlock(&t->lock);
        free(c);
}

void api_conn_headers_received(ApiConns *t, ApiConn *c) {
        pthread_mutex_lock(&t->lock);
        waiting_remove(t, c);
        pthread_mutex_unlock(&t->lock);
}

void api_conn_await_headers(ApiConns *t, ApiConn *c) {
        pthread_mutex_lock(&t->lock);
        waiting_append(t, c);
        pthread_mutex_unlock(&t->lock);
}

unsigned api_conns_count(ApiConns *t) {
        pthread_mutex_lock(&t->lock);
        unsigned n = t->count;
        pthread_mutex_unlock(&t->lock);
        return n;
}
