/* Every error path of the C ABI: NULL arguments, invalid UTF-8, invalid JSON, wrong JSON shapes,
 * validation failures (with the JSON detail), unknown ids, conflicts, bad files; out-parameters are never
 * written on failure; the version defines match the library. */
#include "crm.h"
#include "check.h"

#include <stdlib.h>

#define SENTINEL ((char *)0x1)

static const char *OPP = "{\"potentialname\":\"Deal\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-03-31\"}";
static const char *BAD_UTF8 = "Poten\xff\xfetials";
static const char *Q = "{\"module\":\"Potentials\"}";

static void version(void) {
    unsigned major = 0, minor = 0, patch = 0;
    CHECK(strcmp(crm_version(), CRM_VERSION) == 0);
    CHECK(sscanf(crm_version(), "%u.%u.%u", &major, &minor, &patch) == 3);
    CHECK(major == CRM_VERSION_MAJOR && minor == CRM_VERSION_MINOR && patch == CRM_VERSION_PATCH);
    CHECK(CRM_VERSION_NUMBER == ((major << 16) | (minor << 8) | patch));
    CHECK(CRM_OK == 0 && CRM_STATUS_OK == 0 && CRM_STATUS_PANIC == 12);
    CHECK(strcmp(crm_status_str(CRM_STATUS_NOT_FOUND), "not found") == 0);
    CHECK(strcmp(crm_status_str(4242), "unknown status") == 0);
}

