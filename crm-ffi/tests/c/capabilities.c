/* The main paths through the newer parts of the C ABI, on an in-memory store and a SQLite file: schema and
 * picklist editing, workflows with a host workflow function and a host mailer (callbacks with user data),
 * the outbox, the pipeline report, filters and list views, search, keyset pages, mass actions, comments,
 * links and related lists, documents from an opportunity, lead conversion, CSV/vCard import with a progress
 * callback, undo, saved mappings, CSV/vCard export, conditions and expressions over stored records; plus
 * their error paths.
 * Every returned string is freed (valgrind). */
#include "crm.h"
#include "check.h"

#include <stdlib.h>

/* crm_record_find_each's callback: counts the records and checks each is a Potentials record JSON. */
static int32_t count_record(void *user_data, const char *record_json) {
    int *n = user_data;
    CHECK(CONTAINS(record_json, "\"module\":\"Potentials\""));
    (*n)++;
    return 0;
}

/* Host state for the callbacks: user data is a pointer to this struct. */
struct host {
    int function_calls;
    int mails_seen;
    int mails_refused;
};

/* A workflow function: counts calls, sets nextstep; refuses deals named "refuse". */
static int32_t next_step(void *user_data, const char *record_json, crm_callback_reply *reply) {
    struct host *h = user_data;
    h->function_calls++;
    if (CONTAINS(record_json, "\"potentialname\":\"refuse\"")) {
        crm_callback_reply_set(reply, "refused by the host");
        return 1;
    }
    crm_callback_reply_set(reply, "{\"nextstep\":\"call back\"}");
    return 0;
}

/* A mailer: accepts mail to admin, refuses the rest with a message. */
static int32_t mailer(void *user_data, const char *mail_json, crm_callback_reply *reply) {
    struct host *h = user_data;
    h->mails_seen++;
    if (CONTAINS(mail_json, "admin@example.com")) return 0;
    h->mails_refused++;
    crm_callback_reply_set(reply, "no route to host");
    return 2;
}

