#include "sluice/codec.hpp"

#include <cstring>
#include <map>
#include <mutex>

namespace sluice {

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, batch_codec>& registry() {
  static std::map<std::string, batch_codec> r;
  return r;
}

}  // namespace

void register_batch_codec(const std::string& tag, batch_codec codec) {
  std::lock_guard<std::mutex> guard{registry_mutex()};
  registry().try_emplace(tag, std::move(codec));
}

const batch_codec* find_batch_codec(const std::string& tag) {
  std::lock_guard<std::mutex> guard{registry_mutex()};
  auto i = registry().find(tag);
  return i == registry().end() ? nullptr : &i->second;
}

bool encode_batch(const batch_base& b, std::vector<char>& out) {
  const auto* codec = find_batch_codec(b.type_tag());
  if (!codec)
    return false;
  const auto& tag = b.type_tag();
  uint32_t n = static_cast<uint32_t>(tag.size());
  out.resize(sizeof(n));
  std::memcpy(out.data(), &n, sizeof(n));
  out.insert(out.end(), tag.begin(), tag.end());
  return codec->encode(b, out);
}

batch_ptr decode_batch(const std::vector<char>& in, std::string& error) {
  uint32_t n = 0;
  if (in.size() < sizeof(n)) {
    error = "truncated batch header";
    return nullptr;
  }
  std::memcpy(&n, in.data(), sizeof(n));
  if (in.size() < sizeof(n) + n) {
    error = "truncated batch type tag";
    return nullptr;
  }
  std::string tag(in.data() + sizeof(n), n);
  const auto* codec = find_batch_codec(tag);
  if (!codec) {
    error = "no codec registered for record type '" + tag + "'";
    return nullptr;
  }
  auto off = sizeof(n) + n;
  return codec->decode(in.data() + off, in.size() - off, error);
}

}  // namespace sluice
