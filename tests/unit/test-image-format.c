/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of disk image inspection (src/image/image_format.h): images
 * made by qemu-img and genisoimage in a scratch directory (each one
 * inspected through an fd and from memory, which must agree), then
 * hand-made variants of them in memory for the unsafe and malformed cases
 * qemu-img will not produce, then the declared disk_format rules.
 */
#include "test-helpers.h"

#include <fcntl.h>
#include <sys/wait.h>

#include "image/image_format.h"

#define MIB (UINT64_C(1024) * 1024)

static int setup_tmpdir(void **state) {
        *state = test_tmpdir_new();
        return *state ? 0 : -1;
}

static int teardown_tmpdir(void **state) {
        return test_tmpdir_remove(*state);
}

/* Runs argv in dir with stdout and stderr sent to /dev/null; returns its exit status, or -1. */
static int run_in(const char *dir, char *const argv[]) {
        pid_t pid;
        int status;

        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0 || chdir(dir) < 0)
                        _exit(127);
                execvp(argv[0], argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#define RUN(dir, ...) run_in((dir), (char *const[]) { __VA_ARGS__, NULL })

/* Reads dir/name whole into a new buffer. */
static uint8_t *load(const char *dir, const char *name, size_t *ret_size) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t done = 0;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        buf = xmalloc((size_t) st.st_size + 1);
        while (done < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + done, (size_t) st.st_size - done);

                assert_true(k > 0);
                done += (size_t) k;
        }
        *ret_size = done;
        return TAKE_PTR(buf);
}

/* Writes size bytes of buf to dir/name. */
static void save(const char *dir, const char *name, const void *buf, size_t size) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, size), (ssize_t) size);
}

static void assert_same_inspection(const ImageInspection *a, const ImageInspection *b) {
        assert_int_equal(a->format, b->format);
        assert_int_equal(a->virtual_size, b->virtual_size);
        assert_int_equal(a->safe, b->safe);
        assert_string_equal(a->reason, b->reason);
}

/*
 * Inspects dir/name through an fd, and again from memory: both readers
 * must give the same answer.  Checks the safe/reason invariant too.
 */
static ImageInspection inspect_file(const char *dir, const char *name) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = NULL;
        ImageInspection a, b;
        struct stat st;
        size_t size;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(image_format_inspect_fd(fd, (uint64_t) st.st_size, &a), 0);
        buf = load(dir, name, &size);
        assert_int_equal(image_format_inspect_buf(buf, size, &b), 0);
        assert_same_inspection(&a, &b);
        assert_int_equal(a.safe, a.reason[0] == '\0');
        return a;
}

static ImageInspection inspect_mem(const uint8_t *buf, size_t size) {
        ImageInspection insp;

        memset(&insp, 0x5a, sizeof(insp));
        assert_int_equal(image_format_inspect_buf(buf, size, &insp), 0);
        assert_int_equal(insp.safe, insp.reason[0] == '\0');
        assert_non_null(memchr(insp.reason, '\0', sizeof(insp.reason)));
        return insp;
}

static void assert_unsafe_because(const ImageInspection *insp, const char *why) {
        if (insp->safe || !strstr(insp->reason, why))
                fail_msg("expected unsafe because of '%s', got safe=%d reason='%s'", why, insp->safe, insp->reason);
}

/* check_declared wrapper: returns its result and checks the message contract. */
static int declared(const char *disk_format, const ImageInspection *insp) {
        static char unset;
        char *msg = &unset;
        int r;

        r = image_format_check_declared(disk_format, insp, &msg);
        assert_true(msg != &unset);
        if (r == 0)
                assert_null(msg);
        else {
                assert_int_equal(r, -EINVAL);
                assert_non_null(msg);
                assert_true(strlen(msg) > 10);
                assert_int_equal(msg[strlen(msg) - 1], '.');
                free(msg);
        }
        return r;
}

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

static void put_be64(uint8_t *p, uint64_t v) {
        put_be32(p, (uint32_t) (v >> 32));
        put_be32(p + 4, (uint32_t) v);
}

static void put_le16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v) {
        put_le32(p, (uint32_t) v);
        put_le32(p + 4, (uint32_t) (v >> 32));
}

/* Deterministic noise (xorshift64), so "random data" tests never flake. */
static void fill_noise(uint8_t *p, size_t n, uint64_t seed) {
        uint64_t x = seed | 1;

        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[i] = (uint8_t) (x >> 24);
        }
}

