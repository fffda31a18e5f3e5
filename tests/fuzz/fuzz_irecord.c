/* fuzz_irecord.c -- libFuzzer target: the internal record's decoder
 * (stream/core/irecord.c).
 *
 * Internal records come back from a Kafka topic that any producer with
 * access can write to, so any bytes must decode or be refused, never read
 * past the input.  A record that decodes must hold what the layout bounds
 * (irecord.h): 1 .. SW_SPEC_MAX_GROUP_BY group values, 1 ..
 * SW_IREC_MAX_RULES rules, each with at most SW_FIELD_MAX_VALUES values,
 * every text inside the input; and it must re-encode to exactly the input
 * bytes (the encoding is canonical).  A refused record is refused as
 * malformed or as a future version, the only two reasons. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "irecord.h"

static sw_irecord rec;

static int inside(sw_span s, const uint8_t *data, size_t size) {
    if (s.n == 0) return 1;
    const char *lo = (const char *)data;
    return s.p >= lo && s.n <= size && s.p - lo <= (ptrdiff_t)(size - s.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sw_irec_status st = sw_irecord_decode(&rec, data, size);
    FZ_CHECK(st == SW_IREC_OK || st == SW_IREC_MALFORMED || st == SW_IREC_VERSION);
    if (st != SW_IREC_OK) return 0;
    FZ_CHECK(rec.nterms >= 1 && rec.nterms <= SW_SPEC_MAX_GROUP_BY);
    FZ_CHECK(rec.nrules >= 1 && rec.nrules <= SW_IREC_MAX_RULES && rec.nvalues <= SW_IREC_MAX_VALUES);
    FZ_CHECK(inside(rec.tenant, data, size) && inside(rec.identity, data, size));
    for (uint32_t i = 0; i < rec.nterms; i++) FZ_CHECK(inside(rec.terms[i], data, size));
    for (int f = 0; f < SW_IREC_FIELDS; f++) FZ_CHECK(inside(rec.field[f], data, size));
    for (uint32_t i = 0; i < rec.nvalues; i++) FZ_CHECK(inside(rec.values[i], data, size));
    for (uint32_t i = 0; i < rec.nrules; i++) FZ_CHECK(rec.rules[i].n <= SW_FIELD_MAX_VALUES);
    sw_buf b = {0};
    FZ_CHECK(sw_irecord_encode(&b, &rec) == 0 && !b.oom);
    FZ_CHECK(b.len == size && memcmp(b.p, data, size) == 0);
    sw_buf_free(&b);
    return 0;
}
