/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /v2.0/{networks,subnets,ports,subnetpools}/{id}/tags: Neutron's
 * standard-attr-tag extension.  Anyone who may see the resource reads its
 * tags; its owner (or an admin) changes them.  Statuses as Neutron's:
 * a tag checked is 204, a tag added 201 with no body, all replaced 200.
 */
#include "network/network_api.h"

static const ResDef *target(const ApiCall *call) {
        return ((const NetApiResource *) api_route_data(call))->def;
}

/* What a change of tags works on, in one transaction with the check of who may make it. */
typedef struct TagChange {
        const ResDef *d;
        const char *id;
        const char *tag;         /* one tag, or NULL */
        const json_t *tags;      /* a list of tags, or NULL */
        bool replace;            /* tags replace the resource's */
        bool remove;             /* remove tag (or all of them) */
} TagChange;

static int change_locked(Ctx *c, void *userdata) {
        TagChange *t = userdata;
        _cleanup_json_ json_t *rec = NULL;
        int r = network_get_for(c, t->d, t->id, true, &rec);
        if (r < 0)
                return r;
        if (t->remove)
                return t->tag ? network_tag_remove(c, t->d, t->id, t->tag) : network_tags_clear(c, t->d, t->id);
        if (t->tag)
                return network_tag_add(c, t->d, t->id, t->tag);
        return network_tags_add(c, t->d, t->id, t->tags, t->replace);
}

static int change(Ctx *c, TagChange *t) {
        int r = res_transaction(c, "changing tags", change_locked, t);
        if (r >= 0 && t->d->changed)
                t->d->changed();
        return r;
}

static int reply_tags(Ctx *c, const char *id, ApiReply *reply) {
        json_t *tags = NULL;
        int r = network_tags_get(c, id, &tags);
        if (r < 0)
                return r;
        reply->body = json_pack("{s:o}", "tags", tags);
        return 0;
}

static int tags_list(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        int r = network_get_for(c, target(call), api_param(call, "id"), false, &rec);
        return r < 0 ? r : reply_tags(c, api_param(call, "id"), reply);
}

static int tag_show(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        _cleanup_json_ json_t *rec = NULL;
        int r = network_get_for(c, target(call), api_param(call, "id"), false, &rec);
        return r < 0 ? r : network_tag_exists(c, api_param(call, "id"), api_param(call, "tag"));
}

static int tag_add(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        TagChange t = { target(call), api_param(call, "id"), api_param(call, "tag") };
        return change(c, &t);
}

static int tags_set(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        TagChange t = { target(call), api_param(call, "id"), .tags = json_object_get(body, "tags"),
                        .replace = streq(api_method(call), "PUT") };
        int r = change(c, &t);
        return r < 0 ? r : reply_tags(c, t.id, reply);
}

static int tag_remove(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        TagChange t = { target(call), api_param(call, "id"), api_param(call, "tag"), .remove = true };
        return change(c, &t);
}

static int tags_clear(Ctx *c, const ApiCall *call, json_t *body, ApiReply *reply) {
        TagChange t = { target(call), api_param(call, "id"), .remove = true };
        return change(c, &t);
}

static const NetApiResource networks = { &res_network }, subnets = { &res_subnet }, ports = { &res_port },
                            subnetpools = { &res_subnetpool }, routers = { &res_router },
                            floatingips = { &res_floatingip }, security_groups = { &res_security_group };

const NetExtension network_tags_extensions[] = {
        { "standard-attr-tag", "Tag support for resources with standard attribute: subnet, network, port, subnetpool",
          "Enables to set tag on resources with standard attribute." },
        {},
};

#define TAG_ROUTES(collection, res)                                                                                  \
        { "GET", "/v2.0/" collection "/{id}/tags", tags_list, POLICY_AUTHENTICATED, .data = &res },                  \
        { "PUT", "/v2.0/" collection "/{id}/tags", tags_set, POLICY_AUTHENTICATED, "network-tags.json", .data = &res }, \
        { "POST", "/v2.0/" collection "/{id}/tags", tags_set, POLICY_AUTHENTICATED, "network-tags.json", 201,        \
          .data = &res },                                                                                             \
        { "DELETE", "/v2.0/" collection "/{id}/tags", tags_clear, POLICY_AUTHENTICATED, NULL, 204, .data = &res },   \
        { "GET", "/v2.0/" collection "/{id}/tags/{tag}", tag_show, POLICY_AUTHENTICATED, NULL, 204, .data = &res },   \
        { "PUT", "/v2.0/" collection "/{id}/tags/{tag}", tag_add, POLICY_AUTHENTICATED, NULL, 201, .data = &res },   \
        { "DELETE", "/v2.0/" collection "/{id}/tags/{tag}", tag_remove, POLICY_AUTHENTICATED, NULL, 204, .data = &res }

const ApiRoute network_tags_routes[] = {
        TAG_ROUTES("networks", networks),
        TAG_ROUTES("subnets", subnets),
        TAG_ROUTES("ports", ports),
        TAG_ROUTES("subnetpools", subnetpools),
        TAG_ROUTES("routers", routers),
        TAG_ROUTES("floatingips", floatingips),
        TAG_ROUTES("security-groups", security_groups),
        {},
};
