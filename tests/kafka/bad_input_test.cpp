// What a user sees when Kafka is not as expected: unreachable brokers and missing topics end the
// job with one line and exit 1 (within the metadata timeout, never a hang), bad --kafka-* flags
// with one line and exit 2, and malformed records become dead letters and a counter.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <sstream>

#include <algorithm>
#include <set>

#include "tests/kafka/support.hpp"

using namespace sluice::kafka_test;
using namespace sluice::test;

namespace {

/// Checks that `r` failed with `code` and exactly one stderr line "PROGRAM: error: ..." naming
/// every string of `names`.
void expect_one_line_failure(const run_result& r, const std::string& program, int code,
                             const std::vector<std::string>& names) {
  BOOST_TEST(!r.hung, r.describe());
  BOOST_TEST((r.exited && r.code == code), r.describe());
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "exactly one line: '" << r.err << "'");
  BOOST_TEST(r.err.rfind(program + ": error: ", 0) == 0u, r.err);
  for (const auto& n : names)
    BOOST_TEST(r.err.find(n) != std::string::npos, "stderr names '" << n << "': " << r.err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_bad_input)

BOOST_AUTO_TEST_CASE(unreachable_brokers_end_the_job_with_one_line_within_the_timeout) {
  // Nothing listens on port 1 of the loopback: connections are refused.
  auto r = run(account_balances, {"--kafka-brokers", "127.0.0.1:1", "--kafka-input", "tx",
                                   "--kafka-timeout-ms", "1500"},
               {}, std::chrono::seconds(60));
  expect_one_line_failure(r, "account_balances", 1,
                          {"cannot reach Kafka brokers at 127.0.0.1:1 within 1500 ms"});
  // The default timeout (10 s) bounds it too.
  auto w = run(kafka_wordcount, {"--kafka-brokers", "127.0.0.1:1"}, {}, std::chrono::seconds(60));
  expect_one_line_failure(w, "kafka_wordcount", 1, {"cannot reach Kafka brokers at 127.0.0.1:1"});
}

BOOST_AUTO_TEST_CASE(a_missing_input_or_output_topic_is_named) {
  dev_broker broker{{"tx:2", "balances:2"}};
  auto in = run(account_balances, {"--kafka-brokers", broker.bootstrap(), "--kafka-input", "no-such-input"});
  expect_one_line_failure(in, "account_balances", 1, {"topic 'no-such-input' does not exist"});
  auto out = run(account_balances, {"--kafka-brokers", broker.bootstrap(), "--kafka-input", "tx",
                                     "--kafka-output", "no-such-output", "--kafka-bounded"});
  expect_one_line_failure(out, "account_balances", 1, {"topic 'no-such-output' does not exist"});
}

BOOST_AUTO_TEST_CASE(a_missing_output_topic_is_created_when_asked_for) {
  dev_broker broker{{"tx:2"}};
  produce(broker.bootstrap(), "tx", {{"a", "t1,a,5"}, {"b", "t2,b,7"}});
  auto r = run(account_balances, {"--kafka-brokers", broker.bootstrap(), "--kafka-input", "tx",
                                   "--kafka-output", "created", "--kafka-bounded",
                                   "--kafka-create-topics"});
  BOOST_REQUIRE_MESSAGE(r.succeeded(), r.describe());
  auto out = consume_all(broker.bootstrap(), "created");
  BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_kafka_flags_are_named) {
  auto start = run(account_balances, {"--kafka-input", "tx", "--kafka-start", "yesterday"});
  expect_one_line_failure(start, "account_balances", 2, {"--kafka-start", "yesterday"});
  auto delivery = run(account_balances, {"--kafka-input", "tx", "--kafka-delivery", "twice"});
  expect_one_line_failure(delivery, "account_balances", 2, {"--kafka-delivery", "twice"});
}

BOOST_AUTO_TEST_CASE(malformed_records_become_dead_letters_and_are_counted) {
  dev_broker broker{{"tx:3", "balances:3"}};
  temp_dir dir;
  produce(broker.bootstrap(), "tx",
          {{"a", "t1,a,5"}, {"", "garbage"}, {"b", "t2,b,7"}, {"", "t3,c,12x"}, {"a", "t4,a,-1"}, {"", "t5,,3"}});
  auto r = run(account_balances, {"--kafka-brokers", broker.bootstrap(), "--kafka-input", "tx",
                                   "--kafka-output", "balances", "--kafka-bounded",
                                   "--checkpoint-dir", dir / "ck", "--dead-letter-dir", dir / "dl"});
  BOOST_REQUIRE_MESSAGE(r.succeeded(), r.describe());
  BOOST_TEST(r.err.find("3 malformed line(s)") != std::string::npos, r.err);
  std::multiset<std::string> dead;
  for (const auto& e : std::filesystem::directory_iterator(dir / "dl")) {
    if (e.path().filename().string()[0] == '.')
      continue;
    std::istringstream in(read_file(e.path().string()));
    for (std::string line; std::getline(in, line);)
      dead.insert(line.substr(line.find('\t') + 1));
  }
  BOOST_TEST((dead == std::multiset<std::string>{"garbage", "t3,c,12x", "t5,,3"}));
  BOOST_TEST(consume_all(broker.bootstrap(), "balances").size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
