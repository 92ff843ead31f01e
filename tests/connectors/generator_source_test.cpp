#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "connectors/generator_source.hpp"
#include "tests/connectors/support.hpp"

using namespace sluice;

namespace {

std::string record_of(uint64_t i) { return "record-" + std::to_string(i * 7919 % 10007); }

using record_fn = std::string (*)(uint64_t);
using gen = generator_source<std::string, record_fn>;

/// Runs one subtask of a generator to its end; checks each poll's size limit on the way.
std::vector<std::string> run_subtask(uint64_t count, uint32_t subtask, uint32_t parallelism,
                                     uint32_t max_records, double rate = 0) {
  gen g{count, &record_of, rate};
  g.open(test::subtask_context(subtask, parallelism));
  test::recording_emitter<std::string> out;
  poll_status st = poll_status::more;
  for (int i = 0; i < 1000000 && st != poll_status::finished; ++i) {
    st = g.poll(out, max_records);
    if (st == poll_status::idle)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  BOOST_TEST(st == poll_status::finished);
  BOOST_TEST(out.largest_batch <= max_records);
  return std::move(out.records);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(generator_source_tests)

BOOST_AUTO_TEST_CASE(the_records_are_the_same_whatever_the_parallelism) {
  for (uint64_t count : {0u, 1u, 2u, 5u, 1000u, 12345u}) {
    std::vector<std::string> expect;
    for (uint64_t i = 0; i < count; ++i)
      expect.push_back(record_of(i));
    std::sort(expect.begin(), expect.end());
    for (uint32_t par = 1; par <= 5; ++par) {
      for (uint32_t max_records : {1u, 3u, 1024u}) {
        BOOST_TEST_CONTEXT("count " << count << ", parallelism " << par << ", max_records " << max_records) {
          std::vector<std::string> all;
          for (uint32_t s = 0; s < par; ++s) {
            auto part = run_subtask(count, s, par, max_records);
            all.insert(all.end(), part.begin(), part.end());
          }
          std::sort(all.begin(), all.end());
          BOOST_TEST(all == expect, boost::test_tools::per_element());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(subtask_s_of_p_produces_indices_s_s_plus_p_and_so_on_in_order) {
  for (uint32_t par = 1; par <= 5; ++par) {
    for (uint32_t s = 0; s < par; ++s) {
      std::vector<std::string> expect;
      for (uint64_t i = s; i < 100; i += par)
        expect.push_back(record_of(i));
      BOOST_TEST(run_subtask(100, s, par, 7) == expect, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_rate_limit_does_not_change_which_records_are_produced) {
  std::vector<std::string> expect, all;
  for (uint64_t i = 0; i < 300; ++i)
    expect.push_back(record_of(i));
  for (uint32_t s = 0; s < 2; ++s) {
    auto part = run_subtask(300, s, 2, 64, 100000.0);
    all.insert(all.end(), part.begin(), part.end());
  }
  std::sort(all.begin(), all.end());
  std::sort(expect.begin(), expect.end());
  BOOST_TEST(all == expect, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unbounded_generator_runs_until_stopped) {
  auto f = [](uint64_t i) { return i; };
  generator_source<uint64_t, decltype(f)> g{unbounded, f, 0};
  g.open(test::subtask_context(1, 3));
  test::recording_emitter<uint64_t> out;
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(g.poll(out, 100) == poll_status::more);
  BOOST_REQUIRE(out.records.size() == 500u);
  BOOST_TEST(out.records.front() == 1u);
  BOOST_TEST(out.records.back() == 1u + 3u * 499u);
  g.request_stop();
  BOOST_TEST(g.poll(out, 100) == poll_status::finished);
  BOOST_TEST(out.records.size() == 500u);
}

BOOST_AUTO_TEST_SUITE_END()
