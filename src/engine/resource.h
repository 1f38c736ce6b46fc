/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource engine, database half.  Most API resources are rows with
 * typed fields and the same operations: get, list with filters, sorting
 * and paging, create, update, delete.  Each resource is declared once as a
 * ResDef; this file builds its SQL and reads its rows as typed JSON.  What
 * differs between resources (defaults, references, cascades) goes in the
 * ResDef's hooks; what differs between APIs (envelopes, links, time
 * formats, microversions) is the API half's business (api/api_resource.h).
 *
 * Records are json_t objects keyed by field name, with the stored types:
 * strings, booleans, integers, reals, timestamps as integer microseconds,
 * and JSON fields parsed.  Secret fields are in records, never rendered.
 */
#pragma once

#include "core/ctx.h"
#include "db/db.h"
#include "util/buf.h"
#include "util/jx.h"

/* Field types: how the column is stored and read. */
enum {
        RES_STRING = 's',        /* TEXT (or NULL) */
        RES_BOOL = 'b',          /* INTEGER 0/1 */
        RES_INT = 'i',           /* INTEGER / BIGINT */
        RES_REAL = 'r',          /* REAL / DOUBLE PRECISION */
        RES_TIME = 't',          /* BIGINT microseconds since the epoch; rendered as ISO 8601 */
        RES_JSON = 'j',          /* TEXT holding JSON (a dict of metadata, a list) */
};

/* Field flags. */
enum {
        RES_REQUIRED = 1 << 0,   /* must be given on create */
        RES_FILTER = 1 << 1,     /* lists accept ?name=value (equality) */
        RES_IMMUTABLE = 1 << 2,  /* update may not change it (400) */
        RES_SECRET = 1 << 3,     /* stored, never rendered (a password hash) */
        RES_SORT = 1 << 4,       /* lists may sort by it */
        RES_HIDDEN = 1 << 5,     /* stored for the service, not rendered (a host's internal path) */
};

typedef struct ResField {
        const char *name;        /* JSON key; the column too unless column is set */
        char type;               /* RES_STRING ... */
        unsigned flags;
        const char *column;      /* NULL: same as name */
        /* The API versions the field is rendered in, as API_VERSION(2, 19); 0: from the first / to the last. */
        int min_version, max_version;
} ResField;

/* How a new row gets its id. */
typedef enum ResIdKind {
        RES_ID_HEX,              /* 32 hex digits (Keystone) */
        RES_ID_UUID,             /* dashed UUID (Glance, Nova, Neutron, Cinder) */
        RES_ID_GIVEN,            /* the caller puts it in the object (keypair names, flavor ids) */
} ResIdKind;

typedef struct ResDef ResDef;

struct ResDef {
        ResourceKind kind;
        const char *table;
        const char *singular;    /* JSON envelope and message noun: "flavor" */
        const char *plural;      /* collection key: "flavors" */
        const char *path;        /* URL segment of the collection under the API version; NULL: plural */
        const ResField *fields;  /* without "id" (always a TEXT primary key); ends with { NULL } */
        ResIdKind id_kind;
        bool client_id;          /* create may take the id from the object (regions): URL-unreserved characters only */
        const char *order_by;    /* default list order; NULL: "id" */
        const char *not_found;   /* message for a missing id: a format with one %s, the id */
        const char *conflict;    /* message for a duplicate: a format with one %s, the name (or id) */
        void (*changed)(void);   /* after every committed write (identity's cache) */
        /*
         * Work too slow to hold the database's write lock for (hashing a
         * password): runs before create's or update's transaction; may
         * edit obj.  A hash computed inside the transaction held every
         * other writer up for its duration (issue 7, F3).
         */
        int (*precompute)(Ctx *c, json_t *obj);
        /* Fills defaults, checks references, may edit obj; in the transaction.  old is NULL on create. */
        int (*prepare)(Ctx *c, json_t *obj, const json_t *old);
        /* Work that needs the row written (rows referring to it); in the same transaction.  old is NULL on create. */
        int (*after)(Ctx *c, const json_t *obj, const json_t *old);
        /* Refuses or cascades a delete; runs inside the delete's transaction. */
        int (*before_delete)(Ctx *c, const json_t *old);
        /* Adds computed fields to a rendered object (the API half calls it). */
        void (*decorate)(Ctx *c, json_t *obj);
        /* Read permission beyond admin for get and list; NULL: admin only. */
        bool (*can_read)(Ctx *c, const json_t *rec);
};

/* The field named name, or NULL. */
const ResField *res_field(const ResDef *d, const char *name);
/* The column of a field. */
static inline const char *res_column(const ResField *f) {
        return f->column ? f->column : f->name;
}

/* Appends "id, col1, col2, ..." (each qualified with prefix when not NULL: "s.") to sql. */
void res_columns(const ResDef *d, const char *prefix, Buf *sql);
/* The current row (selected with res_columns) as a record.  Returns a new reference. */
json_t *res_row(const ResDef *d, DbStmt *s);

