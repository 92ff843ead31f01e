#include "state/rocksdb_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <map>
#include <stdexcept>

namespace fs = std::filesystem;

namespace sluice::state {

namespace {

void check(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok())
    throw std::runtime_error("RocksDB: " + what + ": " + s.ToString());
}

std::string prefixed(uint32_t key_group, std::string_view key) {
  std::string k;
  k.reserve(2 + key.size());
  k.push_back(static_cast<char>((key_group >> 8) & 0xFF));
  k.push_back(static_cast<char>(key_group & 0xFF));
  k.append(key);
  return k;
}

uint32_t group_of(const rocksdb::Slice& k) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(k[0])) << 8) |
         static_cast<unsigned char>(k[1]);
}

}  // namespace

struct rocksdb_store::impl {
  std::string dir;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // 0: default, unused
  std::map<std::string, uint32_t> by_name;
  rocksdb::WriteOptions write_opts;
  rocksdb::ReadOptions read_opts;
  rocksdb::WriteBatch pending;  // batch_put / batch_erase until commit_batch
  bool written = false;         // anything was written since the database was created

  void close() {
    if (!db)
      return;
    for (auto* h : handles)
      db->DestroyColumnFamilyHandle(h);
    handles.clear();
    delete db;
    db = nullptr;
  }
  ~impl() { close(); }
};

rocksdb_store::rocksdb_store(const std::string& dir) : impl_(std::make_unique<impl>()) {
  impl_->dir = dir;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(fs::path(dir).parent_path(), ec);
  open({rocksdb::kDefaultColumnFamilyName});
  impl_->write_opts.disableWAL = true;  // durability comes from checkpoints
}

void rocksdb_store::open(const std::vector<std::string>& families) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.IncreaseParallelism(2);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : families)
    cfs.push_back({name, rocksdb::ColumnFamilyOptions{}});
  check(rocksdb::DB::Open(rocksdb::DBOptions{o}, impl_->dir, cfs, &impl_->handles, &impl_->db),
        "cannot open '" + impl_->dir + "'");
}

rocksdb_store::~rocksdb_store() = default;

uint32_t rocksdb_store::family(const std::string& name) {
  auto i = impl_->by_name.find(name);
  if (i != impl_->by_name.end())
    return i->second;
  rocksdb::ColumnFamilyHandle* h = nullptr;
  check(impl_->db->CreateColumnFamily(rocksdb::ColumnFamilyOptions{}, name, &h),
        "cannot create column family '" + name + "'");
  auto idx = static_cast<uint32_t>(impl_->handles.size());
  impl_->handles.push_back(h);
  impl_->by_name.emplace(name, idx);
  return idx;
}

std::optional<std::string> rocksdb_store::get(uint32_t family, uint32_t key_group,
                                              std::string_view key) {
  std::string v;
  auto s = impl_->db->Get(impl_->read_opts, impl_->handles.at(family), prefixed(key_group, key), &v);
  if (s.IsNotFound())
    return std::nullopt;
  check(s, "get");
  return v;
}

void rocksdb_store::put(uint32_t family, uint32_t key_group, std::string_view key,
                        std::string_view value) {
  impl_->written = true;
  check(impl_->db->Put(impl_->write_opts, impl_->handles.at(family), prefixed(key_group, key),
                       rocksdb::Slice(value.data(), value.size())),
        "put");
}

void rocksdb_store::erase(uint32_t family, uint32_t key_group, std::string_view key) {
  impl_->written = true;
  check(impl_->db->Delete(impl_->write_opts, impl_->handles.at(family), prefixed(key_group, key)),
        "delete");
}

void rocksdb_store::batch_put(uint32_t family, uint32_t key_group, std::string_view key,
                              std::string_view value) {
  check(impl_->pending.Put(impl_->handles.at(family), prefixed(key_group, key),
                           rocksdb::Slice(value.data(), value.size())),
        "batch put");
}

void rocksdb_store::batch_erase(uint32_t family, uint32_t key_group, std::string_view key) {
  check(impl_->pending.Delete(impl_->handles.at(family), prefixed(key_group, key)), "batch delete");
}

