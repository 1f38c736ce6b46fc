/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every API service gureumd serves, in one explicit list (the order is the
 * order of prefix matching), and the hooks the API layer gets from the
 * services: a grep finds them all.
 */
#include "daemon/daemon.h"
#include "identity/identity.h"

extern const ApiService identity_api_service;
extern const ApiService image_api_service;
extern const ApiService compute_api_service;
extern const ApiService network_api_service;

const ApiService *const daemon_api_services[] = {
        &identity_api_service,
        &image_api_service,
        &compute_api_service,
        &network_api_service,
        NULL,
};

void daemon_api_setup(const Config *cfg, ApiSetup *ret) {
        *ret = (ApiSetup) {
                .cfg = cfg,
                .services = daemon_api_services,
                .authenticate = identity_authenticate_token,
        };
}
