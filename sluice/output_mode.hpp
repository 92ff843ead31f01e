// Structured-Streaming output modes of an aggregation (Spark's writeStream.outputMode).
#pragma once

#include <optional>
#include <string>

namespace sluice {

enum class output_mode {
  complete,  ///< every trigger emits the whole result table
  update,    ///< every trigger emits the rows that changed since the previous trigger
  append,    ///< every row is emitted once, when final (without event-time windows: at end of input)
};

const char* to_string(output_mode m);
/// Parses "complete" / "update" / "append"; nullopt for anything else.
std::optional<output_mode> parse_output_mode(const std::string& s);

}  // namespace sluice
