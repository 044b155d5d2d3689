/* Declared indexes through the C ABI (crm_index_add, crm_index_drop, crm_indexes) on an in-memory store
 * and a SQLite file: add, list, refused definitions with their messages, drop, and the index surviving a
 * reopen of the file. Every returned string is freed (valgrind). */
#include "crm.h"
#include "check.h"

#include <stdio.h>

static void exercise(crm_store *st) {
    char *out = NULL;

    CHECK_STATUS(crm_indexes(st, "Potentials", &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "[]") == 0);
    crm_string_free(out);
    out = NULL;

    /* Fields by name or label; the index comes back with canonical names. */
    CHECK_STATUS(crm_index_add(st, "Potentials", "[\"Sales Stage\",\"closingdate\"]", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"fields\":[\"sales_stage\",\"closingdate\"]"));
    CHECK(CONTAINS(out, "\"name\":\"ix_"));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_index_add(st, "Potentials", "[\"amount\"]", NULL), CRM_OK);
    CHECK_STATUS(crm_indexes(st, "Potentials", &out), CRM_OK);
    CHECK(CONTAINS(out, "[\"sales_stage\",\"closingdate\"]") && CONTAINS(out, "[\"amount\"]"));
    crm_string_free(out);
    out = NULL;

    /* Refused definitions: typed schema errors, nothing changed. */
    CHECK_STATUS(crm_index_add(st, "Potentials", "[\"sales_stage\",\"closingdate\"]", NULL), CRM_STATUS_SCHEMA);
    CHECK(CONTAINS(crm_last_error_message(), "already has an index on (sales_stage, closingdate)"));
    CHECK_STATUS(crm_index_add(st, "Potentials", "[\"nosuchfield\"]", NULL), CRM_STATUS_SCHEMA);
    CHECK(CONTAINS(crm_last_error_message(), "has no field 'nosuchfield'"));
    CHECK_STATUS(crm_index_add(st, "Potentials", "[]", NULL), CRM_STATUS_SCHEMA);
    CHECK(CONTAINS(crm_last_error_message(), "invalid index"));
    CHECK_STATUS(crm_index_add(st, "Potentials", "not json", NULL), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_index_add(st, "Potentials", NULL, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_index_drop(st, "Potentials", "[\"leadsource\"]"), CRM_STATUS_SCHEMA);
    CHECK(CONTAINS(crm_last_error_message(), "has no index on (leadsource)"));
    CHECK_STATUS(crm_indexes(st, "NoSuchModule", &out), CRM_STATUS_SCHEMA);
    CHECK(out == NULL);
    CHECK_STATUS(crm_indexes(st, "Potentials", NULL), CRM_STATUS_NULL_POINTER);

    CHECK_STATUS(crm_index_drop(st, "Potentials", "[\"amount\"]"), CRM_OK);
    CHECK_STATUS(crm_indexes(st, "Potentials", &out), CRM_OK);
    CHECK(out != NULL && !CONTAINS(out, "amount") && CONTAINS(out, "closingdate"));
    crm_string_free(out);
}

int main(int argc, char **argv) {
    crm_store *st = NULL;
    char path[4096];
    char *out = NULL;
    const char *dir = argc > 1 ? argv[1] : ".";

    CHECK_STATUS(crm_store_open(":memory:", &st), CRM_OK);
    if (st) exercise(st);
    crm_store_free(st);

    snprintf(path, sizeof path, "%s/indexes-test.db", dir);
    remove(path);
    st = NULL;
    CHECK_STATUS(crm_store_open(path, &st), CRM_OK);
    if (st) exercise(st);
    crm_store_free(st);
    /* Reopened, the file still declares the index. */
    st = NULL;
    CHECK_STATUS(crm_store_open(path, &st), CRM_OK);
    if (st) {
        CHECK_STATUS(crm_indexes(st, "Potentials", &out), CRM_OK);
        CHECK(CONTAINS(out, "[\"sales_stage\",\"closingdate\"]"));
        crm_string_free(out);
    }
    crm_store_free(st);
    remove(path);
    DONE();
}
