/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virt-tool: the virt and storage layers from the command line, one op
 * per run, for the real-libvirt integration test
 * (tests/integration/test_virt_libvirt.py) and for poking at a host by
 * hand.  It is not part of gureum: no state, no config, no daemon.
 *
 *   virt-tool [--driver libvirt|fake] [--uri URI] COMMAND [ARGS]
 *
 * Exit status: 0 success, 3 no such domain (-ENOENT), 1 any other
 * failure, with the Error's sentence on stderr; 2 bad usage.
 */
#include <jansson.h>
#include <signal.h>
#include <time.h>

#include "storage/storage.h"
#include "util/fileio.h"
#include "util/jx.h"
#include "virt/virt.h"
#include "../unit/virt-spec-json.h"

static const char usage[] =
        "usage: virt-tool [--driver libvirt|fake] [--uri URI] COMMAND [ARGS]\n"
        "  probe kvm|tcg [TIMEOUT_MS]        1 if the accelerator boots a guest, else 0\n"
        "  xml SPEC.json                     print the domain XML of a spec\n"
        "  define SPEC.json                  define (or redefine) the domain\n"
        "  start|destroy|suspend|undefine UUID\n"
        "  pause|unpause UUID\n"
        "  stop UUID TIMEOUT_MS              ACPI, wait, then destroy\n"
        "  reboot UUID soft|hard\n"
        "  state UUID                        print the power state\n"
        "  list                              print 'UUID STATE' per gureum domain\n"
        "  hostinfo                          print what the host offers\n"
        "  cache DIR IMAGE_ID SRC SHA512     put an image into the image cache\n"
        "  overlay BASE FORMAT PATH SIZE     create a qcow2 overlay\n"
        "  configdrive ISO NAME=FILE...      build a config drive from files\n";

static int fail(int r, const Error *e) {
        fprintf(stderr, "virt-tool: %s (%s)\n", e->message[0] ? e->message : "failed", strerror(-r));
        return r == -ENOENT ? 3 : 1;
}

static int64_t parse_ms(const char *s) {
        int64_t v;
        if (parse_int64(s, 0, INT64_MAX / 1000, &v) < 0) {
                fprintf(stderr, "virt-tool: '%s' is not a number of milliseconds\n", s);
                exit(2);
        }
        return v * 1000;
}

/* Loads SPEC.json; *ret_json keeps the strings the spec borrows. */
static int load_spec(const char *path, json_t **ret_json, VirtDomainSpec *spec, Error *e) {
        _cleanup_free_ char *text = NULL;
        json_error_t jerr;
        char err[256];
        size_t len;
        int r = read_file(path, 1 << 20, &text, &len);
        if (r < 0)
                return error_set(e, r, "Cannot read '%s'.", path);
        json_t *j = jx_parse(text, len, &jerr);
        if (!j)
                return error_set(e, -EINVAL, "%s: %s", path, jerr.text);
        if (virt_spec_from_json(j, spec, err, sizeof(err)) < 0) {
                json_decref(j);
                return error_set(e, -EINVAL, "%s: %s", path, err);
        }
        *ret_json = j;
        return 0;
}

static int storage_command(int argc, char **argv, Error *e) {
        const char *cmd = argv[0];
        if (streq(cmd, "cache") && argc == 5) {
                _cleanup_free_ char *path = NULL;
                int r = storage_image_cache(argv[1], argv[2], argv[3], argv[4], &path, e);
                if (r == 0)
                        printf("%s\n", path);
                return r;
        }
        if (streq(cmd, "overlay") && argc == 5) {
                int64_t size;
                if (parse_int64(argv[4], 0, INT64_MAX, &size) < 0)
                        return error_set(e, -EINVAL, "'%s' is not a size in bytes.", argv[4]);
                return storage_overlay_create(argv[1], argv[2], argv[3], (uint64_t) size, e);
        }
        if (streq(cmd, "configdrive") && argc >= 2) {
                size_t n = (size_t) argc - 2;
                _cleanup_free_ StorageFile *files = xcalloc(n, sizeof(*files));
                char **data = xcalloc(n + 1, sizeof(*data));
                int r = 0;
                for (size_t i = 0; i < n && r == 0; i++) {
                        char *eq = strchr(argv[i + 2], '=');
                        if (!eq) {
                                r = error_set(e, -EINVAL, "'%s' is not NAME=FILE.", argv[i + 2]);
                                break;
                        }
                        *eq = '\0';
                        files[i].path = argv[i + 2];
                        r = read_file(eq + 1, 16 << 20, &data[i], &files[i].len);
                        if (r < 0)
                                r = error_set(e, r, "Cannot read '%s'.", eq + 1);
                        files[i].data = data[i];
                }
                if (r == 0)
                        r = storage_config_drive_build(argv[1], files, n, e);
                strv_free(data);
                return r;
        }
        return 1; /* not a storage command */
}

