/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disk image format inspection (see image_format.h).  One reader
 * abstraction (pread on an fd, or memcpy from a buffer) with a byte budget
 * feeds a detector and one inspector per format.  Each inspector checks
 * what qemu would act on when it opens the file: backing, parent and data
 * file names, and the header fields qemu trusts.  Glance's
 * format_inspector.py is the behavioural reference; the layouts come from
 * qemu's docs/interop/qcow2.txt, VMware's VMDK spec, MS-VHDX and the
 * VHD/VDI headers as qemu reads them.  Nothing here logs or allocates
 * more than one bounded buffer at a time.
 */
#include "image/image_format.h"

#include <inttypes.h>
#include <limits.h>
#include <strings.h>

#include "util/util.h"

/* Never read more than this from one image, whatever its headers say. */
#define READ_BUDGET (UINT64_C(4) * 1024 * 1024)
/* qemu probes formats from the first 2 KiB (BLOCK_PROBE_BUF_SIZE). */
#define HEAD_SIZE 2048

#define KIB UINT64_C(1024)
#define MIB (KIB * KIB)

/*
 * The largest virtual size accepted: qemu opens no disk larger than this
 * (BDRV_MAX_LENGTH, INT64_MAX rounded down to 1 GiB), and it fits in the
 * int64 that the database and Glance's API hold sizes in.  A header that
 * says more (0xFFFFFFFFFFFFFFFF became virtual_size -1) is malformed.
 */
#define VIRTUAL_SIZE_MAX (UINT64_C(0x7fffffffffffffff) & ~((UINT64_C(1) << 30) - 1))

static const char *const image_format_table[_IMAGE_FORMAT_MAX] = {
        [IMAGE_FORMAT_RAW] = "raw",
        [IMAGE_FORMAT_QCOW2] = "qcow2",
        [IMAGE_FORMAT_VMDK] = "vmdk",
        [IMAGE_FORMAT_VHD] = "vhd",
        [IMAGE_FORMAT_VHDX] = "vhdx",
        [IMAGE_FORMAT_VDI] = "vdi",
        [IMAGE_FORMAT_ISO] = "iso",
};

const char *image_format_to_string(ImageFormat f) {
        if (f < 0 || f >= _IMAGE_FORMAT_MAX)
                return NULL;
        return image_format_table[f];
}

/* Where the bytes come from: exactly one of fd and data is used. */
typedef struct Reader {
        int fd;                 /* pread() from here unless in_memory */
        const uint8_t *data;    /* memcpy() from here if in_memory */
        bool in_memory;
        uint64_t size;          /* bytes in the image */
        uint64_t budget;        /* bytes we may still read */
} Reader;

/*
 * Reads exactly n bytes at offset into buf.  Returns 0, -ERANGE if the
 * range is not inside the image (the data is truncated), -E2BIG if the
 * read budget is spent, -EIO if the file ends before the size the caller
 * gave, or the -errno of pread().
 */
static int reader_read(Reader *r, uint64_t offset, void *buf, size_t n) {
        uint8_t *p = buf;

        if (offset > r->size || n > r->size - offset)
                return -ERANGE;
        if (n > r->budget)
                return -E2BIG;
        if (n == 0)
                return 0;
        r->budget -= n;
        if (r->in_memory) {
                memcpy(buf, r->data + offset, n);
                return 0;
        }
        while (n > 0) {
                ssize_t k = pread(r->fd, p, n, (off_t) offset);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
                offset += (uint64_t) k;
        }
        return 0;
}

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p) | (uint64_t) le32(p + 4) << 32;
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

static uint64_t be64(const uint8_t *p) {
        return (uint64_t) be32(p) << 32 | (uint64_t) be32(p + 4);
}

/* Marks the image unsafe; the first reason found is the one reported. */
static _printf_(2, 3) void set_unsafe(ImageInspection *insp, const char *fmt, ...) {
        va_list ap;

        if (!insp->safe)
                return;
        insp->safe = false;
        va_start(ap, fmt);
        (void) vsnprintf(insp->reason, sizeof(insp->reason), fmt, ap);
        va_end(ap);
}

/*
 * Turns a failed read into a verdict: data that ends too early, or that
 * would need more reading than the budget allows, makes the image unsafe
 * (returns 0); anything else is an I/O error for the caller.
 */
static int read_failed(ImageInspection *insp, int r, const char *what) {
        if (r == -ERANGE) {
                set_unsafe(insp, "The %s data is truncated.", what);
                return 0;
        }
        if (r == -E2BIG) {
                set_unsafe(insp, "Inspecting the %s data would need to read too much of the image.", what);
                return 0;
        }
        return r;
}

/* ---- qcow2 (docs/interop/qcow2.txt; big-endian) ---- */

