/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gureum.conf: an INI file in the state directory.  Every key is declared
 * once in config.c's table with its default and help text; the parser
 * rejects unknown keys with file:line, and `gureum init` writes the table
 * out as a commented file, so the docs cannot drift from the code.
 */
#pragma once

#include "util/util.h"

/* Where a cloud lives when no --state-dir is given. */
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/gureum"

typedef struct Config {
        char *state_dir;          /* absolute; not read from the file */
        /* [server] */
        char *listen;             /* HOST:PORT */
        char *public_url;         /* base URL published in the catalog */
        int64_t threads;          /* HTTP worker threads; 0 = automatic */
        int64_t max_body_size;    /* bytes of a JSON request body */
        char *log_level;
        bool access_log;
        int64_t task_workers;     /* threads running queued tasks */
        char *node_name;          /* this host's name in task leases; "" = hostname */
        int64_t max_connections;         /* above this, requests get 503 */
        int64_t max_connections_per_ip;  /* 0 = no limit */
        int64_t header_timeout;          /* seconds to send a request's headers */
        int64_t body_timeout;            /* seconds a body or response may stall */
        /* [database] */
        char *db_connection;      /* sqlite:PATH (relative to state_dir) */
        /* [identity] */
        int64_t token_expiration;        /* seconds */
        int64_t password_hash_opslimit;  /* argon2id passes */
        int64_t password_hash_memlimit;  /* argon2id memory, KiB */
        int64_t password_hash_threads;   /* threads hashing passwords; 0 = automatic */
        int64_t password_hash_queue;     /* requests waiting for one, at most */
        int64_t max_active_keys;         /* token keys kept by rotation */
        /* [image] */
        int64_t image_quota_count;       /* images per project */
        int64_t image_quota_bytes;       /* bytes of image data per project */
        int64_t image_property_quota;    /* properties per image */
        int64_t image_tag_quota;         /* tags per image */
        int64_t image_member_quota;      /* members per image */
        /* [compute] */
        char *compute_virt_driver;       /* libvirt, fake */
        char *compute_libvirt_uri;
        char *compute_virt_type;         /* auto, kvm, qemu */
        int64_t compute_tcg_tb_cache_mb;
        char *compute_availability_zone;
        double compute_cpu_ratio, compute_ram_ratio, compute_disk_ratio;
        int64_t compute_reserved_memory_mb, compute_reserved_disk_mb;
        bool compute_force_config_drive;
        int64_t compute_shutdown_timeout;   /* seconds */
        int64_t compute_fake_hosts;
        int64_t compute_max_per_request;
        int64_t compute_quota_instances, compute_quota_cores, compute_quota_ram, compute_quota_metadata_items,
                compute_quota_key_pairs, compute_quota_server_groups, compute_quota_server_group_members;
        /* [network] */
        char *network_dataplane;         /* linux, fake */
        char *network_name_prefix;       /* of every bridge, namespace, tap and nftables table */
        char *network_bridge_mappings;   /* "physnet:bridge,..." */
        int64_t network_vni_min, network_vni_max;
        int64_t network_physnet_mtu;
        char *network_dns_domain;
        char *network_base_mac;
        int64_t network_max_fixed_ips, network_max_address_pairs, network_max_dns_nameservers,
                network_max_host_routes;
        int64_t network_quota_network, network_quota_subnet, network_quota_subnetpool, network_quota_port,
                network_quota_router, network_quota_floatingip, network_quota_security_group,
                network_quota_security_group_rule;
} Config;

/* Fills cfg with the defaults.  cfg owns its strings; config_done frees them. */
void config_defaults(Config *cfg);
void config_done(Config *cfg);

/*
 * Loads state_dir/gureum.conf over the defaults.  On a syntax error or an
 * unknown key, writes every problem to stderr as "FILE:LINE: message" and
 * returns -EINVAL.  -ENOENT if the file does not exist.
 */
int config_load(Config *cfg, const char *state_dir);
/* Parses text (for tests); name is used in messages. */
int config_parse(Config *cfg, const char *name, const char *text);

/* Writes a commented config with the defaults, except for those in cfg. */
int config_write(const Config *cfg, const char *path);

/* Splits cfg->listen into host and port. */
int config_listen_split(const char *listen, char **ret_host, uint16_t *ret_port);
/*
 * The base URL clients use: public_url, or http://LISTEN with 127.0.0.1
 * for a wildcard address.  No trailing slash.  Caller frees.
 */
char *config_public_url(const Config *cfg);
/* node_name, or the host name when it is empty; caller frees. */
char *config_node_name(const Config *cfg);
/* The path of a file in the state directory; caller frees. */
char *config_state_path(const Config *cfg, const char *name);