int main(int argc, char **argv) {
        const char *driver = "libvirt", *uri = "qemu:///system";
        Error e = {};
        int i = 1, r;

        signal(SIGPIPE, SIG_IGN); /* as gureumd: see virt.h */

        for (; i + 1 < argc && startswith(argv[i], "--"); i += 2) {
                if (streq(argv[i], "--driver"))
                        driver = argv[i + 1];
                else if (streq(argv[i], "--uri"))
                        uri = argv[i + 1];
                else
                        break;
        }
        if (i >= argc) {
                fputs(usage, stderr);
                return 2;
        }
        const char *cmd = argv[i];
        int n = argc - i; /* the command and its arguments */
        char **a = argv + i;

        if (streq(cmd, "probe") && (n == 2 || n == 3)) {
                int64_t timeout = n == 3 ? parse_ms(a[2]) : 10000000;
                int64_t t0 = mono_usec();
                r = streq(a[1], "kvm") ? virt_probe_kvm(timeout, &e) : virt_probe_accel(a[1], NULL, timeout, &e);
                if (r < 0)
                        return fail(r, &e);
                printf("%d %lld\n", r, (long long) (mono_usec() - t0) / 1000);
                return 0;
        }
        if (streq(cmd, "xml") && n == 2) {
                _cleanup_free_ char *xml = NULL;
                json_t *j = NULL;
                VirtDomainSpec spec;
                r = load_spec(a[1], &j, &spec, &e);
                if (r == 0)
                        r = virt_domain_xml_build(&spec, &xml, &e);
                json_decref(j);
                if (r < 0)
                        return fail(r, &e);
                fputs(xml, stdout);
                return 0;
        }
        r = storage_command(n, a, &e);
        if (r <= 0)
                return r < 0 ? fail(r, &e) : 0;

        Virt v;
        VirtConfig cfg = { .uri = uri, .instances_dir = "/" };
        r = virt_open(driver, &cfg, &v, &e);
        if (r < 0)
                return fail(r, &e);

        if (streq(cmd, "define") && n == 2) {
                json_t *j = NULL;
                VirtDomainSpec spec;
                r = load_spec(a[1], &j, &spec, &e);
                if (r == 0)
                        r = virt_define(&v, &spec, &e);
                json_decref(j);
        } else if (streq(cmd, "start") && n == 2)
                r = virt_start(&v, a[1], &e);
        else if (streq(cmd, "destroy") && n == 2)
                r = virt_destroy(&v, a[1], &e);
        else if (streq(cmd, "suspend") && n == 2)
                r = virt_suspend(&v, a[1], &e);
        else if (streq(cmd, "undefine") && n == 2)
                r = virt_undefine(&v, a[1], &e);
        else if ((streq(cmd, "pause") || streq(cmd, "unpause")) && n == 2)
                r = virt_pause(&v, a[1], streq(cmd, "pause"), &e);
        else if (streq(cmd, "stop") && n == 3) {
                int64_t t0 = mono_usec();
                r = virt_stop(&v, a[1], parse_ms(a[2]), &e);
                if (r == 0)
                        printf("%lld\n", (long long) (mono_usec() - t0) / 1000);
        } else if (streq(cmd, "reboot") && n == 3 && (streq(a[2], "soft") || streq(a[2], "hard")))
                r = virt_reboot(&v, a[1], streq(a[2], "hard"), 60000000, &e);
        else if (streq(cmd, "state") && n == 2) {
                VirtPower p;
                r = virt_state(&v, a[1], &p, &e);
                if (r == 0)
                        printf("%s\n", virt_power_to_string(p));
        } else if (streq(cmd, "list") && n == 1) {
                VirtDomainInfo *list = NULL;
                size_t k = 0;
                r = virt_list(&v, &list, &k, &e);
                for (size_t j = 0; r == 0 && j < k; j++)
                        printf("%s %s\n", list[j].uuid, virt_power_to_string(list[j].power));
                free(list);
        } else if (streq(cmd, "hostinfo") && n == 1) {
                VirtHostInfo hi;
                r = virt_host_info(&v, &hi, &e);
                if (r == 0)
                        printf("hostname=%s vcpus=%u memory_mib=%llu disk_gib=%llu hypervisor=%s version=%llu\n",
                               hi.hostname, hi.vcpus, (unsigned long long) hi.memory_mib,
                               (unsigned long long) hi.disk_gib, hi.hypervisor_type,
                               (unsigned long long) hi.hypervisor_version);
        } else {
                virt_close(&v);
                fputs(usage, stderr);
                return 2;
        }
        virt_close(&v);
        return r < 0 ? fail(r, &e) : 0;
}