#define QCOW2_V2_HEADER_SIZE 72
#define QCOW2_V3_HEADER_SIZE 104
#define QCOW2_INCOMPAT_DATA_FILE (UINT64_C(1) << 2)
#define QCOW2_INCOMPAT_EXTL2 (UINT64_C(1) << 4)
#define QCOW2_INCOMPAT_KNOWN (UINT64_C(0x1f))  /* dirty, corrupt, data file, compression, extended L2 */
#define QCOW2_EXT_END UINT32_C(0)
#define QCOW2_EXT_DATA_FILE UINT32_C(0x44415441)
#define QCOW2_EXTENSIONS_MAX 1024              /* real images have a handful */
#define QCOW2_L1_MAX_BYTES (32 * MIB)          /* qemu's QCOW_MAX_L1_SIZE */
#define QCOW2_REFTABLE_MAX_BYTES (8 * MIB)     /* qemu's QCOW_MAX_REFTABLE_SIZE */
#define QCOW2_SNAPSHOTS_MAX UINT32_C(65536)    /* qemu's QCOW_MAX_SNAPSHOTS */

/*
 * Walks the header extensions from offset to the end of the first cluster
 * as qemu's qcow2_read_extensions() does, refusing the external data file
 * name.  An extension that overruns the cluster makes qemu refuse the
 * image, so we refuse it too.
 */
static int qcow2_check_extensions(Reader *r, uint64_t offset, uint64_t end, ImageInspection *insp) {
        for (unsigned n = 0; offset < end; n++) {
                uint8_t ext[8];
                uint32_t magic, len;
                int k;

                if (n >= QCOW2_EXTENSIONS_MAX) {
                        set_unsafe(insp, "The qcow2 image has too many header extensions.");
                        return 0;
                }
                k = reader_read(r, offset, ext, sizeof(ext));
                if (k < 0)
                        return read_failed(insp, k, "qcow2 header extension");
                magic = be32(ext);
                len = be32(ext + 4);
                offset += sizeof(ext);
                if (offset > end || len > end - offset) {
                        set_unsafe(insp, "A qcow2 header extension runs past the first cluster.");
                        return 0;
                }
                if (magic == QCOW2_EXT_END)
                        return 0;
                if (magic == QCOW2_EXT_DATA_FILE) {
                        set_unsafe(insp, "The qcow2 image names an external data file, which is not allowed.");
                        return 0;
                }
                /* len <= end - offset <= 2 MiB, so this cannot overflow. */
                offset += ((uint64_t) len + 7) & ~UINT64_C(7);
        }
        return 0;
}

/* Sanity of the tables qemu reads at open: same limits as qcow2_do_open(). */
static void qcow2_check_tables(const Reader *r, const uint8_t *h, uint32_t cluster_bits, uint64_t incompat,
                               ImageInspection *insp) {
        uint64_t cluster_size = UINT64_C(1) << cluster_bits;
        uint64_t size = be64(h + 24);
        uint32_t crypt_method = be32(h + 32);
        uint32_t l1_size = be32(h + 36);
        uint64_t l1_offset = be64(h + 40);
        uint64_t rt_offset = be64(h + 48);
        uint32_t rt_clusters = be32(h + 56);
        uint32_t nb_snapshots = be32(h + 60);
        uint64_t snapshots_offset = be64(h + 64);
        unsigned shift;
        uint64_t l1_needed;

        if (crypt_method > 2)
                set_unsafe(insp, "The qcow2 image uses unknown encryption method %" PRIu32 ".", crypt_method);

        /* One L1 entry maps one L2 table: cluster_size / (8 or 16) clusters. */
        shift = cluster_bits + cluster_bits - ((incompat & QCOW2_INCOMPAT_EXTL2) ? 4 : 3);
        l1_needed = (size >> shift) + ((size & ((UINT64_C(1) << shift) - 1)) != 0);
        if (l1_needed > INT_MAX)
                set_unsafe(insp, "The qcow2 virtual size is too large.");
        if (l1_size > QCOW2_L1_MAX_BYTES / 8)
                set_unsafe(insp, "The qcow2 L1 table is too large.");
        if (l1_size < l1_needed)
                set_unsafe(insp, "The qcow2 L1 table is too small for the virtual size.");
        if (l1_offset % cluster_size != 0 || rt_offset % cluster_size != 0 || snapshots_offset % cluster_size != 0)
                set_unsafe(insp, "A qcow2 table offset is not aligned to a cluster.");
        if (rt_offset == 0)
                set_unsafe(insp, "The qcow2 image has no refcount table.");
        if (rt_clusters > QCOW2_REFTABLE_MAX_BYTES / cluster_size)
                set_unsafe(insp, "The qcow2 refcount table is too large.");
        if (nb_snapshots > QCOW2_SNAPSHOTS_MAX)
                set_unsafe(insp, "The qcow2 image has too many snapshots.");
        if (!insp->safe)
                return;

        /* Both tables are bounded above, so these products cannot overflow. */
        if (l1_size > 0 && (l1_offset == 0 || l1_offset > r->size || (uint64_t) l1_size * 8 > r->size - l1_offset))
                set_unsafe(insp, "The qcow2 L1 table lies outside the file.");
        if (rt_offset > r->size || (uint64_t) rt_clusters * cluster_size > r->size - rt_offset)
                set_unsafe(insp, "The qcow2 refcount table lies outside the file.");
}

