/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only: a VirtDomainSpec from JSON whose keys are the struct's
 * members ({"uuid", "name", "vcpus", "memory_mib", "kvm",
 * "tcg_tb_cache_mib", "console_log", "boot_dev", "disks": [{"path",
 * "format", "device", "bus", "target", "readonly"}], "nics": [{"mac",
 * "bridge", "tap", "mtu"}]}).  Used by the golden XML test and by
 * tests/tools/virt-tool.  The spec borrows strings from the JSON, which
 * must outlive it.  Unknown keys are errors, so a typo in a case file
 * cannot pass silently.
 */
#pragma once

#include <jansson.h>

#include "util/util.h"
#include "virt/virt.h"

static inline int virt_spec_json_keys(json_t *o, const char *const *allowed, char *err, size_t errlen) {
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
                bool ok = false;
                for (const char *const *a = allowed; *a; a++)
                        ok = ok || streq(*a, key);
                if (!ok) {
                        snprintf(err, errlen, "unknown key '%s'", key);
                        return -EINVAL;
                }
        }
        return 0;
}

static inline const char *virt_spec_json_str(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

static inline int virt_spec_from_json(json_t *j, VirtDomainSpec *ret, char *err, size_t errlen) {
        static const char *const top[] = { "uuid", "name", "vcpus", "memory_mib", "kvm", "tcg_tb_cache_mib",
                                           "console_log", "boot_dev", "disks", "nics", NULL };
        static const char *const disk_keys[] = { "path", "format", "device", "bus", "target", "readonly", NULL };
        static const char *const nic_keys[] = { "mac", "bridge", "tap", "mtu", NULL };
        VirtDomainSpec s = {};
        json_t *a, *v;
        size_t i;

        if (!json_is_object(j)) {
                snprintf(err, errlen, "not an object");
                return -EINVAL;
        }
        if (virt_spec_json_keys(j, top, err, errlen) < 0)
                return -EINVAL;
        s.uuid = virt_spec_json_str(j, "uuid");
        s.name = virt_spec_json_str(j, "name");
        s.vcpus = (unsigned) json_integer_value(json_object_get(j, "vcpus"));
        s.memory_mib = (uint64_t) json_integer_value(json_object_get(j, "memory_mib"));
        s.kvm = json_is_true(json_object_get(j, "kvm"));
        s.tcg_tb_cache_mib = (uint64_t) json_integer_value(json_object_get(j, "tcg_tb_cache_mib"));
        s.console_log = virt_spec_json_str(j, "console_log");
        s.boot_dev = virt_spec_json_str(j, "boot_dev");

        a = json_object_get(j, "disks");
        if (json_array_size(a) > VIRT_MAX_DISKS) {
                snprintf(err, errlen, "too many disks");
                return -EINVAL;
        }
        json_array_foreach(a, i, v) {
                if (virt_spec_json_keys(v, disk_keys, err, errlen) < 0)
                        return -EINVAL;
                s.disks[i] = (VirtDisk) {
                        .path = virt_spec_json_str(v, "path"),
                        .format = virt_spec_json_str(v, "format"),
                        .device = virt_spec_json_str(v, "device"),
                        .bus = virt_spec_json_str(v, "bus"),
                        .target = virt_spec_json_str(v, "target"),
                        .readonly = json_is_true(json_object_get(v, "readonly")),
                };
                s.n_disks++;
        }
        a = json_object_get(j, "nics");
        if (json_array_size(a) > VIRT_MAX_NICS) {
                snprintf(err, errlen, "too many NICs");
                return -EINVAL;
        }
        json_array_foreach(a, i, v) {
                if (virt_spec_json_keys(v, nic_keys, err, errlen) < 0)
                        return -EINVAL;
                s.nics[i] = (VirtNic) {
                        .mac = virt_spec_json_str(v, "mac"),
                        .bridge = virt_spec_json_str(v, "bridge"),
                        .tap = virt_spec_json_str(v, "tap"),
                        .mtu = (unsigned) json_integer_value(json_object_get(v, "mtu")),
                };
                s.n_nics++;
        }
        *ret = s;
        return 0;
}
