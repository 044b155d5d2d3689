// The header works from C++ (cbindgen's cpp_compat wraps the declarations in extern "C").
#include "crm.h"

#include <cstdio>
#include <cstring>

int main() {
    crm_store *st = nullptr;
    char *out = nullptr;
    int failed = 0;
    if (crm_store_open(":memory:", &st) != CRM_OK) return 1;
    if (crm_user_add(st, R"({"user_name":"admin"})", nullptr) != CRM_OK) failed++;
    if (crm_store_set_actor(st, "admin") != CRM_OK) failed++;
    if (crm_record_create(st, "Potentials",
                          R"({"potentialname":"C++ deal","amount":"99.90","sales_stage":"Prospecting","closingdate":"2027-05-01"})",
                          &out) != CRM_OK)
        failed++;
    if (out == nullptr || std::strstr(out, R"("amount":"99.90")") == nullptr) failed++;
    crm_string_free(out);
    if (crm_record_get(st, -5, &out) != CRM_STATUS_NOT_FOUND) failed++;
    crm_store_free(st);
    std::printf("header.cpp: %d passed, %d failed\n", 5 - failed, failed);
    return failed == 0 ? 0 : 1;
}