static void test_format_strings(void **state) {
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_RAW), "raw");
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_QCOW2), "qcow2");
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_VMDK), "vmdk");
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_VHD), "vhd");
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_VHDX), "vhdx");
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_VDI), "vdi");
        assert_string_equal(image_format_to_string(IMAGE_FORMAT_ISO), "iso");
        assert_null(image_format_to_string(_IMAGE_FORMAT_MAX));
        assert_null(image_format_to_string(_IMAGE_FORMAT_INVALID));
}

static void test_raw(void **state) {
        const char *dir = *state;
        _cleanup_free_ uint8_t *noise = xmalloc(MIB);
        ImageInspection insp;

        fill_noise(noise, MIB, 42);
        save(dir, "noise.raw", noise, MIB);
        insp = inspect_file(dir, "noise.raw");
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_int_equal(insp.virtual_size, MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("raw", &insp), 0);
        assert_int_equal(declared("ami", &insp), 0);
        assert_int_equal(declared("qcow2", &insp), -EINVAL);
        assert_int_equal(declared("iso", &insp), -EINVAL);

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "raw", "zero.raw", "3M"), 0);
        insp = inspect_file(dir, "zero.raw");
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_int_equal(insp.virtual_size, 3 * MIB);
        assert_true(insp.safe);

        /* Tiny inputs: empty, and shorter than any magic. */
        insp = inspect_mem(NULL, 0);
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_int_equal(insp.virtual_size, 0);
        assert_true(insp.safe);
        insp = inspect_mem((const uint8_t *) "QFI", 3);
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_int_equal(insp.virtual_size, 3);
        assert_true(insp.safe);
}

static void test_qcow2_versions(void **state) {
        const char *dir = *state;
        ImageInspection insp;
        _cleanup_free_ uint8_t *v2 = NULL, *v3 = NULL;
        size_t n2, n3;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10", "v2.qcow2", "64M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=1.1", "v3.qcow2", "64M"), 0);
        v2 = load(dir, "v2.qcow2", &n2);
        v3 = load(dir, "v3.qcow2", &n3);
        assert_int_equal(v2[7], 2);
        assert_int_equal(v3[7], 3);

        insp = inspect_file(dir, "v2.qcow2");
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_int_equal(insp.virtual_size, 64 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("qcow2", &insp), 0);

        insp = inspect_file(dir, "v3.qcow2");
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_int_equal(insp.virtual_size, 64 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("qcow2", &insp), 0);

        /* qcow2 bytes are not a raw disk, whatever the client says (Glance refuses this too). */
        assert_int_equal(declared("raw", &insp), -EINVAL);
        assert_int_equal(declared("aki", &insp), -EINVAL);
        assert_int_equal(declared("vmdk", &insp), -EINVAL);
        assert_int_equal(declared("iso", &insp), -EINVAL);
}

static void test_qcow2_backing_file(void **state) {
        const char *dir = *state;
        ImageInspection insp;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "raw", "base.raw", "1M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.raw", "-F",
                             "raw", "top2.qcow2"),
                         0);

        insp = inspect_file(dir, "top.qcow2");
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_int_equal(insp.virtual_size, MIB);
        assert_unsafe_because(&insp, "backing file");
        assert_int_equal(declared("qcow2", &insp), -EINVAL);
        assert_int_equal(declared("raw", &insp), -EINVAL);

        insp = inspect_file(dir, "top2.qcow2");
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_unsafe_because(&insp, "backing file");
}

static void test_qcow2_data_file(void **state) {
        const char *dir = *state;
        _cleanup_free_ uint8_t *buf = NULL;
        ImageInspection insp;
        size_t size;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=data.raw", "df.qcow2", "1M"),
                         0);
        insp = inspect_file(dir, "df.qcow2");
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_unsafe_because(&insp, "external data file");
        assert_int_equal(declared("qcow2", &insp), -EINVAL);

        /* Without the feature bit, the data file name extension alone is still refused. */
        buf = load(dir, "df.qcow2", &size);
        assert_true(buf[79] & 0x04);
        buf[79] &= (uint8_t) ~0x04;
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "names an external data file");
}

