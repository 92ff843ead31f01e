// The keyed state of one operator subtask: its named tables on the chosen backend, snapshots of
// them, and restore of the key groups it owns from the snapshots of any earlier parallelism.
// Created by an operator in open(); used by its actor only (not thread-safe).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/operator.hpp"
#include "state/keyed_table.hpp"
#include "state/rocksdb_table.hpp"

namespace sluice::state {

/// Parses "memory" / "rocksdb".
std::optional<backend_kind> parse_backend(const std::string& s);
const char* to_string(backend_kind k);

class keyed_state_store {
 public:
  /// Takes backend, key-group range and working directory from the operator's context.
  explicit keyed_state_store(const task_context& ctx);
  ~keyed_state_store();

  template <class K, class V>
  keyed_table<K, V>& table(const std::string& name) {
    auto& slot = tables_[name];
    if (!slot) {
      if (ctx_.state_backend == backend_kind::rocksdb)
        slot = std::make_unique<rocksdb_table<K, V>>(db(), name, ctx_.max_parallelism);
      else
        slot = std::make_unique<memory_table<K, V>>(ctx_.max_parallelism);
      for (const auto& section : pending_[name])
        slot->load_section(section.second);
      pending_.erase(name);
    }
    auto* t = dynamic_cast<keyed_table<K, V>*>(slot.get());
    if (!t)
      throw std::logic_error("state '" + name + "' was declared with another type");
    return *t;
  }

  /// Adds the memory tables to `snap` and, on RocksDB, writes a RocksDB checkpoint.
  void snapshot(operator_snapshot& snap);
  /// Loads the key groups this subtask owns from earlier snapshots of the same operator.
  void restore(const operator_restore& r);

 private:
  rocksdb_store& db();

  task_context ctx_;
  std::map<std::string, std::unique_ptr<table_base>> tables_;
  // Restored sections (key group, bytes) of tables the operator has not declared yet.
  std::map<std::string, std::vector<std::pair<uint32_t, std::string>>> pending_;
  std::unique_ptr<rocksdb_store> db_;
};

}  // namespace sluice::state
