/* test_itopics.c -- pins the internal repartition topics (itopics.h): their
 * names, and sw_itopics_ensure on librdkafka's mock cluster, started in this
 * process: an existing topic with the right count, one with another count
 * (refused when --internal-partitions asked for a count, kept with a note
 * when not: the mock cannot create topics with a count), missing topics
 * created through the brokers' auto-creation, two members ensuring at once,
 * creation denied, a missing input topic, brokers that do not answer.  The
 * CreateTopics path of a real Kafka is not reachable here (the mock has no
 * CreateTopics).  Every wait is bounded by the call's own timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "itopics.h"
#include "kafka.h"
#include "mockcluster.h"
#include "testutil.h"

#define TIMEOUT_MS 15000
#define INPUT "okta-raw"
#define FAMILY_A "G-by-okta.actor.id"
#define FAMILY_B "G-by-okta.actor.alternate_id"

/* ------------------------------------------------------------------ */
/* Names                                                               */

static void name_of(const char *prefix, const char *family, char *buf) {
    size_t n = sw_itopic_name(prefix, family, buf, SW_ITOPIC_NAME_CAP);
    assert_int_equal(n, strlen(buf));
    assert_true(sw_kafka_topic_name_ok(buf));
}

static void test_names(void **state) {
    (void)state;
    char buf[SW_ITOPIC_NAME_CAP];
    name_of("G", "okta.actor.id", buf);
    assert_string_equal(buf, "G-by-okta.actor.id");
    name_of("G", "okta.actor.id+okta.client.ipAddress", buf);
    assert_string_equal(buf, "G-by-okta.actor.id-okta.client.ipAddress");
    name_of("my group/1", "a:b\xc3\xa9", buf);
    assert_string_equal(buf, "my_group_1-by-a_b__");
    /* A cap smaller than the name: cut, NUL-terminated, the cut length. */
    char small[8];
    assert_int_equal(sw_itopic_name("G", "okta.actor.id", small, sizeof small), 7);
    assert_string_equal(small, "G-by-ok");
}

static void test_long_names(void **state) {
    (void)state;
    char fam1[400], fam2[400], a[SW_ITOPIC_NAME_CAP], b[SW_ITOPIC_NAME_CAP];
    memset(fam1, 'x', sizeof fam1 - 1);
    fam1[sizeof fam1 - 1] = '\0';
    memcpy(fam2, fam1, sizeof fam2);
    fam2[sizeof fam2 - 2] = 'y'; /* differs only after the cut */
    name_of("G", fam1, a);
    name_of("G", fam2, b);
    assert_int_equal(strlen(a), 249);
    assert_int_equal(strlen(b), 249);
    assert_int_equal(a[249 - 9], '-');
    assert_int_equal(strspn(a + 249 - 8, "0123456789abcdef"), 8);
    assert_memory_equal(a, b, 249 - 9);
    assert_string_not_equal(a, b);
    /* 249 characters exactly: kept whole. */
    char fam3[300];
    memset(fam3, 'z', 249 - 5);
    fam3[249 - 5] = '\0';
    name_of("G", fam3, a);
    assert_int_equal(strlen(a), 249);
    assert_int_equal(strspn(a + 5, "z"), 249 - 5);
}

/* ------------------------------------------------------------------ */
/* sw_itopics_ensure on the mock                                       */

typedef struct {
    sw_mockcluster *m;
    sw_kafka_opts k;
    sw_itopic t[2];
    char err[1024];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    assert_non_null(f);
    f->m = sw_mockcluster_start(1, err, sizeof err);
    if (!f->m) fail_msg("%s", err);
    f->k.brokers = sw_mockcluster_bootstraps(f->m);
    assert_int_equal(sw_mockcluster_topic(f->m, INPUT, 8, err, sizeof err), 0);
    snprintf(f->t[0].name, sizeof f->t[0].name, "%s", FAMILY_A);
    snprintf(f->t[1].name, sizeof f->t[1].name, "%s", FAMILY_B);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sw_mockcluster_stop(f->m);
    free(f);
    return 0;
}