static void test_qcow2_malformed(void **state) {
        const char *dir = *state;
        _cleanup_free_ uint8_t *orig = NULL, *buf = NULL;
        ImageInspection insp;
        size_t size, cut;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=1.1", "v3.qcow2", "64M"), 0);
        orig = load(dir, "v3.qcow2", &size);
        buf = xmalloc(size);
        assert_int_equal(orig[23], 16);    /* 64 KiB clusters */

#define RESET() memcpy(buf, orig, size)
        /* The untouched copy is safe, so each failure below is the mutation's doing. */
        RESET();
        insp = inspect_mem(buf, size);
        assert_true(insp.safe);

        /* Truncated headers, through an fd as an upload would be. */
        save(dir, "cut50.qcow2", orig, 50);
        insp = inspect_file(dir, "cut50.qcow2");
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_unsafe_because(&insp, "truncated");
        assert_int_equal(declared("qcow2", &insp), -EINVAL);
        assert_int_equal(declared("raw", &insp), -EINVAL);
        save(dir, "cut100.qcow2", orig, 100);
        insp = inspect_file(dir, "cut100.qcow2");
        assert_unsafe_because(&insp, "truncated");
        /* Whole header, but the tables are cut off. */
        cut = 64 * 1024;
        insp = inspect_mem(orig, cut);
        assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
        assert_unsafe_because(&insp, "outside the file");

        RESET();
        put_be32(buf + 4, 1);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "unsupported version 1");

        RESET();
        put_be32(buf + 16, 7);    /* backing file size without offset */
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "backing file");

        RESET();
        put_be32(buf + 20, 8);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "cluster size");
        RESET();
        put_be32(buf + 20, 22);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "cluster size");

        RESET();
        put_be64(buf + 72, UINT64_C(1) << 5);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "unknown incompatible features");
        RESET();
        put_be64(buf + 72, UINT64_C(1) << 63);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "unknown incompatible features");
        RESET();
        put_be64(buf + 72, UINT64_C(1) << 2);    /* the data file bit without the name */
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "uses an external data file");
        RESET();
        put_be64(buf + 72, UINT64_C(1) << 3);    /* zstd compression: known and harmless */
        insp = inspect_mem(buf, size);
        assert_true(insp.safe);

        RESET();
        put_be32(buf + 100, 96);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "header length");
        RESET();
        put_be32(buf + 100, 65536 + 8);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "header length");

        /* A data file extension after a harmless one. */
        RESET();
        put_be32(buf + 112, 0x6803f857);
        put_be32(buf + 116, 3);
        put_be32(buf + 128, 0x44415441);
        put_be32(buf + 132, 8);
        memcpy(buf + 136, "/etc/sha", 8);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "external data file");

        /* An extension longer than the cluster. */
        RESET();
        put_be32(buf + 112, 0x12345678);
        put_be32(buf + 116, 65536);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "past the first cluster");

        /* Thousands of empty extensions: the walk is bounded. */
        RESET();
        for (size_t off = 112; off + 8 <= 65536; off += 8) {
                put_be32(buf + off, 0x12345678);
                put_be32(buf + off + 4, 0);
        }
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "too many header extensions");

        RESET();
        put_be64(buf + 24, UINT64_C(1) << 62);    /* more than qemu can map */
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "virtual size is too large");
        RESET();
        put_be64(buf + 24, UINT64_C(1) << 40);    /* 1 TiB needs 2048 L1 entries, the table has 1 */
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "L1 table is too small");
        RESET();
        put_be64(buf + 40, 0x30001);    /* unaligned L1 table */
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "not aligned");
        RESET();
        put_be32(buf + 96, 7);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "refcount order");
#undef RESET
}

static void test_vmdk_sparse(void **state) {
        const char *dir = *state;
        ImageInspection insp;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vmdk", "ms.vmdk", "10M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", "so.vmdk",
                             "20M"),
                         0);

        insp = inspect_file(dir, "ms.vmdk");
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_int_equal(insp.virtual_size, 10 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("vmdk", &insp), 0);
        assert_int_equal(declared("raw", &insp), -EINVAL);

        insp = inspect_file(dir, "so.vmdk");
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_int_equal(insp.virtual_size, 20 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("vmdk", &insp), 0);
}

static void test_vmdk_descriptor_file(void **state) {
        const char *dir = *state;
        static const char probe[] = "# just a comment\n   \nversion=1\nRW 2048 FLAT \"/etc/shadow\" 0\n";
        static const char not_vmdk[] = "# just a comment\nversion=4\n";
        ImageInspection insp;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "mf.vmdk",
                             "10M"),
                         0);
        insp = inspect_file(dir, "mf.vmdk");
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_unsafe_because(&insp, "refers to other files");
        assert_int_equal(declared("vmdk", &insp), -EINVAL);
        assert_int_equal(declared("raw", &insp), -EINVAL);

        /* The flat extent itself is just a raw disk. */
        insp = inspect_file(dir, "mf-flat.vmdk");
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_true(insp.safe);

        /* What qemu's probe calls a descriptor, without the usual first line. */
        insp = inspect_mem((const uint8_t *) probe, sizeof(probe) - 1);
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_false(insp.safe);
        insp = inspect_mem((const uint8_t *) not_vmdk, sizeof(not_vmdk) - 1);
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_true(insp.safe);

        /* The legacy COWD sparse format. */
        insp = inspect_mem((const uint8_t *) "COWD\1\0\0\0", 8);
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_unsafe_because(&insp, "COWD");
}

