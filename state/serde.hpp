// Values to bytes and back with CAF's inspect, for state that leaves memory (snapshots, RocksDB).
// Pure functions; thread-safe.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

namespace sluice::state {

/// Appends the serialized form of x to `out`.
template <class T>
void encode_into(std::vector<char>& out, const T& x) {
  caf::binary_serializer sink{nullptr, out};
  if (auto err = sink(const_cast<T&>(x)))
    throw std::runtime_error("cannot serialize state value");
}

template <class T>
std::string encode(const T& x) {
  std::vector<char> buf;
  encode_into(buf, x);
  return std::string(buf.begin(), buf.end());
}

/// The bytes encode(std::vector<std::pair<K, V>>) would give for the pairs `entries` point to,
/// without copying them into such a vector first (memory-table snapshots: one pass, no copy of
/// every key and value).
template <class Pointers>
std::string encode_pairs(const Pointers& entries) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  auto n = entries.size();
  if (auto err = sink.begin_sequence(n))
    throw std::runtime_error("cannot serialize state entries");
  for (const auto* e : entries)
    if (auto err = sink(const_cast<std::remove_const_t<decltype(e->first)>&>(e->first),
                        const_cast<std::remove_const_t<decltype(e->second)>&>(e->second)))
      throw std::runtime_error("cannot serialize a state entry");
  if (auto err = sink.end_sequence())
    throw std::runtime_error("cannot serialize state entries");
  return std::string(buf.begin(), buf.end());
}

/// Reads a T from bytes; throws std::runtime_error naming `what` when they do not hold one.
template <class T>
T decode(std::string_view bytes, const char* what = "state value") {
  T x{};
  caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr), bytes.data(),
                                  bytes.size()};
  if (auto err = source(x))
    throw std::runtime_error(std::string{"cannot decode "} + what);
  return x;
}

}  // namespace sluice::state
