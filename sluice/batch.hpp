// A batch is the unit that moves between actors: many records of one type, type-erased so the
// runtime stays non-templated. Thread-safety: a batch is owned by one actor at a time; it is
// handed over (never shared for writing) when sent.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

namespace sluice {

/// Type-erased base of batch<T>. Serialization to bytes is provided per record type by the
/// codec registry (actors/wire.hpp), so that a batch can cross nodes unchanged.
class batch_base {
 public:
  virtual ~batch_base() = default;
  /// Number of records in the batch.
  virtual std::size_t size() const = 0;
  /// Stable name of the record type, the key of the codec registry.
  virtual const std::string& type_tag() const = 0;
};

using batch_ptr = std::shared_ptr<batch_base>;

/// Returns the stable tag of record type T (identical in every process running the same binary).
template <class T>
const std::string& type_tag_of() {
  static const std::string tag = typeid(T).name();
  return tag;
}

/// Records of one type, in order.
template <class T>
class batch final : public batch_base {
 public:
  std::vector<T> items;

  batch() = default;
  explicit batch(std::vector<T> xs) : items(std::move(xs)) {}

  std::size_t size() const override { return items.size(); }
  const std::string& type_tag() const override { return type_tag_of<T>(); }
};

/// Downcasts a batch to its record type; the plan guarantees the type, so a mismatch is a
/// programmer error inside the runtime.
template <class T>
batch<T>& as_batch(batch_base& b) {
  return static_cast<batch<T>&>(b);
}

}  // namespace sluice