/* Replaces the embedded descriptor of a monolithicSparse image (20 sectors at sector 1). */
static void vmdk_set_descriptor(uint8_t *buf, const char *text) {
        memset(buf + 512, 0, 20 * 512);
        memcpy(buf + 512, text, strlen(text));
}

static void test_vmdk_malformed(void **state) {
        const char *dir = *state;
        static const char head[] = "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n";
        _cleanup_free_ uint8_t *orig = NULL, *buf = NULL, *big = NULL;
        _cleanup_free_ char *text = NULL;
        ImageInspection insp;
        size_t size;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vmdk", "ms.vmdk", "10M"), 0);
        orig = load(dir, "ms.vmdk", &size);
        buf = xmalloc(size);
        assert_int_equal(size, 65536);

#define RESET() memcpy(buf, orig, size)
#define WITH_DESCRIPTOR(...)                                            \
        do {                                                            \
                free(text);                                             \
                text = xasprintf(__VA_ARGS__);                          \
                RESET();                                                \
                vmdk_set_descriptor(buf, text);                         \
                insp = inspect_mem(buf, size);                          \
        } while (0)

        /* Our own descriptor writer gives a safe image, so only the changes below matter. */
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 SPARSE \"ms.vmdk\"\nddb.adapterType = \"ide\"\n", head);
        assert_true(insp.safe);
        assert_int_equal(insp.virtual_size, 10 * MIB);
        WITH_DESCRIPTOR("%screateType=\"streamOptimized\"\r\nRW 20480 SPARSE \"ms.vmdk\"\r\n", head);
        assert_true(insp.safe);

        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nparentFileNameHint=\"/etc/passwd\"\nRW 20480 SPARSE \"ms.vmdk\"\n",
                        head);
        assert_unsafe_because(&insp, "parent file");
        /* qemu finds the hint even in a comment. */
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\n# parentFileNameHint=\"/x\"\nRW 20480 SPARSE \"ms.vmdk\"\n", head);
        assert_unsafe_because(&insp, "parent file");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 FLAT \"/etc/shadow\" 0\n", head);
        assert_unsafe_because(&insp, "type 'FLAT'");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 VMFS \"disk-flat.vmdk\"\n", head);
        assert_unsafe_because(&insp, "type 'VMFS'");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 SPARSE \"../../etc/shadow\"\n", head);
        assert_unsafe_because(&insp, "path");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 SPARSE \"ms.vmdk\"\nRW 20480 SPARSE \"ms.vmdk\"\n",
                        head);
        assert_unsafe_because(&insp, "more than one extent");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\n", head);
        assert_unsafe_because(&insp, "no extent");
        WITH_DESCRIPTOR("%sRW 20480 SPARSE \"ms.vmdk\"\n", head);
        assert_unsafe_because(&insp, "create type");
        WITH_DESCRIPTOR("%screateType=\"vmfs\"\nRW 20480 SPARSE \"ms.vmdk\"\n", head);
        assert_unsafe_because(&insp, "create type 'vmfs'");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 SPARSE ms.vmdk\n", head);
        assert_unsafe_because(&insp, "malformed extent");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 SPARSE \"ms.vmdk\"\nsomething odd\n", head);
        assert_unsafe_because(&insp, "not understood");
        WITH_DESCRIPTOR("%screateType=\"monolithicSparse\"\nRW 20480 SPARSE \"m\xe9.vmdk\"\n", head);
        assert_unsafe_because(&insp, "not ASCII");

        /* Header fields. */
        RESET();
        put_le64(buf + 12, 0);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "no capacity");
        RESET();
        put_le64(buf + 12, UINT64_C(1) << 60);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "too large");
        RESET();
        put_le32(buf + 4, 4);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "unsupported version 4");
        RESET();
        put_le64(buf + 28, 2);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "sector 1");
        RESET();
        put_le64(buf + 36, 4096);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "descriptor size");
        RESET();
        put_le64(buf + 36, 200);    /* 100 KiB descriptor in a 64 KiB file */
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "truncated");
        insp = inspect_mem(orig, 300);
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_unsafe_because(&insp, "truncated");

        /*
         * Grain directory at the end: qemu takes the header from the footer
         * (here with a different capacity, which must win).
         */
        big = xcalloc(1, size + 1536);
        memcpy(big, orig, size);
        put_le64(big + 56, UINT64_MAX);
        put_le32(big + size + 12, 3);                       /* footer marker */
        memcpy(big + size + 512, orig, 512);                /* footer = header copy */
        put_le64(big + size + 512 + 12, 2 * 20480);         /* capacity: 20 MiB */
        insp = inspect_mem(big, size + 1536);
        assert_true(insp.safe);
        assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
        assert_int_equal(insp.virtual_size, 20 * MIB);
        put_le64(big + size + 512 + 12, 0);
        insp = inspect_mem(big, size + 1536);
        assert_unsafe_because(&insp, "no capacity");
        put_le64(big + size + 512 + 12, 2 * 20480);
        put_le32(big + size + 12, 2);
        insp = inspect_mem(big, size + 1536);
        assert_unsafe_because(&insp, "footer");
