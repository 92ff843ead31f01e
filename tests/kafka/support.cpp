#include "tests/kafka/support.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace sluice::kafka_test {

namespace {

using clock_type = std::chrono::steady_clock;

/// The client writes bytes as latin-1 code points; JSON hands them back as UTF-8: undo that.
std::string latin1_bytes(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
      out.push_back(static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3f)));
    } else {
      throw std::runtime_error("kafka_client.py wrote a code point above U+00FF");
    }
  }
  return out;
}

}  // namespace

dev_broker::dev_broker(const std::vector<std::string>& topics, int brokers) {
  std::vector<std::string> args{"kafka-dev", "--brokers", std::to_string(brokers)};
  for (const auto& t : topics) {
    args.push_back("--topic");
    args.push_back(t);
  }
  pid_ = test::child_process_detail::start({sluice_tool, args, {}, ""}, out_path(), err_path());
  auto deadline = clock_type::now() + std::chrono::seconds(30);
  const std::string prefix = "bootstrap.servers=";
  while (clock_type::now() < deadline) {
    std::error_code ec;
    auto out = std::filesystem::exists(out_path(), ec) ? test::read_file(out_path()) : std::string{};
    if (auto nl = out.find('\n'); nl != std::string::npos) {
      if (out.rfind(prefix, 0) != 0)
        throw std::runtime_error("sluice kafka-dev printed '" + out.substr(0, nl) + "' first");
      bootstrap_ = out.substr(prefix.size(), nl - prefix.size());
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sluice kafka-dev ended at start: " + test::read_file(err_path()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("sluice kafka-dev printed no bootstrap line (hang guard)");
}

test::run_result dev_broker::stop() {
  test::run_result r;
  if (pid_ < 0)
    return r;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = clock_type::now() + std::chrono::seconds(30);
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_)
      break;
    if (clock_type::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      r.hung = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  test::child_process_detail::record_status(r, status);
  r.out = test::read_file(out_path());
  r.err = test::read_file(err_path());
  return r;
}

dev_broker::~dev_broker() { stop(); }

void produce(const std::string& bootstrap, const std::string& topic,
             const std::vector<std::pair<std::string, std::string>>& messages) {
  test::temp_dir dir;
  std::string text;
  for (const auto& [k, v] : messages) {
    if (k.find_first_of("\t\n") != std::string::npos || v.find('\n') != std::string::npos)
      throw std::invalid_argument("produce: keys have no tab or newline, values no newline");
    text += k + "\t" + v + "\n";
  }
  test::write_file(dir / "messages", text);
  auto r = test::run(python, {client_script, "produce", bootstrap, topic, dir / "messages"});
  if (!r.succeeded())
    throw std::runtime_error("kafka_client.py produce failed: " + r.describe());
}

std::vector<message> consume_all(const std::string& bootstrap, const std::string& topic) {
  auto r = test::run(python, {client_script, "consume", bootstrap, topic});
  if (!r.succeeded())
    throw std::runtime_error("kafka_client.py consume failed: " + r.describe());
  std::vector<message> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    message m;
    m.partition = j.at("p").get<int32_t>();
    m.offset = j.at("o").get<int64_t>();
    if (!j.at("k").is_null())
      m.key = latin1_bytes(j.at("k").get<std::string>());
    m.value = latin1_bytes(j.at("v").get<std::string>());
    for (const auto& [k, v] : j.at("h").items())
      m.headers[k] = latin1_bytes(v.get<std::string>());
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> lines_containing(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos)
      out.push_back(line);
  return out;
}

}  // namespace sluice::kafka_test
