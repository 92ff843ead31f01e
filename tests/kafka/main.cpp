// Kafka tests: the Kafka source and sink against the development broker (librdkafka's mock),
// `sluice kafka-dev` with independent clients (kcat, kafka-python), and the Kafka examples run as
// a user runs them — killed at random moments and at the sink's fault points, restarted, and their
// output read back by an independent client. Every other .cpp of this folder joins this executable.
#define BOOST_TEST_MODULE kafka
#include <boost/test/unit_test.hpp>