#undef WITH_DESCRIPTOR
#undef RESET
}

static void test_vhd(void **state) {
        const char *dir = *state;
        _cleanup_free_ uint8_t *buf = NULL;
        ImageInspection insp;
        uint32_t sum = 0;
        size_t size;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vpc", "-o", "force_size=on", "dyn.vhd", "10M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on",
                             "fixed.vhd", "10M"),
                         0);

        insp = inspect_file(dir, "dyn.vhd");
        assert_int_equal(insp.format, IMAGE_FORMAT_VHD);
        assert_int_equal(insp.virtual_size, 10 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("vhd", &insp), 0);
        assert_int_equal(declared("vhdx", &insp), -EINVAL);
        assert_int_equal(declared("raw", &insp), -EINVAL);

        insp = inspect_file(dir, "fixed.vhd");
        assert_int_equal(insp.format, IMAGE_FORMAT_VHD);
        assert_int_equal(insp.virtual_size, 10 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("vhd", &insp), 0);

        /* A differencing disk (type 4) with a correct checksum is refused. */
        buf = load(dir, "dyn.vhd", &size);
        put_be32(buf + 60, 4);
        for (size_t i = 0; i < 512; i++)
                if (i < 64 || i >= 68)
                        sum += buf[i];
        put_be32(buf + 64, ~sum);
        insp = inspect_mem(buf, size);
        assert_int_equal(insp.format, IMAGE_FORMAT_VHD);
        assert_unsafe_because(&insp, "differencing");
        /* And a footer whose checksum is wrong. */
        put_be32(buf + 64, sum);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "checksum");
}

/* Parses "8B7CA206-4790-4B9A-B8FE-575F050F886E" into its on-disk (mixed-endian) bytes. */
static void guid_bytes(const char *s, uint8_t out[16]) {
        static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
        uint8_t seq[16];
        int n = 0;

        for (const char *p = s; *p && n < 16; p++) {
                unsigned hi, lo;

                if (*p == '-')
                        continue;
                assert_int_equal(sscanf(p, "%1x%1x", &hi, &lo), 2);
                seq[n++] = (uint8_t) (hi << 4 | lo);
                p++;
        }
        assert_int_equal(n, 16);
        for (int i = 0; i < 16; i++)
                out[i] = seq[order[i]];
}

#define VHDX_META_AT (256 * 1024)

/* A minimal VHDX: identifier, region table, metadata table with the given items. */
static uint8_t *vhdx_build(size_t *ret_size, uint32_t file_flags, bool parent_locator, uint32_t size_item_offset) {
        size_t size = VHDX_META_AT + 128 * 1024;
        uint8_t *b = xcalloc(1, size), *rt = b + 192 * 1024, *m = b + VHDX_META_AT;
        uint16_t n = 0;

        memcpy(b, "vhdxfile", 8);
        memcpy(rt, "regi", 4);
        put_le32(rt + 8, 2);
        guid_bytes("2DC27766-F623-4200-9D64-115E9BFD4A08", rt + 16);    /* BAT */
        put_le64(rt + 32, 1024 * 1024);
        put_le32(rt + 40, 1024 * 1024);
        guid_bytes("8B7CA206-4790-4B9A-B8FE-575F050F886E", rt + 48);    /* metadata */
        put_le64(rt + 64, VHDX_META_AT);
        put_le32(rt + 72, 128 * 1024);

        memcpy(m, "metadata", 8);
        guid_bytes("CAA16737-FA36-4D43-B3B6-33F0AA44E76B", m + 32 + 32 * n);    /* file parameters */
        put_le32(m + 32 + 32 * n + 16, 0x10000);
        put_le32(m + 32 + 32 * n + 20, 8);
        n++;
        guid_bytes("2FA54224-CD1B-4876-B211-5DBED83BF4B8", m + 32 + 32 * n);    /* virtual disk size */
        put_le32(m + 32 + 32 * n + 16, size_item_offset);
        put_le32(m + 32 + 32 * n + 20, 8);
        n++;
        if (parent_locator) {
                guid_bytes("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C", m + 32 + 32 * n);
                put_le32(m + 32 + 32 * n + 16, 0x10010);
                put_le32(m + 32 + 32 * n + 20, 64);
                n++;
        }
        put_le16(m + 10, n);
        put_le32(m + 0x10000, 32 * 1024 * 1024);    /* block size */
        put_le32(m + 0x10004, file_flags);
        put_le64(m + 0x10008, UINT64_C(5) << 30);   /* 5 GiB */
        *ret_size = size;
        return b;
}

