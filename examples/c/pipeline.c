/*
 * pipeline: a small sales-pipeline tool on the crm C ABI.
 *
 * Opens a store (a SQLite file, or ":memory:" by default), registers a sales rep, imports a CSV export of
 * vtiger opportunities when one is given (with a progress callback), creates an organization and a few
 * opportunities, moves some of them through the sales stages, then prints the
 * forecast report by stage (count, exact amount and weighted forecast per sales stage, via crm_pipeline) and the
 * open deals, largest first.
 *
 * Build against the installed library (`bash scripts/install-c.sh PREFIX`, PKG_CONFIG_PATH=PREFIX/lib/pkgconfig):
 *   cc -std=c11 -Wall $(pkg-config --cflags crm) examples/c/pipeline.c $(pkg-config --libs crm) -o pipeline
 * or from a checkout, after `cargo build -p crm-ffi`:
 *   cc -std=c11 -Wall -Wextra -Werror -I crm-ffi/include examples/c/pipeline.c target/debug/libcrm_ffi.a \
 *      -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o pipeline
 *   ./pipeline [store.db [potentials.csv]]      e.g. ./pipeline :memory: shared/data/vtiger_potentials_export.csv
 *
 * crm speaks JSON; this example pulls the few values it prints out of the (compact, key-sorted) JSON with
 * strstr to stay dependency-free. A real host would use a JSON library (cJSON, jansson, ...).
 */
#include "crm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the failed call with crm's last error and the field details, returns 0 so callers can bail. */
static int ok(crm_status s, const char *what) {
    if (s == CRM_OK) return 1;
    fprintf(stderr, "pipeline: %s failed: %s (%s): %s\n", what, crm_status_str(s), crm_last_error_code(),
            crm_last_error_message());
    if (s == CRM_STATUS_VALIDATION) fprintf(stderr, "  fields: %s\n", crm_last_error_json());
    return 0;
}

/* Copies the string value of "key" found at or after `from` into buf; returns where it ended, or NULL. */
static const char *string_value(const char *from, const char *key, char *buf, size_t size) {
    char pattern[64];
    const char *p, *end;
    size_t n;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    p = strstr(from, pattern);
    if (p == NULL) return NULL;
    p += strlen(pattern);
    end = strchr(p, '"');
    if (end == NULL) return NULL;
    n = (size_t)(end - p) < size - 1 ? (size_t)(end - p) : size - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return end;
}

/* Creates a record and returns its id (or -1). */
static long long create(crm_store *st, const char *module, const char *fields) {
    char *json = NULL;
    long long id = -1;
    const char *p;
    if (!ok(crm_record_create(st, module, fields, &json), "crm_record_create")) return -1;
    p = strstr(json, "\"id\":");
    if (p) id = strtoll(p + 5, NULL, 10);
    crm_string_free(json);
    return id;
}

static int move_stage(crm_store *st, long long id, const char *stage) {
    char fields[256];
    snprintf(fields, sizeof fields, "{\"sales_stage\":\"%s\"}", stage);
    return ok(crm_record_update(st, id, fields, NULL), "crm_record_update");
}

/* Prints crm's forecast report by sales stage (crm_pipeline): count, exact amount and the weighted
 * (probability x amount) forecast per stage, then the same report by stage kind for the open/won/lost totals. */
static void print_by_stage(const crm_store *st) {
    char *json = NULL;
    const char *p;
    char key[128], amount[64], forecast[64];
    if (!ok(crm_pipeline(st, "stage", NULL, NULL, &json), "crm_pipeline")) return;
    printf("%-24s %5s %16s %16s\n", "Sales stage", "Deals", "Amount", "Forecast");
    /* Rows look like {"key":"Prospecting","count":2,"amount":"19500.75","forecast_amount":"1950.0750"}. */
    for (p = strstr(json, "{\"key\":"); p != NULL; p = strstr(p, "{\"key\":")) {
        const char *after = string_value(p, "key", key, sizeof key);
        const char *c = after ? strstr(after, "\"count\":") : NULL;
        unsigned long count = c ? strtoul(c + 8, NULL, 10) : 0;
        if (after == NULL || string_value(after, "amount", amount, sizeof amount) == NULL ||
            string_value(after, "forecast_amount", forecast, sizeof forecast) == NULL)
            break;
        printf("%-24s %5lu %16s %16s\n", key, count, amount, forecast);
        p = after;
    }
    crm_string_free(json);
    json = NULL;
    /* The open pipeline: the "open" row of the report by stage kind (stages whose kind is open). */
    if (ok(crm_pipeline(st, "stage_kind", NULL, NULL, &json), "crm_pipeline") && (p = strstr(json, "{\"key\":\"open\"")) != NULL &&
        string_value(p, "amount", amount, sizeof amount) && string_value(p, "forecast_amount", forecast, sizeof forecast)) {
        printf("%-24s %5s %16s %16s\n", "Open pipeline", "", amount, forecast);
    }
    crm_string_free(json);
}

