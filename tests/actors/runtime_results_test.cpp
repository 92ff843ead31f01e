// Whole jobs through the actor runtime (environment::execute): a generator source, operators and
// a collect sink, with small batches so that records cross many actor messages. Results are
// compared with a reference computed here; nothing depends on timing.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "sluice/sluice.hpp"
#include "tests/actors/runtime_support.hpp"

namespace {

using namespace sluice::test;

std::string word_of(uint64_t i) { return "w" + std::to_string((i * 7919) % 101); }

std::map<std::string, int64_t> run_word_count(uint32_t parallelism, uint64_t n) {
  sluice::environment env{small_batches(parallelism)};
  auto out = std::make_shared<sluice::collected<count_row>>();
  env.generate<std::string>(n, word_of).key_by(identity).count({}, "count").collect(out);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  BOOST_TEST(r.source_records == n);
  BOOST_TEST_REQUIRE(r.find("count") != nullptr);
  BOOST_TEST(r.find("count")->records_in == n);
  BOOST_TEST(r.find("count")->parallelism == parallelism);
  auto rows = out->records();
  std::map<std::string, int64_t> counts;
  for (const auto& [k, v] : rows)
    BOOST_TEST(counts.emplace(k, v).second, "key " << k << " emitted twice");
  return counts;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_results)

BOOST_AUTO_TEST_CASE(a_stateless_pipeline_yields_the_reference_result) {
  constexpr uint64_t n = 20000;
  sluice::environment env{small_batches(3)};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  env.generate<int64_t>(n, [](uint64_t i) { return static_cast<int64_t>(i); })
      .flat_map<int64_t>([](const int64_t& x, sluice::collector<int64_t>& c) {
        c.push(x);
        if (x % 3 == 0)
          c.push(-x);
      })
      .filter([](const int64_t& x) { return x % 5 != 0; })
      .map([](const int64_t& x) { return x * 2; }, "double")
      .collect(out);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);

  std::vector<int64_t> expected;
  for (int64_t x = 0; x < static_cast<int64_t>(n); ++x)
    for (int64_t y : {x, -x})
      if ((y == x || x % 3 == 0) && y % 5 != 0)
        expected.push_back(y * 2);
  auto got = out->records();
  std::sort(expected.begin(), expected.end());
  std::sort(got.begin(), got.end());
  BOOST_TEST(got.size() == expected.size());
  BOOST_TEST((got == expected));
  BOOST_TEST(r.source_records == n);
  BOOST_TEST(r.find("double")->records_out == expected.size());
}

