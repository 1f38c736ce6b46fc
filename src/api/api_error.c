/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error rendering: (errno, resource kind, API style) -> HTTP status ->
 * per-API error body.  Services report errors with ctx_error(); nothing
 * else picks a status code.
 */
#include "api/api_error.h"

#define ANY -1

static const ApiErrorInfo table[] = {
        { -EINVAL, RES_NONE, ANY, 400, "Bad Request", "badRequest", "HTTPBadRequest" },
        { -EPERM, RES_NONE, ANY, 401, "Unauthorized", "unauthorized", "HTTPUnauthorized" },
        { -EACCES, RES_NONE, ANY, 403, "Forbidden", "forbidden", "HTTPForbidden" },
        { -ENOENT, RES_NONE, ANY, 404, "Not Found", "itemNotFound", "HTTPNotFound" },
        { -ENOSYS, RES_NONE, ANY, 405, "Method Not Allowed", "methodNotAllowed", "HTTPMethodNotAllowed" },
        { -ENOPROTOOPT, RES_NONE, ANY, 406, "Not Acceptable", "notAcceptable", "HTTPNotAcceptable" },
        { -EEXIST, RES_NONE, ANY, 409, "Conflict", "conflictingRequest", "HTTPConflict" },
        { -EBUSY, RES_NONE, ANY, 409, "Conflict", "conflictingRequest", "HTTPConflict" },
        /* Over a quota: Nova forbids (403), Neutron conflicts (409), Glance and Keystone are too large (413). */
        { -EDQUOT, RES_NONE, API_STYLE_NOVA, 403, "Forbidden", "forbidden", NULL },
        { -EDQUOT, RES_NONE, API_STYLE_CINDER, 413, "Request Entity Too Large", "overLimit", NULL },
        { -EDQUOT, RES_NONE, API_STYLE_NEUTRON, 409, "Conflict", NULL, "OverQuota" },
        { -EDQUOT, RES_NONE, ANY, 413, "Request Entity Too Large", "overLimit", "OverQuota" },
        /* Neutron names the kind of what is missing or in use. */
        { -ENOENT, RES_NETWORK, API_STYLE_NEUTRON, 404, "Not Found", NULL, "NetworkNotFound" },
        { -ENOENT, RES_SUBNET, API_STYLE_NEUTRON, 404, "Not Found", NULL, "SubnetNotFound" },
        { -ENOENT, RES_SUBNETPOOL, API_STYLE_NEUTRON, 404, "Not Found", NULL, "SubnetPoolNotFound" },
        { -ENOENT, RES_PORT, API_STYLE_NEUTRON, 404, "Not Found", NULL, "PortNotFound" },
        { -ENOENT, RES_ROUTER, API_STYLE_NEUTRON, 404, "Not Found", NULL, "RouterNotFound" },
        { -ENOENT, RES_FLOATINGIP, API_STYLE_NEUTRON, 404, "Not Found", NULL, "FloatingIPNotFound" },
        { -ENOENT, RES_SECURITY_GROUP, API_STYLE_NEUTRON, 404, "Not Found", NULL, "SecurityGroupNotFound" },
        { -ENOENT, RES_SECURITY_GROUP_RULE, API_STYLE_NEUTRON, 404, "Not Found", NULL, "SecurityGroupRuleNotFound" },
        { -EBUSY, RES_NETWORK, API_STYLE_NEUTRON, 409, "Conflict", NULL, "NetworkInUse" },
        { -EBUSY, RES_SUBNET, API_STYLE_NEUTRON, 409, "Conflict", NULL, "SubnetInUse" },
        { -EBUSY, RES_SUBNETPOOL, API_STYLE_NEUTRON, 409, "Conflict", NULL, "SubnetPoolInUse" },
        { -EBUSY, RES_PORT, API_STYLE_NEUTRON, 409, "Conflict", NULL, "PortInUse" },
        { -EBUSY, RES_ROUTER, API_STYLE_NEUTRON, 409, "Conflict", NULL, "RouterInUse" },
        { -EBUSY, RES_SECURITY_GROUP, API_STYLE_NEUTRON, 409, "Conflict", NULL, "SecurityGroupInUse" },
        { -EEXIST, RES_SECURITY_GROUP, API_STYLE_NEUTRON, 409, "Conflict", NULL, "SecurityGroupDefaultAlreadyExists" },
        { -EEXIST, RES_SECURITY_GROUP_RULE, API_STYLE_NEUTRON, 409, "Conflict", NULL, "SecurityGroupRuleExists" },
        { -EBUSY, RES_FLOATINGIP, API_STYLE_NEUTRON, 409, "Conflict", NULL, "FloatingIPPortAlreadyAssociated" },
        /* Get-me-a-network without its prerequisites; a second default external network. */
        { -EBUSY, RES_AUTO_TOPOLOGY, API_STYLE_NEUTRON, 409, "Conflict", NULL, "AutoAllocationFailure" },
        { -EEXIST, RES_AUTO_TOPOLOGY, API_STYLE_NEUTRON, 409, "Conflict", NULL, "DefaultExternalNetworkExists" },
        /* Neutron's L3 "not found"s that are not a missing resource: no route to the external network, no such interface. */
        { -EHOSTUNREACH, RES_NONE, ANY, 404, "Not Found", "itemNotFound", "ExternalGatewayForFloatingIPNotFound" },
        { -ENXIO, RES_NONE, ANY, 404, "Not Found", "itemNotFound", "RouterInterfaceNotFound" },
        { -ENXIO, RES_SUBNET, API_STYLE_NEUTRON, 404, "Not Found", NULL, "RouterInterfaceNotFoundForSubnet" },
        { -EADDRINUSE, RES_NONE, ANY, 409, "Conflict", "conflictingRequest", "IpAddressInUse" },
        { -EADDRNOTAVAIL, RES_NONE, ANY, 409, "Conflict", "conflictingRequest", "IpAddressGenerationFailure" },
        { -EFBIG, RES_NONE, ANY, 413, "Request Entity Too Large", "overLimit", "HTTPRequestEntityTooLarge" },
        { -ENAMETOOLONG, RES_NONE, ANY, 414, "Request-URI Too Long", "badRequest", "HTTPRequestURITooLong" },
        { -EPROTONOSUPPORT, RES_NONE, ANY, 415, "Unsupported Media Type", "badMediaType", "HTTPUnsupportedMediaType" },
        /* A write constrained to a revision the resource no longer has (Neutron's If-Match). */
        { -ESTALE, RES_NONE, ANY, 412, "Precondition Failed", "preconditionFailed", "HTTPPreconditionFailed" },
        { -ERANGE, RES_NONE, ANY, 416, "Requested Range Not Satisfiable", "badRequest", "HTTPRequestRangeNotSatisfiable" },
        { -EOPNOTSUPP, RES_NONE, ANY, 501, "Not Implemented", "notImplemented", "HTTPNotImplemented" },
        { -EAGAIN, RES_NONE, ANY, 503, "Service Unavailable", "serviceUnavailable", "HTTPServiceUnavailable" },
};

