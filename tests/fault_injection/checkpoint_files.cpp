#include "tests/fault_injection/checkpoint_files.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "tests/fakes/temp_dir.hpp"

namespace fs = std::filesystem;

namespace sluice::fault_test {

namespace {

std::string checkpoint_path(const std::string& dir, uint64_t id) {
  return dir + "/chk-" + std::to_string(id);
}

}  // namespace

std::optional<uint64_t> restored_checkpoint(const std::string& err) {
  static const std::string marker = "sluice: restoring from checkpoint ";
  auto at = err.find(marker);
  if (at == std::string::npos)
    return std::nullopt;
  return std::stoull(err.substr(at + marker.size()));
}

std::vector<std::string> lines_containing(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos)
      out.push_back(line);
  return out;
}

std::string truncate_a_state_file(const std::string& dir, uint64_t id) {
  std::vector<fs::path> states;
  for (const auto& e : fs::recursive_directory_iterator(checkpoint_path(dir, id)))
    if (e.is_regular_file() && e.path().extension() == ".state" && e.file_size() > 0)
      states.push_back(e.path());
  if (states.empty())
    throw std::runtime_error("checkpoint " + std::to_string(id) + " in " + dir +
                             " has no state file");
  std::sort(states.begin(), states.end());
  const auto& victim = states.front();
  fs::resize_file(victim, fs::file_size(victim) / 2);
  return victim.string();
}

void flip_a_manifest_byte(const std::string& dir, uint64_t id) {
  auto path = test::manifest_path(dir, id);
  auto text = test::read_file(path);
  auto at = text.size() / 2;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
    ++at;
  if (at == text.size())
    throw std::runtime_error(path + " has nothing to flip in its second half");
  text[at] = static_cast<char>(text[at] ^ 0x01);
  test::write_file(path, text);
}

std::vector<std::string> file_names(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return {};
  return test::names_in(dir);
}

}  // namespace sluice::fault_test
