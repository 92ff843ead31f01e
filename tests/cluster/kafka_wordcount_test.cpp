// The Kafka word count with no --kafka-brokers runs on the coordinator's embedded development
// broker: the coordinator starts it, fills the input topic, and hands its address to the workers
// with the job's command line. Across a worker the console counts are those of a local run.
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/cluster/support.hpp"

using namespace sluice::cluster_test;
using namespace sluice::test;

namespace {

const std::string kafka_wordcount_binary = SLUICE_BINARY_DIR "/examples/kafka_wordcount";

/// The "word<TAB>count" lines of a console output, sorted.
std::vector<std::string> count_lines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (std::count(l.begin(), l.end(), '\t') == 1)
      lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_word_count_across_nodes)

BOOST_AUTO_TEST_CASE(a_worker_uses_the_coordinators_embedded_broker) {
  temp_dir dir;
  launch job{kafka_wordcount_binary, {"--kafka-bounded", "--parallelism", "2"}, {}, dir / "local"};
  auto local = run_to_end(job, run_guard);
  BOOST_TEST_REQUIRE(local.succeeded(), job.command_line() << ": " << local.describe());
  auto want = count_lines(local.out);
  BOOST_TEST_REQUIRE(!want.empty(), "the local run printed no counts: " << local.out);

  job.log_prefix = dir / "cluster";
  cluster_options o;
  o.workers = 1;
  auto c = run_cluster(job, o);
  BOOST_TEST_REQUIRE(c.succeeded(), c.describe());
  BOOST_TEST(c.coordinator.err.find("embedded development broker") != std::string::npos,
             c.coordinator.err);
  BOOST_TEST(c.workers[0].err.find("embedded development broker") == std::string::npos,
             "the worker started a broker of its own: " << c.workers[0].err);
  auto got = count_lines(c.workers[0].out);  // the console sink runs on the worker
  BOOST_TEST(got == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