static void test_vhdx(void **state) {
        const char *dir = *state;
        _cleanup_free_ uint8_t *plain = NULL, *parent = NULL, *locator = NULL, *outside = NULL, *noregion = NULL;
        ImageInspection insp;
        size_t size;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vhdx", "x.vhdx", "64M"), 0);
        insp = inspect_file(dir, "x.vhdx");
        assert_int_equal(insp.format, IMAGE_FORMAT_VHDX);
        assert_int_equal(insp.virtual_size, 64 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("vhdx", &insp), 0);
        assert_int_equal(declared("vhd", &insp), -EINVAL);
        assert_int_equal(declared("raw", &insp), -EINVAL);

        plain = vhdx_build(&size, 0, false, 0x10008);
        insp = inspect_mem(plain, size);
        assert_int_equal(insp.format, IMAGE_FORMAT_VHDX);
        assert_int_equal(insp.virtual_size, UINT64_C(5) << 30);
        assert_true(insp.safe);

        parent = vhdx_build(&size, 2, false, 0x10008);
        insp = inspect_mem(parent, size);
        assert_unsafe_because(&insp, "differencing");
        locator = vhdx_build(&size, 0, true, 0x10008);
        insp = inspect_mem(locator, size);
        assert_unsafe_because(&insp, "differencing");
        outside = vhdx_build(&size, 0, false, 128 * 1024 - 4);
        insp = inspect_mem(outside, size);
        assert_unsafe_because(&insp, "outside the metadata region");
        noregion = vhdx_build(&size, 0, false, 0x10008);
        memcpy(noregion + 192 * 1024, "nope", 4);
        insp = inspect_mem(noregion, size);
        assert_unsafe_because(&insp, "region table");
        insp = inspect_mem(plain, 100 * 1024);
        assert_int_equal(insp.format, IMAGE_FORMAT_VHDX);
        assert_unsafe_because(&insp, "truncated");
}

static void test_vdi(void **state) {
        const char *dir = *state;
        _cleanup_free_ uint8_t *buf = NULL;
        ImageInspection insp;
        size_t size;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vdi", "x.vdi", "64M"), 0);
        insp = inspect_file(dir, "x.vdi");
        assert_int_equal(insp.format, IMAGE_FORMAT_VDI);
        assert_int_equal(insp.virtual_size, 64 * MIB);
        assert_true(insp.safe);
        assert_int_equal(declared("vdi", &insp), 0);
        assert_int_equal(declared("raw", &insp), -EINVAL);

        buf = load(dir, "x.vdi", &size);
        put_le32(buf + 76, 4);    /* differencing */
        insp = inspect_mem(buf, size);
        assert_int_equal(insp.format, IMAGE_FORMAT_VDI);
        assert_unsafe_because(&insp, "image type 4");
        put_le32(buf + 76, 1);
        put_le32(buf + 68, 0x00010000);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "unsupported version");
        insp = inspect_mem(buf, 200);
        assert_unsafe_because(&insp, "truncated");
}

/* Sets a VHD footer's current size and makes its checksum right again. */
static void vhd_set_size(uint8_t *footer, uint64_t size) {
        uint32_t sum = 0;

        put_be64(footer + 48, size);
        for (size_t i = 0; i < 512; i++)
                if (i < 64 || i >= 68)
                        sum += footer[i];
        put_be32(footer + 64, ~sum);
}

/*
 * F8: a VHD or VDI whose header says 0xFFFFFFFFFFFFFFFF was accepted with
 * virtual_size -1 once stored as int64.  Every format's size field is
 * 64 bits: above qemu's largest disk (INT64_MAX rounded down to 1 GiB) the
 * image is malformed; at it, it is fine.
 */
