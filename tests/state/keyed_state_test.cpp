// state/keyed_state.hpp: handles read and write the entry of the store's current key only,
// a name keeps the type it was first declared with, and no handle works outside a key.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "state/keyed_state.hpp"

using sluice::state::keyed_store;

BOOST_AUTO_TEST_SUITE(value_state)

BOOST_AUTO_TEST_CASE(a_value_is_visible_only_under_the_key_that_wrote_it) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& total = store.value<int64_t>("total");

  store.set_current_key(a);
  BOOST_TEST(!total.value().has_value());
  total.update(7);
  BOOST_TEST(total.value().value() == 7);

  store.set_current_key(b);
  BOOST_TEST(!total.value().has_value());
  BOOST_TEST(total.value_or(-1) == -1);
  total.update(11);

  store.set_current_key(a);
  BOOST_TEST(total.value().value() == 7);
  store.set_current_key(b);
  BOOST_TEST(total.value().value() == 11);
  BOOST_TEST(total.size() == 2u);
}

BOOST_AUTO_TEST_CASE(update_replaces_the_current_keys_value) {
  keyed_store<int64_t> store;
  const int64_t k = 5;
  store.set_current_key(k);
  auto& v = store.value<std::string>("last");
  v.update("first");
  v.update("second");
  BOOST_TEST(v.value().value() == "second");
  BOOST_TEST(v.size() == 1u);
}

BOOST_AUTO_TEST_CASE(clear_removes_only_the_current_keys_value) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& v = store.value<int>("v");
  store.set_current_key(a);
  v.update(1);
  store.set_current_key(b);
  v.update(2);
  v.clear();
  BOOST_TEST(!v.value().has_value());
  store.set_current_key(a);
  BOOST_TEST(v.value().value() == 1);
  BOOST_TEST(v.size() == 1u);
}

BOOST_AUTO_TEST_CASE(states_with_different_names_are_independent) {
  keyed_store<std::string> store;
  const std::string a = "a";
  store.set_current_key(a);
  store.value<int>("x").update(1);
  store.value<int>("y").update(2);
  BOOST_TEST(store.value<int>("x").value().value() == 1);
  BOOST_TEST(store.value<int>("y").value().value() == 2);
}

BOOST_AUTO_TEST_CASE(asking_for_a_name_twice_returns_the_same_state) {
  keyed_store<std::string> store;
  const std::string a = "a";
  store.set_current_key(a);
  auto& first = store.value<int>("n");
  first.update(3);
  auto& second = store.value<int>("n");
  BOOST_TEST(&first == &second);
  BOOST_TEST(second.value().value() == 3);
}

BOOST_AUTO_TEST_CASE(pair_keys_are_told_apart_by_both_members) {
  using key = std::pair<std::string, int>;
  keyed_store<key> store;
  const key k1{"a", 1}, k2{"a", 2};
  auto& v = store.value<int>("v");
  store.set_current_key(k1);
  v.update(10);
  store.set_current_key(k2);
  BOOST_TEST(!v.value().has_value());
  v.update(20);
  store.set_current_key(k1);
  BOOST_TEST(v.value().value() == 10);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(list_state)

BOOST_AUTO_TEST_CASE(a_list_holds_the_current_keys_items_in_insertion_order) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& seen = store.list<int>("seen");
  store.set_current_key(a);
  seen.add(1);
  seen.add(2);
  store.set_current_key(b);
  BOOST_TEST(seen.get().empty());
  seen.add(9);
  store.set_current_key(a);
  seen.add(3);
  BOOST_TEST(seen.get() == std::vector<int>({1, 2, 3}), boost::test_tools::per_element());
  store.set_current_key(b);
  BOOST_TEST(seen.get() == std::vector<int>({9}), boost::test_tools::per_element());
  BOOST_TEST(seen.size() == 2u);
}

