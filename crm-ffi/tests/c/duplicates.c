/* Duplicates through the C ABI (crm_duplicates_find, crm_merge, crm_duplicate_rule_add, crm_duplicate_rules,
 * crm_duplicate_rule_drop) on an in-memory store and a SQLite file: groups found across Persian/Arabic
 * letter variants and case, a merge that repoints a contact and is undone by restore, a rule refusing a
 * create with the `duplicate` validation code. Every returned string is freed (valgrind). */
#include "crm.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>

static void exercise(crm_store *st) {
    char *out = NULL;
    char buf[512];
    long long a, b, contact;

    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"admin\",\"full_name\":\"Administrator\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_store_set_actor(st, "admin"), CRM_OK);
    a = create(st, "Accounts", "{\"accountname\": \"\xd8\xb4\xd8\xb1\xd9\x83\xd8\xaa \xd8\xb9\xd9\x84\xd9\x8a\"}"); /* Arabic kaf, yeh */
    b = create(st, "Accounts", "{\"accountname\": \"  \xd8\xb4\xd8\xb1\xda\xa9\xd8\xaa \xd8\xb9\xd9\x84\xdb\x8c \"}"); /* Persian */
    snprintf(buf, sizeof buf, "{\"lastname\": \"Belson\", \"account_id\": %lld}", b);
    contact = create(st, "Contacts", buf);

    CHECK_STATUS(crm_duplicates_find(st, "Accounts", NULL, &out), CRM_OK);
    snprintf(buf, sizeof buf, "\"ids\":[%lld,%lld]", a, b);
    CHECK(CONTAINS(out, buf));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_duplicates_find(st, "Accounts", "{\"fields\": [\"nope\"]}", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK(out == NULL);

    snprintf(buf, sizeof buf, "{\"keep\": %lld, \"others\": [%lld], \"values\": {\"phone\": \"555-0100\"}}", a, b);
    CHECK_STATUS(crm_merge(st, "Accounts", buf, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"references\":1"));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_record_get(st, contact, &out), CRM_OK);
    snprintf(buf, sizeof buf, "\"account_id\":%lld", a);
    CHECK(CONTAINS(out, buf));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_record_restore(st, b, NULL), CRM_OK);
    CHECK_STATUS(crm_record_get(st, contact, &out), CRM_OK);
    snprintf(buf, sizeof buf, "\"account_id\":%lld", b);
    CHECK(CONTAINS(out, buf));
    crm_string_free(out);
    out = NULL;

    CHECK_STATUS(crm_duplicate_rule_add(st, "Accounts", "[\"Organization Name\"]", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"fields\":[\"accountname\"]"));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_record_create(st, "Accounts", "{\"accountname\": \"Hooli\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_record_create(st, "Accounts", "{\"accountname\": \" HOOLI. \"}", NULL), CRM_STATUS_VALIDATION);
    CHECK(CONTAINS(crm_last_error_json(), "\"duplicate\""));
    CHECK_STATUS(crm_duplicate_rules(st, "Accounts", &out), CRM_OK);
    CHECK(CONTAINS(out, "accountname"));
    crm_string_free(out);
    CHECK_STATUS(crm_duplicate_rule_drop(st, "Accounts", "[\"accountname\"]"), CRM_OK);
    CHECK_STATUS(crm_duplicate_rule_add(st, "Potentials", "[\"amount\"]", NULL), CRM_STATUS_SCHEMA);
}

int main(int argc, char **argv) {
    crm_store *st = NULL;
    char path[4096];
    const char *dir = argc > 1 ? argv[1] : ".";

    CHECK_STATUS(crm_store_open(":memory:", &st), CRM_OK);
    if (st) exercise(st);
    crm_store_free(st);

    snprintf(path, sizeof path, "%s/duplicates-test.db", dir);
    remove(path);
    st = NULL;
    CHECK_STATUS(crm_store_open(path, &st), CRM_OK);
    if (st) exercise(st);
    crm_store_free(st);
    remove(path);
    DONE();
}
