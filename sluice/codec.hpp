// Serialization of batches for the wire: every record type that crosses actors is serialized with
// CAF's inspect (built-in for arithmetic types, strings, pairs, tuples, vectors and maps; a user
// type provides `inspect`). A registry maps each type's stable tag to its codec, so a receiver can
// rebuild a batch<T> from bytes. Registration happens while the job graph is built, before any
// actor runs; afterwards the registry is only read (thread-safe for reading).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "sluice/batch.hpp"

namespace sluice {

struct batch_codec {
  std::function<bool(const batch_base&, std::vector<char>&)> encode;
  std::function<batch_ptr(const char*, std::size_t, std::string& error)> decode;
};

/// Registers `codec` under `tag` (idempotent).
void register_batch_codec(const std::string& tag, batch_codec codec);
/// The codec for `tag`, or nullptr if no type with that tag was registered.
const batch_codec* find_batch_codec(const std::string& tag);

/// Serializes a batch (its tag first) into `out`; false if its type has no codec.
bool encode_batch(const batch_base& b, std::vector<char>& out);
/// Rebuilds a batch written by encode_batch; nullptr and `error` set on failure.
batch_ptr decode_batch(const std::vector<char>& in, std::string& error);

/// Registers the codec of record type T.
template <class T>
void register_record_type() {
  static const bool once = [] {
    batch_codec c;
    c.encode = [](const batch_base& b, std::vector<char>& out) {
      caf::binary_serializer sink{nullptr, out};
      auto& items = const_cast<std::vector<T>&>(static_cast<const batch<T>&>(b).items);
      return !sink(items);
    };
    c.decode = [](const char* data, std::size_t len, std::string& error) -> batch_ptr {
      auto b = std::make_shared<batch<T>>();
      caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr), data, len};
      if (auto err = source(b->items)) {
        error = "cannot decode a batch of " + type_tag_of<T>();
        return nullptr;
      }
      return b;
    };
    register_batch_codec(type_tag_of<T>(), std::move(c));
    return true;
  }();
  (void)once;
}

}  // namespace sluice
