// What the netns tests share: a cluster whose workers each run in their own namespace of a
// netns_network, and the hang guards. The ledger, its checks and the recovery checks are the
// cluster tests' (tests/cluster/support.hpp, recovery.hpp).
#pragma once

#include <cstdint>

#include "tests/cluster/cluster.hpp"
#include "tests/netns/network.hpp"

namespace sluice::netns_test {

/// Three workers of one slot each (a job of parallelism 2 runs on the first two to join, and the
/// two others still offer its two slots when one is lost), worker i inside `net`'s namespace i,
/// joining the coordinator on its address there; the coordinator listens on every address of the
/// root namespace. `net` must outlive the cluster.
inline cluster_test::cluster_options namespaced_workers(const netns_network& net) {
  cluster_test::cluster_options o;
  o.workers = static_cast<uint32_t>(net.workers());
  o.listen = "0.0.0.0:0";
  // A short --join-timeout-ms: a worker cut off until the job ended gives up soon once healed.
  o.worker_flags = {"--slots", "1", "--join-timeout-ms", "3000"};
  o.adapt_worker = [&net](test::launch& l, std::size_t i) { net.run_inside(l, i); };
  return o;
}

}  // namespace sluice::netns_test
