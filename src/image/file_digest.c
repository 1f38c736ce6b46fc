/* SPDX-License-Identifier: Apache-2.0 */
/* A digest thread that follows a file's writer (see file_digest.h). */
#include "image/file_digest.h"

#include <pthread.h>

/* What the thread reads at a time: large enough that waking it is rare. */
#define CHUNK_SIZE ((size_t) 1 << 20)

struct FileDigest {
        int fd;
        EVP_MD_CTX *ctx;         /* owned by the thread until it is joined */
        pthread_t thread;
        bool joined;
        pthread_mutex_t lock;
        pthread_cond_t cond;     /* signalled when written, last or stop change */
        uint64_t written;        /* bytes the writer has written (lock) */
        bool last;               /* written is final: digest up to it, then end (lock) */
        bool stop;               /* end now (lock) */
        int error;               /* 0, or -errno of a failed read; set before the thread ends */
};

static void *digest_thread(void *userdata) {
        FileDigest *d = userdata;
        _cleanup_free_ uint8_t *buf = xmalloc(CHUNK_SIZE);
        uint64_t done = 0;

        for (;;) {
                pthread_mutex_lock(&d->lock);
                while (!d->stop && !d->last && d->written - done < CHUNK_SIZE)
                        pthread_cond_wait(&d->cond, &d->lock);
                uint64_t ready = d->written - done;
                bool end = d->stop || (d->last && ready == 0);
                pthread_mutex_unlock(&d->lock);
                if (end)
                        break;

                ssize_t n = pread(d->fd, buf, ready < CHUNK_SIZE ? ready : CHUNK_SIZE, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        /* The writer said these bytes exist: a short file is an I/O error too. */
                        d->error = n < 0 ? -errno : -EIO;
                        break;
                }
                EVP_DigestUpdate(d->ctx, buf, (size_t) n);
                done += (uint64_t) n;
        }
        return NULL;
}

int file_digest_start(int fd, const EVP_MD *md, FileDigest **ret) {
        FileDigest *d = xcalloc(1, sizeof(*d));
        int r;

        d->fd = fd;
        d->ctx = EVP_MD_CTX_new();
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, md, NULL) != 1)
                abort(); /* OpenSSL fails here only on OOM */
        pthread_mutex_init(&d->lock, NULL);
        pthread_cond_init(&d->cond, NULL);
        r = pthread_create(&d->thread, NULL, digest_thread, d);
        if (r != 0) {
                d->joined = true;
                file_digest_free(d);
                return -r;
        }
        (void) pthread_setname_np(d->thread, "gureum-digest");
        *ret = d;
        return 0;
}

void file_digest_advance(FileDigest *d, uint64_t size) {
        pthread_mutex_lock(&d->lock);
        d->written = size;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
}

/* Sets last or stop, and waits for the thread to end. */
static void digest_end(FileDigest *d, bool stop) {
        if (d->joined)
                return;
        pthread_mutex_lock(&d->lock);
        if (stop)
                d->stop = true;
        else
                d->last = true;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
        d->joined = true;
}

int file_digest_finish(FileDigest *d, uint64_t size, char *hex) {
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned n;

        file_digest_advance(d, size);
        digest_end(d, false);
        if (d->error < 0)
                return d->error;
        if (EVP_DigestFinal_ex(d->ctx, md, &n) != 1)
                return -EIO;
        hex_encode(md, n, hex);
        return 0;
}

FileDigest *file_digest_free(FileDigest *d) {
        if (!d)
                return NULL;
        digest_end(d, true);
        EVP_MD_CTX_free(d->ctx);
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
}
