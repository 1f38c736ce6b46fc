/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The config table, its INI parser and its writer (see config.h).
 */
#include "core/config.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/log.h"

#include <ctype.h>
#include <stddef.h>

typedef enum ConfigType { CONFIG_STRING, CONFIG_INT, CONFIG_BOOL, CONFIG_REAL } ConfigType;

typedef struct ConfigKey {
        const char *section;
        const char *key;
        ConfigType type;
        size_t offset;       /* into Config */
        const char *def;     /* default, as written in the file */
        int64_t min, max;    /* for CONFIG_INT and CONFIG_REAL */
        const char *help;    /* one or two sentences, written above the key; NULL: an old name, not written */
} ConfigKey;

#define KEY(s, k, t, field, d, lo, hi, h) \
        { s, k, t, offsetof(Config, field), d, lo, hi, h }

static const ConfigKey keys[] = {
        KEY("server", "listen", CONFIG_STRING, listen, "127.0.0.1:8080", 0, 0,
            "Address and port the API listens on (HOST:PORT; 0.0.0.0 for every address)."),
        KEY("server", "public_url", CONFIG_STRING, public_url, "", 0, 0,
            "Base URL clients use to reach the API, published in the service catalog.\n"
            "Empty means http://LISTEN, with 127.0.0.1 standing in for 0.0.0.0."),
        KEY("server", "threads", CONFIG_INT, threads, "0", 0, 256,
            "HTTP worker threads; 0 picks twice the number of CPUs, at least 4."),
        KEY("server", "max_body_size", CONFIG_INT, max_body_size, "1048576", 1024, 1073741824,
            "Largest JSON request body accepted, in bytes; larger ones get 413.\n"
            "Image uploads stream and are not limited by this."),
        KEY("server", "log_level", CONFIG_STRING, log_level, "info", 0, 0,
            "Least severe log level written to stderr: debug, info, warning or error."),
        KEY("server", "access_log", CONFIG_BOOL, access_log, "true", 0, 0,
            "Log one line per HTTP request."),
        KEY("server", "task_workers", CONFIG_INT, task_workers, "8", 1, 256,
            "Threads that run queued tasks (booting, resizing, deleting servers...).\n"
            "Tasks mostly wait on libvirt and qemu-img, so this may exceed the CPUs."),
        KEY("server", "node_name", CONFIG_STRING, node_name, "", 0, 0,
            "This host's name among the hosts of the cloud (task leases, the compute host).\n"
            "Empty means the system's host name."),
        KEY("server", "max_connections", CONFIG_INT, max_connections, "1000", 1, 100000,
            "Open connections served normally.  A request that arrives while more are open\n"
            "gets 503 and its connection is closed; up to a quarter more (plus 16) are\n"
            "accepted for that, and beyond those new connections wait to be accepted."),
        KEY("server", "max_connections_per_ip", CONFIG_INT, max_connections_per_ip, "250", 0, 100000,
            "Open connections one client address may hold; more are closed at once.\n"
            "0: no limit (behind a reverse proxy every client has the proxy's address)."),
        KEY("server", "header_timeout", CONFIG_INT, header_timeout, "10", 1, 3600,
            "Seconds a client has to send a request's headers, counted from when the\n"
            "connection is accepted or its previous request ended, however slowly bytes\n"
            "arrive; also how long an idle kept-alive connection stays open."),
        KEY("server", "body_timeout", CONFIG_INT, body_timeout, "60", 1, 86400,
            "Seconds a request body (an image upload) or a response may stall, with not\n"
            "one byte moving, before the connection is closed."),
        KEY("database", "connection", CONFIG_STRING, db_connection, "sqlite:gureum.db", 0, 0,
            "Database to use.  sqlite:PATH is an SQLite file (relative to the state directory)."),
        KEY("identity", "token_expiration", CONFIG_INT, token_expiration, "3600", 60, 31536000,
            "Lifetime of an issued token, in seconds."),
        KEY("identity", "password_hash_opslimit", CONFIG_INT, password_hash_opslimit, "2", 1, 64,
            "argon2id passes over memory when hashing a password (libsodium opslimit)."),
        KEY("identity", "password_hash_memlimit", CONFIG_INT, password_hash_memlimit, "65536", 8192, 4194304,
            "argon2id memory per password hash, in KiB (65536 = libsodium's INTERACTIVE)."),
        KEY("identity", "password_hash_threads", CONFIG_INT, password_hash_threads, "0", 0, 256,
            "Threads that hash and check passwords (token requests with a password, user\n"
            "create and update, password change), at a lower priority than the HTTP\n"
            "workers, which serve other requests meanwhile.  Each uses password_hash_memlimit\n"
            "of memory while it hashes.  0 picks the number of CPUs."),
        KEY("identity", "password_hash_queue", CONFIG_INT, password_hash_queue, "64", 0, 100000,
            "Requests that may wait for a password hashing thread; more get 503."),
        KEY("identity", "max_active_keys", CONFIG_INT, max_active_keys, "3", 2, 100,
            "Token encryption keys kept by `gureum token-key rotate`, counting the staged key."),
        KEY("image", "quota_count", CONFIG_INT, image_quota_count, "1000", 0, 1000000000,
            "Images a project may own."),
        KEY("image", "quota_bytes", CONFIG_INT, image_quota_bytes, "1099511627776", 0, INT64_MAX,
            "Bytes of image data a project may store (1099511627776 = 1 TiB)."),
        KEY("image", "image_property_quota", CONFIG_INT, image_property_quota, "128", 0, 100000,
            "Properties (attributes of the client's choosing, such as os_distro) one image may carry;\n"
            "more get 413.  Names are at most 255 characters, values at most 65535 bytes."),
        KEY("image", "image_tag_quota", CONFIG_INT, image_tag_quota, "128", 0, 100000,
            "Tags one image may carry; more get 413.  Tags are at most 255 characters."),
        KEY("image", "image_member_quota", CONFIG_INT, image_member_quota, "128", 0, 100000,
            "Projects one shared image may be offered to (members); more get 413."),
        /* The name image_tag_quota had before it took Glance's; read, never written. */
        KEY("image", "tag_limit", CONFIG_INT, image_tag_quota, "128", 0, 100000, NULL),
        KEY("compute", "virt_driver", CONFIG_STRING, compute_virt_driver, "libvirt", 0, 0,
            "Hypervisor driver: libvirt (real guests), or fake (no guests: scale tests and benchmarks)."),
        KEY("compute", "libvirt_uri", CONFIG_STRING, compute_libvirt_uri, "qemu:///system", 0, 0,
            "The libvirt connection the libvirt driver uses."),
        KEY("compute", "virt_type", CONFIG_STRING, compute_virt_type, "auto", 0, 0,
            "kvm, qemu (TCG, software emulation) or auto: kvm when a probe boot shows it works."),
        KEY("compute", "tcg_tb_cache_mb", CONFIG_INT, compute_tcg_tb_cache_mb, "32", 0, 4096,
            "Size of QEMU's translation cache per guest under TCG, in MiB (0: QEMU's default, about 1 GiB).\n"
            "It counts in each guest's host memory: small values let a small host run many guests."),
        KEY("compute", "availability_zone", CONFIG_STRING, compute_availability_zone, "nova", 0, 0,
            "Availability zone of this host."),
        KEY("compute", "cpu_allocation_ratio", CONFIG_REAL, compute_cpu_ratio, "16", 0, 1000,
            "Virtual CPUs the scheduler places per physical CPU."),
        KEY("compute", "ram_allocation_ratio", CONFIG_REAL, compute_ram_ratio, "1.5", 0, 1000,
            "Guest memory the scheduler places per MiB of host memory (after the reserved memory)."),
        KEY("compute", "disk_allocation_ratio", CONFIG_REAL, compute_disk_ratio, "1", 0, 1000,
            "Guest root and ephemeral disk the scheduler places per GiB of the instance file system."),
        KEY("compute", "reserved_host_memory_mb", CONFIG_INT, compute_reserved_memory_mb, "512", 0, INT64_MAX,
            "Host memory kept for the host itself, in MiB."),
        KEY("compute", "reserved_host_disk_mb", CONFIG_INT, compute_reserved_disk_mb, "0", 0, INT64_MAX,
            "Disk kept for the host itself, in MiB."),
        KEY("compute", "force_config_drive", CONFIG_BOOL, compute_force_config_drive, "true", 0, 0,
            "Give every server a config drive, asked for or not (guests find their metadata there)."),
        KEY("compute", "shutdown_timeout", CONFIG_INT, compute_shutdown_timeout, "60", 0, 3600,
            "Seconds a guest has to power off after the ACPI button before it is forced off."),
        KEY("compute", "fake_hosts", CONFIG_INT, compute_fake_hosts, "1", 1, 10000,
            "With the fake driver: how many compute hosts to pretend to have."),
        KEY("compute", "max_servers_per_request", CONFIG_INT, compute_max_per_request, "120", 1, 10000,
            "Most servers one create request (max_count) may ask for."),
        KEY("compute", "quota_instances", CONFIG_INT, compute_quota_instances, "10", -1, INT64_MAX,
            "Default quotas of a project (-1: unlimited); admins change them per project with os-quota-sets.\n"
            "Servers a project may have."),
        KEY("compute", "quota_cores", CONFIG_INT, compute_quota_cores, "20", -1, INT64_MAX,
            "Virtual CPUs a project may use."),
        KEY("compute", "quota_ram", CONFIG_INT, compute_quota_ram, "51200", -1, INT64_MAX,
            "Guest memory a project may use, in MiB."),
        KEY("compute", "quota_metadata_items", CONFIG_INT, compute_quota_metadata_items, "128", -1, INT64_MAX,
            "Metadata items one server may carry."),
        KEY("compute", "quota_key_pairs", CONFIG_INT, compute_quota_key_pairs, "100", -1, INT64_MAX,
            "Key pairs a user may have."),
        KEY("compute", "quota_server_groups", CONFIG_INT, compute_quota_server_groups, "10", -1, INT64_MAX,
            "Server groups a project may have."),
        KEY("compute", "quota_server_group_members", CONFIG_INT, compute_quota_server_group_members, "10", -1,
            INT64_MAX, "Servers one server group may hold."),
        KEY("network", "dataplane", CONFIG_STRING, network_dataplane, "linux", 0, 0,
            "What carries tenant traffic: linux (bridges, VXLAN, namespaces, dnsmasq, nftables) or fake (records\n"
            "only, for tests of the API)."),
        KEY("network", "name_prefix", CONFIG_STRING, network_name_prefix, "gr-", 0, 0,
            "The prefix (at most 5 characters) of every bridge, namespace, tap device and nftables table gureum\n"
            "makes; whatever carries it and is not wanted any more is removed."),
        KEY("network", "bridge_mappings", CONFIG_STRING, network_bridge_mappings, "", 0, 0,
            "Provider networks: physical network names and the bridges holding their uplinks, as\n"
            "\"public:br-ex,lan:br-lan\".  An external network is a flat or VLAN network on one of them."),
        KEY("network", "vni_min", CONFIG_INT, network_vni_min, "1", 1, 16777215,
            "The VXLAN network identifiers tenant networks get, from vni_min to vni_max."),
        KEY("network", "vni_max", CONFIG_INT, network_vni_max, "65535", 1, 16777215, "The last VXLAN network identifier."),
        KEY("network", "physnet_mtu", CONFIG_INT, network_physnet_mtu, "1500", 68, 65535,
            "The MTU of the physical network; VXLAN networks get 50 bytes less."),
        KEY("network", "dns_domain", CONFIG_STRING, network_dns_domain, "openstacklocal", 0, 0,
            "The DNS domain dnsmasq gives ports' names in."),
        KEY("network", "base_mac", CONFIG_STRING, network_base_mac, "fa:16:3e:00:00:00", 0, 0,
            "Ports' MAC addresses start with this one's first three bytes."),
        KEY("network", "max_fixed_ips_per_port", CONFIG_INT, network_max_fixed_ips, "5", 1, 1000,
            "Fixed IPs one port may have."),
        KEY("network", "max_allowed_address_pair", CONFIG_INT, network_max_address_pairs, "10", 0, 1000,
            "Allowed address pairs one port may have."),
        KEY("network", "max_dns_nameservers", CONFIG_INT, network_max_dns_nameservers, "5", 0, 100, "DNS servers one subnet may list."),
        KEY("network", "max_subnet_host_routes", CONFIG_INT, network_max_host_routes, "20", 0, 1000, "Host routes one subnet may have."),
        KEY("network", "quota_network", CONFIG_INT, network_quota_network, "100", -1, INT64_MAX,
            "Default quotas of a project (-1: unlimited); admins change them per project with the quotas API.\n"
            "Networks a project may have."),
        KEY("network", "quota_subnet", CONFIG_INT, network_quota_subnet, "100", -1, INT64_MAX, "Subnets a project may have."),
        KEY("network", "quota_subnetpool", CONFIG_INT, network_quota_subnetpool, "-1", -1, INT64_MAX, "Subnet pools a project may have."),
        KEY("network", "quota_port", CONFIG_INT, network_quota_port, "500", -1, INT64_MAX, "Ports a project may have."),
        KEY("network", "quota_router", CONFIG_INT, network_quota_router, "10", -1, INT64_MAX, "Routers a project may have."),
        KEY("network", "quota_floatingip", CONFIG_INT, network_quota_floatingip, "50", -1, INT64_MAX, "Floating IPs a project may have."),
        KEY("network", "quota_security_group", CONFIG_INT, network_quota_security_group, "10", -1, INT64_MAX,
            "Security groups a project may have."),
        KEY("network", "quota_security_group_rule", CONFIG_INT, network_quota_security_group_rule, "100", -1,
            INT64_MAX, "Security group rules a project may have."),
};

