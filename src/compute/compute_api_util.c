/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small things the compute API files share beyond the pipeline's: Nova's
 * time format for records other than servers, its paging parameters, the
 * query strings that 2.75 made strict, and its boolean strings.
 */
#include "compute/compute_api.h"

#include <strings.h>

char *compute_api_time(int64_t usec) {
        char buf[32];
        if (usec == 0)
                return NULL;
        format_iso8601_usec(usec, buf);
        buf[strlen(buf) - 1] = '\0'; /* Nova writes naive UTC times: no Z */
        return xstrdup(buf);
}

json_t *compute_api_time_json(const json_t *usec) {
        _cleanup_free_ char *t = json_is_integer(usec) ? compute_api_time(json_integer_value(usec)) : NULL;
        return t ? json_string(t) : json_null();
}

typedef struct QueryCheck {
        const char *const *allowed;
        const char *bad;         /* the first parameter not allowed */
        const char *bad_value;
} QueryCheck;

static void query_check(const char *name, const char *value, void *userdata) {
        QueryCheck *q = userdata;
        if (q->bad)
                return;
        for (size_t i = 0; q->allowed && q->allowed[i]; i++)
                if (streq(q->allowed[i], name))
                        return;
        q->bad = name;
        q->bad_value = value;
}

int compute_api_query_strict(Ctx *c, const ApiCall *call, ResourceKind kind, const char *const *allowed) {
        QueryCheck q = { .allowed = allowed };
        /* Before 2.75 Nova ignores what it does not know. */
        if (api_version(call) < API_VERSION(2, 75))
                return 0;
        api_query_foreach(call, query_check, &q);
        if (!q.bad)
                return 0;
        return ctx_error(c, -EINVAL, kind, "Invalid input for query parameters %s. Value: %s. Additional properties "
                         "are not allowed ('%s' was unexpected)", q.bad, q.bad_value, q.bad);
}

int compute_api_paging(Ctx *c, const ApiCall *call, ResourceKind kind, int64_t *ret_limit, const char **ret_marker) {
        const char *v = api_query(call, "limit");
        int64_t limit = COMPUTE_API_MAX_LIMIT;
        if (v && parse_int64(v, 0, INT64_MAX, &limit) < 0)
                return ctx_error(c, -EINVAL, kind, "limit param must be an integer and must be positive.");
        /* 0 and anything over the maximum mean the maximum, as in Nova. */
        *ret_limit = limit == 0 || limit > COMPUTE_API_MAX_LIMIT ? COMPUTE_API_MAX_LIMIT : limit;
        *ret_marker = api_query(call, "marker");
        return 0;
}

int compute_api_bool(const json_t *v, bool *ret) {
        if (json_is_boolean(v)) {
                *ret = json_is_true(v);
                return 0;
        }
        if (!json_is_string(v))
                return -EINVAL;
        return compute_api_bool_string(json_string_value(v), ret);
}

int compute_api_bool_string(const char *s, bool *ret) {
        /* oslo's bool_from_string(strict=True): these words, in any case. */
        static const char *const yes[] = { "1", "t", "true", "on", "y", "yes" };
        static const char *const no[] = { "0", "f", "false", "off", "n", "no" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}