static int inspect_qcow2(Reader *r, const uint8_t *h, size_t len, ImageInspection *insp) {
        uint32_t version, cluster_bits, header_length = QCOW2_V2_HEADER_SIZE;
        uint64_t cluster_size, incompat = 0;

        insp->format = IMAGE_FORMAT_QCOW2;
        insp->virtual_size = 0;
        if (len < QCOW2_V2_HEADER_SIZE) {
                set_unsafe(insp, "The qcow2 header is truncated.");
                return 0;
        }
        version = be32(h + 4);
        if (version != 2 && version != 3) {
                set_unsafe(insp, "The qcow2 header has unsupported version %" PRIu32 ".", version);
                return 0;
        }
        insp->virtual_size = be64(h + 24);

        /* The attack itself: a backing file name makes qemu open a host file. */
        if (be64(h + 8) != 0 || be32(h + 16) != 0)
                set_unsafe(insp, "The qcow2 image names a backing file, which is not allowed.");

        cluster_bits = be32(h + 20);
        if (cluster_bits < 9 || cluster_bits > 21) {
                set_unsafe(insp, "The qcow2 header has an invalid cluster size (cluster_bits %" PRIu32 ").",
                           cluster_bits);
                return 0;
        }
        cluster_size = UINT64_C(1) << cluster_bits;

        if (version == 3) {
                if (len < QCOW2_V3_HEADER_SIZE) {
                        set_unsafe(insp, "The qcow2 header is truncated.");
                        return 0;
                }
                incompat = be64(h + 72);
                if (incompat & QCOW2_INCOMPAT_DATA_FILE)
                        set_unsafe(insp, "The qcow2 image uses an external data file, which is not allowed.");
                if (incompat & ~QCOW2_INCOMPAT_KNOWN)
                        set_unsafe(insp, "The qcow2 image uses unknown incompatible features (0x%" PRIx64 ").",
                                   incompat & ~QCOW2_INCOMPAT_KNOWN);
                if (be32(h + 96) > 6)
                        set_unsafe(insp, "The qcow2 header has an invalid refcount order %" PRIu32 ".", be32(h + 96));
                header_length = be32(h + 100);
                if (header_length < QCOW2_V3_HEADER_SIZE || header_length > cluster_size) {
                        set_unsafe(insp, "The qcow2 header length %" PRIu32 " is invalid.", header_length);
                        return 0;
                }
        }

        /* Walked even when already unsafe: costs little, and fuzzing reaches it. */
        {
                int k = qcow2_check_extensions(r, header_length, cluster_size, insp);
                if (k < 0)
                        return k;
        }
        qcow2_check_tables(r, h, cluster_bits, incompat, insp);
        return 0;
}

/* ---- VMDK (VMware Virtual Disk Format 1.1; little-endian) ---- */

#define VMDK_SECTOR UINT64_C(512)
#define VMDK_GD_AT_END UINT64_MAX
#define VMDK_DESC_MAX_SECTORS UINT64_C(2048)     /* a 1 MiB embedded descriptor */
/* qemu's vmdk_parent_open() reads this much from sector 1, whatever the header says. */
#define VMDK_QEMU_DESC_SCAN (20 * 512)
#define VMDK_FOOTER_SIZE 1536                     /* footer marker, footer, end-of-stream marker */
#define VMDK_MARKER_EOS 0
#define VMDK_MARKER_FOOTER 3

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* Trims spaces, tabs and carriage returns at both ends of [*p, *p + *n). */
static void trim(const char **p, size_t *n) {
        while (*n > 0 && is_blank((*p)[0])) {
                (*p)++;
                (*n)--;
        }
        while (*n > 0 && is_blank((*p)[*n - 1]))
                (*n)--;
}

/* Length of the first word of [p, p + n): up to a space, tab or '='. */
static size_t word_len(const char *p, size_t n) {
        size_t i = 0;

        while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '=')
                i++;
        return i;
}

static bool span_eq_nocase(const char *p, size_t n, const char *word) {
        return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/*
 * Checks one extent line ("RW 20480 SPARSE "disk.vmdk" [offset]") and
 * counts it.  Only a SPARSE extent naming a plain file (this one) passes:
 * FLAT, VMFS, ZERO and the rest read other files or devices.
 */
static void vmdk_check_extent(const char *p, size_t n, unsigned *n_extents, ImageInspection *insp) {
        const char *end = p + n, *type, *name;
        size_t type_len, name_len;

        (*n_extents)++;
        if (*n_extents > 1) {
                set_unsafe(insp, "The VMDK descriptor describes more than one extent, which is not allowed.");
                return;
        }
        /* Skip the access mode, then the size in sectors. */
        while (p < end && *p != ' ' && *p != '\t')
                p++;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p == end || *p < '0' || *p > '9')
                goto malformed;
        while (p < end && *p >= '0' && *p <= '9')
                p++;
        if (p == end || (*p != ' ' && *p != '\t'))
                goto malformed;
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        type = p;
        while (p < end && *p != ' ' && *p != '\t')
                p++;
        type_len = (size_t) (p - type);
        if (!span_eq_nocase(type, type_len, "SPARSE")) {
                set_unsafe(insp, "A VMDK extent of type '%.*s' is not allowed; only one SPARSE extent is.",
                           (int) (type_len > 24 ? 24 : type_len), type);
                return;
        }
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p == end || *p != '"')
                goto malformed;
        name = ++p;
        while (p < end && *p != '"')
                p++;
        if (p == end)
                goto malformed;
        name_len = (size_t) (p - name);
        p++;
        if (name_len == 0 || memchr(name, '/', name_len) || memchr(name, '\\', name_len)) {
                set_unsafe(insp, "A VMDK extent names a path instead of this file, which is not allowed.");
                return;
        }
        /* An optional offset in sectors, then nothing. */
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        while (p < end && *p >= '0' && *p <= '9')
                p++;
        if (p != end)
                goto malformed;
        return;