BOOST_AUTO_TEST_CASE(clearing_a_list_leaves_other_keys_lists) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& l = store.list<std::string>("l");
  store.set_current_key(a);
  l.add("x");
  store.set_current_key(b);
  l.add("y");
  l.clear();
  BOOST_TEST(l.get().empty());
  store.set_current_key(a);
  BOOST_TEST(l.get() == std::vector<std::string>({"x"}), boost::test_tools::per_element());
  BOOST_TEST(l.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(map_state)

BOOST_AUTO_TEST_CASE(map_entries_belong_to_the_current_key) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& m = store.map<std::string, int>("m");
  store.set_current_key(a);
  m.put("x", 1);
  m.put("y", 2);
  store.set_current_key(b);
  BOOST_TEST(!m.get("x").has_value());
  m.put("x", 100);
  store.set_current_key(a);
  BOOST_TEST(m.get("x").value() == 1);
  BOOST_TEST(m.get("y").value() == 2);
  BOOST_TEST(!m.get("z").has_value());
  store.set_current_key(b);
  BOOST_TEST(m.get("x").value() == 100);
}

BOOST_AUTO_TEST_CASE(removing_a_keys_last_entry_removes_the_key) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& m = store.map<int, int>("m");
  store.set_current_key(a);
  m.put(1, 10);
  m.put(2, 20);
  store.set_current_key(b);
  m.put(1, 30);
  BOOST_TEST(m.size() == 2u);
  m.remove(1);
  BOOST_TEST(m.size() == 1u);
  m.remove(1);  // removing what is not there is harmless
  store.set_current_key(a);
  m.remove(1);
  BOOST_TEST(!m.get(1).has_value());
  BOOST_TEST(m.get(2).value() == 20);
  BOOST_TEST(m.size() == 1u);
}

BOOST_AUTO_TEST_CASE(clearing_a_map_drops_every_entry_of_the_current_key_only) {
  keyed_store<std::string> store;
  const std::string a = "a", b = "b";
  auto& m = store.map<int, int>("m");
  store.set_current_key(a);
  m.put(1, 1);
  store.set_current_key(b);
  m.put(1, 2);
  m.put(2, 2);
  m.clear();
  BOOST_TEST(!m.get(1).has_value());
  store.set_current_key(a);
  BOOST_TEST(m.get(1).value() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(misuse)

BOOST_AUTO_TEST_CASE(a_name_declared_with_one_value_type_rejects_another) {
  keyed_store<std::string> store;
  store.value<int64_t>("n");
  BOOST_CHECK_THROW(store.value<std::string>("n"), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_name_declared_as_one_kind_of_state_rejects_another_kind) {
  keyed_store<std::string> store;
  store.value<int>("n");
  BOOST_CHECK_THROW(store.list<int>("n"), std::logic_error);
  BOOST_CHECK_THROW((store.map<int, int>("n")), std::logic_error);
  store.list<int>("l");
  BOOST_CHECK_THROW(store.value<int>("l"), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_type_mismatch_names_the_state) {
  keyed_store<std::string> store;
  store.value<int>("visits");
  try {
    store.value<double>("visits");
    BOOST_FAIL("expected std::logic_error");
  } catch (const std::logic_error& e) {
    BOOST_TEST(std::string{e.what()}.find("visits") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(every_handle_throws_when_no_key_was_set) {
  keyed_store<std::string> store;
  auto& v = store.value<int>("v");
  auto& l = store.list<int>("l");
  auto& m = store.map<int, int>("m");
  BOOST_CHECK_THROW(v.value(), std::logic_error);
  BOOST_CHECK_THROW(v.update(1), std::logic_error);
  BOOST_CHECK_THROW(v.clear(), std::logic_error);
  BOOST_CHECK_THROW(l.get(), std::logic_error);
  BOOST_CHECK_THROW(l.add(1), std::logic_error);
  BOOST_CHECK_THROW(m.get(1), std::logic_error);
  BOOST_CHECK_THROW(m.put(1, 1), std::logic_error);
  BOOST_CHECK_THROW(m.remove(1), std::logic_error);
  BOOST_TEST(v.size() == 0u);
  BOOST_TEST(l.size() == 0u);
  BOOST_TEST(m.size() == 0u);
}

BOOST_AUTO_TEST_CASE(handles_throw_again_after_the_key_is_cleared) {
  keyed_store<std::string> store;
  const std::string a = "a";
  auto& v = store.value<int>("v");
  store.set_current_key(a);
  v.update(1);
  store.clear_current_key();
  BOOST_CHECK_THROW(v.value(), std::logic_error);
  BOOST_CHECK_THROW(v.update(2), std::logic_error);
  store.set_current_key(a);
  BOOST_TEST(v.value().value() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