static void test_virtual_size_limits(void **state) {
        const char *dir = *state;
        const uint64_t max = UINT64_C(0x7fffffffc0000000);
        const uint64_t sizes[] = { UINT64_MAX, UINT64_C(1) << 63, max + 1 };
        _cleanup_free_ uint8_t *vhd = NULL, *fixed = NULL, *vdi = NULL, *vmdk = NULL, *vhdx = NULL, *qcow2 = NULL;
        size_t vhd_size, fixed_size, vdi_size, vmdk_size, vhdx_size, qcow2_size;
        ImageInspection insp;

        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vpc", "-o", "force_size=on", "dyn.vhd", "10M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=fixed,force_size=on",
                             "fixed.vhd", "10M"),
                         0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vdi", "x.vdi", "64M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "vmdk", "x.vmdk", "10M"), 0);
        assert_int_equal(RUN(dir, "qemu-img", "create", "-q", "-f", "qcow2", "x.qcow2", "10M"), 0);
        vhd = load(dir, "dyn.vhd", &vhd_size);
        fixed = load(dir, "fixed.vhd", &fixed_size);
        vdi = load(dir, "x.vdi", &vdi_size);
        vmdk = load(dir, "x.vmdk", &vmdk_size);
        qcow2 = load(dir, "x.qcow2", &qcow2_size);
        vhdx = vhdx_build(&vhdx_size, 0, false, 0x10008);

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                vhd_set_size(vhd, sizes[i]);
                insp = inspect_mem(vhd, vhd_size);
                assert_int_equal(insp.format, IMAGE_FORMAT_VHD);
                assert_unsafe_because(&insp, "virtual size");
                assert_int_equal(declared("vhd", &insp), -EINVAL);

                vhd_set_size(fixed + fixed_size - 512, sizes[i]);
                insp = inspect_mem(fixed, fixed_size);
                assert_int_equal(insp.format, IMAGE_FORMAT_VHD);
                assert_unsafe_because(&insp, "virtual size");

                put_le64(vdi + 368, sizes[i]);
                insp = inspect_mem(vdi, vdi_size);
                assert_int_equal(insp.format, IMAGE_FORMAT_VDI);
                assert_unsafe_because(&insp, "virtual size");
                assert_int_equal(declared("vdi", &insp), -EINVAL);

                put_le64(vhdx + 256 * 1024 + 0x10008, sizes[i]);
                insp = inspect_mem(vhdx, vhdx_size);
                assert_int_equal(insp.format, IMAGE_FORMAT_VHDX);
                assert_unsafe_because(&insp, "virtual size");

                /* The VMDK capacity is in sectors. */
                put_le64(vmdk + 12, sizes[i] / 512 + (sizes[i] % 512 != 0));
                insp = inspect_mem(vmdk, vmdk_size);
                assert_int_equal(insp.format, IMAGE_FORMAT_VMDK);
                assert_false(insp.safe);

                put_be64(qcow2 + 24, sizes[i]);
                insp = inspect_mem(qcow2, qcow2_size);
                assert_int_equal(insp.format, IMAGE_FORMAT_QCOW2);
                assert_false(insp.safe);
        }

        /* The largest size qemu opens is accepted. */
        vhd_set_size(vhd, max);
        insp = inspect_mem(vhd, vhd_size);
        assert_true(insp.safe);
        assert_true(insp.virtual_size == max);
        put_le64(vdi + 368, max);
        insp = inspect_mem(vdi, vdi_size);
        assert_true(insp.safe);
        put_le64(vhdx + 256 * 1024 + 0x10008, max);
        insp = inspect_mem(vhdx, vhdx_size);
        assert_true(insp.safe);
        put_le64(vmdk + 12, max / 512);
        insp = inspect_mem(vmdk, vmdk_size);
        assert_true(insp.safe);
        assert_true(insp.virtual_size == max);
}

static void test_iso(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *sub = xasprintf("%s/content", dir);
        _cleanup_free_ uint8_t *buf = NULL;
        ImageInspection insp;
        size_t size;

        assert_int_equal(mkdir(sub, 0700), 0);
        save(sub, "hello.txt", "hello\n", 6);
        assert_int_equal(RUN(dir, "genisoimage", "-quiet", "-o", "x.iso", "content"), 0);
        insp = inspect_file(dir, "x.iso");
        buf = load(dir, "x.iso", &size);
        assert_int_equal(insp.format, IMAGE_FORMAT_ISO);
        assert_int_equal(insp.virtual_size, size);
        assert_true(insp.safe);
        assert_int_equal(declared("iso", &insp), 0);
        /* An ISO may be declared raw. */
        assert_int_equal(declared("raw", &insp), 0);
        assert_int_equal(declared("qcow2", &insp), -EINVAL);

        /* A qcow2 header on an ISO: two formats claim the bytes. */
        memcpy(buf, "QFI\xfb\0\0\0\3", 8);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "more than one disk format");
        /* And a VDI signature. */
        memset(buf, 0, 8);
        put_le32(buf + 64, 0xbeda107f);
        insp = inspect_mem(buf, size);
        assert_unsafe_because(&insp, "more than one disk format");
}