malformed:
        set_unsafe(insp, "The VMDK descriptor has a malformed extent line.");
}

/*
 * Parses the embedded descriptor (text, NUL-terminated) line by line, like
 * Glance: comments, blank lines, ddb.* lines, key=value lines and extent
 * lines are understood, anything else is refused.
 */
static void vmdk_check_descriptor(const char *text, ImageInspection *insp) {
        bool have_type = false;
        unsigned n_extents = 0;

        for (const char *c = text; *c; c++)
                if (!(*c == '\t' || *c == '\n' || *c == '\r' || (*c >= 0x20 && *c < 0x7f))) {
                        set_unsafe(insp, "The VMDK descriptor contains data that is not ASCII text.");
                        return;
                }
        /* qemu looks for the hint anywhere in the text, comments included. */
        if (strcasestr(text, "parentFileNameHint")) {
                set_unsafe(insp, "The VMDK descriptor names a parent file, which is not allowed.");
                return;
        }

        for (const char *line = text; *line;) {
                const char *eol = strchr(line, '\n'), *p = line, *eq;
                size_t n = eol ? (size_t) (eol - line) : strlen(line);
                size_t word;

                line = eol ? eol + 1 : line + n;
                trim(&p, &n);
                if (n == 0 || p[0] == '#')
                        continue;
                if (n >= 4 && strncasecmp(p, "ddb.", 4) == 0)
                        continue;
                word = word_len(p, n);
                if (span_eq_nocase(p, word, "RW") || span_eq_nocase(p, word, "RDONLY") ||
                    span_eq_nocase(p, word, "NOACCESS")) {
                        vmdk_check_extent(p, n, &n_extents, insp);
                        if (!insp->safe)
                                return;
                        continue;
                }
                eq = memchr(p, '=', n);
                if (eq && word == (size_t) (eq - p) && word > 0) {
                        const char *v = eq + 1;
                        size_t vn = n - word - 1;

                        if (!span_eq_nocase(p, word, "createType"))
                                continue;
                        trim(&v, &vn);
                        if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
                                v++;
                                vn -= 2;
                        }
                        if (!span_eq_nocase(v, vn, "monolithicSparse") && !span_eq_nocase(v, vn, "streamOptimized")) {
                                set_unsafe(insp,
                                           "The VMDK create type '%.*s' is not allowed; only monolithicSparse and streamOptimized are.",
                                           (int) (vn > 32 ? 32 : vn), v);
                                return;
                        }
                        have_type = true;
                        continue;
                }
                set_unsafe(insp, "The VMDK descriptor contains a line that is not understood.");
                return;
        }
        if (!have_type)
                set_unsafe(insp, "The VMDK descriptor does not state its create type.");
        if (n_extents == 0)
                set_unsafe(insp, "The VMDK descriptor describes no extent.");
}

/*
 * Reads the footer of a stream-optimized VMDK whose header says "grain
 * directory at end" into foot: qemu then takes the whole header from the
 * footer (at foot + 512), so that is the one to check.  Marks the image
 * unsafe if the footer is missing or malformed.
 */
static int vmdk_read_footer(Reader *r, uint8_t foot[static VMDK_FOOTER_SIZE], ImageInspection *insp) {
        int k;

        if (r->size < VMDK_SECTOR + VMDK_FOOTER_SIZE) {
                set_unsafe(insp, "The VMDK footer is missing.");
                return 0;
        }
        k = reader_read(r, r->size - VMDK_FOOTER_SIZE, foot, VMDK_FOOTER_SIZE);
        if (k < 0)
                return read_failed(insp, k, "VMDK footer");
        if (le32(foot + 8) != 0 || le32(foot + 12) != VMDK_MARKER_FOOTER || memcmp(foot + 512, "KDMV", 4) != 0 ||
            le64(foot + 1024) != 0 || le32(foot + 1032) != 0 || le32(foot + 1036) != VMDK_MARKER_EOS)
                set_unsafe(insp, "The VMDK footer is malformed.");
        return 0;
}

