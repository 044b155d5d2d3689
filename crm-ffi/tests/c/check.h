/* Tiny test harness for the C tests of crm-ffi: CHECK counts failures, DONE prints the summary line. */
#ifndef CRM_CHECK_H
#define CRM_CHECK_H

#include <stdio.h>
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

#define DONE()                                                                       \
    do {                                                                             \
        printf("%s: %d passed, %d failed\n", __FILE__, checks_passed, checks_failed); \
        return checks_failed == 0 ? 0 : 1;                                           \
    } while (0)

#endif
