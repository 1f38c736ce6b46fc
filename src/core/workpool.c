/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded pool of low-priority threads (see workpool.h). */
#include "core/workpool.h"
#include "util/log.h"

#include <pthread.h>
#include <sys/resource.h>

struct WorkPool {
        pthread_mutex_t lock;
        pthread_cond_t wake;       /* an item was queued, or the pool stops */
        WorkItem *head, *tail;     /* waiting items, oldest first */
        unsigned n_waiting, queue_max;
        bool stopping, joined;
        int niceness;
        char name[16];             /* thread name, at most 15 characters */
        pthread_t *threads;
        unsigned n_threads;
};

/* Takes the oldest waiting item, or NULL when there is none.  Under the lock. */
static WorkItem *queue_pop(WorkPool *p) {
        WorkItem *w = p->head;
        if (!w)
                return NULL;
        p->head = w->next;
        if (!p->head)
                p->tail = NULL;
        p->n_waiting--;
        w->next = NULL;
        return w;
}

/*
 * Lower priority than the HTTP workers, so a cheap request wakes up and
 * preempts a hash at once.  setpriority on a thread id changes only this
 * thread (Linux); an unprivileged process may always lower its priority.
 */
static void lower_priority(int niceness) {
        errno = 0;
        int base = getpriority(PRIO_PROCESS, 0);
        if (base == -1 && errno != 0)
                base = 0;
        int target = base + niceness > 19 ? 19 : base + niceness;
        if (setpriority(PRIO_PROCESS, (id_t) gettid(), target) < 0)
                log_debug("workpool", "cannot lower the priority of a pool thread: %s", strerror(errno));
}

static void *worker(void *userdata) {
        WorkPool *p = userdata;

        lower_priority(p->niceness);
        pthread_setname_np(pthread_self(), p->name);
        pthread_mutex_lock(&p->lock);
        for (;;) {
                WorkItem *w = queue_pop(p);
                if (!w) {
                        if (p->stopping)
                                break;
                        pthread_cond_wait(&p->wake, &p->lock);
                        continue;
                }
                pthread_mutex_unlock(&p->lock);
                w->run(w);
                w->done(w, 0);
                pthread_mutex_lock(&p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

int work_pool_new(const char *name, unsigned threads, unsigned queue_max, int niceness, WorkPool **ret) {
        WorkPool *p = xcalloc(1, sizeof(*p));
        int r;

        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->wake, NULL);
        p->queue_max = queue_max;
        p->niceness = niceness;
        snprintf(p->name, sizeof(p->name), "%s", name);
        p->threads = xcalloc(threads ? threads : 1, sizeof(pthread_t));
        for (unsigned i = 0; i < (threads ? threads : 1); i++) {
                r = pthread_create(&p->threads[i], NULL, worker, p);
                if (r != 0) {
                        work_pool_free(p);
                        return -r;
                }
                p->n_threads++;
        }
        *ret = p;
        return 0;
}

int work_pool_submit(WorkPool *p, WorkItem *w) {
        pthread_mutex_lock(&p->lock);
        if (p->stopping || p->n_waiting >= p->queue_max) {
                pthread_mutex_unlock(&p->lock);
                return -EAGAIN;
        }
        w->next = NULL;
        if (p->tail)
                p->tail->next = w;
        else
                p->head = w;
        p->tail = w;
        p->n_waiting++;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        return 0;
}

void work_pool_stop(WorkPool *p) {
        WorkItem *cancelled;

        pthread_mutex_lock(&p->lock);
        if (p->joined) {
                pthread_mutex_unlock(&p->lock);
                return;
        }
        p->stopping = true;
        cancelled = p->head;
        p->head = p->tail = NULL;
        p->n_waiting = 0;
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
        /* Outside the lock: done may take other locks (libmicrohttpd's, to resume a connection). */
        while (cancelled) {
                WorkItem *w = cancelled;
                cancelled = w->next;
                w->next = NULL;
                w->done(w, -ECANCELED);
        }
        for (unsigned i = 0; i < p->n_threads; i++)
                pthread_join(p->threads[i], NULL);
        pthread_mutex_lock(&p->lock);
        p->joined = true;
        pthread_mutex_unlock(&p->lock);
}

WorkPool *work_pool_free(WorkPool *p) {
        if (!p)
                return NULL;
        work_pool_stop(p);
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p->threads);
        free(p);
        return NULL;
}
