/* tu_kafka.h -- reading a Kafka topic back whole, for the tests that run
 * against the mock cluster (stream/kafka/mockcluster.c): every record of
 * every partition from the beginning to its end, with its key, value,
 * position and the headers asked for.  One reader for test_run,
 * test_run_redis and test_kafka_tools instead of a copy each.  Asserts
 * with cmocka: a topic that cannot be read to its end fails the test. */
#ifndef SW_TEST_KAFKA_H
#define SW_TEST_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#define TU_KAFKA_MAX_HEADERS 8

typedef struct {
    int32_t partition;
    int64_t offset;
    int has_key;          /* 0 for a record without a key */
    char *key, *value;    /* NUL-terminated copies */
    size_t key_len, len;
    char *h[TU_KAFKA_MAX_HEADERS]; /* the headers asked for (last of each name), or NULL */
    size_t h_len[TU_KAFKA_MAX_HEADERS];
} tu_krec;

typedef struct {
    tu_krec *r;
    size_t n;
} tu_krecs;

typedef struct {
    const char *brokers;
    const char *topic;
    int partitions;               /* 0: as many as the topic's metadata says */
    const char *group;            /* the reader's group.id (it commits nothing) */
    const char *const *headers;   /* names to copy into h[], NULL-terminated; NULL: none */
    int seconds;                  /* bound on the whole read */
    int errors_fatal;             /* a consumer error fails the test (else it is skipped) */
    int read_uncommitted;         /* isolation.level=read_uncommitted */
} tu_kafka_read;

/* Every record of the topic, in the order consumed (per partition, in
 * offset order); fails the test unless every partition reached its end
 * within the bound. */
tu_krecs tu_kafka_read_all(const tu_kafka_read *how);
void tu_krecs_free(tu_krecs *k);

#endif
