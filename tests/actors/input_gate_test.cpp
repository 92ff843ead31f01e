// actors/input_gate.hpp: the receiving side hands out queued batches round-robin over its
// channels, aligns checkpoint barriers by blocking (a channel that delivered barrier n waits until
// every open channel delivered n; an ended channel counts as aligned), aligns trigger epochs
// without blocking, and reports the end of all input once.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/input_gate.hpp"

namespace {

using sluice::actors::input_gate;

/// A one-record batch, so that a test can tell batches apart by their record.
sluice::batch_ptr rec(int64_t x) { return std::make_shared<sluice::batch<int64_t>>(std::vector<int64_t>{x}); }

/// The events next() hands out until it has none, readably: "0:17" (data 17 from input 0),
/// "epoch(1)", "barrier(1)", "finished".
std::vector<std::string> drain(input_gate& g) {
  std::vector<std::string> out;
  while (auto ev = g.next()) {
    if (auto* d = std::get_if<input_gate::data>(&*ev))
      out.push_back(std::to_string(d->input) + ":" +
                    std::to_string(sluice::as_batch<int64_t>(*d->batch).items.at(0)));
    else if (auto* e = std::get_if<input_gate::epoch_aligned>(&*ev))
      out.push_back("epoch(" + std::to_string(e->epoch) + ")");
    else if (auto* b = std::get_if<input_gate::barrier_aligned>(&*ev))
      out.push_back("barrier(" + std::to_string(b->checkpoint) + ")");
    else if (std::holds_alternative<input_gate::all_finished>(*ev))
      out.push_back("finished");
    else
      out.push_back("?");
  }
  return out;
}

using events = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(input_gate_order)

BOOST_AUTO_TEST_CASE(channels_are_served_round_robin) {
  input_gate g{3};
  for (int64_t i = 0; i < 2; ++i)
    for (uint32_t c = 0; c < 3; ++c)
      g.on_batch(c, rec(10 * c + i));
  BOOST_TEST(drain(g) == events({"0:0", "1:10", "2:20", "0:1", "1:11", "2:21"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(round_robin_skips_empty_channels_and_resumes_after_the_last_served) {
  input_gate g{3};
  g.on_batch(0, rec(1));
  g.on_batch(0, rec(2));
  g.on_batch(2, rec(3));
  auto first = g.next();
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST(std::get<input_gate::data>(*first).input == 0u);
  g.on_batch(1, rec(4));  // arrives later, but channel 1 is next in turn
  BOOST_TEST(drain(g) == events({"1:4", "2:3", "0:2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_channels_batches_come_out_in_arrival_order) {
  input_gate g{2};
  for (int64_t i = 0; i < 5; ++i)
    g.on_batch(1, rec(i));
  BOOST_TEST(drain(g) == events({"1:0", "1:1", "1:2", "1:3", "1:4"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(nothing_is_handed_out_when_every_queue_is_empty) {
  input_gate g{2};
  BOOST_TEST(!g.next().has_value());
  BOOST_TEST(!g.finished());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(input_gate_barriers)

BOOST_AUTO_TEST_CASE(a_channel_that_delivered_barrier_n_is_held_until_every_open_channel_delivered_n) {
  input_gate g{2};
  g.on_barrier(0, 1);
  g.on_batch(0, rec(100));  // after the barrier: must wait for the snapshot
  g.on_batch(1, rec(1));
  BOOST_TEST(drain(g) == events({"1:1"}), boost::test_tools::per_element());
  BOOST_TEST(g.held() == 1u);
  g.on_batch(1, rec(2));  // channel 1 has not reached the barrier: flows on
  BOOST_TEST(drain(g) == events({"1:2"}), boost::test_tools::per_element());
  g.on_barrier(1, 1);
  BOOST_TEST(drain(g) == events({"barrier(1)", "0:100"}), boost::test_tools::per_element());
  BOOST_TEST(g.held() == 0u);
}

BOOST_AUTO_TEST_CASE(a_barrier_is_aligned_once_after_its_last_channel_delivers_it) {
  input_gate g{3};
  g.on_barrier(2, 1);
  g.on_barrier(0, 1);
  BOOST_TEST(drain(g).empty());
  BOOST_TEST(g.held() == 2u);
  g.on_barrier(1, 1);
  BOOST_TEST(drain(g) == events({"barrier(1)"}), boost::test_tools::per_element());
  BOOST_TEST(drain(g).empty());
}

BOOST_AUTO_TEST_CASE(a_single_channel_aligns_at_each_of_its_barriers) {
  input_gate g{1};
  g.on_batch(0, rec(1));
  g.on_barrier(0, 1);
  g.on_batch(0, rec(2));
  g.on_barrier(0, 2);
  BOOST_TEST(drain(g) == events({"0:1", "barrier(1)", "0:2", "barrier(2)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(consecutive_barriers_align_in_order_with_their_data_between) {
  input_gate g{2};
  g.on_barrier(0, 1);
  g.on_batch(0, rec(10));
  g.on_barrier(0, 2);
  g.on_batch(0, rec(20));
  g.on_barrier(1, 1);
  g.on_batch(1, rec(11));
  g.on_barrier(1, 2);
  auto got = drain(g);
  BOOST_TEST_REQUIRE(got.size() == 5u);
  BOOST_TEST(got[0] == "barrier(1)");
  // Between the two barriers come exactly the records between them, in any channel order.
  BOOST_TEST(((got[1] == "0:10" && got[2] == "1:11") || (got[1] == "1:11" && got[2] == "0:10")));
  BOOST_TEST(got[3] == "barrier(2)");
  BOOST_TEST(got[4] == "0:20");
}

BOOST_AUTO_TEST_CASE(an_ended_channel_counts_as_aligned) {
  input_gate g{2};
  g.on_barrier(0, 1);
  g.on_batch(0, rec(5));
  g.on_eos(1);
  BOOST_TEST(drain(g) == events({"barrier(1)", "0:5"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_channel_ending_before_the_barrier_arrives_elsewhere_does_not_block_it) {
  input_gate g{3};
  g.on_eos(2);
  BOOST_TEST(drain(g).empty());
  g.on_barrier(0, 1);
  g.on_barrier(1, 1);
  BOOST_TEST(drain(g) == events({"barrier(1)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(input_gate_epochs)

BOOST_AUTO_TEST_CASE(an_epoch_ends_once_every_open_channel_passed_its_mark) {
  input_gate g{3};
  g.on_epoch(2, 1);
  g.on_epoch(0, 1);
  BOOST_TEST(drain(g).empty());
  g.on_epoch(1, 1);
  BOOST_TEST(drain(g) == events({"epoch(1)"}), boost::test_tools::per_element());
  BOOST_TEST(drain(g).empty());
}

BOOST_AUTO_TEST_CASE(an_epoch_mark_does_not_hold_back_the_data_behind_it) {
  // Trigger epochs are aligned without blocking: only checkpoint barriers hold a channel.
  input_gate g{2};
  g.on_epoch(0, 1);
  g.on_batch(0, rec(100));
  g.on_batch(1, rec(1));
  auto got = drain(g);
  std::sort(got.begin(), got.end());
  BOOST_TEST(got == events({"0:100", "1:1"}), boost::test_tools::per_element());
  BOOST_TEST(g.held() == 0u);
  g.on_epoch(1, 1);
  BOOST_TEST(drain(g) == events({"epoch(1)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(consecutive_epochs_are_reported_once_each_and_in_order) {
  input_gate g{2};
  for (uint64_t e = 1; e <= 3; ++e)
    g.on_epoch(0, e);
  BOOST_TEST(drain(g).empty());
  g.on_epoch(1, 1);
  g.on_epoch(1, 2);
  BOOST_TEST(drain(g) == events({"epoch(1)", "epoch(2)"}), boost::test_tools::per_element());
  g.on_epoch(1, 3);
  BOOST_TEST(drain(g) == events({"epoch(3)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_ended_channel_does_not_delay_an_epoch) {
  input_gate g{2};
  g.on_eos(1);
  g.on_epoch(0, 1);
  BOOST_TEST(drain(g) == events({"epoch(1)"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(input_gate_end)

BOOST_AUTO_TEST_CASE(all_finished_is_reported_once_after_every_channel_ended) {
  input_gate g{2};
  g.on_batch(0, rec(1));
  g.on_eos(0);
  BOOST_TEST(drain(g) == events({"0:1"}), boost::test_tools::per_element());
  BOOST_TEST(!g.finished());
  g.on_batch(1, rec(2));
  g.on_eos(1);
  BOOST_TEST(drain(g) == events({"1:2", "finished"}), boost::test_tools::per_element());
  BOOST_TEST(g.finished());
  BOOST_TEST(!g.next().has_value());
}

BOOST_AUTO_TEST_CASE(data_queued_before_end_of_stream_is_delivered_first) {
  input_gate g{1};
  g.on_batch(0, rec(1));
  g.on_batch(0, rec(2));
  g.on_eos(0);
  BOOST_TEST(drain(g) == events({"0:1", "0:2", "finished"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
