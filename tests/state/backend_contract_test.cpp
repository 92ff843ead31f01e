// The keyed-state backend contract (state/store.hpp, state/keyed_table.hpp,
// state/keyed_state.hpp): every test in the `backend_contract` suite runs against the memory and
// the RocksDB backend and expects the same behaviour from both — table operations, the value,
// list and map handles, and snapshot then restore into a fresh store. What only one backend does
// (where its snapshot goes) is tested at the end, per backend.
#include <algorithm>
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sluice/checkpointing.hpp"
#include "sluice/keys.hpp"
#include "sluice/operator.hpp"
#include "state/keyed_state.hpp"
#include "state/serde.hpp"
#include "state/snapshot_format.hpp"
#include "state/store.hpp"
#include "tests/fakes/temp_dir.hpp"
#include "tests/state/snapshot_support.hpp"

namespace fs = std::filesystem;
using sluice::backend_kind;
using sluice::operator_snapshot;
using sluice::restore_part;
using sluice::task_context;
using sluice::state::keyed_state_store;
using sluice::state::keyed_store;
using sluice::state::keyed_table;
using sluice::test::backend_env;
using sluice::test::restore_of;
using sluice::test::temp_dir;

namespace {

struct memory_backend : sluice::test::backend_tag<backend_kind::memory> {};
struct rocksdb_backend : sluice::test::backend_tag<backend_kind::rocksdb> {};
using backends = boost::mpl::list<memory_backend, rocksdb_backend>;

template <class K, class V>
std::map<K, V> contents(keyed_table<K, V>& t) {
  std::map<K, V> out;
  t.for_each([&](const K& k, const V& v) {
    BOOST_TEST(out.count(k) == 0u, "for_each visited a key twice");
    out.emplace(k, v);
  });
  return out;
}

using counts = std::map<std::string, int64_t>;

const counts sample_counts = {
    {"apple", 3}, {"banana", -7}, {"", 1}, {"k\xc3\xa9y", 42}, {std::string("a\0b", 3), 9},
    {"cherry", INT64_MAX}, {"date", INT64_MIN}};

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_contract)

