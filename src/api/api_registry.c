/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every API service the daemon serves, in one explicit list: a grep finds
 * them all and the order is the order of prefix matching.
 */
#include "api/api.h"

extern const ApiService identity_api_service;
extern const ApiService image_api_service;

const ApiService *const api_services[] = {
        &identity_api_service,
        &image_api_service,
        NULL,
};