static void *field_ptr(Config *cfg, const ConfigKey *k) {
        return (char *) cfg + k->offset;
}

static int key_set(Config *cfg, const ConfigKey *k, const char *value) {
        void *p = field_ptr(cfg, k);
        int r;

        switch (k->type) {
        case CONFIG_STRING:
                free(*(char **) p);
                *(char **) p = xstrdup(value);
                return 0;
        case CONFIG_INT:
                return parse_int64(value, k->min, k->max, (int64_t *) p);
        case CONFIG_BOOL:
                r = parse_bool(value, (bool *) p);
                return r;
        case CONFIG_REAL: {
                char *end;
                errno = 0;
                double v = strtod(value, &end);
                if (errno || end == value || *end || v < (double) k->min || v > (double) k->max)
                        return -EINVAL;
                *(double *) p = v;
                return 0;
        }
        }
        return -EINVAL;
}

void config_defaults(Config *cfg) {
        *cfg = (Config) {};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (key_set(cfg, &keys[i], keys[i].def) < 0)
                        abort(); /* a default that does not parse is a bug */
}

void config_done(Config *cfg) {
        free(cfg->state_dir);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (keys[i].type == CONFIG_STRING)
                        free(*(char **) field_ptr(cfg, &keys[i]));
        *cfg = (Config) {};
}