static void topic(fixture *f, const char *name, int partitions) {
    char err[256];
    if (sw_mockcluster_topic(f->m, name, partitions, err, sizeof err) != 0) fail_msg("%s", err);
}

static int ensure(fixture *f, int want, size_t n) {
    f->err[0] = '\0';
    return sw_itopics_ensure(&f->k, INPUT, want, f->t, n, TIMEOUT_MS, f->err, sizeof f->err);
}

static void assert_topic(const sw_itopic *t, int partitions, int want, bool created, bool broker_count) {
    assert_int_equal(t->partitions, partitions);
    assert_int_equal(t->want, want);
    assert_int_equal(t->created, created);
    assert_int_equal(t->broker_count, broker_count);
}

/* Both topics made with these counts, then ensured without
 * --internal-partitions, which must succeed. */
static void ensure_existing(fixture *f, int partitions_a, int partitions_b) {
    topic(f, FAMILY_A, partitions_a);
    topic(f, FAMILY_B, partitions_b);
    if (ensure(f, 0, 2) != 0) fail_msg("%s", f->err);
}

static void test_existing_right_count(void **state) {
    fixture *f = *state;
    ensure_existing(f, 8, 8);
    assert_topic(&f->t[0], 8, 8, false, false);
    assert_topic(&f->t[1], 8, 8, false, false);
    char note[256] = "x";
    assert_int_equal(sw_itopics_note(f->t, 2, note, sizeof note), 0);
    assert_string_equal(note, "");
    /* An explicit count that is the topic's: fine too. */
    if (ensure(f, 8, 2) != 0) fail_msg("%s", f->err);
    assert_topic(&f->t[0], 8, 8, false, false);
}

/* --internal-partitions 8 and a topic of 6: refused, saying both counts
 * and what to do on brokers that cannot create topics with a count. */
static void test_existing_wrong_count_explicit(void **state) {
    fixture *f = *state;
    topic(f, FAMILY_A, 6);
    assert_int_equal(ensure(f, 8, 1), -1);
    assert_non_null(strstr(f->err, "internal topic " FAMILY_A " has 6 partitions, not the 8 --internal-partitions "
                                    "asks for"));
    assert_non_null(strstr(f->err, "cannot create topics with a partition count"));
    assert_non_null(strstr(f->err, "mock-broker --topic " FAMILY_A ":8"));
    assert_non_null(strstr(f->err, "--internal-partitions 6"));
}

/* No --internal-partitions, a topic of 6 for an input of 8, on brokers
 * that cannot create topics with a count: its count is kept, and said. */
static void test_existing_other_count_kept(void **state) {
    fixture *f = *state;
    ensure_existing(f, 6, 8);
    assert_topic(&f->t[0], 6, 8, false, true);
    assert_topic(&f->t[1], 8, 8, false, false);
    char note[512];
    size_t n = sw_itopics_note(f->t, 2, note, sizeof note);
    assert_int_equal(n, strlen(note));
    assert_non_null(strstr(note, "cannot create topics with a partition count"));
    assert_non_null(strstr(note, "internal topic " FAMILY_A " has 6 partitions, not 8"));
    assert_null(strstr(note, FAMILY_B));
    /* A short buffer: cut, NUL-terminated. */
    char small[16];
    assert_int_equal(sw_itopics_note(f->t, 2, small, sizeof small), 15);
    assert_int_equal(strlen(small), 15);
}

/* Missing topics: created by the mock's auto-creation (4 partitions), and
 * kept because no count was asked for. */