/* Import progress callback: user_data is the file name; rows_done counts data rows. */
static void on_progress(void *user_data, uint64_t rows_done) {
    printf("  %s: %llu rows\n", (const char *)user_data, (unsigned long long)rows_done);
}

/* Imports a vtiger CSV export of opportunities: missing organizations and contacts are created, owners that
 * do not exist get a default, unknown picklist values are added. Prints the counts. */
static int import_csv(crm_store *st, const char *csv) {
    char *report = NULL;
    const char *p;
    printf("Importing %s\n", csv);
    if (!ok(crm_import_csv(st, csv, "Potentials",
                           "{\"create_missing_references\":true,\"add_unknown_picklist_values\":true,\"batch_size\":10}",
                           on_progress, (void *)csv, &report),
            "crm_import_csv"))
        return 0;
    /* The report starts with the counts: {"import_id":..,"dry_run":false,"rows":..,"created":..,...}. */
    p = strstr(report, "\"rows\":");
    printf("  rows %lu", p ? strtoul(p + 7, NULL, 10) : 0UL);
    p = strstr(report, "\"created\":");
    printf(", created %lu", p ? strtoul(p + 10, NULL, 10) : 0UL);
    p = strstr(report, "\"failed\":");
    printf(", failed %lu\n\n", p ? strtoul(p + 9, NULL, 10) : 0UL);
    crm_string_free(report);
    return 1;
}

static void print_open_deals(const crm_store *st) {
    char *json = NULL;
    const char *p;
    char name[128], amount[64], stage[128];
    if (!ok(crm_record_find(st,
                            "{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"sales_stage\",\"op\":\"not contains\","
                            "\"value\":\"Closed\"}],\"sort\":[\"-amount\"],\"limit\":10}",
                            &json),
            "crm_record_find"))
        return;
    printf("\nOpen deals, largest first:\n");
    /* Records are JSON objects with sorted keys; each starts with "amount" when it has one. */
    for (p = strstr(json, "{\"amount\":"); p != NULL; p = strstr(p + 1, "{\"amount\":")) {
        if (string_value(p, "amount", amount, sizeof amount) && string_value(p, "potentialname", name, sizeof name) &&
            string_value(p, "sales_stage", stage, sizeof stage))
            printf("  %-28s %-22s %14s\n", name, stage, amount);
    }
    crm_string_free(json);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : ":memory:";
    crm_store *st = NULL;
    long long renewal, expansion, pilot, support;
    int good = 1;

    printf("crm %s (header %s)\n", crm_version(), CRM_VERSION);
    if (!ok(crm_store_open(path, &st), "crm_store_open")) return 1;
    good = ok(crm_user_add(st, "{\"user_name\":\"rep\",\"full_name\":\"Riley Rep\"}", NULL), "crm_user_add") &&
           ok(crm_store_set_actor(st, "rep"), "crm_store_set_actor") &&
           /* The owners a vtiger export names: the Administrator user and the Sales Team group. */
           ok(crm_user_add(st, "{\"user_name\":\"admin\",\"full_name\":\"Administrator\"}", NULL), "crm_user_add") &&
           ok(crm_group_add(st, "{\"name\":\"Sales Team\",\"members\":[\"rep\",\"admin\"]}", NULL), "crm_group_add") &&
           (argc < 3 || import_csv(st, argv[2])) &&
           create(st, "Accounts", "{\"accountname\":\"Hooli\",\"industry\":\"Technology\"}") > 0;
    if (good) {
        renewal = create(st, "Potentials",
                         "{\"potentialname\":\"Hooli renewal\",\"related_to\":\"Hooli\",\"amount\":\"12000.50\","
                         "\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-03-31\"}");
        expansion = create(st, "Potentials",
                           "{\"potentialname\":\"Hooli expansion\",\"related_to\":\"Hooli\",\"amount\":48000,"
                           "\"sales_stage\":\"Qualification\",\"closingdate\":\"2027-06-30\"}");
        pilot = create(st, "Potentials",
                       "{\"potentialname\":\"Hooli XYZ pilot\",\"related_to\":\"Hooli\",\"amount\":\"7500.25\","
                       "\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-02-15\"}");
        support = create(st, "Potentials",
                         "{\"potentialname\":\"Hooli support plan\",\"related_to\":\"Hooli\",\"amount\":\"3600\","
                         "\"sales_stage\":\"Needs Analysis\",\"closingdate\":\"2027-04-30\"}");
        good = renewal > 0 && expansion > 0 && pilot > 0 && support > 0 &&
               move_stage(st, renewal, "Negotiation or Review") && move_stage(st, pilot, "Closed Won") &&
               move_stage(st, support, "Closed Lost") && move_stage(st, expansion, "Proposal or Price Quote");
    }
    if (good) {
        print_by_stage(st);
        print_open_deals(st);
    }
    crm_store_free(st);
    return good ? 0 : 1;
}
