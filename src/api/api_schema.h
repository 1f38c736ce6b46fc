/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A JSON Schema validator for the subset our request schemas use: type,
 * properties, required, additionalProperties, propertyNames, min/max
 * Properties, enum, minLength, maxLength, format (uuid, ipv4, ipv6,
 * date-time, name), minimum, maximum, items, minItems, maxItems,
 * uniqueItems, anyOf, oneOf, and local $ref ("#/definitions/NAME"); and
 * our own "x-min-version"/"x-max-version" on a property, which limit it to
 * the API microversions that know it.  Schemas are JSON files under
 * src/<service>/schemas/, embedded at build time.
 */
#pragma once

#include "util/jx.h"

/*
 * Checks instance against schema.  On failure returns -EINVAL and, if
 * ret_msg is not NULL, a sentence naming the field, e.g.
 * "Invalid input for field 'project/name': 1 is not of type 'string'."
 */
int api_schema_validate(const json_t *schema, const json_t *instance, char **ret_msg);
/* The same for a request of API microversion version (API_VERSION(2, 19)); 0 validates every property. */
int api_schema_validate_version(const json_t *schema, const json_t *instance, int version, char **ret_msg);

struct EmbeddedFile;

/* Makes a service's embedded schema files known (parsed now; a broken one aborts).  Idempotent. */
void api_schema_register(const struct EmbeddedFile *files);
/* A registered schema by file name, or NULL; borrowed, valid for the process's life. */
const json_t *api_schema_get(const char *name);
