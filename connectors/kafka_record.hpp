// One record read from Kafka, as the Kafka source emits it: the message's key and value bytes and
// where it came from. Plain data; crosses actors (CAF inspect). Keys and values are bytes held in
// std::string (not necessarily text); an absent key reads as empty.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "connectors/format.hpp"

namespace sluice {

struct kafka_record {
  std::string key;
  std::string value;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;  ///< ms since the epoch (create or log-append time); -1 when absent
  std::vector<std::pair<std::string, std::string>> headers;  ///< in message order

  /// The value of the last header named `name`, or nullptr.
  const std::string* header(const std::string& name) const {
    for (auto i = headers.rbegin(); i != headers.rend(); ++i)
      if (i->first == name)
        return &i->second;
    return nullptr;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kafka_record& x) {
  return f(caf::meta::type_name("sluice.kafka_record"), x.key, x.value, x.topic, x.partition,
           x.offset, x.timestamp, x.headers);
}

/// Text form (dead letters, console): "topic/partition@offset<TAB>key<TAB>value".
inline void format_field(std::string& out, const kafka_record& r) {
  out += r.topic;
  out += '/';
  format_field(out, r.partition);
  out += '@';
  format_field(out, r.offset);
  out += '\t';
  out += r.key;
  out += '\t';
  out += r.value;
}

}  // namespace sluice
