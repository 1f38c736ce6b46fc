/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness over disk image inspection (src/image/image_format.h):
 * image_format_inspect_buf on the input, the same through an fd (a memfd
 * holding the input; both readers must agree), then
 * image_format_check_declared for every disk_format a client may declare.
 * Aborts when a result breaks the header's contract.  Run by
 * tests/fuzz/run; seeds live in tests/fuzz/corpus/fuzz-image-format/.
 */
#include <inttypes.h>
#include <sys/mman.h>

#include "image/image_format.h"
#include "util/util.h"

static const char *const declared_formats[] = {
        "raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ami", "ari", "aki", "ploop",
};

/* A memfd reused for every input, for the fd reader. */
static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        memfd = memfd_create("fuzz-image-format", MFD_CLOEXEC);
        return 0;
}

static _noreturn_ void broken(const char *what, const ImageInspection *insp) {
        fprintf(stderr, "fuzz-image-format: %s (format %d, virtual size %" PRIu64 ", safe %d, reason '%.160s')\n", what,
                insp->format, insp->virtual_size, insp->safe, insp->reason);
        abort();
}

/* The contract of one inspection, whatever the input. */
static void check_inspection(const ImageInspection *insp, size_t size) {
        if (!image_format_to_string(insp->format))
                broken("format out of range", insp);
        if (!memchr(insp->reason, '\0', sizeof(insp->reason)))
                broken("reason not terminated", insp);
        if (insp->safe != (insp->reason[0] == '\0'))
                broken("safe and reason disagree", insp);
        if ((insp->format == IMAGE_FORMAT_RAW || insp->format == IMAGE_FORMAT_ISO) && insp->virtual_size != size)
                broken("raw or iso virtual size is not the file size", insp);
        /* The database and the API hold it as int64 (F8: -1 from a VHD saying 0xFFFFFFFFFFFFFFFF). */
        if (insp->safe && insp->virtual_size > INT64_MAX)
                broken("a safe image's virtual size does not fit in int64", insp);
}

/* What the bytes must be for check_declared to accept them as disk_format. */
static bool acceptable(const char *disk_format, const ImageInspection *insp) {
        const char *detected = image_format_to_string(insp->format);

        if (!insp->safe || streq(disk_format, "ploop"))
                return false;
        if (streq(disk_format, "raw") || streq(disk_format, "ami") || streq(disk_format, "ari") ||
            streq(disk_format, "aki"))
                return insp->format == IMAGE_FORMAT_RAW || insp->format == IMAGE_FORMAT_ISO;
        return streq(disk_format, detected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ImageInspection a, b;

        if (image_format_inspect_buf(data, size, &a) != 0)
                abort();
        check_inspection(&a, size);

        if (memfd >= 0 && ftruncate(memfd, 0) == 0 && pwrite(memfd, data, size, 0) == (ssize_t) size) {
                if (image_format_inspect_fd(memfd, size, &b) != 0)
                        broken("the fd reader failed", &a);
                if (a.format != b.format || a.virtual_size != b.virtual_size || a.safe != b.safe ||
                    !streq(a.reason, b.reason))
                        broken("the fd and buffer readers disagree", &a);
        }

        for (size_t i = 0; i < ELEMENTSOF(declared_formats); i++) {
                _cleanup_free_ char *msg = NULL;
                int r;

                r = image_format_check_declared(declared_formats[i], &a, &msg);
                if (r == 0 && msg)
                        broken("accepted with a message", &a);
                if (r != 0 && (r != -EINVAL || isempty(msg)))
                        broken("refused without a message", &a);
                if ((r == 0) != acceptable(declared_formats[i], &a))
                        broken("check_declared broke its rules", &a);
        }
        return 0;
}