static int inspect_vmdk(Reader *r, const uint8_t *h, size_t len, ImageInspection *insp) {
        uint8_t foot[VMDK_FOOTER_SIZE];
        _cleanup_free_ char *text = NULL;
        const uint8_t *eff = h;     /* the header qemu will use */
        uint64_t capacity, desc_offset, desc_sectors, scan;
        uint32_t version;
        int k;

        insp->format = IMAGE_FORMAT_VMDK;
        insp->virtual_size = 0;
        if (len < VMDK_SECTOR) {
                set_unsafe(insp, "The VMDK header is truncated.");
                return 0;
        }
        if (le64(h + 56) == VMDK_GD_AT_END) {
                k = vmdk_read_footer(r, foot, insp);
                if (k < 0 || !insp->safe)
                        return k;
                eff = foot + 512;
                if (le64(eff + 56) == VMDK_GD_AT_END) {
                        set_unsafe(insp, "The VMDK footer does not locate the grain directory.");
                        return 0;
                }
        }
        version = le32(h + 4);
        if (version < 1 || version > 3 || le32(eff + 4) < 1 || le32(eff + 4) > 3) {
                set_unsafe(insp, "The VMDK header has unsupported version %" PRIu32 ".",
                           version < 1 || version > 3 ? version : le32(eff + 4));
                return 0;
        }

        /* Capacity 0 makes qemu open the embedded descriptor's extents instead. */
        capacity = le64(eff + 12);
        if (capacity == 0) {
                set_unsafe(insp, "The VMDK header has no capacity, which would make the descriptor name other files.");
                return 0;
        }
        if (capacity > UINT64_MAX / VMDK_SECTOR) {
                set_unsafe(insp, "The VMDK capacity is too large.");
                return 0;
        }
        insp->virtual_size = capacity * VMDK_SECTOR;

        desc_offset = le64(h + 28);
        desc_sectors = le64(h + 36);
        if (desc_offset != 1) {
                set_unsafe(insp, "The VMDK descriptor does not start at sector 1.");
                return 0;
        }
        if (desc_sectors == 0 || desc_sectors > VMDK_DESC_MAX_SECTORS) {
                set_unsafe(insp, "The VMDK descriptor size is invalid.");
                return 0;
        }
        if (desc_sectors * VMDK_SECTOR > r->size - VMDK_SECTOR) {
                set_unsafe(insp, "The VMDK descriptor is truncated.");
                return 0;
        }

        /* Read what qemu reads: at least 20 sectors, so a hint hidden past the end is seen. */
        scan = desc_sectors * VMDK_SECTOR;
        if (scan < VMDK_QEMU_DESC_SCAN)
                scan = VMDK_QEMU_DESC_SCAN;
        if (scan > r->size - VMDK_SECTOR)
                scan = r->size - VMDK_SECTOR;
        text = xmalloc((size_t) scan + 1);
        k = reader_read(r, VMDK_SECTOR, text, (size_t) scan);
        if (k < 0)
                return read_failed(insp, k, "VMDK descriptor");
        text[scan] = '\0';
        vmdk_check_descriptor(text, insp);
        return 0;
}

/*
 * qemu's vmdk_probe() for text descriptors: after comment lines and
 * space-only lines, a "version=1|2|3" line makes the file a VMDK.
 */
static bool vmdk_is_text_descriptor(const uint8_t *buf, size_t len) {
        const char *p = (const char *) buf, *end = p + len;

        if (len >= 21 && memcmp(buf, "# Disk DescriptorFile", 21) == 0)
                return true;
        while (p < end) {
                if (*p == '#') {
                        while (p < end && *p != '\n')
                                p++;
                        if (p < end)
                                p++;
                        continue;
                }
                if (*p == ' ') {
                        while (p < end && *p == ' ')
                                p++;
                        if (p < end && *p == '\r')
                                p++;
                        if (p == end || *p != '\n')
                                return false;
                        p++;
                        continue;
                }
                for (char v = '1'; v <= '3'; v++) {
                        char want[12] = "version=X\n";

                        want[8] = v;
                        if ((size_t) (end - p) >= 10 && memcmp(p, want, 10) == 0)
                                return true;
                        want[9] = '\r';
                        want[10] = '\n';
                        if ((size_t) (end - p) >= 11 && memcmp(p, want, 11) == 0)
                                return true;
                }
                return false;
        }
        return false;
}

/* ---- VHD (Virtual Hard Disk Image Format Specification; big-endian footer) ---- */

#define VHD_FOOTER_SIZE 512
#define VHD_TYPE_FIXED 2
#define VHD_TYPE_DYNAMIC 3
#define VHD_TYPE_DIFFERENCING 4

static uint32_t vhd_checksum(const uint8_t *footer) {
        uint32_t sum = 0;

        for (size_t i = 0; i < VHD_FOOTER_SIZE; i++)
                if (i < 64 || i >= 68)
                        sum += footer[i];
        return ~sum;
}

/* at_end: found at the end of the file only, as fixed disks have it. */
static void inspect_vhd(const uint8_t *footer, bool at_end, ImageInspection *insp) {
        uint32_t disk_type = be32(footer + 60);

        insp->format = IMAGE_FORMAT_VHD;
        insp->virtual_size = be64(footer + 48);
        if (be32(footer + 64) != vhd_checksum(footer))
                set_unsafe(insp, "The VHD footer checksum is wrong.");
        if (disk_type == VHD_TYPE_DIFFERENCING)
                set_unsafe(insp, "The VHD image is a differencing disk, which names a parent file.");
        else if (disk_type != VHD_TYPE_FIXED && disk_type != VHD_TYPE_DYNAMIC)
                set_unsafe(insp, "The VHD footer has unknown disk type %" PRIu32 ".", disk_type);
        else if (at_end && disk_type != VHD_TYPE_FIXED)
                set_unsafe(insp, "The VHD image has a dynamic disk footer but no header copy at its start.");
}