/* ---- reading ---- */

/* The record of id; -ENOENT without a message if there is none. */
int res_lookup(Ctx *c, const ResDef *d, const char *id, json_t **ret);
/* Records d->not_found for id (a record the caller may not see is not found either); returns -ENOENT. */
int res_not_found(Ctx *c, const ResDef *d, const char *id);
/* Like res_lookup, but -ENOENT records d->not_found. */
int res_get(Ctx *c, const ResDef *d, const char *id, json_t **ret);
/* The first record matching where ("name = ? AND domain_id = ?") with args; -ENOENT without a message. */
int res_find(Ctx *c, const ResDef *d, const char *where, const DbArgs *args, json_t **ret);

/* A list query: filters, extra conditions, order and paging. */
typedef struct ResQuery {
        json_t *filters;         /* field name -> value; every one is applied (owned) */
        Buf where;               /* extra conditions, each starting with " AND " */
        DbArgs args;             /* the parameters of where, in order */
        char *order_by;          /* a validated ORDER BY clause, or NULL for d->order_by */
        char *marker;            /* the id after which the page starts, or NULL */
        int64_t limit;           /* rows in the page; 0: all */
        bool repeat_is_any;      /* a filter given twice matches either value (Neutron); else the last wins */
} ResQuery;

void res_query_init(ResQuery *q);
void res_query_done(ResQuery *q);
/*
 * Adds ?name=value as a filter.  -EINVAL with a message if the field is not
 * filterable (when strict) or the value does not parse as the field's type;
 * not strict, unknown names are ignored (Keystone's habit) and 0 is returned.
 */
int res_query_filter(Ctx *c, const ResDef *d, ResQuery *q, const char *name, const char *value, bool strict);
/*
 * Sets the order from sort keys and directions (Nova and Neutron style:
 * one direction per key, or one for all, default "asc" unless default_dir
 * says otherwise).  Keys must be RES_SORT fields; the id is added last so
 * pages are stable.  -EINVAL with a message otherwise.
 */
int res_query_sort(Ctx *c, const ResDef *d, ResQuery *q, char *const *keys, char *const *dirs,
                   const char *default_dir);
/*
 * The records matching q, in order, after q->marker, at most q->limit;
 * *ret_more (may be NULL) tells whether more follow.  -EINVAL with a
 * message if the marker names no record of the query.
 */
int res_list(Ctx *c, const ResDef *d, const ResQuery *q, json_t **ret, bool *ret_more);
/* The number of records matching where with args (all of them: "" matches all). */
int res_count(Ctx *c, const ResDef *d, const char *where, const DbArgs *args, int64_t *ret);

/* ---- writing ---- */

/*
 * Inserts obj as a row: the id and every field present in obj; fields
 * named created_at and updated_at (RES_TIME) are stamped now when absent.
 * Call inside a transaction.  -EEXIST records d->conflict; RES_REQUIRED fields missing
 * are -EINVAL.
 */
int res_insert(Ctx *c, const ResDef *d, const json_t *obj);
/* Updates the fields present in patch of row id (an updated_at field is stamped); inside a transaction.  0 rows is -ENOENT. */
int res_patch(Ctx *c, const ResDef *d, const char *id, const json_t *patch);

/*
 * The whole operations, each one transaction with d's hooks and
 * d->changed after commit.  res_create gives the new row an id
 * (d->id_kind), runs prepare and inserts; *ret is the stored record.
 * res_update refuses changes to RES_IMMUTABLE fields.  res_delete runs
 * before_delete in the same transaction.
 */
int res_create(Ctx *c, const ResDef *d, const json_t *obj, json_t **ret);
int res_update(Ctx *c, const ResDef *d, const char *id, const json_t *patch, json_t **ret);
/* Creates every object of the array objs in one transaction (Neutron's bulk create); *ret the records, in order. */
int res_create_many(Ctx *c, const ResDef *d, const json_t *objs, json_t **ret);
int res_delete(Ctx *c, const ResDef *d, const char *id);
/*
 * The same steps inside the caller's transaction, for a change made of
 * several resources (a topology made for a project): obj gets its id and
 * becomes the stored row; d->changed is the caller's to call after commit.
 */
int res_create_locked(Ctx *c, const ResDef *d, json_t *obj);
int res_delete_locked(Ctx *c, const ResDef *d, const char *id);

/*
 * db_transaction with a message when starting or committing fails:
 * "Database error while <what>." (fn records its own messages).
 */
int res_transaction(Ctx *c, const char *what, int (*fn)(Ctx *c, void *userdata), void *userdata);
/*
 * Records why a database call failed, unless an error is recorded already:
 * -EEXIST (a key conflict, 409) as "Conflict while <what>.", anything else
 * as -EIO "Database error while <what>." (500).  Returns the code recorded.
 */
int res_db_error(Ctx *c, int r, ResourceKind kind, const char *what);
