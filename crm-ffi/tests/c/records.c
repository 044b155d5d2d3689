/* The main paths through the C ABI on an in-memory store and on a SQLite file reopened from disk:
 * users, groups, create, quick create, get, update, delete/restore/purge, find with conditions, sort and
 * paging, count, aggregate, history, stage history, schema. Every returned string is freed (valgrind). */
#include "crm.h"
#include "check.h"

#include <stdlib.h>

static void exercise(crm_store *st) {
    char *out = NULL;
    uint64_t n = 0;
    long long org, a, b, c;

    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"admin\",\"full_name\":\"Administrator\",\"email\":\"admin@example.com\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"user_name\":\"admin\""));
    crm_string_free(out);
    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"jdoe\",\"full_name\":\"John Doe\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_group_add(st, "{\"name\":\"Sales Team\",\"members\":[\"admin\",\"jdoe\"]}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"Sales Team\""));
    crm_string_free(out);
    CHECK_STATUS(crm_users(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"jdoe\"") && CONTAINS(out, "\"admin\""));
    crm_string_free(out);
    CHECK_STATUS(crm_groups(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "Sales Team"));
    crm_string_free(out);
    CHECK_STATUS(crm_store_set_actor(st, "admin"), CRM_OK);
    CHECK_STATUS(crm_user_get(st, "JDOE", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"full_name\":\"John Doe\""));
    crm_string_free(out);
    CHECK_STATUS(crm_auto_number_get(st, "Opportunities", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"prefix\":\"POT\""));
    crm_string_free(out);
    CHECK_STATUS(crm_store_set_stage_probability_autofill(st, true), CRM_OK);

    org = create(st, "Accounts", "{\"accountname\":\"Hooli\"}");
    CHECK(org > 0);
    a = create(st, "Potentials",
               "{\"potentialname\":\"Hooli renewal\",\"related_to\":\"Hooli\",\"amount\":12000.50,"
               "\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-03-31\"}");
    b = create(st, "Opportunities",
               "{\"Opportunity Name\":\"Hooli expansion\",\"related_to\":\"Hooli\",\"amount\":\"800\","
               "\"sales_stage\":\"Qualification\",\"closingdate\":\"2027-06-30\",\"assigned_user_id\":\"Sales Team\"}");
    CHECK_STATUS(crm_record_quick_create(st, "Potentials",
                                         "{\"potentialname\":\"Quick one\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-01-15\"}",
                                         &out),
                 CRM_OK);
    c = id_of(out);
    CHECK(CONTAINS(out, "\"potential_no\":\"POT3\""));
    crm_string_free(out);
    CHECK(a > 0 && b > 0 && c > 0);

    CHECK_STATUS(crm_record_get(st, a, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"amount\":\"12000.50\""));
    CHECK(CONTAINS(out, "\"probability\":\"10.000\""));
    CHECK(CONTAINS(out, "\"closingdate\":\"2027-03-31\""));
    CHECK(CONTAINS(out, "\"module\":\"Potentials\""));
    CHECK(CONTAINS(out, "\"version\":1"));
    {
        char needle[64];
        snprintf(needle, sizeof needle, "\"related_to\":%lld", org);
        CHECK(CONTAINS(out, needle));
    }
    crm_string_free(out);

    CHECK_STATUS(crm_record_update(st, a, "{\"sales_stage\":\"Negotiation or Review\",\"amount\":\"15000\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"amount\":\"15000.00\"") && CONTAINS(out, "\"version\":2"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_update_version(st, a, 2, "{\"description\":\"checked\"}", NULL), CRM_OK);

    CHECK_STATUS(crm_record_find(st,
                                 "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"amount\",\"op\":\">=\",\"value\":\"800\"},"
                                 "{\"any\":[{\"field\":\"sales_stage\",\"op\":\"in\",\"values\":[\"Qualification\",\"Negotiation or Review\"]},"
                                 "{\"not\":{\"field\":\"potentialname\",\"op\":\"contains\",\"value\":\"hooli\"}}]}],"
                                 "\"sort\":[\"-amount\"],\"limit\":1,\"offset\":0}",
                                 &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"total\":2"));
    CHECK(CONTAINS(out, "Hooli renewal") && !CONTAINS(out, "Hooli expansion"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\",\"sort\":[{\"field\":\"amount\",\"descending\":true}],\"offset\":1,\"limit\":1}", &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "Hooli expansion") && CONTAINS(out, "\"total\":3"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_count(st, "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"amount\",\"op\":\"is empty\"}]}", &n), CRM_OK);
    CHECK(n == 1);

    CHECK_STATUS(crm_aggregate(st, "{\"module\":\"Potentials\"}", "sales_stage", "[\"amount\"]", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"key\":\"Negotiation or Review\",\"sums\":{\"amount\":\"15000.00\"}"));
    CHECK(CONTAINS(out, "\"key\":\"Qualification\",\"sums\":{\"amount\":\"800.00\"}"));
    crm_string_free(out);
    CHECK_STATUS(crm_aggregate(st, "{\"module\":\"Potentials\"}", NULL, "[\"amount\"]", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"count\":3,\"key\":null,\"sums\":{\"amount\":\"15800.00\"}"));
    crm_string_free(out);

    CHECK_STATUS(crm_record_history(st, a, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"kind\":\"created\"") && CONTAINS(out, "\"kind\":\"updated\""));
    CHECK(CONTAINS(out, "{\"field\":\"amount\",\"before\":\"12000.50\",\"after\":\"15000.00\"}"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_stage_history(st, a, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"stage\":\"Prospecting\"") && CONTAINS(out, "\"stage\":\"Negotiation or Review\""));
    crm_string_free(out);
    CHECK_STATUS(crm_record_stage_durations(st, a, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"stage\":\"Prospecting\""));
    crm_string_free(out);

    CHECK_STATUS(crm_record_delete(st, c), CRM_OK);
    CHECK_STATUS(crm_record_count(st, "{\"module\":\"Potentials\",\"deleted\":true}", &n), CRM_OK);
    CHECK(n == 1);
    /* A record in the recycle bin is not read as if it were live; the bin has its own read. */
    out = NULL;
    CHECK_STATUS(crm_record_get(st, c, &out), CRM_STATUS_NOT_FOUND);
    CHECK(out == NULL);
    CHECK(strcmp(crm_last_error_code(), "not_found") == 0);
    CHECK_STATUS(crm_record_get_deleted(st, c, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"deleted\":true") && CONTAINS(out, "\"version\":2") && CONTAINS(out, "\"description\":null"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_get_deleted(st, a, &out), CRM_STATUS_NOT_FOUND); /* a live record */
    CHECK_STATUS(crm_record_restore(st, c, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"deleted\":false"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_delete(st, c), CRM_OK);
    CHECK_STATUS(crm_record_purge(st, c), CRM_OK);

    CHECK_STATUS(crm_module_fields(st, "Opportunities", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"potentialname\"") && CONTAINS(out, "\"label\":\"Opportunity Name\""));
    crm_string_free(out);
    CHECK_STATUS(crm_schema_json(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"Potentials\"") && CONTAINS(out, "\"Accounts\""));
    crm_string_free(out);
}

int main(int argc, char **argv) {
    crm_store *st = NULL;
    char path[4096];
    char *out = NULL;
    uint64_t n = 0;
    const char *dir = argc > 1 ? argv[1] : ".";

    CHECK_STATUS(crm_store_open(":memory:", &st), CRM_OK);
    if (st) exercise(st);
    crm_store_free(st);

    snprintf(path, sizeof path, "%s/records-test.db", dir);
    remove(path);
    st = NULL;
    CHECK_STATUS(crm_store_open(path, &st), CRM_OK);
    if (st) exercise(st);
    crm_store_free(st);
    /* Reopen the file: everything is still there. */
    st = NULL;
    CHECK_STATUS(crm_store_open(path, &st), CRM_OK);
    if (st) {
        CHECK_STATUS(crm_record_count(st, "{\"module\":\"Potentials\"}", &n), CRM_OK);
        CHECK(n == 2);
        CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"amount\",\"op\":\"=\",\"value\":15000}]}", &out),
                     CRM_OK);
        CHECK(CONTAINS(out, "\"amount\":\"15000.00\"") && CONTAINS(out, "\"total\":1"));
        crm_string_free(out);
    }
    crm_store_free(st);
    remove(path);
    DONE();
}
