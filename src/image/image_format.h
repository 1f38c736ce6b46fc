/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disk image format inspection for the image service (Glance v2 subset).
 * Every uploaded image is inspected before it is marked active: the bytes
 * must be in the declared disk_format, and qcow2/vmdk/vhd/vhdx images that
 * name a backing, parent or external data file, or whose headers are
 * malformed, are refused, because qemu would otherwise read host files on
 * the guest's behalf (OSSA-2024-001, CVE-2024-32498).  Pure parsing with
 * bounded pread()s: depends only on src/util, never runs qemu-img.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the bytes of an image are (not what the client says they are). */
typedef enum ImageFormat {
        IMAGE_FORMAT_RAW,       /* no known header: a plain disk */
        IMAGE_FORMAT_QCOW2,     /* QEMU copy-on-write v2/v3 ("QFI\xfb") */
        IMAGE_FORMAT_VMDK,      /* VMware sparse extent or text descriptor */
        IMAGE_FORMAT_VHD,       /* Virtual PC / Hyper-V VHD ("conectix") */
        IMAGE_FORMAT_VHDX,      /* Hyper-V VHDX ("vhdxfile") */
        IMAGE_FORMAT_VDI,       /* VirtualBox VDI */
        IMAGE_FORMAT_ISO,       /* ISO 9660 / UDF optical disc image */
        _IMAGE_FORMAT_MAX,
        _IMAGE_FORMAT_INVALID = -EINVAL,
} ImageFormat;

/* "raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso"; NULL if f is out of range. */
const char *image_format_to_string(ImageFormat f);

/* The result of an inspection. */
typedef struct ImageInspection {
        ImageFormat format;        /* what the bytes are */
        uint64_t virtual_size;     /* guest-visible size in bytes (raw/iso: the file size); if safe, < 2^63 */
        bool safe;                 /* false: references other files, or malformed */
        char reason[160];          /* a sentence saying why not safe, else "" */
} ImageInspection;

/*
 * Inspects the image in fd, which holds size bytes (the caller's fstat()).
 * Reads with pread() only, never more than a few MiB in total whatever the
 * input, and does not move the file offset.  Returns 0 with the result in
 * *ret, which is written only on success; an unsafe or malformed image is
 * a result, not an error.  Returns -errno if reading fails, -EIO if the
 * file is shorter than size, -EINVAL if size is absurd.
 */
int image_format_inspect_fd(int fd, uint64_t size, ImageInspection *ret);

/* The same over a memory buffer (borrowed), for the fuzzer and unit tests.  Returns 0. */
int image_format_inspect_buf(const uint8_t *data, size_t size, ImageInspection *ret);

/*
 * Checks an inspection against the disk_format the client declared
 * ("raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ami", "ari",
 * "aki", "ploop").  The image must be safe; qcow2/vmdk/vhd/vhdx/vdi/iso
 * must be what they claim; raw/ami/ari/aki must be raw or an ISO (a qcow2
 * or other container disguised as raw is refused, as Glance does); ploop
 * and unknown formats are not supported.  Returns 0 and sets *ret_msg to
 * NULL if acceptable, else -EINVAL with *ret_msg a new whole sentence for
 * the API client (caller frees).  ret_msg may be NULL.  Borrows both.
 */
int image_format_check_declared(const char *disk_format, const ImageInspection *insp, char **ret_msg);
