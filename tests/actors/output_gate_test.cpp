// actors/output_gate.hpp: the sending side batches by size and by linger, sends a batch only
// against a credit, keeps epoch marks and checkpoint barriers behind the data pushed before them,
// and accounts for the batches and records in flight. Driven with the recording transport; no actor system.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/output_gate.hpp"
#include "tests/actors/int_batches.hpp"
#include "tests/fakes/recording_transport.hpp"

namespace {

using sluice::actors::output_gate;
using sluice::test::recording_transport;
using trace = std::vector<std::string>;

using sluice::test::range;
using sluice::test::seq;

sluice::router_ptr forward(uint32_t batch_size) {
  return sluice::make_router_factory<int64_t>(sluice::partitioning::forward)(1, 128, batch_size);
}

/// Even records to channel 0, odd ones to channel 1.
sluice::router_ptr by_parity(uint32_t batch_size) {
  return std::make_unique<sluice::typed_router<int64_t>>(
      sluice::partitioning::hash, 2, batch_size,
      [](const int64_t& x) { return static_cast<uint32_t>(x % 2); });
}

/// An output gate on a recording transport, with records 0, 1, 2, ... pushed in order.
struct sender {
  explicit sender(uint32_t batch_size, sluice::router_ptr r = nullptr)
      : gate(r ? std::move(r) : forward(batch_size), net, batch_size) {}
  /// Pushes the next `n` records as one batch.
  void push(int64_t n) {
    auto b = seq(next, n);
    next += n;
    gate.push(b);
  }
  recording_transport net;
  output_gate gate;
  int64_t next = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(output_gate_flow)

BOOST_AUTO_TEST_CASE(nothing_is_sent_before_the_receiver_grants_credit) {
  sender s{4};
  s.push(8);
  BOOST_TEST(s.net.batch_count() == 0u);
  BOOST_TEST(s.gate.blocked());
  BOOST_TEST(!s.gate.empty());
}

BOOST_AUTO_TEST_CASE(full_batches_go_out_as_soon_as_credit_exists) {
  sender s{4};
  s.gate.add_credit(0, 8);
  s.push(9);
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(4)"}), boost::test_tools::per_element());
  BOOST_TEST(s.net.records<int64_t>(0) == range(0, 8), boost::test_tools::per_element());
  BOOST_TEST(!s.gate.blocked());
  BOOST_TEST(!s.gate.empty());  // one record waits in a partial batch
}

BOOST_AUTO_TEST_CASE(queued_batches_leave_when_credit_arrives_later) {
  sender s{4};
  s.push(12);
  s.gate.add_credit(0, 2);
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(4)"}), boost::test_tools::per_element());
  BOOST_TEST(s.gate.blocked());
  s.gate.add_credit(0, 1);
  BOOST_TEST(s.net.records<int64_t>(0) == range(0, 12), boost::test_tools::per_element());
  BOOST_TEST(!s.gate.blocked());
  BOOST_TEST(s.gate.empty());
}

BOOST_AUTO_TEST_CASE(each_credit_releases_exactly_one_batch) {
  sender s{2};
  s.push(10);  // five full batches
  for (std::size_t granted = 1; granted <= 5; ++granted) {
    s.gate.add_credit(0, 1);
    BOOST_TEST(s.net.batch_count() == granted);
  }
  s.gate.add_credit(0, 1);  // a spare credit sends nothing: there is nothing left
  BOOST_TEST(s.net.batch_count() == 5u);
}

BOOST_AUTO_TEST_CASE(a_partial_batch_leaves_only_on_the_linger_flush) {
  sender s{4};
  s.gate.add_credit(0, 8);
  s.push(6);
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)"}), boost::test_tools::per_element());
  s.gate.flush_partial();
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(2)"}), boost::test_tools::per_element());
  BOOST_TEST(s.net.records<int64_t>(0) == range(0, 6), boost::test_tools::per_element());
  BOOST_TEST(s.gate.empty());
}

BOOST_AUTO_TEST_CASE(the_linger_flush_sends_nothing_without_credit) {
  sender s{4};
  s.push(2);
  s.gate.flush_partial();
  BOOST_TEST(s.net.batch_count() == 0u);
  s.gate.add_credit(0, 1);
  s.gate.flush_partial();
  BOOST_TEST(s.net.trace(0) == trace({"batch(2)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_channel_without_credit_does_not_hold_back_the_others) {
  sender s{2, by_parity(2)};
  s.gate.add_credit(0, 10);
  s.push(8);
  BOOST_TEST(s.net.records<int64_t>(0) == std::vector<int64_t>({0, 2, 4, 6}),
             boost::test_tools::per_element());
  BOOST_TEST(s.net.batch_count() == 2u);  // nothing on channel 1
  BOOST_TEST(s.gate.blocked());
  s.gate.add_credit(1, 10);
  BOOST_TEST(s.net.records<int64_t>(1) == std::vector<int64_t>({1, 3, 5, 7}),
             boost::test_tools::per_element());
  BOOST_TEST(!s.gate.blocked());
}

BOOST_AUTO_TEST_CASE(flush_all_queues_every_partial_batch_behind_the_full_ones) {
  sender s{4, by_parity(4)};
  s.push(11);  // channel 0: 0 2 4 6 | 8 10   channel 1: 1 3 5 7 | 9
  s.gate.flush_all();
  BOOST_TEST(s.net.batch_count() == 0u);  // queued, still waiting for credit
  s.gate.add_credit(0, 5);
  s.gate.add_credit(1, 5);
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(2)"}), boost::test_tools::per_element());
  BOOST_TEST(s.net.trace(1) == trace({"batch(4)", "batch(1)"}), boost::test_tools::per_element());
  BOOST_TEST(s.gate.empty());
}

BOOST_AUTO_TEST_CASE(a_gate_without_a_router_has_no_channels_and_drops_nothing_it_could_send) {
  recording_transport net;
  output_gate gate{nullptr, net, 4};
  auto b = seq(0, 5);
  gate.push(b);
  gate.push_epoch(1);
  gate.flush_all();
  gate.flush_partial();
  BOOST_TEST(gate.outputs() == 0u);
  BOOST_TEST(gate.empty());
  BOOST_TEST(!gate.blocked());
  BOOST_TEST(net.events().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(output_gate_marks)

BOOST_AUTO_TEST_CASE(an_epoch_mark_with_nothing_ahead_of_it_goes_out_without_credit) {
  sender s{4, by_parity(4)};
  s.gate.push_epoch(7);
  BOOST_TEST(s.net.trace(0) == trace({"epoch(7)"}), boost::test_tools::per_element());
  BOOST_TEST(s.net.trace(1) == trace({"epoch(7)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_epoch_mark_waits_behind_the_data_pushed_before_it) {
  sender s{4};
  s.push(6);
  s.gate.push_epoch(1);
  s.push(3);
  BOOST_TEST(s.net.trace(0).empty());  // the mark may not overtake the six records
  s.gate.add_credit(0, 10);
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(2)", "epoch(1)"}),
             boost::test_tools::per_element());
  s.gate.flush_partial();
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(2)", "epoch(1)", "batch(3)"}),
             boost::test_tools::per_element());
  BOOST_TEST(s.net.records<int64_t>(0) == range(0, 9), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(each_channel_sends_the_mark_right_after_its_own_data) {
  sender s{4, by_parity(4)};
  s.gate.add_credit(0, 10);
  s.push(6);
  s.gate.push_epoch(1);
  BOOST_TEST(s.net.trace(0) == trace({"batch(3)", "epoch(1)"}), boost::test_tools::per_element());
  BOOST_TEST(s.net.trace(1).empty());
  s.gate.add_credit(1, 1);
  BOOST_TEST(s.net.trace(1) == trace({"batch(3)", "epoch(1)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(consecutive_epochs_keep_their_order_with_the_data_between_them) {
  sender s{2};
  s.push(3);
  s.gate.push_epoch(1);
  s.push(1);
  s.gate.push_epoch(2);
  s.gate.push_epoch(3);
  s.gate.add_credit(0, 10);
  BOOST_TEST(s.net.trace(0) ==
                 trace({"batch(2)", "batch(1)", "epoch(1)", "batch(1)", "epoch(2)", "epoch(3)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_barrier_waits_behind_the_data_pushed_before_it) {
  sender s{4};
  s.push(5);
  s.gate.push_barrier(9);
  s.push(2);
  BOOST_TEST(s.net.trace(0).empty());
  s.gate.add_credit(0, 10);
  s.gate.flush_partial();
  BOOST_TEST(s.net.trace(0) == trace({"batch(4)", "batch(1)", "barrier(9)", "batch(2)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(barriers_and_epoch_marks_keep_the_order_they_were_pushed_in) {
  sender s{4, by_parity(4)};
  s.push(2);
  s.gate.push_epoch(1);
  s.gate.push_barrier(5);
  s.gate.push_epoch(2);
  s.gate.add_credit(0, 1);
  s.gate.add_credit(1, 1);
  for (uint32_t o = 0; o < 2; ++o)
    BOOST_TEST(s.net.trace(o) == trace({"batch(1)", "epoch(1)", "barrier(5)", "epoch(2)"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(output_gate_in_flight)

BOOST_AUTO_TEST_CASE(in_flight_counts_sent_batches_until_the_receiver_credits_them) {
  sender s{4};
  s.gate.add_credit(0, 2);  // the receiver's initial grant
  s.push(4);
  s.push(2);
  s.gate.flush_partial();  // in flight: 4 + 2 records, 2 batches
  BOOST_TEST(s.gate.max_in_flight_batches() == 2u);
  BOOST_TEST(s.gate.max_in_flight_records() == 6u);
  s.gate.add_credit(0, 1);  // the 4-record batch was consumed first
  s.push(4);                // in flight: 2 + 4
  BOOST_TEST(s.gate.max_in_flight_records() == 6u);
  s.gate.add_credit(0, 1);  // the 2-record batch was consumed
  s.push(4);                // in flight: 4 + 4
  BOOST_TEST(s.gate.max_in_flight_records() == 8u);
  BOOST_TEST(s.gate.max_in_flight_batches() == 2u);
  BOOST_TEST(s.gate.records_out() == 14u);
  BOOST_TEST(s.gate.batches_out() == 4u);
}

BOOST_AUTO_TEST_CASE(in_flight_never_exceeds_the_credits_granted) {
  // A receiver with 3 credits consumes one batch for every two the sender pushes.
  constexpr uint32_t credits = 3, batch_size = 5;
  sender s{batch_size};
  s.gate.add_credit(0, credits);
  std::size_t consumed = 0;
  for (int round = 0; round < 200; ++round) {
    s.push(1 + round % 7);
    if (round % 2 == 1 && consumed < s.net.batch_count()) {
      ++consumed;
      s.gate.add_credit(0, 1);
    }
    if (round % 5 == 0)
      s.gate.flush_partial();
    BOOST_TEST_REQUIRE(s.net.batch_count() - consumed <= credits);
  }
  BOOST_TEST(s.gate.max_in_flight_batches() == credits);  // the slow receiver kept it full
  BOOST_TEST(s.gate.max_in_flight_records() <= credits * batch_size);
  for (const auto& b : s.net.batches(0))
    BOOST_TEST(b->size() <= batch_size);
  // Whatever is left goes out once the receiver catches up, in order.
  s.gate.flush_all();
  while (!s.gate.empty()) {
    s.gate.add_credit(0, 1);
  }
  BOOST_TEST(s.net.records<int64_t>(0) == range(0, s.next), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