static void null_arguments(crm_store *st) {
    char *out = SENTINEL;
    uint64_t n = 77;
    crm_store *none = (crm_store *)SENTINEL;
    CHECK_STATUS(crm_store_open(NULL, &none), CRM_STATUS_NULL_POINTER);
    CHECK(none == (crm_store *)SENTINEL);
    CHECK(strcmp(crm_last_error_code(), "null_pointer") == 0);
    CHECK(CONTAINS(crm_last_error_message(), "path"));
    CHECK_STATUS(crm_store_open(":memory:", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_store_set_actor(NULL, "admin"), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_store_set_actor(st, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_user_add(NULL, "{\"user_name\":\"x\"}", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_user_add(st, NULL, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_group_add(st, NULL, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_users(st, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_users(NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_groups(st, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_create(NULL, "Potentials", OPP, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_create(st, NULL, OPP, &out), CRM_STATUS_NULL_POINTER);
    CHECK(CONTAINS(crm_last_error_message(), "module"));
    CHECK_STATUS(crm_record_create(st, "Potentials", NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_quick_create(st, "Potentials", NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_get(NULL, 1, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_get(st, 1, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_update(st, 1, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_update_version(st, 1, 1, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_delete(NULL, 1), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_restore(NULL, 1, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_purge(NULL, 1), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_find(st, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_find(st, Q, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_count(st, Q, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_aggregate(st, NULL, NULL, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_aggregate(st, Q, NULL, NULL, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_history(st, 1, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_stage_history(st, 1, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_record_stage_durations(st, 1, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_schema_json(st, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_schema_json(NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_module_fields(st, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_module_fields(st, "Potentials", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_user_get(st, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_user_get(st, "admin", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_auto_number_get(st, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_auto_number_get(st, "Potentials", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_auto_number_set(st, "Potentials", NULL, "1"), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_auto_number_set(st, "Potentials", "POT", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_store_set_stage_probability_autofill(NULL, true), CRM_STATUS_NULL_POINTER);
    CHECK(out == SENTINEL);
    CHECK(n == 77);
    /* A NULL required out-parameter stops the call before it changes anything. */
    CHECK_STATUS(crm_record_count(st, Q, &n), CRM_OK);
    CHECK(n == 0);
    /* Freeing NULL is a no-op. */
    crm_string_free(NULL);
    crm_store_free(NULL);
}

static void invalid_utf8(crm_store *st) {
    char *out = SENTINEL;
    crm_store *none = NULL;
    CHECK_STATUS(crm_store_open(BAD_UTF8, &none), CRM_STATUS_INVALID_UTF8);
    CHECK(none == NULL);
    CHECK_STATUS(crm_record_create(st, BAD_UTF8, OPP, &out), CRM_STATUS_INVALID_UTF8);
    CHECK(strcmp(crm_last_error_code(), "invalid_utf8") == 0);
    CHECK_STATUS(crm_record_create(st, "Potentials", "{\"potentialname\":\"\xc3\x28\"}", &out), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_store_set_actor(st, "\xff"), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_module_fields(st, BAD_UTF8, &out), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_aggregate(st, Q, "\xfe", NULL, &out), CRM_STATUS_INVALID_UTF8);
    CHECK(out == SENTINEL);
}

static void invalid_json(crm_store *st) {
    char *out = SENTINEL;
    uint64_t n = 5;
    CHECK_STATUS(crm_record_create(st, "Potentials", "{\"potentialname\":", &out), CRM_STATUS_INVALID_JSON);
    CHECK(strcmp(crm_last_error_code(), "invalid_json") == 0);
    CHECK_STATUS(crm_record_create(st, "Potentials", "not json", &out), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_record_update(st, 1, "{,}", &out), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_user_add(st, "{user_name: x}", &out), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\"", &out), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_record_count(st, "", &n), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_aggregate(st, Q, NULL, "[\"amount\"", &out), CRM_STATUS_INVALID_JSON);
    /* Valid JSON of the wrong shape is an invalid argument. */
    CHECK_STATUS(crm_record_create(st, "Potentials", "[1,2]", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_user_add(st, "{\"full_name\":\"No login\"}", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\",\"limt\":5}", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK(CONTAINS(crm_last_error_message(), "limt"));
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"amount\",\"op\":\"~~\",\"value\":1}]}", &out),
                 CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"nope\",\"op\":\"=\",\"value\":1}]}", &out),
                 CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"amount\",\"op\":\">\",\"value\":\"abc\"}]}", &out),
                 CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_aggregate(st, Q, "nope", NULL, &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_aggregate(st, Q, NULL, "[\"potentialname\"]", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_aggregate(st, Q, NULL, "{\"amount\":1}", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_auto_number_set(st, "Potentials", "POT", "12x"), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_auto_number_get(st, "Contacts\xff", &out), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_record_find(st, "{\"module\":\"NoSuchModule\"}", &out), CRM_STATUS_NOT_FOUND);
    CHECK(out == SENTINEL);
    CHECK(n == 5);
}

static void validation(crm_store *st) {
    char *out = SENTINEL;
    const char *detail;
    CHECK_STATUS(crm_record_create(st, "Potentials",
                                   "{\"potentialname\":\"\",\"amount\":\"12abc\",\"sales_stage\":\"Dreaming\","
                                   "\"closingdate\":\"2027-02-30\",\"probability\":150,\"no_such_field\":1}",
                                   &out),
                 CRM_STATUS_VALIDATION);
    CHECK(out == SENTINEL);
    CHECK(strcmp(crm_last_error_code(), "validation") == 0);
    detail = crm_last_error_json();
    CHECK(detail[0] == '[');
    CHECK(CONTAINS(detail, "{\"field\":\"potentialname\",\"code\":\"required\""));
    CHECK(CONTAINS(detail, "{\"field\":\"amount\",\"code\":\"invalid_type\""));
    CHECK(CONTAINS(detail, "{\"field\":\"sales_stage\",\"code\":\"unknown_picklist_value\""));
    CHECK(CONTAINS(detail, "{\"field\":\"closingdate\",\"code\":\"invalid_format\""));
    CHECK(CONTAINS(detail, "{\"field\":\"probability\",\"code\":\"out_of_range\""));
    CHECK(CONTAINS(detail, "{\"field\":\"no_such_field\",\"code\":\"unknown_field\""));
    CHECK(CONTAINS(detail, "\"message\":"));
    /* Nothing was stored. */
    {
        uint64_t n = 9;
        CHECK_STATUS(crm_record_count(st, Q, &n), CRM_OK);
        CHECK(n == 0);
        CHECK(strcmp(crm_last_error_json(), "[]") == 0);
    }
    /* Quick create refuses fields outside the quick-create form; read-only fields are refused. */
    CHECK_STATUS(crm_record_quick_create(st, "Potentials",
                                         "{\"potentialname\":\"Q\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-01-01\","
                                         "\"description\":\"not in the form\"}",
                                         &out),
                 CRM_STATUS_VALIDATION);
    CHECK(CONTAINS(crm_last_error_json(), "\"code\":\"not_allowed\""));
    CHECK_STATUS(crm_record_create(st, "Potentials",
                                   "{\"potentialname\":\"R\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-01-01\","
                                   "\"createdtime\":\"2020-01-01 00:00:00\"}",
                                   &out),
                 CRM_STATUS_VALIDATION);
    CHECK(CONTAINS(crm_last_error_json(), "{\"field\":\"createdtime\",\"code\":\"read_only\""));
    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"bob\",\"email\":\"not-an-email\"}", &out), CRM_STATUS_VALIDATION);
    CHECK(CONTAINS(crm_last_error_json(), "\"field\":\"email\""));
    CHECK(out == SENTINEL);
}

static void unknown_ids_and_conflicts(crm_store *st) {
    char *out = SENTINEL;
    char *rec = NULL;
    long long id = 0;
    const char *p;
    CHECK_STATUS(crm_record_get(st, 999999, &out), CRM_STATUS_NOT_FOUND);
    CHECK(strcmp(crm_last_error_code(), "not_found") == 0);
    CHECK_STATUS(crm_record_update(st, 999999, "{\"amount\":1}", &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_delete(st, 999999), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_restore(st, 999999, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_purge(st, 999999), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_history(st, -1, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_stage_history(st, 0, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_stage_durations(st, 999999, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_store_set_actor(st, "nobody"), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_user_get(st, "nobody", &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_auto_number_get(st, "NoSuchModule", &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_module_fields(st, "NoSuchModule", &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_record_create(st, "NoSuchModule", "{}", &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_group_add(st, "{\"name\":\"Team\",\"members\":[\"ghost\"]}", &out), CRM_STATUS_NOT_FOUND);
    CHECK(out == SENTINEL);

    CHECK_STATUS(crm_record_create(st, "Potentials", OPP, &rec), CRM_OK);
    p = rec ? strstr(rec, "\"id\":") : NULL;
    CHECK(p != NULL);
    if (p) id = strtoll(p + 5, NULL, 10);
    crm_string_free(rec);
    CHECK(id > 0);
    CHECK_STATUS(crm_record_update_version(st, id, 42, "{\"amount\":\"5\"}", &out), CRM_STATUS_CONFLICT);
    CHECK_STATUS(crm_record_purge(st, id), CRM_STATUS_CONFLICT);  /* not in the recycle bin */
    CHECK_STATUS(crm_record_restore(st, id, &out), CRM_STATUS_CONFLICT);
    CHECK_STATUS(crm_record_delete(st, id), CRM_OK);
    CHECK_STATUS(crm_record_delete(st, id), CRM_STATUS_CONFLICT);
    CHECK_STATUS(crm_record_update(st, id, "{\"amount\":\"5\"}", &out), CRM_STATUS_NOT_FOUND); /* in the bin */
    CHECK_STATUS(crm_record_purge(st, id), CRM_OK);
    CHECK_STATUS(crm_record_get(st, id, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"admin\"}", &out), CRM_STATUS_CONFLICT);
    CHECK(out == SENTINEL);
}

static void bad_files(const char *dir) {
    char path[4096];
    crm_store *st = (crm_store *)SENTINEL;
    crm_status s;
    FILE *f;
    snprintf(path, sizeof path, "%s/not-a-database.db", dir);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs("this is certainly not a SQLite database, just some text that is long enough to be read", f);
        fclose(f);
    }
    s = crm_store_open(path, &st);
    CHECK(s == CRM_STATUS_CORRUPT || s == CRM_STATUS_STORAGE);
    CHECK(st == (crm_store *)SENTINEL);
    CHECK(strlen(crm_last_error_message()) > 0);
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", dir);
    s = crm_store_open(path, &st);
    CHECK(s != CRM_OK);
    CHECK(st == (crm_store *)SENTINEL);
}

int main(int argc, char **argv) {
    crm_store *st = NULL;
    const char *dir = argc > 1 ? argv[1] : ".";
    version();
    CHECK_STATUS(crm_store_open(":memory:", &st), CRM_OK);
    CHECK(st != NULL);
    if (st == NULL) DONE();
    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"admin\",\"full_name\":\"Administrator\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_store_set_actor(st, "admin"), CRM_OK);
    null_arguments(st);
    invalid_utf8(st);
    invalid_json(st);
    validation(st);
    unknown_ids_and_conflicts(st);
    bad_files(dir);
    crm_store_free(st);
    DONE();
}
