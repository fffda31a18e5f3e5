/* mockcluster.h -- librdkafka's built-in mock Kafka cluster (rdkafka_mock.h)
 * as the embedded Kafka of `mock-broker`, `demo` and the tests: a real
 * Kafka-protocol server on loopback with consumer groups, offset commits
 * and the idempotent producer.  A mock partition keeps only about 5 MB
 * (older records are deleted): big runs pace their producers or use more
 * partitions.  It has no CreateTopics API (its metadata names broker 0,
 * which does not exist, as the controller, so an admin request only waits
 * for its timeout) and creates a topic a metadata request names, with 4
 * partitions (librdkafka 2.0's mock whatever allow.auto.create.topics
 * says; newer ones honour it); rd_kafka_mock_topic_set_error(topic,
 * UNKNOWN_TOPIC_OR_PART) makes a topic look missing and uncreatable, as
 * on a broker with auto-creation off.  itopics.c relies on all this. */
#ifndef SW_MOCKCLUSTER_H
#define SW_MOCKCLUSTER_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

typedef struct sw_mockcluster sw_mockcluster;

/* Starts a cluster of `brokers` brokers on 127.0.0.1; NULL with err. */
sw_mockcluster *sw_mockcluster_start(int brokers, char *err, size_t errlen);
/* Creates a topic (partitions >= 1, replication factor 1); 0 or -1 with err. */
int sw_mockcluster_topic(sw_mockcluster *m, const char *topic, int partitions, char *err, size_t errlen);
/* The bootstrap servers string ("127.0.0.1:port,..."). */
const char *sw_mockcluster_bootstraps(const sw_mockcluster *m);
/* For failure tests: the underlying handle (rd_kafka_mock_broker_set_down, ...). */
rd_kafka_mock_cluster_t *sw_mockcluster_handle(sw_mockcluster *m);
void sw_mockcluster_stop(sw_mockcluster *m);

#endif
