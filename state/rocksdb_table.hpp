// A keyed table stored in an operator subtask's RocksDB database (state/rocksdb_store.hpp):
// keys and values serialized with CAF's inspect, the key group as key prefix. Not thread-safe.
#pragma once

#include "state/keyed_table.hpp"
#include "state/rocksdb_store.hpp"

namespace sluice::state {

template <class K, class V>
class rocksdb_table final : public keyed_table<K, V> {
 public:
  rocksdb_table(rocksdb_store& db, const std::string& name, uint32_t max_parallelism)
      : db_(db), family_(db.family(name)), max_parallelism_(max_parallelism) {}

  std::optional<V> get(const K& k) override {
    auto v = db_.get(family_, group(k), encode(k));
    return v ? std::optional<V>{decode<V>(*v)} : std::nullopt;
  }
  void put(const K& k, const V& v) override { db_.put(family_, group(k), encode(k), encode(v)); }
  void erase(const K& k) override { db_.erase(family_, group(k), encode(k)); }
  void update(const K& k, const V& init, const std::function<void(V&)>& f) override {
    auto key = encode(k);
    auto kg = group(k);
    auto cur = db_.get(family_, kg, key);
    V v = cur ? decode<V>(*cur) : init;
    f(v);
    db_.put(family_, kg, key, encode(v));
  }
  void for_each(const std::function<void(const K&, const V&)>& f) override {
    db_.scan(family_, [&](uint32_t, std::string_view k, std::string_view v) {
      f(decode<K>(k, "a state key"), decode<V>(v));
    });
  }
  std::size_t size() override {
    std::size_t n = 0;
    db_.scan(family_, [&](uint32_t, std::string_view, std::string_view) { ++n; });
    return n;
  }
  void snapshot(snapshot_writer&, const std::string&) override {}
  /// A section written by a memory table (the job switched from the memory backend).
  void load_section(const std::string& bytes) override {
    for (const auto& [k, v] : decode<std::vector<std::pair<K, V>>>(bytes, "a keyed state section"))
      put(k, v);
  }

 private:
  uint32_t group(const K& k) const { return key_group_of(key_hash(k), max_parallelism_); }

  rocksdb_store& db_;
  uint32_t family_;
  uint32_t max_parallelism_;
};

}  // namespace sluice::state
