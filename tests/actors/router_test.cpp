// sluice/router.hpp: typed_router splits output into per-target batches of at most batch_size
// records — forward (one target), rebalance (whole batches round-robin), hash (by key), broadcast.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/router.hpp"
#include "tests/actors/int_batches.hpp"

namespace {

using sluice::partitioning;
using sluice::typed_router;

using sluice::test::range;
using sluice::test::seq;

/// Takes everything buffered for `target`; records the batch sizes in `sizes`.
std::vector<int64_t> take_all(sluice::router& r, uint32_t target,
                              std::vector<std::size_t>* sizes = nullptr) {
  std::vector<int64_t> out;
  while (auto b = r.take_any(target)) {
    if (sizes)
      sizes->push_back(b->size());
    const auto& xs = sluice::as_batch<int64_t>(*b).items;
    out.insert(out.end(), xs.begin(), xs.end());
  }
  return out;
}

typed_router<int64_t> make(partitioning p, uint32_t targets, uint32_t batch_size) {
  return typed_router<int64_t>(p, targets, batch_size, nullptr);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(routers)

BOOST_AUTO_TEST_CASE(forward_cuts_records_into_full_batches_in_order) {
  auto r = make(partitioning::forward, 1, 4);
  auto in = seq(0, 10);
  r.route(in);
  BOOST_TEST(in.items.empty());  // records are moved out
  BOOST_TEST(r.buffered(0) == 10u);
  std::vector<std::size_t> sizes;
  auto first = r.take_full(0);
  auto second = r.take_full(0);
  BOOST_TEST_REQUIRE(first != nullptr);
  BOOST_TEST_REQUIRE(second != nullptr);
  BOOST_TEST(first->size() == 4u);
  BOOST_TEST(second->size() == 4u);
  BOOST_TEST(r.take_full(0) == nullptr);  // the rest is a partial batch
  BOOST_TEST(r.buffered(0) == 2u);
  auto rest = take_all(r, 0, &sizes);
  BOOST_TEST(rest == std::vector<int64_t>({8, 9}), boost::test_tools::per_element());
  BOOST_TEST(r.buffered(0) == 0u);
  BOOST_TEST(r.take_any(0) == nullptr);
}

BOOST_AUTO_TEST_CASE(forward_appends_small_batches_to_the_open_one) {
  auto r = make(partitioning::forward, 1, 5);
  for (int64_t i = 0; i < 4; ++i) {
    auto in = seq(i * 3, 3);
    r.route(in);
  }
  std::vector<std::size_t> sizes;
  BOOST_TEST(take_all(r, 0, &sizes) == range(0, 12), boost::test_tools::per_element());
  BOOST_TEST(sizes == std::vector<std::size_t>({5, 5, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(forward_keeps_order_when_a_full_batch_follows_a_partial_one) {
  auto r = make(partitioning::forward, 1, 4);
  auto a = seq(0, 2);
  auto b = seq(2, 4);  // exactly batch_size: must not overtake the two records before it
  r.route(a);
  r.route(b);
  BOOST_TEST(take_all(r, 0) == range(0, 6), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rebalance_sends_whole_batches_round_robin) {
  auto r = make(partitioning::rebalance, 3, 4);
  for (int64_t b = 0; b < 6; ++b) {
    auto in = seq(b * 4, 4);
    r.route(in);
  }
  BOOST_TEST(take_all(r, 0) == std::vector<int64_t>({0, 1, 2, 3, 12, 13, 14, 15}),
             boost::test_tools::per_element());
  BOOST_TEST(take_all(r, 1) == std::vector<int64_t>({4, 5, 6, 7, 16, 17, 18, 19}),
             boost::test_tools::per_element());
  BOOST_TEST(take_all(r, 2) == std::vector<int64_t>({8, 9, 10, 11, 20, 21, 22, 23}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rebalance_never_splits_a_batch_smaller_than_batch_size) {
  auto r = make(partitioning::rebalance, 2, 10);
  auto a = seq(0, 3);
  auto b = seq(3, 3);
  r.route(a);
  r.route(b);
  BOOST_TEST(take_all(r, 0) == range(0, 3), boost::test_tools::per_element());
  BOOST_TEST(take_all(r, 1) == range(3, 3), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(broadcast_gives_every_target_every_record) {
  auto r = make(partitioning::broadcast, 3, 4);
  auto in = seq(0, 6);
  r.route(in);
  BOOST_TEST(in.items.empty());
  for (uint32_t t = 0; t < 3; ++t) {
    BOOST_TEST(r.buffered(t) == 6u);
    BOOST_TEST(take_all(r, t) == range(0, 6), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(hash_sends_each_record_to_the_selected_target_in_order) {
  typed_router<int64_t> r(partitioning::hash, 3, 4,
                          [](const int64_t& x) { return static_cast<uint32_t>(x % 3); });
  auto in = seq(0, 30);
  r.route(in);
  for (uint32_t t = 0; t < 3; ++t) {
    std::vector<int64_t> expected;
    for (int64_t x = t; x < 30; x += 3)
      expected.push_back(x);
    std::vector<std::size_t> sizes;
    BOOST_TEST(take_all(r, t, &sizes) == expected, boost::test_tools::per_element());
    for (auto n : sizes)
      BOOST_TEST(n <= 4u);
  }
}

BOOST_AUTO_TEST_CASE(the_hash_router_factory_routes_by_key_group_owner) {
  auto factory = sluice::make_hash_router_factory<std::string>(
      [](const std::string& s) -> const std::string& { return s; });
  auto r = factory(4, 128, 8);
  BOOST_TEST(r->targets() == 4u);
  sluice::batch<std::string> in;
  for (int i = 0; i < 100; ++i)
    in.items.push_back("k" + std::to_string(i % 20));
  r->route(in);
  std::size_t total = 0;
  for (uint32_t t = 0; t < 4; ++t)
    while (auto b = r->take_any(t))
      for (const auto& k : sluice::as_batch<std::string>(*b).items) {
        BOOST_TEST(t == sluice::subtask_of_key(k, 128, 4), k);
        ++total;
      }
  BOOST_TEST(total == 100u);
}

BOOST_AUTO_TEST_CASE(the_non_keyed_factory_builds_a_router_of_the_asked_partitioning) {
  auto r = sluice::make_router_factory<int64_t>(partitioning::rebalance)(2, 128, 2);
  BOOST_TEST(r->targets() == 2u);
  auto a = seq(0, 2);
  auto b = seq(2, 2);
  r->route(a);
  r->route(b);
  BOOST_TEST(take_all(*r, 0) == range(0, 2), boost::test_tools::per_element());
  BOOST_TEST(take_all(*r, 1) == range(2, 2), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
