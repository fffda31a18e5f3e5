/* test_worker_dedup.c -- the stateful stage's replay guard (worker_dedup.c)
 * on its own: internal records of one original partition counted once
 * whatever is replayed (an older offset, the same record at the last
 * offset), the several groups of one record all counted, original
 * partitions kept apart; its checkpoint copy round-trips and a hostile
 * copy (from Redis) is refused whole, never read past its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "worker_internal.h"

typedef struct {
    worker w;
    run_ctx run;
    part p;
    sw_buf rec;
    run_topic topic;           /* the one internal topic, of family 0 */
    sw_family_counters fam[1]; /* its counters */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->w.run = &f->run;
    f->topic = (run_topic){.name = "g-by-okta.actor.id", .internal = true, .family = 0};
    f->run.topics = &f->topic;
    f->run.ntopics = 1;
    f->w.fam = f->fam;
    f->w.irec = malloc(sizeof *f->w.irec);
    f->w.log_limit = (sw_log_limit)SW_LOG_LIMIT(SW_LOG_ONCE);
    f->p.w = &f->w;
    f->p.topic_name = "g-by-okta.actor.id";
    f->p.dedup = part_dedup_new();
    assert_true(f->w.irec && f->p.dedup);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    part_dedup_free(f->p.dedup);
    free(f->w.irec);
    sw_buf_free(&f->rec);
    free(f);
    return 0;
}

/* An internal record of original partition `partition`, offset `offset`, group value `group`. */
static void record(fixture *f, int32_t partition, int64_t offset, const char *group) {
    sw_irecord r = {.tenant = {"", 0}, .nterms = 1, .terms = {{group, strlen(group)}}, .identity = {"0123456789abcdef", 16},
                    .src = {.kafka = 1, .name = {"okta-raw", 8}, .partition = partition, .offset = offset,
                            .kafka_time_ms = SW_TIME_NONE, .index = UINT32_MAX},
                    .nrules = 1, .rules = {{.rule = 7, .time = 1000, .first = 0, .n = 0}}};
    sw_buf_reset(&f->rec);
    assert_int_equal(sw_irecord_encode(&f->rec, &r), 0);
}

/* Whether the record (partition, offset, group) is skipped as a replay. */
static bool seen(fixture *f, int32_t partition, int64_t offset, const char *group) {
    record(f, partition, offset, group);
    return part_dedup_seen(&f->w, &f->p, group, strlen(group), f->rec.p, f->rec.len);
}

static void test_replays_counted_once(void **state) {
    fixture *f = *state;
    assert_false(seen(f, 0, 10, "alice"));
    assert_false(seen(f, 0, 10, "bob"));   /* another group of the same record */
    assert_true(seen(f, 0, 10, "alice"));  /* the same record again */
    assert_false(seen(f, 0, 11, "alice"));
    assert_true(seen(f, 0, 10, "bob"));    /* older than the last offset counted */
    assert_true(seen(f, 0, 3, "carol"));
    assert_false(seen(f, 1, 3, "carol"));  /* another original partition */
    assert_false(seen(f, 300, 0, "dave"));
    assert_int_equal(f->w.duplicates, 3);
    assert_int_equal(f->fam[0].replays, 3); /* and the family's counter (metrics) */
    /* Not decoding, or not from Kafka: never a replay (the engine rejects it). */
    assert_false(part_dedup_seen(&f->w, &f->p, "k", 1, "foreign", 7));
    assert_false(part_dedup_seen(&f->w, &f->p, "k", 1, "foreign", 7));
}

static void test_checkpoint_copy(void **state) {
    fixture *f = *state;
    assert_false(seen(f, 2, 40, "alice"));
    assert_false(seen(f, 2, 40, "bob"));
    assert_false(seen(f, 7, 9, "carol"));
    size_t n;
    const void *enc = part_dedup_encode(f->p.dedup, &n);
    assert_non_null(enc);
    char *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, enc, n);
    /* Restored into another partition's guard: the same verdicts. */
    part_dedup *saved = f->p.dedup;
    f->p.dedup = part_dedup_new();
    assert_int_equal(part_dedup_decode(f->p.dedup, copy, n), 0);
    assert_true(seen(f, 2, 40, "bob"));
    assert_true(seen(f, 2, 39, "dave"));
    assert_true(seen(f, 7, 9, "carol"));
    assert_false(seen(f, 2, 40, "erin"));
    /* Every truncation, a wrong magic, a partition out of range, too many
     * hashes: refused, and the guard left empty. */
    assert_int_equal(n, 2 + (13 + 2 * 8) + (13 + 8));
    for (size_t k = 1; k < n; k++) {
        bool whole = k == 2 || k == 2 + 13 + 2 * 8; /* "D1" alone, or partition 2's entry alone */
        assert_int_equal(part_dedup_decode(f->p.dedup, copy, k), whole ? 0 : -1);
        assert_false(seen(f, 2, 40, "bob") && !whole);
        part_dedup_decode(f->p.dedup, NULL, 0);
    }
    copy[0] = 'X';
    assert_int_equal(part_dedup_decode(f->p.dedup, copy, n), -1);
    copy[0] = 'D';
    unsigned char big[15] = {'D', '1', 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(part_dedup_decode(f->p.dedup, big, sizeof big), -1);
    unsigned char many[2 + 13] = {'D', '1', 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 200};
    assert_int_equal(part_dedup_decode(f->p.dedup, many, sizeof many), -1);
    free(copy);
    part_dedup_free(f->p.dedup);
    f->p.dedup = saved;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replays_counted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_copy, setup, teardown),
    };
    return cmocka_run_group_tests_name("worker_dedup", tests, NULL, NULL);
}
