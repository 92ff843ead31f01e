// Exact encodings of the state of the ml models: doubles in JSON as hexadecimal floating-point
// strings (a bit-exact round trip), the binary checkpoint byte format (little-endian, with a
// checksum), and the status value a model returns when a saved state cannot be loaded.
// Free functions and small value types without shared state: safe to use from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>

namespace sluice::ml {

/// Which model a saved state belongs to; its value is the kind byte of the binary format.
enum class model_kind : std::uint8_t {
  streaming_kmeans = 1,
  streaming_linear_regression = 2,
  streaming_logistic_regression = 3,
};

/// The name used as the "model" field of the JSON state.
std::string_view to_string(model_kind kind);

/// Why a saved state was rejected.
enum class state_errc {
  ok,
  truncated,           // fewer bytes than the format needs
  bad_magic,           // not a sluice model state
  unsupported_format,  // a format version this build does not read
  wrong_model,         // the state of another model kind
  shape_mismatch,      // k, dimension or intercept differ from the model's options
  bad_value,           // a weight, centre or version outside its domain (negative, not finite)
  checksum_mismatch,   // the bytes were altered
  trailing_bytes,      // more bytes than the state holds
  malformed,           // JSON of the wrong shape or type
};

/// Outcome of from_json / load_state. On failure the model is left unchanged.
struct state_status {
  state_errc code = state_errc::ok;
  std::string message;  // one line naming what failed; empty when ok

  bool ok() const { return code == state_errc::ok; }
};

/// Thrown by the decoding helpers below; capture_state_errors turns it into a state_status.
class state_format_error : public std::runtime_error {
 public:
  state_format_error(state_errc code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  state_errc code() const { return code_; }

 private:
  state_errc code_;
};

/// Runs `decode`, returning ok, or the state_format_error / nlohmann::json error it threw as a
/// status prefixed with `context` (e.g. "streaming_kmeans::load_state").
state_status capture_state_errors(std::string_view context, const std::function<void()>& decode);

// -- JSON ----------------------------------------------------------------------------------------

/// "0x1.8p+1", "-0x0p+0", "inf", "nan": the shortest hexadecimal form, exact for every double.
std::string hex_double(double value);

/// Parses what hex_double writes (the "0x" prefix is optional); nullopt if it is not that.
std::optional<double> parse_hex_double(std::string_view text);

/// A JSON array of hex_double strings.
nlohmann::json doubles_to_json(const Eigen::Ref<const Eigen::VectorXd>& values);

/// One double from a hex_double string or a JSON number; throws state_format_error otherwise.
double double_from_json(const nlohmann::json& value, std::string_view field);

/// An array of exactly `size` doubles (hex strings or numbers); throws state_format_error.
Eigen::VectorXd doubles_from_json(const nlohmann::json& value, Eigen::Index size,
                                  std::string_view field);

/// Checks the "model" and "format" fields; throws state_format_error.
void check_json_header(const nlohmann::json& state, model_kind expected);

/// The "model" and "format" fields every JSON state starts with.
nlohmann::json json_header(model_kind kind);

// -- binary --------------------------------------------------------------------------------------
//
// Layout: "SLML", u16 format (1), u8 model kind, the model's fields, u64 FNV-1a of everything
// before it. Integers little-endian; doubles as their IEEE-754 bits in a little-endian u64.

/// Appends the header and fields of one state to a string; finish() adds the checksum.
class state_writer {
 public:
  /// Clears `out` and writes the header.
  state_writer(std::string& out, model_kind kind);
  void u8(std::uint8_t value);
  void u64(std::uint64_t value);
  void f64(double value);
  void f64s(const Eigen::Ref<const Eigen::VectorXd>& values);
  void finish();

 private:
  std::string& out_;
};

/// Reads what a state_writer wrote; every method throws state_format_error on a problem.
class state_reader {
 public:
  /// Checks the size, magic, format, kind and checksum.
  state_reader(std::string_view bytes, model_kind expected);
  std::uint8_t u8();
  std::uint64_t u64();
  double f64();
  Eigen::VectorXd f64s(Eigen::Index count);
  /// Throws unless every field byte was read.
  void finish() const;

 private:
  void need(std::size_t count) const;
  std::string_view fields_;  // between header and checksum
  std::size_t pos_ = 0;
};

}  // namespace sluice::ml