static const ApiErrorInfo internal = { -EIO, RES_NONE, ANY, 500, "Internal Server Error", "computeFault",
                                       "HTTPInternalServerError" };

/* How well row e fits: -1 not at all, else more for each of kind and style it names. */
static int fit(const ApiErrorInfo *e, int code, ResourceKind kind, ApiStyle style) {
        if (e->code != code || (e->kind != RES_NONE && e->kind != kind) || (e->style != ANY && e->style != (int) style))
                return -1;
        return (e->kind != RES_NONE) * 2 + (e->style != ANY);
}

const ApiErrorInfo *api_error_lookup(int code, ResourceKind kind, ApiStyle style) {
        const ApiErrorInfo *best = NULL;
        int best_fit = -1;
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                int f = fit(&table[i], code, kind, style);
                if (f > best_fit) {
                        best = &table[i];
                        best_fit = f;
                }
        }
        return best ? best : &internal;
}

json_t *api_error_body(ApiStyle style, const ApiErrorInfo *e, const char *message) {
        /* Messages quote client input (ids, parser errors): make them valid UTF-8 for JSON. */
        _cleanup_free_ char *clean = utf8_sanitize(message);
        json_t *inner;
        switch (style) {
        case API_STYLE_KEYSTONE:
                return json_pack("{s:{s:i, s:s, s:s}}", "error", "code", (int) e->status, "message", clean, "title",
                                 e->title);
        case API_STYLE_GLANCE:
                return json_pack("{s:i, s:s, s:s}", "code", (int) e->status, "message", clean, "title", e->title);
        case API_STYLE_NEUTRON:
                return json_pack("{s:{s:s, s:s, s:s}}", "NeutronError", "type", e->type ? e->type : "HTTPError",
                                 "message", clean, "detail", "");
        case API_STYLE_NOVA:
        case API_STYLE_CINDER:
        default:
                inner = json_pack("{s:i, s:s}", "code", (int) e->status, "message", clean);
                return json_pack("{s:o}", e->fault ? e->fault : "computeFault", inner);
        }
}
