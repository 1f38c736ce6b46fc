/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A JSON Schema validator for the subset our request schemas use: type,
 * properties, required, additionalProperties, enum, const, minLength,
 * maxLength, minimum, maximum, items, minItems, maxItems, uniqueItems,
 * anyOf, oneOf, and local $ref ("#/definitions/NAME").  Schemas are JSON
 * files under src/<service>/schemas/, embedded at build time.
 */
#pragma once

#include "util/jx.h"

/*
 * Checks instance against schema.  On failure returns -EINVAL and, if
 * ret_msg is not NULL, a sentence naming the field, e.g.
 * "Invalid input for field 'project/name': 1 is not of type 'string'."
 */
int api_schema_validate(const json_t *schema, const json_t *instance, char **ret_msg);

/* Looks up and parses an embedded schema by file name; cached, borrowed. */
const json_t *api_schema_get(const char *name);
