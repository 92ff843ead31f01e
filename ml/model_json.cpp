#include "ml/model_json.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace sluice::ml {

namespace {

constexpr std::string_view magic = "SLML";
constexpr std::uint16_t format_version = 1;
constexpr std::size_t header_size = 4 + 2 + 1;
constexpr std::size_t checksum_size = 8;

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::uint64_t read_le(std::string_view bytes, std::size_t pos, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(bytes[pos + i])} << (8 * i);
  return v;
}

void write_le(std::string& out, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

[[noreturn]] void fail(state_errc code, const std::string& message) {
  throw state_format_error(code, message);
}

}  // namespace

std::string_view to_string(model_kind kind) {
  switch (kind) {
    case model_kind::streaming_kmeans:
      return "streaming_kmeans";
    case model_kind::streaming_linear_regression:
      return "streaming_linear_regression";
    case model_kind::streaming_logistic_regression:
      return "streaming_logistic_regression";
  }
  return "unknown";
}

state_status capture_state_errors(std::string_view context, const std::function<void()>& decode) {
  auto prefixed = [&](state_errc code, const char* what) {
    return state_status{code, std::string(context) + ": " + what};
  };
  try {
    decode();
    return {};
  } catch (const state_format_error& e) {
    return prefixed(e.code(), e.what());
  } catch (const nlohmann::json::exception& e) {
    return prefixed(state_errc::malformed, e.what());
  }
}

// -- JSON ----------------------------------------------------------------------------------------

std::string hex_double(double value) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value,
                                 std::chars_format::hex);
  std::string text(buf.data(), end);  // 64 chars always suffice for a hex double
  if (!std::isfinite(value))
    return text;
  auto digits = text.front() == '-' ? 1u : 0u;
  text.insert(digits, "0x");
  return text;
}

std::optional<double> parse_hex_double(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative)
    text.remove_prefix(1);
  if (text.starts_with("0x") || text.starts_with("0X"))
    text.remove_prefix(2);
  if (text.empty() || text.front() == '-' || text.front() == '+')
    return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value,
                                   std::chars_format::hex);
  if (ec != std::errc{} || ptr != text.data() + text.size())
    return std::nullopt;
  return negative ? -value : value;
}

nlohmann::json doubles_to_json(const Eigen::Ref<const Eigen::VectorXd>& values) {
  auto out = nlohmann::json::array();
  for (Eigen::Index i = 0; i < values.size(); ++i)
    out.push_back(hex_double(values[i]));
  return out;
}

double double_from_json(const nlohmann::json& value, std::string_view field) {
  if (value.is_number())
    return value.get<double>();
  if (value.is_string()) {
    if (auto parsed = parse_hex_double(value.get_ref<const std::string&>()))
      return *parsed;
  }
  fail(state_errc::malformed,
       std::string(field) + " is not a hexadecimal float string or a number: " + value.dump());
}

Eigen::VectorXd doubles_from_json(const nlohmann::json& value, Eigen::Index size,
                                  std::string_view field) {
  if (!value.is_array())
    fail(state_errc::malformed, std::string(field) + " is not an array");
  if (static_cast<Eigen::Index>(value.size()) != size)
    fail(state_errc::shape_mismatch, std::string(field) + " has " + std::to_string(value.size()) +
                                         " entries, the model needs " + std::to_string(size));
  Eigen::VectorXd out(size);
  for (Eigen::Index i = 0; i < size; ++i)
    out[i] = double_from_json(value[static_cast<std::size_t>(i)], field);
  return out;
}

nlohmann::json json_header(model_kind kind) {
  return {{"model", std::string(to_string(kind))}, {"format", format_version}};
}

void check_json_header(const nlohmann::json& state, model_kind expected) {
  if (!state.is_object())
    fail(state_errc::malformed, "the state is not a JSON object");
  auto model = state.at("model").get<std::string>();
  if (model != to_string(expected))
    fail(state_errc::wrong_model, "the state is of a " + model + ", not a " +
                                      std::string(to_string(expected)));
  auto format = state.at("format").get<int>();
  if (format != format_version)
    fail(state_errc::unsupported_format,
         "state format " + std::to_string(format) + " is not supported (this build reads " +
             std::to_string(format_version) + ")");
}

// -- binary --------------------------------------------------------------------------------------

state_writer::state_writer(std::string& out, model_kind kind) : out_(out) {
  out_.clear();
  out_.append(magic);
  write_le(out_, format_version, 2);
  u8(static_cast<std::uint8_t>(kind));
}

void state_writer::u8(std::uint8_t value) { write_le(out_, value, 1); }

void state_writer::u64(std::uint64_t value) { write_le(out_, value, 8); }

void state_writer::f64(double value) { u64(std::bit_cast<std::uint64_t>(value)); }

void state_writer::f64s(const Eigen::Ref<const Eigen::VectorXd>& values) {
  for (Eigen::Index i = 0; i < values.size(); ++i)
    f64(values[i]);
}

void state_writer::finish() { u64(fnv1a(out_)); }

state_reader::state_reader(std::string_view bytes, model_kind expected) {
  if (bytes.size() < header_size + checksum_size)
    fail(state_errc::truncated, "the state has " + std::to_string(bytes.size()) +
                                    " bytes, fewer than a header and a checksum");
  if (bytes.substr(0, magic.size()) != magic)
    fail(state_errc::bad_magic, "the bytes are not a sluice model state (no SLML magic)");
  auto format = read_le(bytes, 4, 2);
  if (format != format_version)
    fail(state_errc::unsupported_format,
         "state format " + std::to_string(format) + " is not supported (this build reads " +
             std::to_string(format_version) + ")");
  auto kind = static_cast<model_kind>(read_le(bytes, 6, 1));
  if (kind != expected)
    fail(state_errc::wrong_model, "the state is of a " + std::string(to_string(kind)) +
                                      ", not a " + std::string(to_string(expected)));
  auto body = bytes.substr(0, bytes.size() - checksum_size);
  if (read_le(bytes, body.size(), checksum_size) != fnv1a(body))
    fail(state_errc::checksum_mismatch, "the state's checksum does not match its bytes");
  fields_ = body.substr(header_size);
}

void state_reader::need(std::size_t count) const {
  if (fields_.size() - pos_ < count)
    fail(state_errc::truncated, "the state ends in the middle of a field");
}

std::uint8_t state_reader::u8() {
  need(1);
  auto v = static_cast<std::uint8_t>(read_le(fields_, pos_, 1));
  pos_ += 1;
  return v;
}

std::uint64_t state_reader::u64() {
  need(8);
  auto v = read_le(fields_, pos_, 8);
  pos_ += 8;
  return v;
}

double state_reader::f64() { return std::bit_cast<double>(u64()); }

Eigen::VectorXd state_reader::f64s(Eigen::Index count) {
  if (count < 0 || static_cast<std::size_t>(count) > (fields_.size() - pos_) / 8)
    fail(state_errc::truncated, "the state ends in the middle of a field");
  Eigen::VectorXd out(count);
  for (Eigen::Index i = 0; i < count; ++i)
    out[i] = f64();
  return out;
}

void state_reader::finish() const {
  if (pos_ != fields_.size())
    fail(state_errc::trailing_bytes, std::to_string(fields_.size() - pos_) +
                                         " bytes follow the last field of the state");
}

}  // namespace sluice::ml
