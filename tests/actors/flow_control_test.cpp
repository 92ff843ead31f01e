// Credit-based flow control through the actor runtime: with a sink far slower than its source,
// no channel ever holds more than `credits` batches (credits × batch_size records) in flight,
// and every record still arrives. The bound is read from the job's metrics.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "sluice/sluice.hpp"

namespace {

/// A sink that sleeps on every batch: far slower than a generator running at full speed.
template <class T>
class slow_sink final : public sluice::operator_logic {
 public:
  explicit slow_sink(std::shared_ptr<std::atomic<uint64_t>> received)
      : received_(std::move(received)) {}
  void process(sluice::batch_base& in, sluice::emitter&) override {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    received_->fetch_add(sluice::as_batch<T>(in).items.size());
  }

 private:
  std::shared_ptr<std::atomic<uint64_t>> received_;
};

template <class T>
std::function<sluice::operator_ptr(const sluice::task_context&)> slow(
    std::shared_ptr<std::atomic<uint64_t>> received) {
  return [received](const sluice::task_context&) -> sluice::operator_ptr {
    return std::make_unique<slow_sink<T>>(received);
  };
}

sluice::job_options tight(uint32_t parallelism) {
  sluice::job_options o;
  o.parallelism = parallelism;
  o.batch_size = 32;
  o.credits = 2;
  o.linger_ms = 1;
  o.threads = 2;
  return o;
}

/// Checks the in-flight bound on every operator and returns how many reported any in flight.
int check_in_flight_bound(const sluice::job_result& r, const sluice::job_options& o) {
  int with_channels = 0;
  for (const auto& m : r.operators) {
    BOOST_TEST(m.max_in_flight_batches <= o.credits, m.uid << ": " << m.max_in_flight_batches);
    BOOST_TEST(m.max_in_flight_records <= uint64_t{o.credits} * o.batch_size,
               m.uid << ": " << m.max_in_flight_records);
    with_channels += m.max_in_flight_batches > 0 ? 1 : 0;
  }
  return with_channels;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(flow_control)

BOOST_AUTO_TEST_CASE(a_slow_sink_bounds_what_is_in_flight_on_a_rebalanced_edge) {
  constexpr uint64_t n = 10000;
  auto o = tight(2);
  sluice::environment env{o};
  auto received = std::make_shared<std::atomic<uint64_t>>(0);
  env.generate<int64_t>(n, [](uint64_t i) { return static_cast<int64_t>(i); })
      .parallelism(1)
      .map([](const int64_t& x) { return x + 1; }, "inc")
      .parallelism(1)
      .rebalance()
      .to(slow<int64_t>(received), "slow_sink")
      .uid("slow_sink");
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  BOOST_TEST(received->load() == n);
  BOOST_TEST_REQUIRE(r.find("slow_sink") != nullptr);
  BOOST_TEST(r.find("slow_sink")->records_in == n);
  BOOST_TEST_REQUIRE(r.find("inc.partition") != nullptr);
  BOOST_TEST(r.find("inc.partition")->max_in_flight_batches >= 1u);  // the bound was exercised
  BOOST_TEST(check_in_flight_bound(r, o) == 2);  // the source's channel and the partition's
}

BOOST_AUTO_TEST_CASE(a_slow_sink_bounds_what_is_in_flight_on_a_keyed_edge) {
  constexpr uint64_t n = 10000;
  auto o = tight(2);
  sluice::environment env{o};
  auto received = std::make_shared<std::atomic<uint64_t>>(0);
  env.generate<std::string>(n, [](uint64_t i) { return "k" + std::to_string(i % 97); })
      .key_by([](const std::string& s) -> const std::string& { return s; })
      .process<std::string>(
          [](const std::string& x, sluice::keyed_context<std::string, std::string>& ctx) {
            ctx.emit(x);
          },
          "pass")
      .to(slow<std::string>(received), "slow_sink")
      .uid("slow_sink");
  auto r = env.execute();
  BOOST_TEST_REQUIRE(r.ok, r.error);
  BOOST_TEST(received->load() == n);
  BOOST_TEST(r.find("slow_sink")->records_in == n);
  BOOST_TEST(r.find("generator-0.partition")->max_in_flight_batches >= 1u);
  BOOST_TEST(check_in_flight_bound(r, o) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
