// `sluice kafka-dev` used by independent clients: kcat (Debian's, with -u so a killed kcat
// loses nothing) lists, produces and consumes; the tool stops cleanly on SIGTERM.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "tests/kafka/support.hpp"

using namespace sluice::kafka_test;
using namespace sluice::test;

namespace {

run_result shell(const std::string& command) { return run("/bin/sh", {"-c", command}); }

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_dev_tool)

BOOST_AUTO_TEST_CASE(serves_its_topics_to_kcat_and_stops_on_sigterm) {
  dev_broker broker{{"in:4", "out:2"}, 3};
  auto bs = broker.bootstrap();
  BOOST_TEST(std::count(bs.begin(), bs.end(), ',') == 2, "three brokers: " << bs);
  auto list = shell("kcat -b " + bs + " -L");
  BOOST_REQUIRE_MESSAGE(list.succeeded(), list.describe());
  BOOST_TEST(list.out.find("3 brokers") != std::string::npos, list.out);
  BOOST_TEST(list.out.find("topic \"in\" with 4 partitions") != std::string::npos, list.out);
  BOOST_TEST(list.out.find("topic \"out\" with 2 partitions") != std::string::npos, list.out);
  auto put = shell("printf 'a:1\\nb:2\\nc:3\\n' | kcat -b " + bs + " -t in -P -K: -p 2");
  BOOST_REQUIRE_MESSAGE(put.succeeded(), put.describe());
  auto get = shell("kcat -u -b " + bs + " -t in -p 2 -C -e -q -f '%k=%s\\n'");
  BOOST_REQUIRE_MESSAGE(get.succeeded(), get.describe());
  BOOST_TEST(get.out == "a=1\nb=2\nc=3\n");
  auto end = broker.stop();
  BOOST_TEST(end.succeeded(), end.describe());
  BOOST_TEST(end.out.rfind("bootstrap.servers=" + bs + "\n", 0) == 0u, "first line: " << end.out);
}

BOOST_AUTO_TEST_CASE(a_malformed_topic_is_named_on_one_line) {
  for (std::string bad : {"in:0", "in:x", "bad name:2", ":3"}) {
    auto r = run(sluice_tool, {"kafka-dev", "--topic", bad}, {}, std::chrono::seconds(30));
    BOOST_TEST((r.exited && r.code == 1), bad << ": " << r.describe());
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
    BOOST_TEST(r.err.rfind("sluice: error: --topic: ", 0) == 0u, r.err);
    BOOST_TEST(r.out.empty());
  }
}

BOOST_AUTO_TEST_CASE(help_lists_kafka_dev_and_its_flags) {
  auto top = run(sluice_tool, {"--help"});
  BOOST_TEST(top.out.find("kafka-dev") != std::string::npos, top.out);
  auto sub = run(sluice_tool, {"kafka-dev", "--help"});
  BOOST_TEST(sub.succeeded());
  for (const char* flag : {"--brokers", "--topic"})
    BOOST_TEST(sub.out.find(flag) != std::string::npos, flag);
}

BOOST_AUTO_TEST_SUITE_END()
