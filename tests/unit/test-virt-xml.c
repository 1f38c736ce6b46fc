/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden tests of spec -> domain XML (src/virt/virt_domain_xml.c): every
 * tests/golden/virt/<case>.in.json is parsed into a VirtDomainSpec and
 * its XML compared with <case>.out.xml.  GUREUM_TEST_REGENERATE=1
 * rewrites the .out.xml files instead (review the diff).  Then the specs
 * the builder must refuse, each with its reason.
 */
#include "test-helpers.h"

#include <dirent.h>

#include "util/exec.h"
#include "util/fileio.h"
#include "util/jx.h"
#include "virt-spec-json.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must point at tests/golden/virt"
#endif

static int compare_case(const char *name) {
        _cleanup_free_ char *in = xasprintf("%s/%s.in.json", GOLDEN_DIR, name);
        _cleanup_free_ char *out = xasprintf("%s/%s.out.xml", GOLDEN_DIR, name);
        _cleanup_free_ char *text = NULL, *xml = NULL, *want = NULL;
        json_error_t jerr;
        VirtDomainSpec spec;
        char err[256];
        Error e = {};
        size_t len;

        assert_int_equal(read_file(in, 1 << 20, &text, &len), 0);
        _cleanup_json_ json_t *j = jx_parse(text, len, &jerr);
        if (!j)
                fail_msg("%s: %s", in, jerr.text);
        if (virt_spec_from_json(j, &spec, err, sizeof(err)) < 0)
                fail_msg("%s: %s", in, err);
        if (virt_domain_xml_build(&spec, &xml, &e) < 0)
                fail_msg("%s: %s", in, e.message);

        const char *regen = getenv("GUREUM_TEST_REGENERATE");
        if (regen && streq(regen, "1")) {
                assert_int_equal(write_file_atomic(out, xml, strlen(xml), 0644), 0);
                return 0;
        }
        if (read_file(out, 1 << 20, &want, &len) < 0)
                fail_msg("%s is missing: run with GUREUM_TEST_REGENERATE=1", out);
        if (!streq(xml, want)) {
                fprintf(stderr, "--- %s (expected)\n%s--- got\n%s", out, want, xml);
                fail_msg("golden case '%s' differs", name);
        }
        /* libvirt's own schema agrees, where libvirt-clients is installed. */
        const char *validate[] = { "virt-xml-validate", out, "domain", NULL };
        Error ve = {};
        int r = exec_run(validate, 60000000, NULL, &ve);
        if (r < 0 && r != -ENOENT)
                fail_msg("%s does not validate: %s", out, ve.message);
        return 0;
}

static void test_golden_cases(void **state) {
        DIR *d = opendir(GOLDEN_DIR);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len <= 8 || !streq(de->d_name + len - 8, ".in.json"))
                        continue;
                _cleanup_free_ char *name = xstrndup(de->d_name, len - 8);
                compare_case(name);
                n++;
        }
        closedir(d);
        /* tcg minimal, kvm with NICs and a config drive, escaping, rescue, at least. */
        assert_true(n >= 4);
}

#define UUID "5d8e9a3c-1b2f-4c6d-8e7f-0a1b2c3d4e5f"

static VirtDomainSpec valid_spec(void) {
        return (VirtDomainSpec) {
                .uuid = UUID, .name = "x", .vcpus = 1, .memory_mib = 128, .console_log = "/var/log/c.log",
                .disks = { { .path = "/d/disk", .format = "qcow2", .device = "disk", .bus = "virtio", .target = "vda" } },
                .n_disks = 1,
                .nics = { { .mac = "fa:16:3e:00:00:01", .bridge = "br-x" } },
                .n_nics = 1,
        };
}

static void expect_refused(const VirtDomainSpec *s, const char *why) {
        char *xml = NULL;
        Error e = {};
        assert_int_equal(virt_domain_xml_build(s, &xml, &e), -EINVAL);
        assert_null(xml);
        if (!strstr(e.message, why))
                fail_msg("expected '%s' in '%s'", why, e.message);
}

static void test_refused_specs(void **state) {
        VirtDomainSpec s;
        char *xml = NULL;

        s = valid_spec();
        assert_int_equal(virt_domain_xml_build(&s, &xml, NULL), 0);
        free(xml);

        s = valid_spec(), s.uuid = "gureum-5d8e9a3c";
        expect_refused(&s, "uuid");
        s = valid_spec(), s.uuid = NULL;
        expect_refused(&s, "uuid");
        s = valid_spec(), s.vcpus = 0;
        expect_refused(&s, "vCPUs");
        s = valid_spec(), s.memory_mib = 0;
        expect_refused(&s, "memory");
        s = valid_spec(), s.boot_dev = "network";
        expect_refused(&s, "boot device");
        s = valid_spec(), s.console_log = "relative.log";
        expect_refused(&s, "console log");
        s = valid_spec(), s.disks[0].path = "disk.qcow2";
        expect_refused(&s, "absolute path");
        s = valid_spec(), s.disks[0].format = "vmdk";
        expect_refused(&s, "format");
        s = valid_spec(), s.disks[0].device = "floppy";
        expect_refused(&s, "device type");
        s = valid_spec(), s.disks[0].bus = "usb";
        expect_refused(&s, "bus");
        s = valid_spec(), s.disks[0].target = "vda' evil='1";
        expect_refused(&s, "target");
        s = valid_spec(), s.disks[1] = s.disks[0], s.n_disks = 2;
        expect_refused(&s, "Two disks");
        s = valid_spec(), s.n_disks = VIRT_MAX_DISKS + 1;
        expect_refused(&s, "at most");
        s = valid_spec(), s.nics[0].mac = "fa:16:3e:00:00:0g";
        expect_refused(&s, "MAC");
        s = valid_spec(), s.nics[0].mac = "fa:16:3e:00:00:01'";
        expect_refused(&s, "MAC");
        s = valid_spec(), s.nics[0].bridge = "";
        expect_refused(&s, "bridge");
        s = valid_spec(), s.nics[0].tap = "tap-name-far-too-long";
        expect_refused(&s, "tap");
        s = valid_spec(), s.nics[0].mtu = 20;
        expect_refused(&s, "MTU");
        expect_refused(NULL, "spec");
}

/* Whatever the strings hold, the XML stays well-formed: the specials are escaped, control characters gone. */
static void test_escaping(void **state) {
        VirtDomainSpec s = valid_spec();
        _cleanup_free_ char *xml = NULL;

        s.name = "a<b>&'\"\n\x01\xff";
        s.console_log = "/var/log/it's <here>.log";
        s.disks[0].path = "/d/&disk";
        s.nics[0].bridge = "br'\"<>&";
        assert_int_equal(virt_domain_xml_build(&s, &xml, NULL), 0);
        assert_non_null(strstr(xml, "<title>a&lt;b&gt;&amp;&apos;&quot;  ?</title>"));
        assert_non_null(strstr(xml, "<source path='/var/log/it&apos;s &lt;here&gt;.log' append='on'/>"));
        assert_non_null(strstr(xml, "<source file='/d/&amp;disk'/>"));
        assert_non_null(strstr(xml, "<source bridge='br&apos;&quot;&lt;&gt;&amp;'/>"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden_cases),
                cmocka_unit_test(test_refused_specs),
                cmocka_unit_test(test_escaping),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
