/* Arrow out through the Arrow C stream interface: crm_arrow_records and crm_arrow_report consumed as any
 * Arrow consumer does (get_schema, get_next until the end, release), checking the format of every column
 * kind and its values (exact decimal128, date32, UTC timestamps, bool, list<utf8>, int64 references,
 * nulls); paging in batches; errors leave the out-parameter untouched. Everything is released (valgrind). */
#include "crm.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>

static int is_valid(const struct ArrowArray *a, int64_t i) {
    const uint8_t *bits = (const uint8_t *)a->buffers[0];
    int64_t j = i + a->offset;
    return bits == NULL || ((bits[j / 8] >> (j % 8)) & 1);
}

static int64_t i64_at(const struct ArrowArray *a, int64_t i) { return ((const int64_t *)a->buffers[1])[i + a->offset]; }

static int utf8_is(const struct ArrowArray *a, int64_t i, const char *want) {
    const int32_t *off = (const int32_t *)a->buffers[1];
    const char *data = (const char *)a->buffers[2];
    int64_t j = i + a->offset;
    size_t n = (size_t)(off[j + 1] - off[j]);
    return n == strlen(want) && memcmp(data + off[j], want, n) == 0;
}

/* The child of a record batch (struct array) whose schema child is named `name`, or -1. */
static int64_t column(const struct ArrowSchema *s, const char *name) {
    for (int64_t i = 0; i < s->n_children; i++)
        if (strcmp(s->children[i]->name, name) == 0) return i;
    return -1;
}

static void typed_columns(crm_store *st, long long org) {
    struct ArrowArrayStream stream = {0};
    struct ArrowSchema schema;
    struct ArrowArray batch;
    const char *columns = "[\"id\",\"potentialname\",\"amount\",\"closingdate\",\"cf_when\",\"cf_flag\",\"cf_tags\","
                          "\"related_to\",\"createdtime\",\"Probability\"]";
    CHECK_STATUS(crm_arrow_records(st, "{\"module\":\"Potentials\",\"sort\":[\"potentialname\"]}", columns, &stream), CRM_OK);
    if (stream.release == NULL) return;
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK(strcmp(schema.format, "+s") == 0);
    CHECK(schema.n_children == 10);
    if (schema.n_children == 10) {
        const char *formats[] = {"l", "u", "d:14,2", "tdD", "tsu:UTC", "b", "+l", "l", "tsu:UTC", "d:7,3"};
        const char *names[] = {"id", "potentialname", "amount", "closingdate", "cf_when", "cf_flag", "cf_tags", "related_to", "createdtime", "probability"};
        for (int i = 0; i < 10; i++) {
            CHECK(strcmp(schema.children[i]->format, formats[i]) == 0);
            CHECK(strcmp(schema.children[i]->name, names[i]) == 0);
            if (strcmp(schema.children[i]->format, formats[i]) != 0)
                fprintf(stderr, "  column %s has format %s, expected %s\n", names[i], schema.children[i]->format, formats[i]);
        }
        CHECK(strcmp(schema.children[6]->children[0]->format, "u") == 0);
        CHECK((schema.children[0]->flags & ARROW_FLAG_NULLABLE) == 0);
        CHECK((schema.children[2]->flags & ARROW_FLAG_NULLABLE) != 0);
    }
    CHECK(stream.get_next(&stream, &batch) == 0);
    CHECK(batch.release != NULL && batch.length == 2 && batch.n_children == 10);
    if (batch.release != NULL && batch.length == 2 && batch.n_children == 10) {
        struct ArrowArray **c = batch.children;
        CHECK(i64_at(c[0], 0) > 0 && i64_at(c[0], 1) > i64_at(c[0], 0));
        CHECK(utf8_is(c[1], 0, "A deal") && utf8_is(c[1], 1, "B deal"));
        /* decimal128: 16 bytes little-endian, 12000.50 at scale 2 */
        const int64_t *dec = (const int64_t *)c[2]->buffers[1] + 2 * c[2]->offset;
        CHECK(dec[0] == 1200050 && dec[1] == 0);
        CHECK(!is_valid(c[2], 1) && c[2]->null_count == 1);
        CHECK(((const int32_t *)c[3]->buffers[1])[c[3]->offset] == 20908); /* 2027-03-31 */
        CHECK(i64_at(c[4], 0) == 1798859045000000LL);                     /* 2027-01-02 03:04:05 UTC */
        CHECK(!is_valid(c[4], 1));
        const uint8_t *bits = (const uint8_t *)c[5]->buffers[1];
        CHECK(is_valid(c[5], 0) && ((bits[c[5]->offset / 8] >> (c[5]->offset % 8)) & 1) == 1);
        CHECK(!is_valid(c[5], 1));
        const int32_t *loff = (const int32_t *)c[6]->buffers[1] + c[6]->offset;
        CHECK(loff[1] - loff[0] == 2);
        CHECK(utf8_is(c[6]->children[0], loff[0], "A") && utf8_is(c[6]->children[0], loff[0] + 1, "C"));
        CHECK(!is_valid(c[6], 1));
        CHECK(i64_at(c[7], 0) == org && !is_valid(c[7], 1));
        CHECK(is_valid(c[8], 0) && i64_at(c[8], 0) > 1700000000000000LL);
        const int64_t *pct = (const int64_t *)c[9]->buffers[1] + 2 * c[9]->offset;
        CHECK(pct[0] == 12500 && pct[1] == 0); /* 12.5 at scale 3 */
    }
    if (batch.release) batch.release(&batch);
    CHECK(stream.get_next(&stream, &batch) == 0);
    CHECK(batch.release == NULL); /* the end */
    schema.release(&schema);
    stream.release(&stream);
    CHECK(stream.release == NULL);
}

