/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fault.h"

struct Fault {
        char *op;
        int code;
        Fault *next;
};

void fault_queue_push(FaultQueue *q, const char *op, int code) {
        Fault *f = xcalloc(1, sizeof(*f)), **tail = &q->head;
        f->op = xstrdup(op);
        f->code = code;
        while (*tail)
                tail = &(*tail)->next;
        *tail = f;
}

int fault_queue_take(FaultQueue *q, const char *op) {
        for (Fault **p = &q->head; *p; p = &(*p)->next) {
                Fault *f = *p;
                if (!streq(f->op, op))
                        continue;
                int code = f->code;
                *p = f->next;
                free(f->op);
                free(f);
                return code;
        }
        return 0;
}

void fault_queue_clear(FaultQueue *q) {
        while (q->head) {
                Fault *f = q->head;
                q->head = f->next;
                free(f->op);
                free(f);
        }
}