/* ---- VHDX (MS-VHDX; little-endian, GUIDs in their mixed-endian byte order) ---- */

#define VHDX_REGION_TABLE_OFFSET (192 * KIB)
#define VHDX_TABLE_ENTRIES_MAX 2047
#define VHDX_FILE_HAS_PARENT UINT32_C(2)

static const uint8_t vhdx_guid_metadata_region[16] = {
        0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e,
};
static const uint8_t vhdx_guid_virtual_disk_size[16] = {
        0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48, 0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8,
};
static const uint8_t vhdx_guid_file_parameters[16] = {
        0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d, 0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b,
};
static const uint8_t vhdx_guid_parent_locator[16] = {
        0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45, 0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c,
};

/* Reads the 8-byte start of a metadata item, checking it lies inside the metadata region. */
static int vhdx_read_item(Reader *r, uint64_t meta_offset, uint32_t meta_length, const uint8_t *entry,
                          uint8_t item[static 8], ImageInspection *insp) {
        uint32_t item_offset = le32(entry + 16), item_length = le32(entry + 20);
        uint64_t at;
        int k;

        if (item_length < 8 || (uint64_t) item_offset + item_length > meta_length ||
            __builtin_add_overflow(meta_offset, (uint64_t) item_offset, &at)) {
                set_unsafe(insp, "A VHDX metadata item lies outside the metadata region.");
                return 0;
        }
        k = reader_read(r, at, item, 8);
        if (k < 0)
                return read_failed(insp, k, "VHDX metadata item");
        return 1;
}

static int inspect_vhdx(Reader *r, ImageInspection *insp) {
        _cleanup_free_ uint8_t *regions = NULL, *items = NULL;
        uint8_t hdr[32], item[8];
        uint64_t meta_offset = 0;
        uint32_t n_regions, meta_length = 0;
        uint16_t n_items;
        bool have_meta = false, have_size = false;
        int k;

        insp->format = IMAGE_FORMAT_VHDX;
        insp->virtual_size = 0;

        k = reader_read(r, VHDX_REGION_TABLE_OFFSET, hdr, 16);
        if (k < 0)
                return read_failed(insp, k, "VHDX region table");
        n_regions = le32(hdr + 8);
        if (memcmp(hdr, "regi", 4) != 0 || n_regions > VHDX_TABLE_ENTRIES_MAX) {
                set_unsafe(insp, "The VHDX region table is malformed.");
                return 0;
        }
        regions = xmalloc((size_t) n_regions * 32 + 1);
        k = reader_read(r, VHDX_REGION_TABLE_OFFSET + 16, regions, (size_t) n_regions * 32);
        if (k < 0)
                return read_failed(insp, k, "VHDX region table");
        for (uint32_t i = 0; i < n_regions; i++) {
                const uint8_t *e = regions + (size_t) i * 32;

                if (memcmp(e, vhdx_guid_metadata_region, 16) == 0) {
                        meta_offset = le64(e + 16);
                        meta_length = le32(e + 24);
                        have_meta = true;
                        break;
                }
        }
        if (!have_meta) {
                set_unsafe(insp, "The VHDX image has no metadata region.");
                return 0;
        }

        k = reader_read(r, meta_offset, hdr, 32);
        if (k < 0)
                return read_failed(insp, k, "VHDX metadata");
        n_items = le16(hdr + 10);
        if (memcmp(hdr, "metadata", 8) != 0 || n_items > VHDX_TABLE_ENTRIES_MAX ||
            32 + (uint64_t) n_items * 32 > meta_length) {
                set_unsafe(insp, "The VHDX metadata table is malformed.");
                return 0;
        }
        items = xmalloc((size_t) n_items * 32 + 1);
        /* meta_offset + 32 cannot overflow: the 32 bytes at meta_offset were read. */
        k = reader_read(r, meta_offset + 32, items, (size_t) n_items * 32);
        if (k < 0)
                return read_failed(insp, k, "VHDX metadata");

        for (uint16_t i = 0; i < n_items; i++) {
                const uint8_t *e = items + (size_t) i * 32;

                if (memcmp(e, vhdx_guid_parent_locator, 16) == 0) {
                        set_unsafe(insp, "The VHDX image is a differencing disk, which names a parent file.");
                        return 0;
                }
                if (memcmp(e, vhdx_guid_file_parameters, 16) == 0) {
                        k = vhdx_read_item(r, meta_offset, meta_length, e, item, insp);
                        if (k <= 0)
                                return k;
                        if (le32(item + 4) & VHDX_FILE_HAS_PARENT) {
                                set_unsafe(insp, "The VHDX image is a differencing disk, which names a parent file.");
                                return 0;
                        }
                } else if (memcmp(e, vhdx_guid_virtual_disk_size, 16) == 0) {
                        k = vhdx_read_item(r, meta_offset, meta_length, e, item, insp);
                        if (k <= 0)
                                return k;
                        insp->virtual_size = le64(item);
                        have_size = true;
                }
        }
        if (!have_size)
                set_unsafe(insp, "The VHDX image does not state its virtual size.");
        return 0;
}