static void exercise(crm_store *st) {
    char *out = NULL;
    char buf[512];
    struct host h = {0, 0, 0};
    long long deal, other, org, contact, product, lead, filter_id;

    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"admin\",\"email\":\"admin@example.com\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"jdoe\",\"email\":\"jdoe@example.com\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_store_set_actor(st, "admin"), CRM_OK);

    /* Schema: a custom picklist field, a renamed value, the change log, a refused edit. */
    CHECK_STATUS(crm_field_add(st, "Potentials", "{\"name\":\"cf_region\",\"label\":\"Region\",\"type\":\"picklist\",\"values\":[\"EU\",\"US\"]}", &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"cf_region\""));
    crm_string_free(out);
    CHECK_STATUS(crm_schema_apply(st, "{\"op\":\"add_picklist_values\",\"module\":\"Potentials\",\"field\":\"Region\",\"values\":[\"APAC\"]}", NULL),
                 CRM_OK);
    CHECK_STATUS(crm_picklist_rename(st, "Potentials", "cf_region", "APAC", "Asia"), CRM_OK);
    CHECK_STATUS(crm_picklist_values(st, "Potentials", "cf_region", NULL, &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "[\"EU\",\"US\",\"Asia\"]") == 0);
    crm_string_free(out);
    CHECK_STATUS(crm_field_update(st, "Potentials", "Region", "{\"label\":\"Sales region\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_stage_meta_set(st, "Prospecting", "open", "15"), CRM_OK);
    CHECK_STATUS(crm_schema_changes(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"op\":\"rename_picklist_value\"") && CONTAINS(out, "\"actor\":\"admin\""));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_field_delete(st, "Potentials", "amount"), CRM_STATUS_SCHEMA);
    CHECK(strcmp(crm_last_error_code(), "schema") == 0);
    CHECK_STATUS(crm_schema_apply(st, "{\"op\":\"add_field\"", NULL), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_picklist_add(st, "Potentials", "cf_region", "\"EU\""), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_field_add(st, "Potentials", NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK(out == NULL);
    CHECK_STATUS(crm_picklist_rename(st, "Potentials", "cf_region", "EU", "\xff" "EU"), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_filter_save(st, "{\"name\":\"\xc3\"}", NULL), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_workflow_add(st, "{\"module\":\"\xfe\"}", NULL), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_mass_comment(st, "[1]", "\xff", NULL), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_pipeline(st, "\xff", NULL, NULL, &out), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_lead_convert(st, 1, "\xff", NULL), CRM_STATUS_INVALID_UTF8);
    CHECK_STATUS(crm_pipeline(st, "stage", NULL, NULL, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_workflow_get(st, 424242, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_comments(st, 424242, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_related(st, 424242, "Contacts", 1, 10, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_workflows(NULL, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK(out == NULL);

    /* Workflows: a vtiger-shaped workflow calling a host function. */
    CHECK_STATUS(crm_workflow_function_register(st, "nextstep", next_step, &h), CRM_OK);
    CHECK_STATUS(crm_workflow_function_register(st, "nextstep", NULL, &h), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_workflows_add_vtiger(st,
                                          "{\"workflowname\":\"Next step\",\"module_name\":\"Potentials\",\"execution_condition\":3,"
                                          "\"test\":\"[]\",\"tasks\":[{\"summary\":\"host\",\"active\":true,"
                                          "\"task_type\":\"VTEntityMethodTask\",\"methodName\":\"nextstep\"}]}",
                                          &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"type\":\"custom_function\""));
    crm_string_free(out);
    CHECK_STATUS(crm_workflows(st, "Potentials", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"Next step\"") && CONTAINS(out, "Calculate or Update forecast amount"));
    crm_string_free(out);
    deal = create(st, "Potentials",
                  "{\"potentialname\":\"Hooli\",\"amount\":\"1000\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-03-31\",\"cf_region\":\"Asia\"}");
    CHECK_STATUS(crm_record_get(st, deal, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"nextstep\":\"call back\""));
    CHECK(CONTAINS(out, "\"probability\":\"15.000\"") && CONTAINS(out, "\"forecast_amount\":\"150.0000\""));
    crm_string_free(out);
    CHECK(h.function_calls == 1);
    out = NULL;
    CHECK_STATUS(crm_record_create(st, "Potentials",
                                   "{\"potentialname\":\"refuse\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-03-31\"}", &out),
                 CRM_STATUS_INVALID_ARGUMENT);
    CHECK(out == NULL && CONTAINS(crm_last_error_message(), "refused by the host"));
    CHECK_STATUS(crm_workflow_dry_run(st, "{\"new\":\"Potentials\"}",
                                      "{\"potentialname\":\"Dry\",\"amount\":\"10\",\"sales_stage\":\"Qualification\",\"closingdate\":\"2027-05-01\"}",
                                      &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"forecast_amount\":\"2.0000\"") && CONTAINS(out, "\"fired\":true"));
    crm_string_free(out);
    CHECK_STATUS(crm_workflows_run_due(st, "2027-01-01 09:00:00", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"workflows\":0"));
    crm_string_free(out);

    /* Outbox: the creation mail to admin, one to jdoe; deliver through the host mailer. */
    CHECK_STATUS(crm_store_set_actor(st, "jdoe"), CRM_OK);
    other = create(st, "Potentials", "{\"potentialname\":\"Initech\",\"amount\":\"500\",\"sales_stage\":\"Closed Won\",\"closingdate\":\"2027-02-15\"}");
    CHECK_STATUS(crm_store_set_actor(st, "admin"), CRM_OK);
    CHECK_STATUS(crm_outbox(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"status\":\"queued\"") && CONTAINS(out, "jdoe@example.com"));
    crm_string_free(out);
    CHECK_STATUS(crm_outbox_deliver(st, mailer, &h, &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "{\"sent\":1,\"failed\":1,\"given_up\":[]}") == 0);
    crm_string_free(out);
    CHECK(h.mails_seen == 2 && h.mails_refused == 1);
    CHECK_STATUS(crm_outbox(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"error\":\"no route to host\""));
    crm_string_free(out);
    CHECK_STATUS(crm_outbox_mark_sent(st, 424242), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_outbox_deliver(st, NULL, NULL, NULL), CRM_STATUS_NULL_POINTER);

    /* Outbox pages by status (keyset on the id), and retention of sent mail. */
    {
        uint64_t purged = 0;
        CHECK_STATUS(crm_outbox_page(st, "failed", 0, 10, &out), CRM_OK);
        CHECK(CONTAINS(out, "\"attempts\":1") && CONTAINS(out, "no route to host") && !CONTAINS(out, "\"status\":\"sent\""));
        crm_string_free(out);
        CHECK_STATUS(crm_outbox_page(st, NULL, 0, 1, &out), CRM_OK);
        CHECK(out != NULL && out[0] == '[' && CONTAINS(out, "\"id\":"));
        crm_string_free(out);
        out = NULL;
        CHECK_STATUS(crm_outbox_page(st, "lost", 0, 10, &out), CRM_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(crm_outbox_purge(st, "2999-01-01 00:00:00", &purged), CRM_OK);
        CHECK(purged == 1);
        CHECK_STATUS(crm_outbox_page(st, "sent", 0, 10, &out), CRM_OK);
        CHECK(out != NULL && strcmp(out, "[]") == 0);
        crm_string_free(out);
    }

    /* The pipeline report. */
    CHECK_STATUS(crm_pipeline(st, "stage", NULL, NULL, &out), CRM_OK);
    CHECK(CONTAINS(out, "{\"key\":\"Closed Won\",\"count\":1,\"amount\":\"500.00\",\"forecast_amount\":\"500.0000\"}"));
    CHECK(CONTAINS(out, "{\"key\":\"Prospecting\",\"count\":1,\"amount\":\"1000.00\",\"forecast_amount\":\"150.0000\"}"));
    crm_string_free(out);
    CHECK_STATUS(crm_pipeline(st, "quarter", "[{\"field\":\"sales_stage\",\"op\":\"!=\",\"value\":\"Closed Won\"}]", NULL, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"key\":\"2027-Q1\"") && CONTAINS(out, "\"count\":1"));
    crm_string_free(out);
    CHECK_STATUS(crm_pipeline(st, "stage", NULL, "2001-01-01", &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "[]") == 0);
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_pipeline(st, "fortnight", NULL, NULL, &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK(out == NULL);

    /* Sales analytics: one call by name, options as JSON. */
    CHECK_STATUS(crm_analytics(st, "forecast", "{\"by\":\"forecast_category\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"forecast_category\":\"Pipeline\"") && CONTAINS(out, "\"forecast_category\":\"Closed\""));
    crm_string_free(out);
    CHECK_STATUS(crm_analytics(st, "set_quota", "{\"owner\":\"admin\",\"period\":\"FY2027\",\"amount\":\"1000\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"period\":\"FY2027\""));
    crm_string_free(out);
    CHECK_STATUS(crm_analytics(st, "attainment", "{\"period\":\"FY2027\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"owner\":\"admin\"") && CONTAINS(out, "\"quota\":\"1000\""));
    crm_string_free(out);
    CHECK_STATUS(crm_analytics(st, "pipeline_as_of", "{\"date\":\"2001-01-01\"}", &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "[]") == 0);
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_analytics(st, "win_rate", NULL, &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK(out == NULL);
    /* Reports in a requested currency: 1 USD = 0.8 EUR, so 500 + 1000 USD are 1200.00 EUR. */
    CHECK_STATUS(crm_currency_add(st, "{\"code\":\"EUR\",\"rate\":\"0.8\"}", &out), CRM_OK);
    crm_string_free(out);
    CHECK_STATUS(crm_analytics(st, "forecast", "{\"by\":\"total\",\"currency\":\"EUR\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"currency\":\"EUR\"") && CONTAINS(out, "\"amount\":\"1200.00\""));
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_analytics(st, "forecast", "{\"currency\":\"XYZ\"}", &out), CRM_STATUS_NOT_FOUND);
    CHECK(out == NULL);
    /* Jalali periods and languages: Persian labels for a fa_ir store, stored values unchanged. */
    CHECK_STATUS(crm_pipeline_calendar(st, "quarter", NULL, NULL, "jalali", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"key\":\"140") && CONTAINS(out, "\"label\":"));
    crm_string_free(out);
    CHECK_STATUS(crm_store_set_language(st, "fa_ir"), CRM_OK);
    CHECK_STATUS(crm_module_fields(st, "Potentials", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"label\":\"مرحله فروش\""));
    crm_string_free(out);
    CHECK_STATUS(crm_languages(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"store\":\"fa_ir\""));
    crm_string_free(out);
    /* List rows show picklist values in the reader's language; the untouched default workflows read in it. */
    CHECK_STATUS(crm_list(st, "Potentials", "All", NULL, 1, 10, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"sales_stage\":\"برنده\"") && !CONTAINS(out, "\"sales_stage\":\"Closed Won\""));
    crm_string_free(out);
    CHECK_STATUS(crm_workflows(st, "Potentials", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"ارسال ایمیل به کاربران هنگام ایجاد فرصت فروش\""));
    crm_string_free(out);
    CHECK_STATUS(crm_store_set_language(st, "en_us"), CRM_OK);
    CHECK_STATUS(crm_store_set_language(st, "klingon"), CRM_STATUS_INVALID_ARGUMENT);

    /* Views. */
    CHECK_STATUS(crm_filter_save(st, "{\"name\":\"Asia\",\"module\":\"Potentials\",\"visibility\":\"public\","
                                     "\"all\":[{\"field\":\"cf_region\",\"comparator\":\"e\",\"value\":\"Asia\"}]}",
                                 &out),
                 CRM_OK);
    filter_id = num_after(out, "id");
    crm_string_free(out);
    CHECK_STATUS(crm_list(st, "Potentials", "Asia", "-amount", 1, 10, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"total\":1") && CONTAINS(out, "\"potentialname\":\"Hooli\""));
    crm_string_free(out);
    CHECK_STATUS(crm_filters(st, "Potentials", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"Asia\"") && CONTAINS(out, "\"name\":\"All\""));
    crm_string_free(out);
    CHECK_STATUS(crm_filter_delete(st, "Potentials", filter_id), CRM_OK);
    CHECK_STATUS(crm_filter_get(st, "Potentials", "Asia", &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_search(st, "Potentials", "initech", 1, 10, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"total\":1"));
    crm_string_free(out);
    CHECK_STATUS(crm_record_page_after(st, "{\"module\":\"Potentials\",\"sort\":[\"amount\"]}", NULL, 1, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"amount\":\"500.00\"") && CONTAINS(out, "\"cursor\":{"));
    crm_string_free(out);
    {
        int seen = 0;
        uint64_t handed = 0;
        CHECK_STATUS(crm_record_find_each(st, "{\"module\":\"Potentials\"}", count_record, &seen, &handed), CRM_OK);
        CHECK(seen > 0 && (uint64_t)seen == handed);
    }

    /* Mass actions with per-record results. */
    snprintf(buf, sizeof buf, "[%lld,%lld,987654]", deal, other);
    CHECK_STATUS(crm_mass_transfer(st, buf, "jdoe", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"id\":987654") && CONTAINS(out, "\"code\":\"not_found\""));
    crm_string_free(out);
    CHECK_STATUS(crm_mass_comment(st, buf, "Quarter review", NULL), CRM_OK);
    CHECK_STATUS(crm_mass_edit(st, buf, "{\"leadsource\":\"Web Site\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"succeeded\":["));
    crm_string_free(out);
    CHECK_STATUS(crm_mass_edit(st, "[1,", "{}", NULL), CRM_STATUS_INVALID_JSON);

    /* Relations. */
    CHECK_STATUS(crm_comments(st, deal, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"text\":\"Quarter review\""));
    crm_string_free(out);
    CHECK_STATUS(crm_comment_add(st, deal, "Sent the deck", &out), CRM_OK);
    snprintf(buf, sizeof buf, "%lld", num_after(out, "id"));
    crm_string_free(out);
    CHECK_STATUS(crm_comment_reply(st, atoll(buf), "Thanks", NULL), CRM_OK);
    org = create(st, "Accounts", "{\"accountname\":\"Hooli\"}");
    contact = create(st, "Contacts", "{\"lastname\":\"Belson\",\"account_id\":\"Hooli\"}");
    product = create(st, "Products", "{\"productname\":\"Box\",\"unit_price\":\"199.99\"}");
    CHECK_STATUS(crm_link(st, deal, contact, "{\"role\":\"Decision Maker\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_link(st, deal, product, "{\"quantity\":\"3\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"price\":\"199.99\"") && CONTAINS(out, "\"quantity\":\"3\""));
    crm_string_free(out);
    CHECK_STATUS(crm_related(st, deal, "Contacts", 1, 10, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"role\":\"Decision Maker\"") && CONTAINS(out, "\"total\":1"));
    crm_string_free(out);
    CHECK_STATUS(crm_create_from_opportunity(st, deal, "Quotes", "{\"quotestage\":\"Created\",\"account_id\":\"Hooli\"}", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"module\":\"Quotes\""));
    crm_string_free(out);
    CHECK_STATUS(crm_activities(st, deal, false, &out), CRM_OK);
    CHECK(strcmp(out, "[]") == 0);
    crm_string_free(out);
    CHECK_STATUS(crm_unlink(st, deal, product), CRM_OK);
    CHECK_STATUS(crm_unlink(st, deal, product), CRM_STATUS_NOT_FOUND);
    (void)org;

    /* Lead conversion and opportunities for customers. */
    CHECK_STATUS(crm_lead_mapping_get(st, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"lead\":\"company\""));
    CHECK_STATUS(crm_lead_mapping_set(st, out), CRM_OK);
    crm_string_free(out);
    lead = create(st, "Leads", "{\"firstname\":\"Ada\",\"lastname\":\"Lovelace\",\"company\":\"Engines Ltd\"}");
    CHECK_STATUS(crm_lead_convert(st, lead, "{\"potential\":{\"closingdate\":\"2027-09-30\",\"sales_stage\":\"Prospecting\",\"amount\":\"900\"}}", &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"account_reused\":false") && num_after(out, "Potentials") > 0 && num_after(out, "Accounts") > 0);
    crm_string_free(out);
    CHECK_STATUS(crm_lead_convert(st, lead, NULL, NULL), CRM_STATUS_CONFLICT);
    CHECK_STATUS(crm_opportunity_create_for(st, contact, "{\"potentialname\":\"Belson add-on\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-04-30\"}", &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"potentialname\":\"Belson add-on\""));
    crm_string_free(out);
    CHECK_STATUS(crm_opportunity_create_for_new_customer(st, "{\"accountname\":\"Raviga\"}", NULL,
                                                         "{\"potentialname\":\"Raviga seed\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-01-31\"}",
                                                         &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"Contacts\":null"));
    crm_string_free(out);
    CHECK_STATUS(crm_opportunity_create_for_new_customer(st, NULL, NULL, "{\"potentialname\":\"\"}", NULL), CRM_STATUS_VALIDATION);
    CHECK(CONTAINS(crm_last_error_json(), "\"field\":\"closingdate\""));
}

/* Import progress: records every count it is given. */
struct progress {
    int calls;
    uint64_t last;
};

static void on_progress(void *user_data, uint64_t rows_done) {
    struct progress *p = user_data;
    p->calls++;
    p->last = rows_done;
}

static void import_export(crm_store *st, const char *dir) {
    char csv[4096], out_csv[4096], vcf[4096], buf[256];
    char *out = NULL;
    uint64_t n = 0;
    long long import_id;
    struct progress prog = {0, 0};
    FILE *f;

    snprintf(csv, sizeof csv, "%s/deals.csv", dir);
    snprintf(out_csv, sizeof out_csv, "%s/export.csv", dir);
    snprintf(vcf, sizeof vcf, "%s/contacts.vcf", dir);
    f = fopen(csv, "w");
    CHECK(f != NULL);
    if (f == NULL) return;
    fputs("Deal,Amount,Stage,Close\nImported A,2500.50,Prospecting,2027-05-31\nImported B,oops,Prospecting,2027-05-31\n", f);
    fclose(f);
    f = fopen(vcf, "w");
    CHECK(f != NULL);
    if (f == NULL) return;
    fputs("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Hall;Monica;;;\r\nFN:Monica Hall\r\nORG:Raviga\r\nEND:VCARD\r\n", f);
    fclose(f);

    CHECK_STATUS(crm_mapping_save(st, "Potentials", "deals", "{\"Deal\":\"potentialname\",\"Amount\":\"amount\",\"Stage\":\"sales_stage\",\"Close\":\"closingdate\"}"),
                 CRM_OK);
    CHECK_STATUS(crm_mappings(st, "Potentials", &out), CRM_OK);
    CHECK(CONTAINS(out, "\"name\":\"deals\""));
    crm_string_free(out);
    CHECK_STATUS(crm_import_csv(st, csv, "Potentials",
                                "{\"mapping\":{\"Deal\":\"potentialname\",\"Amount\":\"amount\",\"Stage\":\"sales_stage\",\"Close\":\"closingdate\"},\"batch_size\":1}",
                                on_progress, &prog, &out),
                 CRM_OK);
    CHECK(CONTAINS(out, "\"created\":1") && CONTAINS(out, "\"failed\":1"));
    import_id = num_after(out, "import_id");
    crm_string_free(out);
    CHECK(prog.calls >= 1 && prog.last == 2);
    CHECK_STATUS(crm_imports(st, &out), CRM_OK);
    snprintf(buf, sizeof buf, "\"id\":%lld", import_id);
    CHECK(CONTAINS(out, buf));
    crm_string_free(out);
    CHECK_STATUS(crm_import_rows(st, import_id, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"record\":"));
    crm_string_free(out);
    CHECK_STATUS(crm_export_csv(st, "Potentials", out_csv, "{\"all\":{\"module\":\"Potentials\",\"conditions\":[{\"field\":\"amount\",\"op\":\"=\",\"value\":\"2500.50\"}]}}",
                                "{\"columns\":[\"potentialname\",\"amount\"]}", &n),
                 CRM_OK);
    CHECK(n == 1);
    f = fopen(out_csv, "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgets(buf, sizeof buf, f) != NULL && strncmp(buf, "Opportunity Name,Amount", 23) == 0);
        CHECK(fgets(buf, sizeof buf, f) != NULL && CONTAINS(buf, "Imported A") && CONTAINS(buf, "2500.50"));
        fclose(f);
    }
    CHECK_STATUS(crm_import_undo(st, import_id, &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "{\"deleted\":1,\"restored\":0}") == 0);
    crm_string_free(out);
    CHECK_STATUS(crm_import_undo(st, import_id, NULL), CRM_STATUS_CONFLICT);
    CHECK_STATUS(crm_import_vcard(st, vcf, NULL, NULL, NULL, &out), CRM_OK);
    CHECK(CONTAINS(out, "\"created\":1"));
    crm_string_free(out);
    CHECK_STATUS(crm_export_vcard(st, out_csv, "{\"query\":{\"module\":\"Contacts\",\"sort\":[\"lastname\"]},\"page\":1,\"size\":10}", "4.0", &n), CRM_OK);
    CHECK(n >= 1);
    CHECK_STATUS(crm_mapping_delete(st, "Potentials", "deals"), CRM_OK);
    out = NULL;
    CHECK_STATUS(crm_import_csv(st, "/nonexistent/dir/x.csv", "Potentials", NULL, NULL, NULL, &out), CRM_STATUS_IO);
    CHECK_STATUS(crm_import_csv(st, csv, "Potentials", "{\"batch_size\":", NULL, NULL, &out), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_import_csv(st, NULL, "Potentials", NULL, NULL, NULL, &out), CRM_STATUS_NULL_POINTER);
    CHECK(out == NULL);
    remove(csv);
    remove(out_csv);
    remove(vcf);
}

/* Conditions and expressions evaluated against stored records: crm_condition_matches, crm_condition_count,
   crm_expression_eval. */
static void conditions(crm_store *st) {
    char *out = NULL;
    char ids[128];
    const char *cond = "[{\"fieldname\":\"amount\",\"operation\":\"greater than\",\"value\":\"1000\","
                       "\"valuetype\":\"rawtext\",\"joincondition\":\"\",\"groupid\":0}]";
    long long big = create(st, "Potentials", "{\"potentialname\":\"Cond big\",\"sales_stage\":\"Prospecting\","
                                             "\"amount\":\"5000.50\",\"closingdate\":\"2027-03-31\"}");
    long long small = create(st, "Potentials", "{\"potentialname\":\"Cond small\",\"sales_stage\":\"Prospecting\","
                                               "\"amount\":\"10\",\"closingdate\":\"2027-03-31\"}");
    char want[64];

    snprintf(ids, sizeof ids, "[%lld,%lld]", small, big);
    snprintf(want, sizeof want, "[%lld]", big);
    CHECK_STATUS(crm_condition_matches(st, "Potentials", cond, ids, &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, want) == 0);
    crm_string_free(out);
    out = NULL;
    snprintf(ids, sizeof ids, "[%lld,424242]", big);
    CHECK_STATUS(crm_condition_matches(st, "Potentials", cond, ids, &out), CRM_STATUS_NOT_FOUND);
    CHECK(out == NULL && CONTAINS(crm_last_error_message(), "424242"));
    CHECK_STATUS(crm_condition_matches(st, "Potentials", "[{", "[]", &out), CRM_STATUS_INVALID_JSON);
    CHECK_STATUS(crm_condition_matches(st, "Potentials", cond, "[\"x\"]", &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_condition_matches(st, "Potentials", cond, "[]", NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_condition_matches(st, "\xff", cond, "[]", &out), CRM_STATUS_INVALID_UTF8);
    CHECK(out == NULL);
    {
        uint64_t n = 0;
        CHECK_STATUS(crm_condition_count(st, "Potentials", cond, &n), CRM_OK);
        CHECK(n >= 1);
        CHECK_STATUS(crm_condition_count(st, "Potentials", "[{", &n), CRM_STATUS_INVALID_JSON);
        CHECK_STATUS(crm_condition_count(st, "NoSuchModule", cond, &n), CRM_STATUS_NOT_FOUND);
        CHECK_STATUS(crm_condition_count(st, "Potentials", cond, NULL), CRM_STATUS_NULL_POINTER);
    }

    CHECK_STATUS(crm_expression_eval(st, "Potentials", "amount * 2", big, &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "\"10001.00\"") == 0);
    crm_string_free(out);
    CHECK_STATUS(crm_expression_eval(st, "Potentials", "amount > 1000", small, &out), CRM_OK);
    CHECK(out != NULL && strcmp(out, "false") == 0);
    crm_string_free(out);
    out = NULL;
    CHECK_STATUS(crm_expression_eval(st, "Potentials", "amount + nope(1)", big, &out), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_expression_eval(st, "Potentials", "amount", 424242, &out), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_expression_eval(st, "Potentials", NULL, big, &out), CRM_STATUS_NULL_POINTER);
    CHECK(out == NULL);
}

int main(int argc, char **argv) {
    crm_store *st = NULL;
    char path[4096];
    const char *dir = argc > 1 ? argv[1] : ".";

    CHECK_STATUS(crm_store_open(":memory:", &st), CRM_OK);
    if (st) {
        exercise(st);
        import_export(st, dir);
        conditions(st);
    }
    crm_store_free(st);

    snprintf(path, sizeof path, "%s/capabilities-test.db", dir);
    remove(path);
    st = NULL;
    CHECK_STATUS(crm_store_open(path, &st), CRM_OK);
    if (st) {
        exercise(st);
        import_export(st, dir);
        conditions(st);
    }
    crm_store_free(st);
    remove(path);
    DONE();
}
