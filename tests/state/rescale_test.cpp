// Rescaling keyed state (state/store.hpp): snapshots written by the subtasks of one parallelism,
// restored into the subtasks of another, put every key into exactly the subtask that owns its key
// group (sluice/keys.hpp) — nothing lost, nothing duplicated — on the memory and RocksDB backends.
// Each restored subtask is handed the parts of every earlier subtask, so the store itself has to
// skip the key groups it does not own.
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sluice/checkpointing.hpp"
#include "sluice/keys.hpp"
#include "sluice/operator.hpp"
#include "state/store.hpp"
#include "tests/state/snapshot_support.hpp"

using sluice::backend_kind;
using sluice::restore_part;
using sluice::state::keyed_state_store;
using sluice::test::backend_env;
using sluice::test::restore_of;

namespace {

struct memory_backend : sluice::test::backend_tag<backend_kind::memory> {};
struct rocksdb_backend : sluice::test::backend_tag<backend_kind::rocksdb> {};
using backends = boost::mpl::list<memory_backend, rocksdb_backend>;

constexpr uint32_t key_groups = backend_env::key_groups;

using counts = std::map<std::string, int64_t>;
using lists = std::map<std::string, std::vector<std::string>>;

/// The keyed state of one operator: a count and a list per key.
struct operator_state {
  counts c;
  lists l;
};

operator_state sample_state() {
  operator_state s;
  for (int i = 0; i < 1000; ++i) {
    auto k = "key-" + std::to_string(i);
    s.c[k] = i;
    s.l[k] = {k, std::to_string(i * 7)};
  }
  return s;
}

/// One operator's subtasks on one backend (contexts and snapshots as in backend_env), written
/// and restored whole.
class operator_env : public backend_env {
 public:
  using backend_env::backend_env;

  /// Each of `parallelism` subtasks writes the keys it owns and snapshots them.
  std::vector<restore_part> write(const operator_state& all, uint32_t parallelism) {
    std::vector<restore_part> parts;
    for (uint32_t s = 0; s < parallelism; ++s) {
      auto ctx = context(s, parallelism);
      keyed_state_store store(ctx);
      auto& c = store.table<std::string, int64_t>("counts");
      auto& l = store.table<std::string, std::vector<std::string>>("lists");
      for (const auto& [k, v] : all.c)
        if (sluice::subtask_of_key(k, key_groups, parallelism) == s)
          c.put(k, v);
      for (const auto& [k, v] : all.l)
        if (sluice::subtask_of_key(k, key_groups, parallelism) == s)
          l.put(k, v);
      BOOST_REQUIRE_MESSAGE(c.size() > 0, "subtask " << s << " owns no sample key");
      parts.push_back(snapshot(store, ctx));
    }
    return parts;
  }

  /// Restores `parts` into each of `parallelism` subtasks and returns what each one holds.
  /// "counts" is declared before the restore, "lists" after it. With `snapshots`, each restored
  /// subtask is snapshotted again, for a further rescale.
  std::vector<operator_state> restore(const std::vector<restore_part>& parts,
                                      uint32_t parallelism,
                                      std::vector<restore_part>* snapshots = nullptr) {
    std::vector<operator_state> out;
    for (uint32_t s = 0; s < parallelism; ++s) {
      auto ctx = context(s, parallelism);
      keyed_state_store store(ctx);
      auto& c = store.table<std::string, int64_t>("counts");
      store.restore(restore_of(parts));
      auto& l = store.table<std::string, std::vector<std::string>>("lists");
      operator_state held;
      c.for_each([&](const std::string& k, const int64_t& v) {
        BOOST_TEST(held.c.count(k) == 0u, "key " << k << " visited twice");
        held.c.emplace(k, v);
      });
      l.for_each([&](const std::string& k, const std::vector<std::string>& v) {
        BOOST_TEST(held.l.count(k) == 0u, "key " << k << " visited twice");
        held.l.emplace(k, v);
      });
      out.push_back(std::move(held));
      if (snapshots)
        snapshots->push_back(snapshot(store, ctx));
    }
    return out;
  }
};

/// Every key sits in the subtask owning its key group, and together the subtasks hold exactly
/// `all`.
void check_split(const std::vector<operator_state>& per_subtask, const operator_state& all) {
  auto parallelism = static_cast<uint32_t>(per_subtask.size());
  operator_state merged;
  std::size_t held_counts = 0, held_lists = 0;
  for (uint32_t s = 0; s < parallelism; ++s) {
    for (const auto& [k, v] : per_subtask[s].c) {
      BOOST_TEST(sluice::subtask_of_key(k, key_groups, parallelism) == s,
                 "count of " << k << " restored into subtask " << s);
      merged.c.emplace(k, v);
      ++held_counts;
    }
    for (const auto& [k, v] : per_subtask[s].l) {
      BOOST_TEST(sluice::subtask_of_key(k, key_groups, parallelism) == s,
                 "list of " << k << " restored into subtask " << s);
      merged.l.emplace(k, v);
      ++held_lists;
    }
    BOOST_TEST(!per_subtask[s].c.empty(), "subtask " << s << " of " << parallelism << " got no key");
  }
  BOOST_TEST(held_counts == all.c.size());
  BOOST_TEST(held_lists == all.l.size());
  BOOST_TEST((merged.c == all.c));
  BOOST_TEST((merged.l == all.l));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rescale)

BOOST_AUTO_TEST_CASE_TEMPLATE(state_of_two_subtasks_is_split_over_three_by_key_group, B,
                              backends) {
  operator_env env(B::kind);
  auto all = sample_state();
  auto parts = env.write(all, 2);
  check_split(env.restore(parts, 3), all);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(state_of_two_subtasks_merges_into_one, B, backends) {
  operator_env env(B::kind);
  auto all = sample_state();
  auto parts = env.write(all, 2);
  check_split(env.restore(parts, 1), all);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(state_of_one_subtask_is_split_over_four, B, backends) {
  operator_env env(B::kind);
  auto all = sample_state();
  auto parts = env.write(all, 1);
  check_split(env.restore(parts, 4), all);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(same_parallelism_gives_each_subtask_back_its_own_keys, B,
                              backends) {
  operator_env env(B::kind);
  auto all = sample_state();
  auto parts = env.write(all, 2);
  check_split(env.restore(parts, 2), all);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rescaling_up_and_back_down_loses_nothing, B, backends) {
  operator_env env(B::kind);
  auto all = sample_state();
  auto parts = env.write(all, 2);
  std::vector<restore_part> at_three;
  check_split(env.restore(parts, 3, &at_three), all);
  BOOST_REQUIRE(at_three.size() == 3u);
  check_split(env.restore(at_three, 2), all);
}

BOOST_AUTO_TEST_SUITE_END()
