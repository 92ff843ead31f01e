#include "tests/netns/network.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace sluice::netns_test {

namespace {

/// Hang guard of one `ip` command.
constexpr std::chrono::seconds ip_guard{30};

std::string pid_text() { return std::to_string(::getpid()); }
std::string link_prefix() { return "sl" + std::to_string(::getpid() % 10000); }

test::run_result run_ip(const std::vector<std::string>& args) {
  // One scratch directory for the output of every `ip` command (each overwrites the last), not
  // one per command: SLUICE_KEEP_SCRATCH would keep them all.
  static const test::temp_dir logs;
  return test::run_to_end(test::launch{ip_binary(), args, {}, logs / "ip"}, ip_guard);
}

std::string command(const std::vector<std::string>& args) {
  std::string s = ip_binary();
  for (const auto& a : args)
    s += " " + a;
  return s;
}

/// `ip` with `args`, its failure ignored (removing what may not be there).
void ip_quietly(const std::vector<std::string>& args) noexcept {
  try {
    run_ip(args);
  } catch (...) {
  }
}

/// Takes an exclusive lock on a file in the temp dir (waiting for it) and returns its descriptor:
/// only one test process at a time builds networks on 10.231.0.0/16. Closing it releases it.
int lock_networks() {
  auto path = (std::filesystem::temp_directory_path() / "sluice-netns.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0)
    if (errno != EINTR) {
      auto e = errno;
      ::close(fd);
      throw std::runtime_error("cannot lock " + path + ": " + std::strerror(e));
    }
  return fd;
}

/// Removes the namespaces (and their links) of test processes that no longer run: a test killed
/// by a CTest timeout cannot remove its own. Called with the lock held.
void remove_stale_namespaces() noexcept {
  try {
    auto listed = run_ip({"netns", "list"});
    static const std::regex name{R"(^sluice-(\d+)-(w(\d+)|probe)\b)"};
    std::istringstream lines{listed.out};
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (!std::regex_search(line, m, name))
        continue;
      auto pid = static_cast<pid_t>(std::stol(m[1].str()));
      if (::kill(pid, 0) == 0 || errno != ESRCH)
        continue;
      std::string ns = line.substr(0, line.find(' '));
      std::cerr << "netns tests: removing namespace " << ns << " of a test process that ended\n";
      if (m[3].matched)
        ip_quietly({"link", "del", "sl" + std::to_string(pid % 10000) + "h" + m[3].str()});
      ip_quietly({"netns", "del", ns});
    }
  } catch (...) {
  }
}

}  // namespace

const std::string& ip_binary() {
  static const std::string path = [] {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
      if (::access(p, X_OK) == 0)
        return std::string{p};
    return std::string{};
  }();
  return path;
}

void ip(const std::vector<std::string>& args) {
  auto r = run_ip(args);
  if (!r.succeeded())
    throw std::runtime_error(command(args) + " failed: " + r.describe());
}

boost::test_tools::assertion_result netns_available(boost::unit_test::test_unit_id) {
  static const std::optional<std::string> why_not = []() -> std::optional<std::string> {
    if (::geteuid() != 0)
      return "not root (network namespaces and veth links need CAP_NET_ADMIN)";
    if (ip_binary().empty())
      return "no `ip` command (iproute2) in /usr/sbin, /sbin, /usr/bin or /bin";
    try {
      int lock = lock_networks();
      auto ns = "sluice-" + pid_text() + "-probe";
      auto host = link_prefix() + "h9", peer = link_prefix() + "n9";
      ip_quietly({"link", "del", host});
      std::optional<std::string> failed;
      try {
        ip({"netns", "add", ns});
        ip({"link", "add", host, "type", "veth", "peer", "name", peer});
        ip({"link", "set", peer, "netns", ns});
      } catch (const std::exception& e) {
        failed = e.what();
      }
      ip_quietly({"link", "del", host});
      ip_quietly({"netns", "del", ns});
      ::close(lock);
      if (failed)
        return "cannot build a namespace with a veth link: " + *failed;
    } catch (const std::exception& e) {
      return std::string{e.what()};
    }
    return std::nullopt;
  }();
  if (!why_not)
    return true;
  static bool said = false;
  if (!said) {
    said = true;
    std::cerr << "netns tests skipped: " << *why_not << std::endl;
  }
  boost::test_tools::assertion_result r{false};
  r.message() << "netns tests skipped: " << *why_not;
  return r;
}

netns_network::netns_network(std::size_t workers) : workers_(workers) {
  if (workers > 250)
    throw std::invalid_argument("netns_network: at most 250 workers (10.231.<i>.0/24)");
  lock_fd_ = lock_networks();
  remove_stale_namespaces();
  try {
    for (std::size_t i = 0; i < workers; ++i)
      build(i);
  } catch (...) {
    remove();
    ::close(lock_fd_);
    throw;
  }
}

netns_network::~netns_network() {
  remove();
  ::close(lock_fd_);  // releases the lock
}

std::string netns_network::ns(std::size_t i) const {
  return "sluice-" + pid_text() + "-w" + std::to_string(i);
}

std::string netns_network::host_link(std::size_t i) const {
  return link_prefix() + "h" + std::to_string(i);
}

std::string netns_network::host_address(std::size_t i) const {
  return "10.231." + std::to_string(i) + ".1";
}

void netns_network::build(std::size_t i) {
  auto host = host_link(i);
  auto peer = link_prefix() + "n" + std::to_string(i);
  auto net = "10.231." + std::to_string(i) + ".";
  // With the lock held, a link of this name is a leftover of a killed test process whose pid
  // had the same last four digits.
  ip_quietly({"link", "del", host});
  ip({"netns", "add", ns(i)});
  built_ns_.push_back(ns(i));
  ip({"link", "add", host, "type", "veth", "peer", "name", peer});
  built_links_.push_back(host);
  ip({"link", "set", peer, "netns", ns(i)});
  ip({"addr", "add", net + "1/24", "dev", host});
  ip({"link", "set", host, "up"});
  ip({"-n", ns(i), "addr", "add", net + "2/24", "dev", peer});
  ip({"-n", ns(i), "link", "set", peer, "up"});
  ip({"-n", ns(i), "link", "set", "lo", "up"});
}

void netns_network::remove() noexcept {
  auto del = [](const std::vector<std::string>& args) noexcept {
    try {
      ip(args);
    } catch (const std::exception& e) {
      std::cerr << "netns tests: warning: " << e.what() << "\n";
    }
  };
  for (const auto& l : built_links_)
    del({"link", "del", l});
  for (const auto& n : built_ns_)
    del({"netns", "del", n});
  built_links_.clear();
  built_ns_.clear();
}

void netns_network::run_inside(test::launch& l, std::size_t i) const {
  for (std::size_t k = 0; k + 1 < l.args.size(); ++k)
    if (l.args[k] == "--join") {
      auto& at = l.args[k + 1];
      at = host_address(i) + at.substr(at.rfind(':'));
    }
  l.args.insert(l.args.begin(), {"netns", "exec", ns(i), l.binary});
  l.binary = ip_binary();
}

void netns_network::cut(std::size_t i) { ip({"link", "set", host_link(i), "down"}); }

void netns_network::heal(std::size_t i) { ip({"link", "set", host_link(i), "up"}); }

uint64_t netns_network::received_bytes(std::size_t i) const {
  std::ifstream f("/sys/class/net/" + host_link(i) + "/statistics/rx_bytes");
  uint64_t n = 0;
  f >> n;
  return n;
}

}  // namespace sluice::netns_test
