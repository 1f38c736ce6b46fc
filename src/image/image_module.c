/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image service's entry in the daemon's module table: the store
 * directory and quotas at setup, and after a crash, interrupted uploads
 * queued again and stray files removed before anyone can upload.
 */
#include "image/image.h"
#include "engine/module.h"
#include "util/log.h"

static int module_setup(const Config *cfg) {
        int r = image_setup(cfg);
        if (r < 0)
                log_error("image", "cannot prepare the image store in %s/images: %s", cfg->state_dir, strerror(-r));
        return r;
}

const Module image_module = {
        .name = "image",
        .setup = module_setup,
        .recover = image_recover,
};
