#include "state/store.hpp"

#include <algorithm>

namespace sluice::state {

std::optional<backend_kind> parse_backend(const std::string& s) {
  if (s == "memory") return backend_kind::memory;
  if (s == "rocksdb") return backend_kind::rocksdb;
  return std::nullopt;
}

const char* to_string(backend_kind k) {
  return k == backend_kind::rocksdb ? "rocksdb" : "memory";
}

keyed_state_store::keyed_state_store(const task_context& ctx) : ctx_(ctx) {}
keyed_state_store::~keyed_state_store() = default;

rocksdb_store& keyed_state_store::db() {
  if (!db_) {
    if (ctx_.state_dir.empty())
      throw std::logic_error("RocksDB state needs a state directory");
    db_ = std::make_unique<rocksdb_store>(ctx_.state_dir);
  }
  return *db_;
}

void keyed_state_store::snapshot(operator_snapshot& snap) {
  for (auto& [name, t] : tables_)
    t->snapshot(snap.sections, name);
  // Restored sections of tables the operator has not declared yet are state too.
  for (auto& [name, sections] : pending_)
    for (const auto& [kg, bytes] : sections)
      snap.sections.add(section_id{name, kg}, bytes);
  if (ctx_.state_backend == backend_kind::rocksdb && !snap.external_dir.empty()) {
    auto files = db().checkpoint(snap.external_dir);
    snap.external_files.insert(snap.external_files.end(), files.begin(), files.end());
  }
}

void keyed_state_store::restore(const operator_restore& r) {
  auto first = ctx_.key_group_first();
  auto last = ctx_.key_group_last();
  // One earlier RocksDB subtask with exactly this subtask's key groups (the parallelism did not
  // change): take its checkpoint's files instead of copying every key.
  std::size_t external = 0;
  bool same_groups = false;
  for (const auto& part : r.parts)
    if (!part.external_dir.empty() && part.key_group_last >= first && part.key_group_first <= last) {
      ++external;
      same_groups = part.key_group_first == first && part.key_group_last == last;
    }
  bool adopt = external == 1 && same_groups;
  for (const auto& part : r.parts) {
    if (part.key_group_last < first || part.key_group_first > last)
      continue;
    if (part.file) {
      // Memory tables: sections are named by table and key group.
      for (const auto& name : part.file->table_names()) {
        for (auto [kg, bytes] : part.file->table(name)) {
          if (kg < first || kg > last)
            continue;
          auto t = tables_.find(name);
          if (t != tables_.end())
            t->second->load_section(*bytes);
          else
            pending_[name].emplace_back(kg, *bytes);
        }
      }
    }
    if (!part.external_dir.empty() && ctx_.state_backend != backend_kind::rocksdb)
      throw std::runtime_error(
          "the checkpoint holds RocksDB state: restore it with --state-backend rocksdb");
    if (!part.external_dir.empty() && adopt)
      db().adopt(part.external_dir, first, last);
    else if (!part.external_dir.empty())
      db().restore_from(part.external_dir, std::max(first, part.key_group_first),
                        std::min(last, part.key_group_last));
  }
}

}  // namespace sluice::state
