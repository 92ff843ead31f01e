#include "checkpoints/manifest.hpp"

#include <xxhash.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace sluice::checkpoints {

using nlohmann::json;

namespace {

std::string hex(uint64_t x) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

uint64_t unhex(const std::string& s) { return std::stoull(s, nullptr, 16); }

json body_of(const manifest& m) {
  json ops = json::array();
  for (const auto& op : m.operators) {
    json subs = json::array();
    for (const auto& s : op.subtasks) {
      json j = {{"subtask", s.subtask},
                {"key_groups", {s.key_group_first, s.key_group_last}}};
      if (!s.state_file.empty())
        j["state_file"] = {{"path", s.state_file}, {"bytes", s.state_bytes},
                           {"xxh3", hex(s.state_checksum)}};
      if (!s.external_dir.empty())
        j["external"] = {{"dir", s.external_dir}, {"files", s.external_files}};
      if (!s.description.empty())
        j["state"] = json::parse(s.description, nullptr, false);
      subs.push_back(std::move(j));
    }
    ops.push_back({{"uid", op.uid}, {"parallelism", op.parallelism}, {"subtasks", subs}});
  }
  return {{"format", manifest_format},  {"checkpoint", m.id},
          {"job", m.job},               {"max_parallelism", m.max_parallelism},
          {"time_ms", m.time_ms},       {"final", m.final},
          {"duration_ms", m.duration_ms}, {"operators", ops}};
}

}  // namespace

const operator_state_entry* manifest::find(const std::string& uid) const {
  for (const auto& op : operators)
    if (op.uid == uid)
      return &op;
  return nullptr;
}

uint64_t manifest::state_bytes() const {
  uint64_t n = 0;
  for (const auto& op : operators)
    for (const auto& s : op.subtasks)
      n += s.state_bytes;
  return n;
}

std::string to_json(const manifest& m) {
  auto body = body_of(m);
  auto text = body.dump();
  body["xxh3"] = hex(XXH3_64bits(text.data(), text.size()));
  return body.dump(2) + "\n";
}

manifest manifest_from_json(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error("manifest is not valid JSON");
  if (!j.contains("xxh3"))
    throw std::runtime_error("manifest has no checksum");
  auto stored = j["xxh3"].get<std::string>();
  j.erase("xxh3");
  auto canonical = j.dump();
  if (hex(XXH3_64bits(canonical.data(), canonical.size())) != stored)
    throw std::runtime_error("manifest checksum mismatch");
  if (j.value("format", 0u) != manifest_format)
    throw std::runtime_error("manifest format " + std::to_string(j.value("format", 0u)) +
                             " is not supported");
  manifest m;
  m.id = j.at("checkpoint").get<uint64_t>();
  m.job = j.at("job").get<std::string>();
  m.max_parallelism = j.at("max_parallelism").get<uint32_t>();
  m.time_ms = j.at("time_ms").get<int64_t>();
  m.final = j.at("final").get<bool>();
  m.duration_ms = j.value("duration_ms", uint64_t{0});
  for (const auto& o : j.at("operators")) {
    operator_state_entry op;
    op.uid = o.at("uid").get<std::string>();
    op.parallelism = o.at("parallelism").get<uint32_t>();
    for (const auto& s : o.at("subtasks")) {
      subtask_state st;
      st.subtask = s.at("subtask").get<uint32_t>();
      st.key_group_first = s.at("key_groups").at(0).get<uint32_t>();
      st.key_group_last = s.at("key_groups").at(1).get<uint32_t>();
      if (s.contains("state_file")) {
        const auto& f = s["state_file"];
        st.state_file = f.at("path").get<std::string>();
        st.state_bytes = f.at("bytes").get<uint64_t>();
        st.state_checksum = unhex(f.at("xxh3").get<std::string>());
      }
      if (s.contains("external")) {
        st.external_dir = s["external"].at("dir").get<std::string>();
        st.external_files = s["external"].at("files").get<std::vector<std::string>>();
      }
      if (s.contains("state"))
        st.description = s["state"].dump();
      op.subtasks.push_back(std::move(st));
    }
    m.operators.push_back(std::move(op));
  }
  return m;
}

}  // namespace sluice::checkpoints