static char *strip(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = '\0';
        return s;
}

int config_parse(Config *cfg, const char *name, const char *text) {
        _cleanup_free_ char *copy = xstrdup(text);
        char section[64] = "";
        int errors = 0;
        unsigned line_no = 0;
        char *save = NULL;

        for (char *line = copy; line; line = save) {
                save = strchr(line, '\n');
                if (save)
                        *save++ = '\0';
                line_no++;
                char *s = strip(line);
                if (*s == '\0' || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        char *e = strchr(s, ']');
                        if (!e || e[1] != '\0' || (size_t) (e - s - 1) >= sizeof(section)) {
                                fprintf(stderr, "%s:%u: malformed section header\n", name, line_no);
                                errors++;
                                continue;
                        }
                        *e = '\0';
                        snprintf(section, sizeof(section), "%s", strip(s + 1));
                        continue;
                }
                char *eq = strchr(s, '=');
                if (!eq) {
                        fprintf(stderr, "%s:%u: expected 'key = value'\n", name, line_no);
                        errors++;
                        continue;
                }
                *eq = '\0';
                const char *key = strip(s), *value = strip(eq + 1);
                const ConfigKey *k = NULL;
                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (streq(keys[i].section, section) && streq(keys[i].key, key))
                                k = &keys[i];
                if (!k) {
                        fprintf(stderr, "%s:%u: unknown key '%s' in section [%s]\n", name, line_no, key,
                                section);
                        errors++;
                        continue;
                }
                if (key_set(cfg, k, value) < 0) {
                        fprintf(stderr, "%s:%u: invalid value '%s' for '%s'\n", name, line_no, value, key);
                        errors++;
                }
        }
        if (log_level_from_string(cfg->log_level) < 0) {
                fprintf(stderr, "%s: invalid log_level '%s'\n", name, cfg->log_level);
                errors++;
        }
        if (config_listen_split(cfg->listen, NULL, NULL) < 0) {
                fprintf(stderr, "%s: invalid listen address '%s'\n", name, cfg->listen);
                errors++;
        }
        return errors ? -EINVAL : 0;
}

