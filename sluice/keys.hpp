// Key hashing and key groups. A key hashes (xxHash3, stable across processes and builds) into one
// of max_parallelism key groups; a key group belongs to exactly one subtask. State is kept per key
// group so a job can later be restored with another parallelism. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace sluice {

uint64_t hash_bytes(const void* data, std::size_t len, uint64_t seed = 0);

/// Hash of a key. Overload `sluice_hash(const YourKey&)` in your key's namespace to add a type.
template <class K>
uint64_t key_hash(const K& k);

inline uint64_t sluice_hash(std::string_view s) { return hash_bytes(s.data(), s.size()); }
inline uint64_t sluice_hash(const std::string& s) { return hash_bytes(s.data(), s.size()); }
template <class T, std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>, int> = 0>
uint64_t sluice_hash(T x) {
  return hash_bytes(&x, sizeof(x));
}
template <class A, class B>
uint64_t sluice_hash(const std::pair<A, B>& p) {
  return key_hash(p.first) * 0x9E3779B97F4A7C15ull ^ key_hash(p.second);
}
template <class... Ts>
uint64_t sluice_hash(const std::tuple<Ts...>& t) {
  uint64_t h = 0;
  std::apply([&](const auto&... xs) { ((h = h * 0x9E3779B97F4A7C15ull ^ key_hash(xs)), ...); }, t);
  return h;
}

template <class K>
uint64_t key_hash(const K& k) {
  return sluice_hash(k);
}

/// Key group of a hash: which of `max_parallelism` groups the key belongs to.
inline uint32_t key_group_of(uint64_t hash, uint32_t max_parallelism) {
  return static_cast<uint32_t>(hash % max_parallelism);
}

/// Subtask owning a key group (contiguous ranges, as Flink assigns them).
inline uint32_t subtask_of_key_group(uint32_t key_group, uint32_t max_parallelism,
                                     uint32_t parallelism) {
  return static_cast<uint32_t>(uint64_t{key_group} * parallelism / max_parallelism);
}

/// Subtask owning a key.
template <class K>
uint32_t subtask_of_key(const K& k, uint32_t max_parallelism, uint32_t parallelism) {
  return subtask_of_key_group(key_group_of(key_hash(k), max_parallelism), max_parallelism,
                              parallelism);
}

}  // namespace sluice
