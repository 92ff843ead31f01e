// A private network for the workers of one test: worker i gets its own network namespace
// `sluice-<pid>-w<i>` and a veth pair, `sl<pid%10000>h<i>` in the root namespace (10.231.<i>.1/24)
// and its peer inside the namespace (10.231.<i>.2/24), both up, plus `lo` up inside. A worker run
// in the namespace reaches the coordinator (listening on 0.0.0.0 in the root namespace) only
// across its veth, so setting the root end down partitions it (packets silently dropped, no RST)
// and setting it up heals it.
//
// Lifecycle: the constructor builds everything (or throws std::runtime_error naming the `ip`
// command that failed, after removing what it had built); the destructor removes the namespaces
// and links in every case. Declare it before the processes that use it, so they are killed first.
// Namespaces left by a test process that was killed (a CTest timeout) are removed by the next
// one. An exclusive lock on a file in the temp dir keeps two test processes from using the same
// addresses at once: the second waits. Needs root and `ip`; see netns_available(). Not
// thread-safe: one test thread owns it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "tests/fakes/child_process.hpp"

namespace sluice::netns_test {

/// Whether this process can build a netns_network (root, `ip` found, a namespace and a veth pair
/// created and removed), with the reason when not. For `*boost::unit_test::precondition(...)`:
/// a test whose precondition fails is skipped, and the reason also goes to stderr as
/// "netns tests skipped: REASON" (CTest reports the suite as skipped on that line). Checked once
/// per process.
boost::test_tools::assertion_result netns_available(boost::unit_test::test_unit_id);

class netns_network {
 public:
  explicit netns_network(std::size_t workers);
  ~netns_network();
  netns_network(const netns_network&) = delete;
  netns_network& operator=(const netns_network&) = delete;

  std::size_t workers() const { return workers_; }
  /// Worker i's namespace, `sluice-<pid>-w<i>`.
  std::string ns(std::size_t i) const;
  /// The veth end of worker i in the root namespace, `sl<pid%10000>h<i>`.
  std::string host_link(std::size_t i) const;
  /// The root namespace's address on worker i's link (what worker i joins): 10.231.<i>.1.
  std::string host_address(std::size_t i) const;

  /// Runs `l` (a worker's launch, with --join HOST:PORT) inside worker i's namespace through
  /// `ip netns exec`, joining host_address(i) on the same port. `ip` execs the worker, so the
  /// process keeps the pid the test started.
  void run_inside(test::launch& l, std::size_t i) const;

  /// Sets worker i's root-side link down: from now on nothing crosses it either way.
  void cut(std::size_t i);
  /// Sets it up again.
  void heal(std::size_t i);
  /// Bytes the root namespace received on worker i's link so far.
  uint64_t received_bytes(std::size_t i) const;

 private:
  void build(std::size_t i);
  void remove() noexcept;

  std::size_t workers_;
  int lock_fd_ = -1;
  std::vector<std::string> built_ns_;     ///< to delete, in any case
  std::vector<std::string> built_links_;  ///< root ends; deleting one deletes its peer
};

/// The path of `ip`, "" when not found.
const std::string& ip_binary();

/// Runs `ip` with `args`; throws std::runtime_error with the command and its stderr on failure.
void ip(const std::vector<std::string>& args);

}  // namespace sluice::netns_test