int config_load(Config *cfg, const char *state_dir) {
        _cleanup_free_ char *path = xasprintf("%s/gureum.conf", state_dir);
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_file(path, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        free(cfg->state_dir);
        cfg->state_dir = realpath(state_dir, NULL);
        if (!cfg->state_dir)
                return -errno;
        return config_parse(cfg, path, text);
}

int config_write(const Config *cfg, const char *path) {
        Buf b = {};
        const char *section = "";
        int r;

        buf_puts(&b, "# gureum.conf: configuration of one gureum cloud.\n"
                     "# Every key is shown with its default; uncomment to change it.\n"
                     "# The daemon reads this file at start.\n");
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const ConfigKey *k = &keys[i];
                if (!k->help)
                        continue;
                if (!streq(section, k->section)) {
                        buf_printf(&b, "\n[%s]\n", k->section);
                        section = k->section;
                }
                /* Each line of help becomes a comment line. */
                for (const char *h = k->help; *h;) {
                        size_t n = strcspn(h, "\n");
                        buf_puts(&b, "\n# ");
                        buf_append(&b, h, n);
                        h += n + (h[n] == '\n');
                }
                {
                        _cleanup_free_ char *value = NULL;
                        void *p = field_ptr((Config *) cfg, k);
                        switch (k->type) {
                        case CONFIG_STRING:
                                value = xstrdup(*(char **) p ? *(char **) p : "");
                                break;
                        case CONFIG_INT:
                                value = xasprintf("%lld", (long long) *(int64_t *) p);
                                break;
                        case CONFIG_BOOL:
                                value = xstrdup(*(bool *) p ? "true" : "false");
                                break;
                        case CONFIG_REAL:
                                value = xasprintf("%g", *(double *) p);
                                break;
                        }
                        bool is_default = streq(value, k->def);
                        buf_printf(&b, "\n%s%s = %s\n", is_default ? "#" : "", k->key, value);
                }
        }
        r = write_file_atomic(path, b.data, b.len, 0640);
        buf_done(&b);
        return r;
}

