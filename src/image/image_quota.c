/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The byte quota and the uploads in flight.  The images table knows the
 * bytes a project stores (SUM(size)), not the bytes its uploads are still
 * streaming: checked against the table alone, five uploads that each fit
 * the quota could all succeed together.  So every upload reserves the
 * bytes it writes before it writes them, in a counter per project that all
 * uploads of the project share, and a reservation that would take the
 * stored bytes plus everything reserved past [image] quota_bytes is refused.
 *
 * The counters live in memory under one mutex: only this process uploads
 * into its state directory (gureumd.lock).  A project has an entry only
 * while it has uploads in flight.  The entry caches the project's stored
 * bytes; anything that may change them marks it stale, so it is read again
 * under the mutex, and it is always read again before a refusal.
 */
#include "image/image_internal.h"

#include <pthread.h>

/* One project with uploads in flight. */
typedef struct ProjectBytes {
        struct ProjectBytes *next;
        char *project;
        unsigned uploads;        /* open ImageBytes of this project */
        int64_t reserved;        /* the sum of their reservations */
        int64_t stored;          /* SUM(size) of the project's images when last read */
        bool stale;              /* stored must be read again before it is used */
} ProjectBytes;

struct ImageBytes {
        ProjectBytes *p;
        int64_t reserved;        /* bytes this upload holds; only its own thread reads it unlocked */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ProjectBytes *projects;   /* lock */

/* The entry of project, or NULL; with lock held. */
static ProjectBytes *project_find(const char *project) {
        for (ProjectBytes *p = projects; p; p = p->next)
                if (streq(p->project, project))
                        return p;
        return NULL;
}

ImageBytes *image_bytes_open(const char *project) {
        ImageBytes *b = xcalloc(1, sizeof(*b));

        pthread_mutex_lock(&lock);
        b->p = project_find(project);
        if (!b->p) {
                b->p = xcalloc(1, sizeof(*b->p));
                b->p->project = xstrdup(project);
                b->p->stale = true;
                b->p->next = projects;
                projects = b->p;
        }
        b->p->uploads++;
        pthread_mutex_unlock(&lock);
        return b;
}

/* Gives back b's bytes and drops b; with lock held. */
static void bytes_drop(ImageBytes *b) {
        ProjectBytes *p = b->p;

        p->reserved -= b->reserved;
        if (--p->uploads == 0) {
                ProjectBytes **pp = &projects;
                while (*pp != p)
                        pp = &(*pp)->next;
                *pp = p->next;
                free(p->project);
                free(p);
        }
        free(b);
}

ImageBytes *image_bytes_close(ImageBytes *b) {
        if (!b)
                return NULL;
        pthread_mutex_lock(&lock);
        bytes_drop(b);
        pthread_mutex_unlock(&lock);
        return NULL;
}

/* Whether n more bytes fit the quota of p; with lock held. */
static bool fits(const ProjectBytes *p, int64_t n) {
        /* stored, reserved and n are >= 0: none of these can overflow. */
        int64_t left = image_config->image_quota_bytes - p->stored;
        return left >= p->reserved && n <= left - p->reserved;
}

static int read_stored(Ctx *c, ProjectBytes *p) {
        int r = db_query_int(c->db, &p->stored,
                             "SELECT COALESCE(SUM(size), 0) FROM images WHERE owner = ? AND size IS NOT NULL", "s",
                             p->project);
        if (r < 0)
                return r;
        p->stale = false;
        return 0;
}

int image_bytes_reserve(Ctx *c, ImageBytes *b, int64_t total) {
        ProjectBytes *p = b->p;
        int64_t n = total - b->reserved, stored = 0, reserved = 0;
        bool fresh = false;
        int r = 0;

        if (n <= 0)
                return 0;
        pthread_mutex_lock(&lock);
        for (;;) {
                if (p->stale) {
                        r = read_stored(c, p);
                        if (r < 0)
                                break;
                        fresh = true;
                }
                if (fits(p, n)) {
                        p->reserved += n;
                        b->reserved += n;
                        break;
                }
                /* Images deleted since the last read may have made room: refuse only on fresh figures. */
                if (fresh) {
                        stored = p->stored;
                        reserved = p->reserved;
                        r = -EDQUOT;
                        break;
                }
                p->stale = true;
        }
        pthread_mutex_unlock(&lock);
        if (r == -EDQUOT)
                return ctx_error(c, -EDQUOT, RES_IMAGE,
                                 "Denying attempt to upload image because it exceeds the quota: the project stores %lld bytes and uploads %lld, %lld more would pass its %lld.",
                                 (long long) stored, (long long) reserved, (long long) n,
                                 (long long) image_config->image_quota_bytes);
        if (r < 0)
                return ctx_error(c, -EIO, RES_IMAGE, "Database error while checking the image quota.");
        return 0;
}

int image_bytes_settle(Ctx *c, ImageBytes *b, int (*store)(Ctx *c, void *userdata), void *userdata) {
        int r;

        /*
         * Under the lock, so that no reading of the stored bytes sees the
         * upload's bytes twice (stored and still reserved) or not at all.
         */
        pthread_mutex_lock(&lock);
        r = store(c, userdata);
        b->p->stale = true;
        bytes_drop(b);
        pthread_mutex_unlock(&lock);
        return r;
}

void image_bytes_changed(const char *project) {
        ProjectBytes *p;

        if (!project)
                return;
        pthread_mutex_lock(&lock);
        p = project_find(project);
        if (p)
                p->stale = true;
        pthread_mutex_unlock(&lock);
}