static void pages_and_defaults(crm_store *st) {
    struct ArrowArrayStream stream;
    struct ArrowSchema schema;
    struct ArrowArray batch;
    int64_t rows = 0, batches = 0;
    char fields[256];
    for (int i = 0; i < 1030; i++) {
        snprintf(fields, sizeof fields, "{\"accountname\":\"Org %04d\"}", i);
        create(st, "Accounts", fields);
    }
    CHECK_STATUS(crm_arrow_records(st, "{\"module\":\"Accounts\"}", NULL, &stream), CRM_OK);
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK(schema.n_children > 3 && strcmp(schema.children[0]->name, "id") == 0 && strcmp(schema.children[1]->name, "label") == 0 &&
          strcmp(schema.children[2]->name, "version") == 0 && strcmp(schema.children[1]->format, "u") == 0);
    CHECK(column(&schema, "accountname") >= 0);
    for (;;) {
        CHECK(stream.get_next(&stream, &batch) == 0);
        if (batch.release == NULL) break;
        rows += batch.length;
        batches++;
        batch.release(&batch);
    }
    CHECK(rows == 1031 && batches == 2); /* Hooli + 1030, 1024 rows a batch */
    schema.release(&schema);
    stream.release(&stream);
}

static void reports(crm_store *st) {
    struct ArrowArrayStream stream;
    struct ArrowSchema schema;
    struct ArrowArray batch;
    CHECK_STATUS(crm_arrow_report(st, "pipeline", "{\"by\":\"stage\"}", &stream), CRM_OK);
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK(schema.n_children == 5);
    if (schema.n_children == 5) {
        CHECK(strcmp(schema.children[0]->name, "key") == 0 && strcmp(schema.children[0]->format, "u") == 0);
        CHECK(strcmp(schema.children[1]->name, "count") == 0 && strcmp(schema.children[1]->format, "l") == 0);
        CHECK(strcmp(schema.children[2]->name, "amount") == 0 && strcmp(schema.children[2]->format, "d:38,2") == 0);
    }
    CHECK(stream.get_next(&stream, &batch) == 0);
    CHECK(batch.release != NULL && batch.length >= 1);
    if (batch.release) batch.release(&batch);
    schema.release(&schema);
    stream.release(&stream);

    CHECK_STATUS(crm_arrow_report(st, "aggregate", "{\"query\":{\"module\":\"Potentials\"},\"group_by\":\"closingdate\",\"sums\":[\"amount\"]}", &stream),
                 CRM_OK);
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK(schema.n_children == 3 && strcmp(schema.children[0]->format, "tdD") == 0);
    schema.release(&schema);
    stream.release(&stream);
    CHECK_STATUS(crm_arrow_report(st, "win_rate", "{\"period\":\"2027\"}", &stream), CRM_OK);
    stream.release(&stream);
}

static void errors(crm_store *st) {
    struct ArrowArrayStream stream;
    memset(&stream, 0, sizeof stream);
    CHECK_STATUS(crm_arrow_records(st, "{\"module\":\"Potentials\"}", "[\"nope\"]", &stream), CRM_STATUS_INVALID_ARGUMENT);
    CHECK(CONTAINS(crm_last_error_message(), "nope"));
    CHECK(stream.release == NULL); /* written only on success */
    CHECK_STATUS(crm_arrow_records(st, "{\"module\":\"Nope\"}", NULL, &stream), CRM_STATUS_NOT_FOUND);
    CHECK_STATUS(crm_arrow_records(st, "{\"module\":\"Potentials\"}", NULL, NULL), CRM_STATUS_NULL_POINTER);
    CHECK_STATUS(crm_arrow_report(st, "nope", NULL, &stream), CRM_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(crm_arrow_report(st, "pipeline", "{\"by\":\"nope\"}", &stream), CRM_STATUS_INVALID_ARGUMENT);
    CHECK(stream.release == NULL);
}

int main(void) {
    crm_store *st = NULL;
    long long org;
    CHECK_STATUS(crm_store_open(":memory:", &st), CRM_OK);
    CHECK_STATUS(crm_user_add(st, "{\"user_name\":\"admin\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_store_set_actor(st, "admin"), CRM_OK);
    CHECK_STATUS(crm_field_add(st, "Potentials", "{\"name\":\"cf_when\",\"label\":\"When\",\"type\":\"date_time\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_field_add(st, "Potentials", "{\"name\":\"cf_flag\",\"label\":\"Flag\",\"type\":\"checkbox\"}", NULL), CRM_OK);
    CHECK_STATUS(crm_field_add(st, "Potentials", "{\"name\":\"cf_tags\",\"label\":\"Tags\",\"type\":\"multi_picklist\",\"values\":[\"A\",\"B\",\"C\"]}", NULL),
                 CRM_OK);
    org = create(st, "Accounts", "{\"accountname\":\"Hooli\"}");
    create(st, "Potentials",
           "{\"potentialname\":\"A deal\",\"related_to\":\"Hooli\",\"amount\":12000.50,\"probability\":\"12.5\",\"sales_stage\":\"Prospecting\","
           "\"closingdate\":\"2027-03-31\",\"cf_when\":\"2027-01-02 03:04:05\",\"cf_flag\":true,\"cf_tags\":[\"A\",\"C\"]}");
    create(st, "Potentials", "{\"potentialname\":\"B deal\",\"sales_stage\":\"Prospecting\",\"closingdate\":\"2027-04-30\"}");
    typed_columns(st, org);
    pages_and_defaults(st);
    reports(st);
    errors(st);
    crm_store_free(st);
    DONE();
}