BOOST_AUTO_TEST_CASE(a_keyed_count_in_complete_mode_is_the_same_at_parallelism_1_and_4) {
  constexpr uint64_t n = 30000;
  std::map<std::string, int64_t> reference;
  for (uint64_t i = 0; i < n; ++i)
    ++reference[word_of(i)];
  auto one = run_word_count(1, n);
  auto four = run_word_count(4, n);
  BOOST_TEST(lines(one) == lines(reference), boost::test_tools::per_element());
  BOOST_TEST(lines(four) == lines(reference), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rebalance_to_more_subtasks_delivers_every_record_once) {
  constexpr uint64_t n = 5000;
  sluice::environment env{small_batches(1)};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  env.generate<int64_t>(n, [](uint64_t i) { return static_cast<int64_t>(i); })
      .rebalance()
      .map([](const int64_t& x) { return x; }, "spread")
      .parallelism(3)
      .collect(out)
      .parallelism(3);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  auto got = out->records();
  std::sort(got.begin(), got.end());
  std::vector<int64_t> expected(n);
  for (uint64_t i = 0; i < n; ++i)
    expected[i] = static_cast<int64_t>(i);
  BOOST_TEST((got == expected));
  BOOST_TEST(r.find("spread")->parallelism == 3u);
}

BOOST_AUTO_TEST_CASE(broadcast_delivers_every_record_to_every_subtask) {
  constexpr uint64_t n = 1000;
  sluice::environment env{small_batches(1)};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  env.generate<int64_t>(n, [](uint64_t i) { return static_cast<int64_t>(i); })
      .broadcast()
      .collect(out)
      .parallelism(3);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  std::map<int64_t, int> copies;
  for (auto x : out->records())
    ++copies[x];
  BOOST_TEST(copies.size() == n);
  for (const auto& [x, c] : copies)
    BOOST_TEST(c == 3, "record " << x);
}

BOOST_AUTO_TEST_SUITE_END()

namespace readings {

struct reading {
  std::string sensor;
  int64_t value = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reading& x) {
  return f(caf::meta::type_name("readings.reading"), x.sensor, x.value);
}

}  // namespace readings

BOOST_AUTO_TEST_SUITE(runtime_keyed_functions)

BOOST_AUTO_TEST_CASE(rolling_reduce_emits_each_keys_running_value_in_order) {
  using readings::reading;
  constexpr uint64_t n = 2000;
  sluice::environment env{small_batches(2)};
  auto out = std::make_shared<sluice::collected<reading>>();
  env.generate<reading>(n,
                        [](uint64_t i) {
                          return reading{"s" + std::to_string(i % 7), static_cast<int64_t>(i)};
                        })
      .parallelism(1)  // one source subtask: each key's records arrive in generation order
      .key_by([](const reading& r) { return r.sensor; })
      .reduce([](const reading& acc, const reading& x) {
        return reading{acc.sensor, acc.value + x.value};
      }, "running_sum")
      .collect(out);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  std::map<std::string, std::vector<int64_t>> expected, got;
  std::map<std::string, int64_t> sum;
  for (uint64_t i = 0; i < n; ++i) {
    auto k = "s" + std::to_string(i % 7);
    expected[k].push_back(sum[k] += static_cast<int64_t>(i));
  }
  for (const auto& x : out->records())
    got[x.sensor].push_back(x.value);
  BOOST_TEST_REQUIRE(got.size() == expected.size());
  for (const auto& [k, values] : expected)
    BOOST_TEST(got[k] == values, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keyed_process_keeps_value_state_per_key_across_batches) {
  using in_row = std::pair<std::string, int64_t>;
  constexpr uint64_t n = 5000;
  sluice::environment env{small_batches(3)};
  auto out = std::make_shared<sluice::collected<count_row>>();
  env.generate<in_row>(n,
                       [](uint64_t i) {
                         return in_row{"s" + std::to_string(i % 13), static_cast<int64_t>(i)};
                       })
      .parallelism(1)
      .key_by([](const in_row& r) { return r.first; })
      .process<count_row>(
          [](const in_row& x, sluice::keyed_context<std::string, count_row>& ctx) {
            auto& sum = ctx.value_state<int64_t>("sum");
            auto next = sum.value_or(0) + x.second;
            sum.update(next);
            ctx.emit({ctx.key(), next});
          },
          "running_sum")
      .collect(out);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  std::map<std::string, std::vector<int64_t>> expected;
  std::map<std::string, int64_t> sum;
  for (uint64_t i = 0; i < n; ++i) {
    auto k = "s" + std::to_string(i % 13);
    expected[k].push_back(sum[k] += static_cast<int64_t>(i));
  }
  auto got = by_key(out->records());
  BOOST_TEST_REQUIRE(got.size() == expected.size());
  for (const auto& [k, values] : expected)
    BOOST_TEST(got[k] == values, boost::test_tools::per_element());
  BOOST_TEST(r.find("running_sum")->records_in == n);
}

BOOST_AUTO_TEST_CASE(keyed_process_map_state_deduplicates_per_key) {
  using in_row = std::pair<std::string, int64_t>;
  constexpr uint64_t n = 4000;
  sluice::environment env{small_batches(2)};
  auto out = std::make_shared<sluice::collected<count_row>>();
  env.generate<in_row>(n,
                       [](uint64_t i) {
                         return in_row{"u" + std::to_string(i % 5), static_cast<int64_t>(i % 40)};
                       })
      .key_by([](const in_row& r) { return r.first; })
      .process<count_row>([](const in_row& x, sluice::keyed_context<std::string, count_row>& ctx) {
        auto& seen = ctx.map_state<int64_t, bool>("seen");
        if (!seen.get(x.second)) {
          seen.put(x.second, true);
          ctx.emit({ctx.key(), x.second});
        }
      })
      .collect(out);
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  std::set<count_row> expected;
  for (uint64_t i = 0; i < n; ++i)
    expected.insert({"u" + std::to_string(i % 5), static_cast<int64_t>(i % 40)});
  auto got = out->records();
  BOOST_TEST(got.size() == expected.size());  // each (key, value) once
  BOOST_TEST((std::set<count_row>(got.begin(), got.end()) == expected));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(runtime_failures)

BOOST_AUTO_TEST_CASE(a_throwing_operator_fails_the_job_with_its_uid_in_the_error) {
  sluice::environment env{small_batches(2)};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  env.generate<int64_t>(100000, [](uint64_t i) { return static_cast<int64_t>(i); })
      .map(
          [](const int64_t& x) -> int64_t {
            if (x == 5000)
              throw std::runtime_error("boom at 5000");
            return x;
          },
          "exploder")
      .collect(out);
  auto r = env.execute();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("'exploder'") != std::string::npos, r.error);
  BOOST_TEST(r.error.find("boom at 5000") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(a_throwing_keyed_function_fails_the_job_with_its_uid_in_the_error) {
  sluice::environment env{small_batches(2)};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  env.generate<int64_t>(10000, [](uint64_t i) { return static_cast<int64_t>(i); })
      .key_by([](const int64_t& x) { return x % 10; })
      .process<int64_t>(
          [](const int64_t& x, sluice::keyed_context<int64_t, int64_t>& ctx) {
            if (x == 777)
              throw std::invalid_argument("cannot handle 777");
            ctx.emit(x);
          },
          "picky_process")
      .collect(out);
  auto r = env.execute();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("'picky_process'") != std::string::npos, r.error);
  BOOST_TEST(r.error.find("cannot handle 777") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_CASE(a_throwing_source_fails_the_job_with_its_uid_in_the_error) {
  sluice::environment env{small_batches(1)};
  auto out = std::make_shared<sluice::collected<int64_t>>();
  env.generate<int64_t>(10000,
                        [](uint64_t i) -> int64_t {
                          if (i == 300)
                            throw std::runtime_error("generator broke");
                          return static_cast<int64_t>(i);
                        })
      .uid("numbers")
      .collect(out);
  auto r = env.execute();
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.error.find("'numbers'") != std::string::npos, r.error);
  BOOST_TEST(r.error.find("generator broke") != std::string::npos, r.error);
}

BOOST_AUTO_TEST_SUITE_END()