BOOST_AUTO_TEST_CASE_TEMPLATE(get_returns_what_put_stored_and_nothing_for_other_keys, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, int64_t>("counts");
  BOOST_TEST(!t.get("apple").has_value());
  for (const auto& [k, v] : sample_counts)
    t.put(k, v);
  for (const auto& [k, v] : sample_counts)
    BOOST_TEST((t.get(k) == std::optional<int64_t>{v}));
  BOOST_TEST(!t.get("a").has_value());
  BOOST_TEST(!t.get("missing").has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(put_replaces_the_value_of_an_existing_key, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, int64_t>("counts");
  t.put("apple", 1);
  t.put("apple", 2);
  BOOST_TEST((t.get("apple") == std::optional<int64_t>{2}));
  BOOST_TEST(t.size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(erase_removes_only_its_key_and_ignores_absent_keys, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, int64_t>("counts");
  t.put("apple", 1);
  t.put("banana", 2);
  t.erase("apple");
  t.erase("never-written");
  BOOST_TEST(!t.get("apple").has_value());
  BOOST_TEST((t.get("banana") == std::optional<int64_t>{2}));
  BOOST_TEST(t.size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(update_starts_from_init_when_absent_and_stores_the_result, B,
                              backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, int64_t>("counts");
  t.update("apple", 100, [](int64_t& v) { v += 1; });
  BOOST_TEST((t.get("apple") == std::optional<int64_t>{101}));
  t.update("apple", 100, [](int64_t& v) { v *= 2; });
  BOOST_TEST((t.get("apple") == std::optional<int64_t>{202}));
  t.put("banana", 5);
  t.update("banana", 100, [](int64_t& v) { v -= 1; });
  BOOST_TEST((t.get("banana") == std::optional<int64_t>{4}));
  BOOST_TEST(t.size() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(for_each_visits_every_entry_exactly_once, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, int64_t>("counts");
  BOOST_TEST((contents(t).empty()));
  counts expected;
  for (int i = 0; i < 500; ++i)
    expected["key-" + std::to_string(i)] = i * 3 - 700;
  for (const auto& [k, v] : expected)
    t.put(k, v);
  t.put("key-7", 7);  // an overwrite is still one entry
  expected["key-7"] = 7;
  t.erase("key-8");
  expected.erase("key-8");
  BOOST_TEST((contents(t) == expected));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(size_counts_keys_holding_a_value, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, int64_t>("counts");
  BOOST_TEST(t.size() == 0u);
  for (const auto& [k, v] : sample_counts)
    t.put(k, v);
  BOOST_TEST(t.size() == sample_counts.size());
  t.erase("apple");
  BOOST_TEST(t.size() == sample_counts.size() - 1);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tables_with_different_names_are_independent, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& a = store.table<std::string, int64_t>("a");
  auto& b = store.table<std::string, int64_t>("b");
  a.put("k", 1);
  b.put("k", 2);
  b.put("only-b", 3);
  BOOST_TEST((a.get("k") == std::optional<int64_t>{1}));
  BOOST_TEST((b.get("k") == std::optional<int64_t>{2}));
  BOOST_TEST(!a.get("only-b").has_value());
  BOOST_TEST(a.size() == 1u);
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST((&store.table<std::string, int64_t>("a") == &a));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_name_declared_with_another_type_is_refused, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  store.table<std::string, int64_t>("counts");
  BOOST_CHECK_THROW((store.table<std::string, std::string>("counts")), std::logic_error);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(integer_keys_including_negative_ones_are_kept_apart, B, backends) {
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<int64_t, std::string>("names");
  const std::map<int64_t, std::string> expected = {
      {0, "zero"}, {-1, "minus one"}, {1, "one"}, {INT64_MIN, "min"}, {INT64_MAX, "max"}};
  for (const auto& [k, v] : expected)
    t.put(k, v);
  BOOST_TEST((contents(t) == expected));
  BOOST_TEST((t.get(-1) == std::optional<std::string>{"minus one"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pair_values_are_stored_whole, B, backends) {
  using value = std::pair<int64_t, bool>;
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, value>("flags");
  t.put("a", {5, true});
  t.put("b", {-5, false});
  t.update("a", {0, false}, [](value& v) {
    v.first += 10;
    v.second = !v.second;
  });
  t.update("c", {1, true}, [](value&) {});
  BOOST_TEST((t.get("a") == std::optional<value>{value{15, false}}));
  BOOST_TEST((t.get("b") == std::optional<value>{value{-5, false}}));
  BOOST_TEST((t.get("c") == std::optional<value>{value{1, true}}));
  BOOST_TEST((contents(t) == std::map<std::string, value>{
                                 {"a", {15, false}}, {"b", {-5, false}}, {"c", {1, true}}}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(vector_values_are_stored_whole, B, backends) {
  using value = std::vector<std::string>;
  backend_env env(B::kind);
  keyed_state_store store(env.context());
  auto& t = store.table<std::string, value>("lists");
  t.put("a", {"x", "", "y"});
  t.put("empty", {});
  t.update("a", {}, [](value& v) { v.push_back("z"); });
  t.update("b", {"init"}, [](value& v) { v.push_back("more"); });
  BOOST_TEST((t.get("a") == std::optional<value>{value{"x", "", "y", "z"}}));
  BOOST_TEST((t.get("b") == std::optional<value>{value{"init", "more"}}));
  BOOST_TEST((t.get("empty") == std::optional<value>{value{}}));
  BOOST_TEST(t.size() == 3u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_value_handle_reads_and_writes_the_current_keys_entry, B,
                              backends) {
  backend_env env(B::kind);
  keyed_store<std::string> ks(env.context());
  auto& total = ks.value<int64_t>("total");
  const std::string a = "a", b = "b";
  ks.set_current_key(a);
  BOOST_TEST(!total.value().has_value());
  BOOST_TEST(total.value_or(-1) == -1);
  total.update(7);
  ks.set_current_key(b);
  BOOST_TEST(!total.value().has_value());
  total.update(11);
  total.clear();
  BOOST_TEST(!total.value().has_value());
  ks.set_current_key(a);
  BOOST_TEST((total.value() == std::optional<int64_t>{7}));
  BOOST_TEST(total.size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_list_handle_appends_in_order_under_the_current_key, B, backends) {
  backend_env env(B::kind);
  keyed_store<std::string> ks(env.context());
  auto& seen = ks.list<std::string>("seen");
  const std::string a = "a", b = "b";
  ks.set_current_key(a);
  BOOST_TEST(seen.get().empty());
  seen.add("1");
  seen.add("2");
  ks.set_current_key(b);
  seen.add("x");
  ks.set_current_key(a);
  seen.add("3");
  BOOST_TEST((seen.get() == std::vector<std::string>{"1", "2", "3"}));
  seen.clear();
  BOOST_TEST(seen.get().empty());
  ks.set_current_key(b);
  BOOST_TEST((seen.get() == std::vector<std::string>{"x"}));
  BOOST_TEST(seen.size() == 1u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_map_handle_keeps_one_map_per_current_key, B, backends) {
  backend_env env(B::kind);
  keyed_store<std::string> ks(env.context());
  auto& m = ks.map<std::string, int64_t>("by_kind");
  const std::string a = "a", b = "b";
  ks.set_current_key(a);
  m.put("x", 1);
  m.put("y", 2);
  m.put("x", 3);
  ks.set_current_key(b);
  BOOST_TEST(!m.get("x").has_value());
  m.put("x", 10);
  ks.set_current_key(a);
  BOOST_TEST((m.get("x") == std::optional<int64_t>{3}));
  BOOST_TEST((m.get("y") == std::optional<int64_t>{2}));
  m.remove("x");
  m.remove("absent");
  BOOST_TEST(!m.get("x").has_value());
  BOOST_TEST((m.get("y") == std::optional<int64_t>{2}));
  BOOST_TEST(m.size() == 2u);
  m.remove("y");  // the last entry: the key holds no value any more
  BOOST_TEST(m.size() == 1u);
  ks.set_current_key(b);
  BOOST_TEST((m.get("x") == std::optional<int64_t>{10}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_handle_used_without_a_current_key_throws, B, backends) {
  backend_env env(B::kind);
  keyed_store<std::string> ks(env.context());
  auto& v = ks.value<int64_t>("v");
  BOOST_CHECK_THROW(v.update(1), std::logic_error);
  const std::string a = "a";
  ks.set_current_key(a);
  v.update(1);
  ks.clear_current_key();
  BOOST_CHECK_THROW(v.value(), std::logic_error);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_restored_store_has_the_snapshotted_contents, B, backends) {
  using pair_value = std::pair<int64_t, bool>;
  using list_value = std::vector<std::string>;
  backend_env env(B::kind);
  auto ctx = env.context();
  restore_part part;
  counts many;
  for (int i = 0; i < 300; ++i)
    many["key-" + std::to_string(i)] = i;
  {
    keyed_state_store store(ctx);
    auto& c = store.table<std::string, int64_t>("counts");
    for (const auto& [k, v] : many)
      c.put(k, v);
    store.table<std::string, pair_value>("flags").put("a", {1, true});
    store.table<std::string, list_value>("lists").put("b", {"x", "y"});
    part = env.snapshot(store, ctx);
  }
  auto fresh_ctx = env.context();
  keyed_state_store fresh(fresh_ctx);
  auto& c = fresh.table<std::string, int64_t>("counts");
  auto& flags = fresh.table<std::string, pair_value>("flags");
  auto& lists = fresh.table<std::string, list_value>("lists");
  fresh.restore(restore_of({part}));
  BOOST_TEST((contents(c) == many));
  BOOST_TEST((contents(flags) == std::map<std::string, pair_value>{{"a", {1, true}}}));
  BOOST_TEST((contents(lists) == std::map<std::string, list_value>{{"b", {"x", "y"}}}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(tables_declared_after_restore_get_their_restored_data, B,
                              backends) {
  backend_env env(B::kind);
  auto ctx = env.context();
  restore_part part;
  {
    keyed_state_store store(ctx);
    auto& c = store.table<std::string, int64_t>("counts");
    for (const auto& [k, v] : sample_counts)
      c.put(k, v);
    store.table<int64_t, std::string>("names").put(-3, "minus three");
    part = env.snapshot(store, ctx);
  }
  keyed_state_store fresh(env.context());
  fresh.restore(restore_of({part}));
  BOOST_TEST((contents(fresh.table<std::string, int64_t>("counts")) == sample_counts));
  BOOST_TEST((contents(fresh.table<int64_t, std::string>("names")) ==
              std::map<int64_t, std::string>{{-3, "minus three"}}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(restored_state_not_yet_declared_is_in_the_next_snapshot, B,
                              backends) {
  backend_env env(B::kind);
  auto ctx = env.context();
  restore_part first;
  {
    keyed_state_store store(ctx);
    auto& c = store.table<std::string, int64_t>("counts");
    for (const auto& [k, v] : sample_counts)
      c.put(k, v);
    first = env.snapshot(store, ctx);
  }
  auto middle_ctx = env.context();
  restore_part second;
  {
    keyed_state_store middle(middle_ctx);
    middle.restore(restore_of({first}));
    second = env.snapshot(middle, middle_ctx);  // "counts" was never declared here
  }
  keyed_state_store last(env.context());
  last.restore(restore_of({second}));
  BOOST_TEST((contents(last.table<std::string, int64_t>("counts")) == sample_counts));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(writes_after_a_snapshot_do_not_change_it, B, backends) {
  backend_env env(B::kind);
  auto ctx = env.context();
  keyed_state_store store(ctx);
  auto& c = store.table<std::string, int64_t>("counts");
  c.put("kept", 1);
  c.put("erased-later", 2);
  auto part = env.snapshot(store, ctx);
  c.put("kept", 100);
  c.erase("erased-later");
  c.put("added-later", 3);

  keyed_state_store fresh(env.context());
  fresh.restore(restore_of({part}));
  BOOST_TEST((contents(fresh.table<std::string, int64_t>("counts")) ==
              counts{{"kept", 1}, {"erased-later", 2}}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_empty_store_restores_to_empty_tables, B, backends) {
  backend_env env(B::kind);
  auto ctx = env.context();
  keyed_state_store store(ctx);
  store.table<std::string, int64_t>("counts");
  auto part = env.snapshot(store, ctx);
  keyed_state_store fresh(env.context());
  fresh.restore(restore_of({part}));
  BOOST_TEST((fresh.table<std::string, int64_t>("counts").size() == 0u));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(handle_state_survives_snapshot_and_restore, B, backends) {
  backend_env env(B::kind);
  auto ctx = env.context();
  const std::string a = "a", b = "b";
  restore_part part;
  {
    keyed_store<std::string> ks(ctx);
    ks.set_current_key(a);
    ks.value<int64_t>("total").update(5);
    ks.list<std::string>("seen").add("x");
    ks.list<std::string>("seen").add("y");
    ks.map<std::string, int64_t>("by_kind").put("k", 9);
    ks.set_current_key(b);
    ks.value<int64_t>("total").update(6);
    part = env.snapshot(ks.store(), ctx);
  }
  keyed_store<std::string> fresh(env.context());
  fresh.store().restore(restore_of({part}));
  fresh.set_current_key(a);
  BOOST_TEST((fresh.value<int64_t>("total").value() == std::optional<int64_t>{5}));
  BOOST_TEST((fresh.list<std::string>("seen").get() == std::vector<std::string>{"x", "y"}));
  BOOST_TEST((fresh.map<std::string, int64_t>("by_kind").get("k") == std::optional<int64_t>{9}));
  fresh.set_current_key(b);
  BOOST_TEST((fresh.value<int64_t>("total").value() == std::optional<int64_t>{6}));
  BOOST_TEST(fresh.list<std::string>("seen").get().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(memory_backend_snapshots)

BOOST_AUTO_TEST_CASE(a_memory_snapshot_holds_one_section_per_table_and_key_group) {
  backend_env env(backend_kind::memory);
  auto ctx = env.context();
  keyed_state_store store(ctx);
  auto& c = store.table<std::string, int64_t>("counts");
  std::map<uint32_t, std::size_t> keys_per_group;
  for (int i = 0; i < 200; ++i) {
    auto k = "key-" + std::to_string(i);
    c.put(k, i);
    ++keys_per_group[sluice::key_group_of(sluice::key_hash(k), ctx.max_parallelism)];
  }
  store.table<std::string, int64_t>("unused");  // declared but empty: no section
  auto part = env.snapshot(store, ctx);
  BOOST_TEST(part.external_dir.empty());
  BOOST_REQUIRE(part.file);
  BOOST_TEST((part.file->table_names() == std::vector<std::string>{"counts"}));
  std::map<uint32_t, std::size_t> sections;
  for (auto [kg, bytes] : part.file->table("counts"))
    sections[kg] = sluice::state::decode<std::vector<std::pair<std::string, int64_t>>>(*bytes).size();
  BOOST_TEST((sections == keys_per_group));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rocksdb_backend_snapshots)

BOOST_AUTO_TEST_CASE(a_rocksdb_snapshot_writes_and_lists_its_files_in_the_external_dir) {
  backend_env env(backend_kind::rocksdb);
  auto ctx = env.context();
  keyed_state_store store(ctx);
  store.table<std::string, int64_t>("counts").put("a", 1);
  temp_dir out;
  operator_snapshot snap;
  snap.external_dir = (out.path() / "0.rocksdb").string();
  store.snapshot(snap);
  BOOST_TEST(snap.sections.empty());
  BOOST_REQUIRE(!snap.external_files.empty());
  std::vector<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(snap.external_dir))
    on_disk.push_back(e.path().filename().string());
  std::sort(on_disk.begin(), on_disk.end());
  BOOST_TEST(snap.external_files == on_disk);
}

BOOST_AUTO_TEST_CASE(a_rocksdb_snapshot_into_an_existing_dir_fails) {
  backend_env env(backend_kind::rocksdb);
  keyed_state_store store(env.context());
  store.table<std::string, int64_t>("counts").put("a", 1);
  temp_dir out;
  operator_snapshot snap;
  snap.external_dir = out.path().string();
  BOOST_CHECK_THROW(store.snapshot(snap), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(rocksdb_state_without_a_state_dir_is_refused) {
  task_context ctx;
  ctx.state_backend = backend_kind::rocksdb;
  keyed_state_store store(ctx);
  BOOST_CHECK_THROW((store.table<std::string, int64_t>("counts")), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()

// A job restarted with another --state-backend than the one its checkpoint was taken with: the
// restore may convert the state or refuse, but it must not start with empty tables as if there had
// been no state. Memory sections load into RocksDB tables; RocksDB state on the memory backend is
// refused with an error naming the backend to use.
BOOST_AUTO_TEST_SUITE(backend_switch)

/// Snapshots `sample_counts` on backend `from`, restores on `to`; returns what the restored
/// table holds, or nullopt when the restore refused with an exception.
static std::optional<counts> switch_backend(backend_kind from, backend_kind to) {
  backend_env old_env(from);
  auto ctx = old_env.context();
  keyed_state_store store(ctx);
  auto& c = store.table<std::string, int64_t>("counts");
  for (const auto& [k, v] : sample_counts)
    c.put(k, v);
  auto part = old_env.snapshot(store, ctx);
  backend_env new_env(to);
  try {
    keyed_state_store fresh(new_env.context());
    fresh.restore(restore_of({part}));
    return contents(fresh.table<std::string, int64_t>("counts"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

BOOST_AUTO_TEST_CASE(memory_state_restored_on_rocksdb_is_kept_or_refused) {
  auto restored = switch_backend(backend_kind::memory, backend_kind::rocksdb);
  BOOST_TEST((!restored || *restored == sample_counts),
             "restored " << (restored ? restored->size() : 0) << " of " << sample_counts.size()
                         << " keys without an error");
}

BOOST_AUTO_TEST_CASE(rocksdb_state_restored_on_memory_is_kept_or_refused) {
  auto restored = switch_backend(backend_kind::rocksdb, backend_kind::memory);
  BOOST_TEST((!restored || *restored == sample_counts),
             "restored " << (restored ? restored->size() : 0) << " of " << sample_counts.size()
                         << " keys without an error");
}

BOOST_AUTO_TEST_SUITE_END()
