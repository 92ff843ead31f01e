// sluice/keys.hpp: a key always lands in the same key group and subtask (xxHash3, stable across
// runs and builds), key groups map to contiguous subtask ranges, and keys spread evenly.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/keys.hpp"

using sluice::key_group_of;
using sluice::key_hash;
using sluice::subtask_of_key;
using sluice::subtask_of_key_group;

BOOST_AUTO_TEST_SUITE(key_groups)

BOOST_AUTO_TEST_CASE(string_hashes_are_the_published_xxh3_values) {
  // XXH3_64bits test vectors (seed 0); a change here would move every key to another key group
  // and make existing keyed state unreadable.
  BOOST_TEST(key_hash(std::string{}) == 0x2D06800538D394C2ull);
  BOOST_TEST(key_hash(std::string{"hello"}) == 0x9555E8555C62DCFDull);
}

BOOST_AUTO_TEST_CASE(known_keys_keep_their_key_group_and_subtask) {
  // Pinned from the current implementation: routing must not change between releases.
  BOOST_TEST(key_hash(std::string{"sluice"}) == 0x7E13095F1588691Dull);
  BOOST_TEST(key_group_of(key_hash(std::string{"sluice"}), 128) == 29u);
  BOOST_TEST(key_group_of(key_hash(std::string{"hello"}), 128) == 125u);
  BOOST_TEST(key_group_of(key_hash(std::string{"word"}), 128) == 85u);
  BOOST_TEST(subtask_of_key(std::string{"hello"}, 128, 4) == 3u);
  BOOST_TEST(subtask_of_key(std::string{"word"}, 128, 4) == 2u);
  BOOST_TEST(subtask_of_key(std::string{"apple"}, 128, 4) == 0u);
  // Arithmetic keys hash their bytes (little-endian on the machines we build for).
  BOOST_TEST(key_hash(int64_t{42}) == 0xD5A6F8C838DF27C8ull);
  BOOST_TEST(subtask_of_key(int64_t{42}, 128, 4) == 2u);
}

BOOST_AUTO_TEST_CASE(the_same_key_gets_the_same_subtask_on_every_call) {
  for (int i = 0; i < 1000; ++i) {
    std::string k = "key-" + std::to_string(i);
    auto first = subtask_of_key(k, 128, 7);
    for (int again = 0; again < 3; ++again)
      BOOST_TEST(subtask_of_key(std::string{k}, 128, 7) == first);
  }
}

BOOST_AUTO_TEST_CASE(a_string_and_its_view_hash_alike) {
  std::string s = "the quick brown fox";
  BOOST_TEST(key_hash(s) == key_hash(std::string_view{s}));
}

BOOST_AUTO_TEST_CASE(the_seed_changes_the_hash) {
  const char data[] = "abc";
  BOOST_TEST(sluice::hash_bytes(data, 3, 0) != sluice::hash_bytes(data, 3, 1));
  BOOST_TEST(sluice::hash_bytes(data, 3, 0) == key_hash(std::string{"abc"}));
}

BOOST_AUTO_TEST_CASE(pair_keys_depend_on_the_order_of_their_members) {
  using key = std::pair<std::string, std::string>;
  BOOST_TEST(key_hash(key{"a", "b"}) != key_hash(key{"b", "a"}));
  BOOST_TEST(key_hash(key{"a", "b"}) == key_hash(key{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(key_groups_map_to_contiguous_subtask_ranges) {
  // 128 key groups over 4 subtasks: 0-31, 32-63, 64-95, 96-127.
  for (uint32_t kg = 0; kg < 128; ++kg)
    BOOST_TEST(subtask_of_key_group(kg, 128, 4) == kg / 32);
  // Any parallelism: ranges are contiguous, cover every subtask, and differ by at most one.
  for (uint32_t par : {1u, 3u, 5u, 7u, 100u, 128u}) {
    std::vector<uint32_t> owned(par, 0);
    uint32_t prev = 0;
    for (uint32_t kg = 0; kg < 128; ++kg) {
      auto s = subtask_of_key_group(kg, 128, par);
      BOOST_TEST_REQUIRE(s < par);
      BOOST_TEST(s >= prev);
      prev = s;
      ++owned[s];
    }
    for (auto n : owned) {
      BOOST_TEST(n >= 128 / par);
      BOOST_TEST(n <= 128 / par + 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_keys_subtask_is_the_owner_of_its_key_group) {
  for (int i = 0; i < 1000; ++i) {
    auto k = static_cast<int64_t>(i) * 7919;
    auto kg = key_group_of(key_hash(k), 128);
    BOOST_TEST(kg < 128u);
    BOOST_TEST(subtask_of_key(k, 128, 6) == subtask_of_key_group(kg, 128, 6));
  }
}

BOOST_AUTO_TEST_CASE(distinct_string_keys_spread_evenly_over_key_groups_and_subtasks) {
  constexpr int keys = 100000;
  std::vector<int> per_group(128, 0), per_subtask(4, 0);
  for (int i = 0; i < keys; ++i) {
    std::string k = "user-" + std::to_string(i);
    ++per_group[key_group_of(key_hash(k), 128)];
    ++per_subtask[subtask_of_key(k, 128, 4)];
  }
  const double subtask_mean = keys / 4.0;
  for (int s = 0; s < 4; ++s) {
    BOOST_TEST(per_subtask[s] >= subtask_mean * 0.9, "subtask " << s << ": " << per_subtask[s]);
    BOOST_TEST(per_subtask[s] <= subtask_mean * 1.1, "subtask " << s << ": " << per_subtask[s]);
  }
  // Each key group holds about 781 keys; a quarter off would mean a badly skewed hash.
  const double group_mean = keys / 128.0;
  for (int g = 0; g < 128; ++g) {
    BOOST_TEST(per_group[g] >= group_mean * 0.75, "key group " << g << ": " << per_group[g]);
    BOOST_TEST(per_group[g] <= group_mean * 1.25, "key group " << g << ": " << per_group[g]);
  }
}

BOOST_AUTO_TEST_SUITE_END()
