#include "tests/cluster/cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace sluice::cluster_test {

namespace {

/// How long a coordinator may take to print its listening line: a hang guard only.
constexpr std::chrono::seconds listen_guard{30};

std::string host_of(const std::string& listen) {
  return listen.substr(0, listen.rfind(':'));
}

}  // namespace

std::optional<uint16_t> listening_port(const std::string& err) {
  static const std::regex line{R"(sluice: coordinator listening on \S+:(\d+))"};
  std::smatch m;
  if (!std::regex_search(err, m, line))
    return std::nullopt;
  return static_cast<uint16_t>(std::stoul(m[1].str()));
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error(std::string{"socket failed: "} + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  auto error = errno;
  ::close(fd);
  if (!ok)
    throw std::runtime_error(std::string{"cannot bind a port of 127.0.0.1: "} +
                             std::strerror(error));
  return ntohs(a.sin_port);
}

std::vector<attempt_line> attempts(const std::string& err) {
  static const std::regex line{
      R"(sluice: attempt (\d+): \d+ tasks on (\d+) workers(, restoring checkpoint (\d+))?)"};
  std::vector<attempt_line> out;
  for (std::sregex_iterator it{err.begin(), err.end(), line}, end; it != end; ++it) {
    const auto& m = *it;
    attempt_line a;
    a.attempt = std::stoull(m[1].str());
    a.workers = static_cast<uint32_t>(std::stoul(m[2].str()));
    if (m[4].matched)
      a.restored = std::stoull(m[4].str());
    out.push_back(a);
  }
  return out;
}

bool cluster_run::succeeded() const {
  bool ok = coordinator.succeeded();
  for (const auto& w : workers)
    ok = ok && w.succeeded();
  return ok;
}

std::string cluster_run::describe() const {
  std::string s = "commands:\n" + commands + "coordinator: " + coordinator.describe();
  for (std::size_t i = 0; i < workers.size(); ++i)
    s += "\nworker " + std::to_string(i) + ": " + workers[i].describe();
  return s;
}

cluster::cluster(test::launch job, cluster_options opts)
    : job_(std::move(job)), opts_(std::move(opts)) {
  if (job_.log_prefix.empty())
    throw std::invalid_argument("cluster: the job's launch needs a log_prefix");
}

background_process& cluster::start_coordinator(std::vector<std::string> extra) {
  auto l = job_;
  l.args.insert(l.args.end(), {"--role", "coordinator", "--listen", opts_.listen, "--min-workers",
                               std::to_string(opts_.workers)});
  l.args.insert(l.args.end(), extra.begin(), extra.end());
  l.log_prefix = job_.log_prefix + "-coordinator-" + std::to_string(coordinators_.size() + 1);
  coordinators_.push_back(std::make_unique<background_process>(l));
  auto& c = *coordinators_.back();
  if (!c.wait_until([&] { return listening_port(c.err()).has_value(); }, listen_guard)) {
    c.kill();
    throw std::runtime_error("the coordinator did not say where it listens: " + l.command_line() +
                             "\nstderr: " + c.err());
  }
  port_ = *listening_port(c.err());
  return c;
}

background_process& cluster::start_worker(std::vector<std::string> extra,
                                          std::vector<std::string> env) {
  test::launch l;
  l.binary = job_.binary;
  l.args = {"--role", "worker", "--join", host_of(opts_.listen) + ":" + std::to_string(port_)};
  l.args.insert(l.args.end(), opts_.worker_flags.begin(), opts_.worker_flags.end());
  l.args.insert(l.args.end(), extra.begin(), extra.end());
  l.env = std::move(env);
  if (opts_.adapt_worker)
    opts_.adapt_worker(l, workers_.size());
  l.log_prefix = job_.log_prefix + "-worker-" + std::to_string(workers_.size());
  workers_.push_back(std::make_unique<background_process>(l));
  return *workers_.back();
}

void cluster::start() {
  start_coordinator();
  for (uint32_t i = 0; i < opts_.workers; ++i)
    start_worker();
}

std::optional<std::size_t> cluster::worker_joined_as(uint32_t id) {
  static const std::regex line{R"(sluice: worker: joined as worker (\d+))"};
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    auto err = workers_[i]->err();
    std::smatch m;
    if (std::regex_search(err, m, line) && std::stoul(m[1].str()) == id)
      return i;
  }
  return std::nullopt;
}

cluster_run cluster::wait_all(std::chrono::seconds limit) {
  cluster_run r;
  r.coordinator = coordinator().wait(limit);
  for (auto& w : workers_)
    r.workers.push_back(w->wait(limit));
  r.commands = commands();
  return r;
}

std::string cluster::commands() const {
  std::string s;
  for (const auto& c : coordinators_)
    s += "  " + c->launch().command_line() + "\n";
  for (const auto& w : workers_)
    s += "  " + w->launch().command_line() + "\n";
  return s;
}

cluster_run run_cluster(const test::launch& job, const cluster_options& opts) {
  cluster c{job, opts};
  c.start();
  return c.wait_all();
}

}  // namespace sluice::cluster_test