static void test_other_magic(void **state) {
        uint8_t buf[4096] = {};
        ImageInspection insp;

        memcpy(buf, "QED\0", 4);
        insp = inspect_mem(buf, sizeof(buf));
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_unsafe_because(&insp, "QED");
        assert_int_equal(declared("raw", &insp), -EINVAL);

        /* A VHD footer on a raw-looking file makes it a (malformed) fixed VHD. */
        memset(buf, 0, sizeof(buf));
        memcpy(buf + sizeof(buf) - 512, "conectix", 8);
        insp = inspect_mem(buf, sizeof(buf));
        assert_int_equal(insp.format, IMAGE_FORMAT_VHD);
        assert_false(insp.safe);
}

static void test_check_declared(void **state) {
        ImageInspection insp = { .format = IMAGE_FORMAT_RAW, .virtual_size = 1, .safe = true };
        _cleanup_free_ char *msg = NULL;

        assert_int_equal(declared("raw", &insp), 0);
        assert_int_equal(declared("ami", &insp), 0);
        assert_int_equal(declared("ari", &insp), 0);
        assert_int_equal(declared("aki", &insp), 0);
        assert_int_equal(declared("qcow2", &insp), -EINVAL);
        assert_int_equal(declared("vmdk", &insp), -EINVAL);
        assert_int_equal(declared("vhd", &insp), -EINVAL);
        assert_int_equal(declared("vhdx", &insp), -EINVAL);
        assert_int_equal(declared("vdi", &insp), -EINVAL);
        assert_int_equal(declared("iso", &insp), -EINVAL);
        assert_int_equal(declared("ploop", &insp), -EINVAL);
        assert_int_equal(declared("QCOW2", &insp), -EINVAL);
        assert_int_equal(declared("", &insp), -EINVAL);
        assert_int_equal(declared(NULL, &insp), -EINVAL);
        assert_int_equal(image_format_check_declared("raw", &insp, NULL), 0);
        assert_int_equal(image_format_check_declared("qcow2", &insp, NULL), -EINVAL);

        assert_int_equal(image_format_check_declared("ploop", &insp, &msg), -EINVAL);
        assert_string_equal(msg, "The disk format 'ploop' is not supported.");
        free(msg);
        msg = NULL;

        insp.format = IMAGE_FORMAT_QCOW2;
        assert_int_equal(image_format_check_declared("raw", &insp, &msg), -EINVAL);
        assert_string_equal(msg, "The image data is in the qcow2 format, which does not match the declared disk format 'raw'.");
        free(msg);
        msg = NULL;

        /* An unsafe image is refused with its reason, even when the format matches. */
        insp.safe = false;
        snprintf(insp.reason, sizeof(insp.reason), "The qcow2 image names a backing file, which is not allowed.");
        assert_int_equal(image_format_check_declared("qcow2", &insp, &msg), -EINVAL);
        assert_string_equal(msg, insp.reason);
        free(msg);
        msg = NULL;
        insp.reason[0] = '\0';
        assert_int_equal(declared("qcow2", &insp), -EINVAL);
}

static void test_fd_errors(void **state) {
        const char *dir = *state;
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *path = xasprintf("%s/short.raw", dir);
        ImageInspection insp = { .format = IMAGE_FORMAT_VDI, .virtual_size = 77 };

        assert_int_equal(image_format_inspect_fd(-1, 100, &insp), -EBADF);
        assert_true(dfd >= 0);
        assert_int_equal(image_format_inspect_fd(dfd, 4096, &insp), -EISDIR);
        save(dir, "short.raw", "0123456789", 10);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        /* The file is shorter than the caller claims. */
        assert_int_equal(image_format_inspect_fd(fd, 4096, &insp), -EIO);
        assert_int_equal(image_format_inspect_fd(fd, UINT64_MAX, &insp), -EINVAL);
        /* ret is untouched on failure. */
        assert_int_equal(insp.format, IMAGE_FORMAT_VDI);
        assert_int_equal(insp.virtual_size, 77);
        assert_int_equal(image_format_inspect_fd(fd, 10, &insp), 0);
        assert_int_equal(insp.format, IMAGE_FORMAT_RAW);
        assert_int_equal(insp.virtual_size, 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_strings),
                cmocka_unit_test_setup_teardown(test_raw, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_qcow2_versions, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_qcow2_backing_file, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_qcow2_data_file, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_qcow2_malformed, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_vmdk_sparse, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_vmdk_descriptor_file, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_vmdk_malformed, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_vhd, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_vhdx, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_vdi, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_virtual_size_limits, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test_setup_teardown(test_iso, setup_tmpdir, teardown_tmpdir),
                cmocka_unit_test(test_other_magic),
                cmocka_unit_test(test_check_declared),
                cmocka_unit_test_setup_teardown(test_fd_errors, setup_tmpdir, teardown_tmpdir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
