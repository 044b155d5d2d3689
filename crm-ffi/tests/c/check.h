/* Tiny test harness for the C tests of crm-ffi: CHECK counts failures, DONE prints the summary line; and
 * the small helpers several tests use (num_after, id_of, create). Include after crm.h. */
#ifndef CRM_CHECK_H
#define CRM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks_passed = 0;
static int checks_failed = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            checks_passed++;                                                         \
        } else {                                                                     \
            checks_failed++;                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, crm_last_error_message());                      \
        }                                                                            \
    } while (0)

/* A status check that also verifies the thread-local code and that a message is present on failure. */
#define CHECK_STATUS(call, expected)                                                 \
    do {                                                                             \
        crm_status got_ = (call);                                                    \
        CHECK(got_ == (expected));                                                   \
        if (got_ != (expected)) {                                                    \
            fprintf(stderr, "  %s returned %u (%s), expected %u\n", #call,           \
                    (unsigned)got_, crm_status_str(got_), (unsigned)(expected));     \
        }                                                                            \
        if ((expected) != CRM_OK) {                                                  \
            CHECK(strlen(crm_last_error_message()) > 0);                             \
            CHECK(strlen(crm_last_error_code()) > 0);                                \
        } else {                                                                     \
            CHECK(strcmp(crm_last_error_message(), "") == 0);                        \
        }                                                                            \
    } while (0)

#define CONTAINS(haystack, needle) ((haystack) != NULL && strstr((haystack), (needle)) != NULL)

/* The number after the first `"key":` in a JSON text (-1 when there is none). */
static inline long long num_after(const char *json, const char *key) {
    char pattern[64];
    const char *p;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    p = json ? strstr(json, pattern) : NULL;
    return p ? strtoll(p + strlen(pattern), NULL, 10) : -1;
}

/* The id of a record (its JSON's first "id"). */
static inline long long id_of(const char *json) {
    return num_after(json, "id");
}

/* Creates a record of `module` from `fields` (JSON), checking that it succeeds; its id, -1 on failure. */
static inline long long create(crm_store *st, const char *module, const char *fields) {
    char *out = NULL;
    long long id;
    CHECK_STATUS(crm_record_create(st, module, fields, &out), CRM_OK);
    id = id_of(out);
    crm_string_free(out);
    return id;
}

#define DONE()                                                                       \
    do {                                                                             \
        printf("%s: %d passed, %d failed\n", __FILE__, checks_passed, checks_failed); \
        return checks_failed == 0 ? 0 : 1;                                           \
    } while (0)

#endif