void rocksdb_store::commit_batch() {
  if (impl_->pending.Count() == 0)
    return;
  impl_->written = true;
  auto s = impl_->db->Write(impl_->write_opts, &impl_->pending);
  impl_->pending.Clear();
  check(s, "write batch");
}

void rocksdb_store::scan(uint32_t family,
                         const std::function<void(uint32_t, std::string_view, std::string_view)>& f) {
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(impl_->read_opts, impl_->handles.at(family)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto k = it->key();
    if (k.size() < 2)
      continue;
    f(group_of(k), std::string_view(k.data() + 2, k.size() - 2),
      std::string_view(it->value().data(), it->value().size()));
  }
  check(it->status(), "scan");
}

uint64_t rocksdb_store::approximate_keys(uint32_t family) {
  uint64_t n = 0;
  impl_->db->GetIntProperty(impl_->handles.at(family), "rocksdb.estimate-num-keys", &n);
  return n;
}

std::vector<std::string> rocksdb_store::checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* cp = nullptr;
  check(rocksdb::Checkpoint::Create(impl_->db, &cp), "cannot create a checkpoint object");
  std::unique_ptr<rocksdb::Checkpoint> guard(cp);
  check(cp->CreateCheckpoint(dir), "cannot write checkpoint '" + dir + "'");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

void rocksdb_store::adopt(const std::string& dir, uint32_t first, uint32_t last) {
  std::vector<std::string> names;
  if (impl_->written || impl_->pending.Count() != 0 ||
      !rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir, &names).ok())
    return restore_from(dir, first, last);
  // The working directory becomes a copy of the checkpoint; a staging directory first, so that a
  // failed link leaves the (empty) store as it was and the copy below can run.
  auto staging = impl_->dir + ".adopt";
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging);
  for (const auto& e : fs::directory_iterator(dir)) {
    auto to = fs::path(staging) / e.path().filename();
    if (e.path().extension() == ".sst")
      fs::create_hard_link(e.path(), to, ec);
    else
      fs::copy_file(e.path(), to, ec);
    if (ec) {
      fs::remove_all(staging, ec);
      return restore_from(dir, first, last);
    }
  }
  // Families keep their indices (tables hold them); the checkpoint's others come after.
  std::vector<std::string> order(impl_->handles.size());
  order[0] = rocksdb::kDefaultColumnFamilyName;
  for (const auto& [name, idx] : impl_->by_name)
    order[idx] = name;
  for (const auto& n : names)
    if (n != rocksdb::kDefaultColumnFamilyName && !impl_->by_name.count(n)) {
      impl_->by_name.emplace(n, static_cast<uint32_t>(order.size()));
      order.push_back(n);
    }
  impl_->close();
  fs::remove_all(impl_->dir);
  fs::rename(staging, impl_->dir);
  open(order);
  impl_->written = true;
}

void rocksdb_store::restore_from(const std::string& dir, uint32_t first, uint32_t last) {
  impl_->written = true;
  std::vector<std::string> names;
  check(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir, &names),
        "cannot list column families of '" + dir + "'");
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names)
    cfs.push_back({n, rocksdb::ColumnFamilyOptions{}});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* src = nullptr;
  check(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions{}, dir, cfs, &handles, &src),
        "cannot open checkpoint '" + dir + "'");
  auto close = [&] {
    for (auto* h : handles)
      src->DestroyColumnFamilyHandle(h);
    delete src;
  };
  try {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == rocksdb::kDefaultColumnFamilyName)
        continue;
      auto fam = family(names[i]);
      rocksdb::WriteBatch batch;
      std::unique_ptr<rocksdb::Iterator> it(src->NewIterator(rocksdb::ReadOptions{}, handles[i]));
      for (it->Seek(prefixed(first, {})); it->Valid(); it->Next()) {
        if (it->key().size() < 2 || group_of(it->key()) > last)
          break;
        batch.Put(impl_->handles[fam], it->key(), it->value());
        if (batch.Count() >= 1000) {
          check(impl_->db->Write(impl_->write_opts, &batch), "restore write");
          batch.Clear();
        }
      }
      check(it->status(), "restore scan");
      check(impl_->db->Write(impl_->write_opts, &batch), "restore write");
    }
  } catch (...) {
    close();
    throw;
  }
  close();
}

}  // namespace sluice::state