int config_listen_split(const char *listen, char **ret_host, uint16_t *ret_port) {
        const char *colon = strrchr(listen, ':');
        int64_t port;

        if (!colon || colon == listen)
                return -EINVAL;
        /* An IPv6 host needs brackets, or its colons are ambiguous: "[::1]:8080". */
        if (listen[0] != '[' && memchr(listen, ':', (size_t) (colon - listen)))
                return -EINVAL;
        if (listen[0] == '[' && colon[-1] != ']')
                return -EINVAL;
        if (parse_int64(colon + 1, 1, 65535, &port) < 0)
                return -EINVAL;
        if (ret_host)
                *ret_host = xstrndup(listen, (size_t) (colon - listen));
        if (ret_port)
                *ret_port = (uint16_t) port;
        return 0;
}

char *config_node_name(const Config *cfg) {
        char host[256];
        if (!isempty(cfg->node_name))
                return xstrdup(cfg->node_name);
        if (gethostname(host, sizeof(host)) < 0 || !*host)
                return xstrdup("localhost");
        host[sizeof(host) - 1] = '\0';
        return xstrdup(host);
}

char *config_state_path(const Config *cfg, const char *name) {
        if (name[0] == '/')
                return xstrdup(name);
        return xasprintf("%s/%s", cfg->state_dir, name);
}

char *config_public_url(const Config *cfg) {
        char *url;
        if (!isempty(cfg->public_url))
                url = xstrdup(cfg->public_url);
        else {
                _cleanup_free_ char *host = NULL;
                uint16_t port = 0;
                (void) config_listen_split(cfg->listen, &host, &port);
                bool any = !host || streq(host, "0.0.0.0") || streq(host, "[::]") || streq(host, "::");
                url = xasprintf("http://%s:%u", any ? "127.0.0.1" : host, port);
        }
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
                url[--n] = '\0';
        return url;
}
