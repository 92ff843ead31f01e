// Output partitioning of the Kafka sink: the Java client's default partitioner for keyed records,
// murmur2(key) & 0x7fffffff mod partitions, so a Sluice job and a Java/Kafka Streams producer
// put the same key into the same partition (librdkafka's own default, consistent_random, uses
// CRC32 and would not). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

/// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as an unsigned 32-bit value.
inline uint32_t kafka_murmur2(std::string_view data) {
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const auto len = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28c ^ len;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  for (uint32_t i = 0; i + 4 <= len; i += 4) {
    uint32_t k = uint32_t{p[i]} | uint32_t{p[i + 1]} << 8 | uint32_t{p[i + 2]} << 16 |
                 uint32_t{p[i + 3]} << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const auto tail = len & ~3u;
  switch (len % 4) {
    case 3: h ^= uint32_t{p[tail + 2]} << 16; [[fallthrough]];
    case 2: h ^= uint32_t{p[tail + 1]} << 8; [[fallthrough]];
    case 1: h ^= uint32_t{p[tail]}; h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

/// The partition of a keyed record among `partitions` (> 0), as the Java client computes it.
inline int32_t kafka_partition_for_key(std::string_view key, int32_t partitions) {
  return static_cast<int32_t>((kafka_murmur2(key) & 0x7fffffffu) % static_cast<uint32_t>(partitions));
}

}  // namespace sluice