static void test_missing_created(void **state) {
    fixture *f = *state;
    if (ensure(f, 0, 2) != 0) fail_msg("%s", f->err);
    assert_topic(&f->t[0], 4, 8, true, true);
    assert_topic(&f->t[1], 4, 8, true, true);
    char note[512];
    sw_itopics_note(f->t, 2, note, sizeof note);
    assert_non_null(strstr(note, "internal topic " FAMILY_A " has 4 partitions, not 8; internal topic " FAMILY_B
                                 " has 4 partitions, not 8"));
    /* The next start finds them and comes to the same decision. */
    if (ensure(f, 0, 2) != 0) fail_msg("%s", f->err);
    assert_topic(&f->t[0], 4, 8, false, true);
    assert_topic(&f->t[1], 4, 8, false, true);
}

/* --internal-partitions against the mock's own count: the same count is
 * fine, another is refused (the topic is left with the mock's count). */
static void test_explicit_want_vs_auto_count(void **state) {
    fixture *f = *state;
    if (ensure(f, 4, 1) != 0) fail_msg("%s", f->err);
    assert_topic(&f->t[0], 4, 4, true, false);
    snprintf(f->t[0].name, sizeof f->t[0].name, "%s", FAMILY_B);
    assert_int_equal(ensure(f, 8, 1), -1);
    assert_non_null(strstr(f->err, "internal topic " FAMILY_B " has 4 partitions, not the 8 --internal-partitions "
                                    "asks for"));
    assert_non_null(strstr(f->err, "mock-broker --topic " FAMILY_B ":8"));
}

typedef struct {
    const fixture *f;
    sw_itopic t[2];
    int rc;
    char err[1024];
} member;

static void *member_start(void *arg) {
    member *m = arg;
    memcpy(m->t, m->f->t, sizeof m->t);
    m->rc = sw_itopics_ensure(&m->f->k, INPUT, 0, m->t, 2, TIMEOUT_MS, m->err, sizeof m->err);
    return NULL;
}

/* Two members starting at once on missing topics: both start, and agree. */
static void test_concurrent_members_agree(void **state) {
    fixture *f = *state;
    member m[2] = {{.f = f}, {.f = f}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, member_start, &m[i]), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        if (m[i].rc != 0) fail_msg("member %d: %s", i, m[i].err);
        for (int j = 0; j < 2; j++) assert_int_equal(m[i].t[j].partitions, 4);
        for (int j = 0; j < 2; j++) assert_true(m[i].t[j].broker_count);
    }
}

/* A missing topic the brokers will not create (auto-creation off; on the
 * mock: the topic's metadata says unknown): a start-up error saying how. */
static void test_creation_denied(void **state) {
    fixture *f = *state;
    rd_kafka_mock_topic_set_error(sw_mockcluster_handle(f->m), FAMILY_B, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    assert_int_equal(ensure(f, 0, 2), -1);
    assert_non_null(strstr(f->err, "internal topic " FAMILY_B " does not exist"));
    assert_non_null(strstr(f->err, "auto-creation is off"));
    assert_non_null(strstr(f->err, "create it with 8 partitions"));
    assert_non_null(strstr(f->err, "mock-broker --topic " FAMILY_B ":8"));
}

static void test_input_missing(void **state) {
    fixture *f = *state;
    int rc = sw_itopics_ensure(&f->k, "no-such-input", 0, f->t, 2, TIMEOUT_MS, f->err, sizeof f->err);
    assert_int_equal(rc, -1);
    assert_string_equal(f->err, "input topic no-such-input: does not exist: create it, then start again");
}

static void test_brokers_do_not_answer(void **state) {
    (void)state;
    sw_kafka_opts k = {.brokers = "127.0.0.1:1"};
    sw_itopic t = {.name = FAMILY_A};
    char err[512];
    assert_int_equal(sw_itopics_ensure(&k, INPUT, 0, &t, 1, 1500, err, sizeof err), -1);
    assert_non_null(strstr(err, "did not list their topics within 1500 ms"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test_setup_teardown(test_existing_right_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_wrong_count_explicit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_other_count_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explicit_want_vs_auto_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_members_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_creation_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_missing, setup, teardown),
        cmocka_unit_test(test_brokers_do_not_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
