/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /network: Neutron's version documents, /v2.0/extensions (exactly what
 * the route tables implement), and the service: its route tables and
 * catalog entry.
 */
#include "network/network_api.h"
#include "util/embed.h"

extern const EmbeddedFile network_api_schemas[];

static const NetExtension *const extension_tables[] = {
        network_core_extensions,
        network_tags_extensions,
        network_quota_extensions,
        network_secgroup_extensions,
        network_l3_extensions,
        network_auto_extensions,
        NULL,
};

static int versions(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_free_ char *href = xasprintf("%s/network/v2.0/", api_base_url());
        reply->body = json_pack("{s:[{s:s, s:s, s:[{s:s, s:s}]}]}", "versions", "id", "v2.0", "status", "CURRENT",
                                "links", "href", href, "rel", "self");
        return 0;
}

/* The collections of v2.0, as Neutron lists them at its versioned root. */
static int version_resources(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        static const char *const names[][2] = { { "network", "networks" }, { "subnet", "subnets" }, { "port", "ports" },
                                                { "subnetpool", "subnetpools" },
                                                { NULL, NULL } };
        json_t *list = json_array();
        for (size_t i = 0; names[i][0]; i++) {
                _cleanup_free_ char *href = xasprintf("%s/network/v2.0/%s", api_base_url(), names[i][1]);
                json_array_append_new(list, json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "name", names[i][0], "collection",
                                                      names[i][1], "links", "href", href, "rel", "self"));
        }
        reply->body = json_pack("{s:o}", "resources", list);
        return 0;
}

static json_t *extension_json(const NetExtension *e) {
        return json_pack("{s:s, s:s, s:s, s:s, s:[]}", "alias", e->alias, "name", e->name, "description", e->description,
                         "updated", "2013-01-20T00:00:00-00:00", "links");
}

static int extensions_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        json_t *list = json_array();
        for (size_t t = 0; extension_tables[t]; t++)
                for (const NetExtension *e = extension_tables[t]; e->alias; e++)
                        json_array_append_new(list, extension_json(e));
        reply->body = json_pack("{s:o}", "extensions", list);
        return 0;
}

static int extensions_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        const char *alias = api_param(call, "alias");
        for (size_t t = 0; extension_tables[t]; t++)
                for (const NetExtension *e = extension_tables[t]; e->alias; e++)
                        if (streq(e->alias, alias)) {
                                reply->body = json_pack("{s:o}", "extension", extension_json(e));
                                return 0;
                        }
        return ctx_error(c, -ENOENT, RES_NONE, "Extension with alias %s does not exist", alias);
}

static const ApiRoute network_routes[] = {
        { "GET", "", versions, POLICY_PUBLIC },
        { "GET", "/", versions, POLICY_PUBLIC },
        { "GET", "/v2.0", version_resources, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/", version_resources, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/extensions", extensions_list, POLICY_AUTHENTICATED },
        { "GET", "/v2.0/extensions/{alias}", extensions_show, POLICY_AUTHENTICATED },
        {},
};

const ApiService network_api_service = {
        .name = "network",
        .prefix = "/network",
        .style = API_STYLE_NEUTRON,
        .version_path = "/v2.0",
        .routes = (const ApiRoute *const[]) { network_routes, network_core_routes, network_tags_routes,
                                              network_quota_routes, network_secgroup_routes, network_l3_routes,
                                              network_auto_routes, NULL },
        .schemas = network_api_schemas,
        .catalog_type = "network",
        .catalog_name = "neutron",
};
