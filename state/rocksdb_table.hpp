// A keyed table stored in an operator subtask's RocksDB database (state/rocksdb_store.hpp):
// keys and values serialized with CAF's inspect, the key group as key prefix. Not thread-safe.
//
// Recently used entries stay (encoded) in a write-back cache in front of RocksDB: reads of a cached
// key and every write touch only the cache, and changed entries go to RocksDB together, in one
// WriteBatch, when the table is scanned, snapshotted (before the RocksDB checkpoint, so the
// checkpoint holds them) or when the cache passes `cache_bytes` (then it is emptied).
// Why: one Get and one Put per record into RocksDB's memtable cost a skip-list search each, with
// a cache miss per level, and a key updated many times between checkpoints left every version in
// the memtable; that made RocksDB state 20-50x slower per record than the memory backend. The
// working database is not durable anyway (its WAL is off): checkpoints are.
#pragma once

#include <unordered_map>

#include "state/keyed_table.hpp"
#include "state/rocksdb_store.hpp"

namespace sluice::state {

template <class K, class V>
class rocksdb_table final : public keyed_table<K, V> {
 public:
  /// Bytes of values (plus a per-entry overhead) the cache holds before it is written back and
  /// emptied: as much as one RocksDB write buffer, whose work it takes over.
  static constexpr std::size_t cache_bytes = 64u << 20;

  rocksdb_table(rocksdb_store& db, const std::string& name, uint32_t max_parallelism)
      : db_(db), family_(db.family(name)), max_parallelism_(max_parallelism) {}

  std::optional<V> get(const K& k) override {
    auto& e = lookup(k);
    return e.present ? std::optional<V>{decode<V>(e.bytes)} : std::nullopt;
  }
  void put(const K& k, const V& v) override { set(k, encode(v), true); }
  void erase(const K& k) override { set(k, {}, false); }
  void update(const K& k, const V& init, const std::function<void(V&)>& f) override {
    auto& e = lookup(k);
    V v = e.present ? decode<V>(e.bytes) : init;
    f(v);
    set(k, encode(v), true);
  }
  void for_each(const std::function<void(const K&, const V&)>& f) override {
    write_back();
    db_.scan(family_, [&](uint32_t, std::string_view k, std::string_view v) {
      f(decode<K>(k, "a state key"), decode<V>(v));
    });
  }
  std::size_t size() override {
    write_back();
    std::size_t n = 0;
    db_.scan(family_, [&](uint32_t, std::string_view, std::string_view) { ++n; });
    return n;
  }
  /// The store's RocksDB checkpoint follows: it must hold what only the cache has.
  void snapshot(snapshot_writer&, const std::string&) override { write_back(); }
  /// A section written by a memory table (the job switched from the memory backend).
  void load_section(const std::string& bytes) override {
    for (const auto& [k, v] : decode<std::vector<std::pair<K, V>>>(bytes, "a keyed state section"))
      put(k, v);
  }

 private:
  /// Encoded, so that the cache's size is known exactly.
  struct entry {
    std::string bytes;     ///< the encoded value when present
    bool present = false;  ///< false: absent (erased, or not in RocksDB)
    bool dirty = false;    ///< differs from RocksDB
  };
  static constexpr std::size_t entry_overhead = 64;  // hash node, key, flags

  uint32_t group(const K& k) const { return key_group_of(key_hash(k), max_parallelism_); }

  /// The cached entry of k, read from RocksDB on a miss.
  entry& lookup(const K& k) {
    auto it = cache_.find(k);
    if (it != cache_.end())
      return it->second;
    trim();
    entry e;
    if (auto bytes = db_.get(family_, group(k), encode(k))) {
      e.bytes = std::move(*bytes);
      e.present = true;
    }
    bytes_ += e.bytes.size() + entry_overhead;
    return cache_.emplace(k, std::move(e)).first->second;
  }

  void set(const K& k, std::string bytes, bool present) {
    auto [it, fresh] = cache_.try_emplace(k);
    auto& e = it->second;
    bytes_ += bytes.size() + (fresh ? entry_overhead : 0);
    bytes_ -= e.bytes.size();
    e.bytes = std::move(bytes);
    e.present = present;
    e.dirty = true;
    if (fresh)
      trim();
  }

  /// Empties a full cache (after writing back what changed).
  void trim() {
    if (bytes_ <= cache_bytes)
      return;
    write_back();
    cache_.clear();
    bytes_ = 0;
  }

  /// Writes every changed entry to RocksDB in one batch; they stay cached, clean once written
  /// (a failed write throws with them still dirty).
  void write_back() {
    bool any = false;
    for (auto& [k, e] : cache_) {
      if (!e.dirty)
        continue;
      if (e.present)
        db_.batch_put(family_, group(k), encode(k), e.bytes);
      else
        db_.batch_erase(family_, group(k), encode(k));
      any = true;
    }
    if (!any)
      return;
    db_.commit_batch();
    for (auto& [k, e] : cache_)
      e.dirty = false;
  }

  rocksdb_store& db_;
  uint32_t family_;
  uint32_t max_parallelism_;
  std::unordered_map<K, entry, key_hasher<K>> cache_;
  std::size_t bytes_ = 0;
};

}  // namespace sluice::state