/* ---- VDI (VirtualBox; little-endian 512-byte header) ---- */

#define VDI_SIGNATURE UINT32_C(0xbeda107f)
#define VDI_VERSION_1_1 UINT32_C(0x00010001)
#define VDI_TYPE_DYNAMIC 1
#define VDI_TYPE_FIXED 2

static void inspect_vdi(const uint8_t *h, size_t len, ImageInspection *insp) {
        uint32_t type;

        insp->format = IMAGE_FORMAT_VDI;
        insp->virtual_size = 0;
        if (len < 512) {
                set_unsafe(insp, "The VDI header is truncated.");
                return;
        }
        insp->virtual_size = le64(h + 368);
        if (le32(h + 68) != VDI_VERSION_1_1)
                set_unsafe(insp, "The VDI header has unsupported version 0x%08" PRIx32 ".", le32(h + 68));
        type = le32(h + 76);
        if (type != VDI_TYPE_DYNAMIC && type != VDI_TYPE_FIXED)
                set_unsafe(insp, "The VDI image type %" PRIu32 " is not supported; only dynamic and fixed images are.",
                           type);
}

/* ---- detection ---- */

#define ISO_SIGNATURE_OFFSET (32 * KIB + 1)

/* What the first bytes say; at most one of these can match. */
typedef enum HeadMagic {
        HEAD_NONE,
        HEAD_QCOW2,
        HEAD_VMDK_SPARSE,
        HEAD_VMDK_COWD,
        HEAD_VMDK_TEXT,
        HEAD_VHDX,
        HEAD_VHD,
        HEAD_QED,
} HeadMagic;

static HeadMagic head_magic(const uint8_t *h, size_t len) {
        if (len >= 4 && memcmp(h, "QFI\xfb", 4) == 0)
                return HEAD_QCOW2;
        if (len >= 4 && memcmp(h, "KDMV", 4) == 0)
                return HEAD_VMDK_SPARSE;
        if (len >= 4 && memcmp(h, "COWD", 4) == 0)
                return HEAD_VMDK_COWD;
        if (len >= 4 && memcmp(h, "QED\0", 4) == 0)
                return HEAD_QED;
        if (len >= 8 && memcmp(h, "vhdxfile", 8) == 0)
                return HEAD_VHDX;
        if (len >= 8 && memcmp(h, "conectix", 8) == 0)
                return HEAD_VHD;
        if (vmdk_is_text_descriptor(h, len))
                return HEAD_VMDK_TEXT;
        return HEAD_NONE;
}

static const char *head_magic_name(HeadMagic m) {
        switch (m) {
        case HEAD_QCOW2:
                return "qcow2";
        case HEAD_VMDK_SPARSE:
        case HEAD_VMDK_COWD:
        case HEAD_VMDK_TEXT:
                return "vmdk";
        case HEAD_VHDX:
                return "vhdx";
        case HEAD_VHD:
                return "vhd";
        case HEAD_QED:
                return "qed";
        default:
                return "raw";
        }
}

static bool is_iso_signature(const uint8_t sig[static 5]) {
        /* ISO 9660, and the UDF volume recognition sequence. */
        return memcmp(sig, "CD001", 5) == 0 || memcmp(sig, "BEA01", 5) == 0 || memcmp(sig, "NSR02", 5) == 0 ||
               memcmp(sig, "NSR03", 5) == 0;
}

