#include "tests/kafka/support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

extern char** environ;

namespace sluice::kafka_test {

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> out;
  for (auto& x : xs)
    out.push_back(x.data());
  out.push_back(nullptr);
  return out;
}

/// Starts `binary`; stdout and stderr to the given files. The child dies with the test process.
pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::vector<std::string>& extra_env, const std::string& out_path,
            const std::string& err_path) {
  std::vector<std::string> argv_s{binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "SLUICE_FAULT=", 13) != 0)
      env_s.emplace_back(*e);
  env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
  auto argv = c_strings(argv_s);
  auto envp = c_strings(env_s);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string{"fork failed: "} + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(125);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0)
      ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

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

void fill_status(run_result& r, int status) {
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

}  // namespace

scratch_dir::scratch_dir() {
  auto tmpl = (std::filesystem::temp_directory_path() / "sluice-kafka-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed for " + tmpl);
  path_ = tmpl;
}

scratch_dir::~scratch_dir() {
  if (std::getenv("SLUICE_KEEP_SCRATCH"))
    return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
  if (!f)
    throw std::runtime_error("cannot write " + path);
}

std::string run_result::describe() const {
  std::string s = exited ? "exit " + std::to_string(code) : "signal " + std::to_string(signal);
  if (killed_by_test)
    s += " (sent by the test)";
  if (hung)
    s += " (hung: killed by the hang guard)";
  return s + "; stderr: " + err.substr(0, 3000);
}

run_result run_process(const std::string& binary, const run_options& o) {
  scratch_dir io;
  pid_t pid = spawn(binary, o.args, o.env, io / "out", io / "err");
  run_result r;
  auto started = clock_type::now();
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      break;
    auto elapsed = clock_type::now() - started;
    bool kill_now = o.kill_after && elapsed >= *o.kill_after;
    if (kill_now || elapsed >= o.limit) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.killed_by_test = kill_now;
      r.hung = !kill_now;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  fill_status(r, status);
  r.out = read_file(io / "out");
  r.err = read_file(io / "err");
  return r;
}

dev_broker::dev_broker(const std::vector<std::string>& topics, int brokers) {
  std::vector<std::string> args{"kafka-dev", "--brokers", std::to_string(brokers)};
  for (const auto& t : topics) {
    args.push_back("--topic");
    args.push_back(t);
  }
  pid_ = spawn(sluice_tool, args, {}, io_ / "out", io_ / "err");
  auto deadline = clock_type::now() + std::chrono::seconds(30);
  const std::string prefix = "bootstrap.servers=";
  while (clock_type::now() < deadline) {
    std::error_code ec;
    auto out = std::filesystem::exists(io_ / "out", ec) ? read_file(io_ / "out") : std::string{};
    if (auto nl = out.find('\n'); nl != std::string::npos) {
      if (out.rfind(prefix, 0) != 0)
        throw std::runtime_error("sluice kafka-dev printed '" + out.substr(0, nl) + "' first");
      bootstrap_ = out.substr(prefix.size(), nl - prefix.size());
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sluice kafka-dev ended at start: " + read_file(io_ / "err"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("sluice kafka-dev printed no bootstrap line (hang guard)");
}

run_result dev_broker::stop() {
  run_result r;
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
  fill_status(r, status);
  r.out = read_file(io_ / "out");
  r.err = read_file(io_ / "err");
  return r;
}

dev_broker::~dev_broker() { stop(); }

void produce(const std::string& bootstrap, const std::string& topic,
             const std::vector<std::pair<std::string, std::string>>& messages) {
  scratch_dir dir;
  std::string text;
  for (const auto& [k, v] : messages) {
    if (k.find_first_of("\t\n") != std::string::npos || v.find('\n') != std::string::npos)
      throw std::invalid_argument("produce: keys have no tab or newline, values no newline");
    text += k + "\t" + v + "\n";
  }
  write_file(dir / "messages", text);
  auto r = run_process(python, {{client_script, "produce", bootstrap, topic, dir / "messages"}});
  if (!r.succeeded())
    throw std::runtime_error("kafka_client.py produce failed: " + r.describe());
}

std::vector<message> consume_all(const std::string& bootstrap, const std::string& topic) {
  auto r = run_process(python, {{client_script, "consume", bootstrap, topic}});
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

uint64_t rng::next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
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
