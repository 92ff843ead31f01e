#include "connectors/kafka_sink_log.hpp"

#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sluice::kafka_sink_log {

namespace {

template <class U>
void put(std::string& out, U x) {
  char buf[sizeof(U)];
  for (std::size_t i = 0; i < sizeof(U); ++i)
    buf[i] = static_cast<char>((static_cast<uint64_t>(x) >> (8 * i)) & 0xff);
  out.append(buf, sizeof(U));
}

template <class U>
U get(const char* p) {
  uint64_t x = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i)
    x |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return static_cast<U>(x);
}

constexpr std::size_t header_bytes = 4 + 1 + 4;

}  // namespace

std::string encode(int32_t partition, bool has_key, std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(header_bytes + key.size() + value.size());
  put(out, static_cast<uint32_t>(partition));
  put(out, static_cast<uint8_t>(has_key ? 1 : 0));
  put(out, static_cast<uint32_t>(key.size()));
  out.append(key);
  out.append(value);
  return out;
}

bool decode(const std::string& bytes, record_view& out) {
  if (bytes.size() < header_bytes)
    return false;
  const char* p = bytes.data();
  out.partition = static_cast<int32_t>(get<uint32_t>(p));
  out.has_key = get<uint8_t>(p + 4) != 0;
  auto key_len = get<uint32_t>(p + 5);
  if (key_len > bytes.size() - header_bytes)
    return false;
  out.key = std::string_view(p + header_bytes, key_len);
  out.value = std::string_view(p + header_bytes + key_len, bytes.size() - header_bytes - key_len);
  return true;
}

std::string writer_state::to_json() const {
  nlohmann::json j;
  j["writer"] = writer;
  j["wal"] = wal_dir;
  j["partitions"] = partitions;
  auto& p = j["pending"] = nlohmann::json::array();
  for (const auto& e : pending)
    p.push_back({e.id, e.lo, e.hi});
  j["scan_from"] = scan_from;
  j["next_seq"] = next_seq;
  return j.dump();
}

writer_state writer_state::parse(const std::string& json) {
  try {
    auto j = nlohmann::json::parse(json);
    writer_state s;
    s.writer = j.at("writer").get<std::string>();
    s.wal_dir = j.value("wal", std::string{});
    s.partitions = j.at("partitions").get<int32_t>();
    for (const auto& e : j.at("pending"))
      s.pending.push_back({e.at(0).get<uint64_t>(), e.at(1).get<uint64_t>(), e.at(2).get<uint64_t>()});
    s.scan_from = j.at("scan_from").get<std::vector<int64_t>>();
    s.next_seq = j.value("next_seq", uint64_t{0});
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string{"malformed Kafka sink state: "} + e.what());
  }
}

}  // namespace sluice::kafka_sink_log
