// A keyed table: one value of type V per key of type K, the storage behind every keyed state
// handle and built-in aggregation. Two backends implement it: memory (a hash map; snapshots
// serialize it per key group) and RocksDB (bytes keyed by key group; snapshots are RocksDB
// checkpoints). One table per (operator subtask, state name); used by one actor, not thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sluice/keys.hpp"
#include "state/serde.hpp"
#include "state/snapshot_format.hpp"

namespace sluice::state {

/// std::hash replacement built on sluice's stable key hash.
template <class K>
struct key_hasher {
  std::size_t operator()(const K& k) const { return static_cast<std::size_t>(key_hash(k)); }
};

/// What every table does for snapshots, whatever its types.
class table_base {
 public:
  virtual ~table_base() = default;
  /// Memory tables write one section per key group into `w`; RocksDB tables write nothing
  /// (the store snapshots the whole database).
  virtual void snapshot(snapshot_writer& w, const std::string& name) = 0;
  /// Adds the entries of one snapshot section (written by snapshot) to the table.
  virtual void load_section(const std::string& bytes) = 0;
  /// Number of keys with a value.
  virtual std::size_t size() = 0;
};

template <class K, class V>
class keyed_table : public table_base {
 public:
  virtual std::optional<V> get(const K& k) = 0;
  virtual void put(const K& k, const V& v) = 0;
  virtual void erase(const K& k) = 0;
  /// f(value) on the value of k, created as `init` when absent; the result is stored.
  virtual void update(const K& k, const V& init, const std::function<void(V&)>& f) = 0;
  /// Visits every entry (order unspecified). f must not modify the table.
  virtual void for_each(const std::function<void(const K&, const V&)>& f) = 0;
};

/// The memory backend: a hash map. Its hot paths are reachable without virtual calls through
/// map() by operators that know they run on it.
template <class K, class V>
class memory_table final : public keyed_table<K, V> {
 public:
  using map_type = std::unordered_map<K, V, key_hasher<K>>;

  explicit memory_table(uint32_t max_parallelism) : max_parallelism_(max_parallelism) {}

  std::optional<V> get(const K& k) override {
    auto i = map_.find(k);
    return i == map_.end() ? std::nullopt : std::optional<V>{i->second};
  }
  void put(const K& k, const V& v) override { map_.insert_or_assign(k, v); }
  void erase(const K& k) override { map_.erase(k); }
  void update(const K& k, const V& init, const std::function<void(V&)>& f) override {
    f(map_.try_emplace(k, init).first->second);
  }
  void for_each(const std::function<void(const K&, const V&)>& f) override {
    for (const auto& [k, v] : map_)
      f(k, v);
  }
  std::size_t size() override { return map_.size(); }

  void snapshot(snapshot_writer& w, const std::string& name) override {
    // Entries by key group, as pointers: the snapshot runs while the task waits (synchronously
    // at the barrier), so it copies each entry once, into its section's bytes.
    std::unordered_map<uint32_t, std::vector<const typename map_type::value_type*>> by_group;
    for (const auto& e : map_)
      by_group[key_group_of(key_hash(e.first), max_parallelism_)].push_back(&e);
    for (auto& [kg, entries] : by_group)
      w.add(section_id{name, kg}, encode_pairs(entries));
  }
  void load_section(const std::string& bytes) override {
    for (auto& [k, v] : decode<std::vector<std::pair<K, V>>>(bytes, "a keyed state section"))
      map_.insert_or_assign(std::move(k), std::move(v));
  }

  map_type& map() { return map_; }

 private:
  uint32_t max_parallelism_;
  map_type map_;
};

}  // namespace sluice::state
