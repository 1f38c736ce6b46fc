/* SPDX-License-Identifier: Apache-2.0 */
/* jansson helpers (see jx.h). */
#include "util/jx.h"

const char *jx_string(const json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *jx_path_string(const json_t *obj, ...) {
        va_list ap;
        const char *key, *last = NULL;
        const json_t *cur = obj;

        va_start(ap, obj);
        while ((key = va_arg(ap, const char *))) {
                if (last)
                        cur = json_object_get(cur, last);
                if (!json_is_object(cur)) {
                        cur = NULL;
                        break;
                }
                last = key;
        }
        va_end(ap);
        if (!cur || !last)
                return NULL;
        return jx_string(cur, last);
}

void jx_set_string_or_null(json_t *obj, const char *key, const char *s) {
        json_object_set_new(obj, key, s ? json_string(s) : json_null());
}

char *jx_dump(const json_t *j) {
        char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s)
                abort(); /* jansson fails only on OOM */
        return s;
}

json_t *jx_parse(const char *text, size_t len, json_error_t *err) {
        /* Duplicate keys are an error: a client sending them is confused. */
        return json_loadb(text, len, JSON_REJECT_DUPLICATES, err);
}