static int inspect(Reader *r, ImageInspection *ret) {
        ImageInspection insp = {
                .format = IMAGE_FORMAT_RAW,
                .virtual_size = r->size,
                .safe = true,
        };
        uint8_t head[HEAD_SIZE] = {}, sig[5], footer[VHD_FOOTER_SIZE];
        size_t len = r->size < HEAD_SIZE ? (size_t) r->size : HEAD_SIZE;
        const char *names[3];
        unsigned n = 0;
        bool vdi, iso = false;
        HeadMagic magic;
        int k;

        k = reader_read(r, 0, head, len);
        if (k < 0)
                return k;
        magic = head_magic(head, len);
        vdi = len >= 68 && le32(head + 64) == VDI_SIGNATURE;
        if (r->size >= ISO_SIGNATURE_OFFSET + sizeof(sig)) {
                k = reader_read(r, ISO_SIGNATURE_OFFSET, sig, sizeof(sig));
                if (k < 0)
                        return k;
                iso = is_iso_signature(sig);
        }

        /* A file that two formats claim could be read differently by someone else: refuse it (as Glance does). */
        if (magic != HEAD_NONE)
                names[n++] = head_magic_name(magic);
        if (vdi)
                names[n++] = "vdi";
        if (iso)
                names[n++] = "iso";
        if (n > 1)
                set_unsafe(&insp, "The image data matches more than one disk format (%s and %s).", names[0], names[1]);

        k = 0;
        switch (magic) {
        case HEAD_QCOW2:
                k = inspect_qcow2(r, head, len, &insp);
                break;
        case HEAD_VMDK_SPARSE:
                k = inspect_vmdk(r, head, len, &insp);
                break;
        case HEAD_VMDK_COWD:
                insp.format = IMAGE_FORMAT_VMDK;
                insp.virtual_size = 0;
                set_unsafe(&insp, "The image is a legacy VMware COWD sparse disk, which is not supported.");
                break;
        case HEAD_VMDK_TEXT:
                insp.format = IMAGE_FORMAT_VMDK;
                insp.virtual_size = 0;
                set_unsafe(&insp, "The image is a VMDK descriptor, which refers to other files.");
                break;
        case HEAD_VHDX:
                k = inspect_vhdx(r, &insp);
                break;
        case HEAD_VHD:
                if (len < VHD_FOOTER_SIZE) {
                        insp.format = IMAGE_FORMAT_VHD;
                        insp.virtual_size = 0;
                        set_unsafe(&insp, "The VHD footer is truncated.");
                } else
                        inspect_vhd(head, false, &insp);
                break;
        case HEAD_QED:
                /* Not one of our formats, but qemu would follow its backing file if it probed it. */
                set_unsafe(&insp, "The image is in the QED format, which is not supported.");
                break;
        case HEAD_NONE:
                if (vdi)
                        inspect_vdi(head, len, &insp);
                else if (iso)
                        insp.format = IMAGE_FORMAT_ISO;
                else if (r->size >= VHD_FOOTER_SIZE) {
                        /* A fixed VHD is raw data followed by a footer. */
                        k = reader_read(r, r->size - VHD_FOOTER_SIZE, footer, sizeof(footer));
                        if (k < 0)
                                return k;
                        if (memcmp(footer, "conectix", 8) == 0)
                                inspect_vhd(footer, true, &insp);
                }
                break;
        }
        if (k < 0)
                return k;
        /* For every format at once: each reads its size from a header field of 64 bits. */
        if (insp.virtual_size > VIRTUAL_SIZE_MAX)
                set_unsafe(&insp, "The %s header states a virtual size of %" PRIu64 " bytes, which is too large.",
                           image_format_to_string(insp.format), insp.virtual_size);

        if (insp.safe)
                insp.reason[0] = '\0';
        *ret = insp;
        return 0;
}

int image_format_inspect_fd(int fd, uint64_t size, ImageInspection *ret) {
        Reader r = {
                .fd = fd,
                .size = size,
                .budget = READ_BUDGET,
        };

        if (fd < 0)
                return -EBADF;
        if (size > INT64_MAX)
                return -EINVAL;
        return inspect(&r, ret);
}

int image_format_inspect_buf(const uint8_t *data, size_t size, ImageInspection *ret) {
        Reader r = {
                .fd = -1,
                .data = data,
                .in_memory = true,
                .size = size,
                .budget = READ_BUDGET,
        };

        if (!data && size > 0)
                return -EINVAL;
        return inspect(&r, ret);
}

/* The disk_format values a client may declare, and what the bytes must then be. */
static const struct {
        const char *name;
        ImageFormat format;
} declared_formats[] = {
        { "raw", IMAGE_FORMAT_RAW },     { "ami", IMAGE_FORMAT_RAW },   { "ari", IMAGE_FORMAT_RAW },
        { "aki", IMAGE_FORMAT_RAW },     { "qcow2", IMAGE_FORMAT_QCOW2 }, { "vmdk", IMAGE_FORMAT_VMDK },
        { "vhd", IMAGE_FORMAT_VHD },     { "vhdx", IMAGE_FORMAT_VHDX }, { "vdi", IMAGE_FORMAT_VDI },
        { "iso", IMAGE_FORMAT_ISO },
};

int image_format_check_declared(const char *disk_format, const ImageInspection *insp, char **ret_msg) {
        _cleanup_free_ char *msg = NULL;
        ImageFormat want = _IMAGE_FORMAT_INVALID;
        bool match;

        for (size_t i = 0; disk_format && i < ELEMENTSOF(declared_formats); i++)
                if (streq(disk_format, declared_formats[i].name)) {
                        want = declared_formats[i].format;
                        break;
                }

        if (want < 0) {
                /* ploop and anything unknown. */
                msg = xasprintf("The disk format '%.64s' is not supported.", disk_format ?: "");
        } else if (!insp->safe) {
                size_t n = strnlen(insp->reason, sizeof(insp->reason));

                msg = n > 0 ? xstrndup(insp->reason, n) : xstrdup("The image data is not safe to use.");
        } else {
                /* An ISO is a fine raw disk; a container format declared raw is not (Glance does the same). */
                if (want == IMAGE_FORMAT_RAW)
                        match = insp->format == IMAGE_FORMAT_RAW || insp->format == IMAGE_FORMAT_ISO;
                else
                        match = insp->format == want;
                if (!match) {
                        const char *detected = image_format_to_string(insp->format);

                        msg = xasprintf("The image data is in the %s format, which does not match the declared disk format '%s'.",
                                        detected ?: "unknown", disk_format);
                }
        }

        if (msg) {
                if (ret_msg)
                        *ret_msg = TAKE_PTR(msg);
                return -EINVAL;
        }
        if (ret_msg)
                *ret_msg = NULL;
        return 0;
}
