#include "checkpoints/lease.hpp"

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace sluice::checkpoints {

namespace {

std::atomic<int64_t> deadline_ns{0};  // 0: unarmed

}  // namespace

int64_t lease_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void extend_lease(int64_t asked_ns, std::chrono::milliseconds validity) {
  auto until = asked_ns + std::chrono::nanoseconds(validity).count();
  auto cur = deadline_ns.load(std::memory_order_relaxed);
  while (cur < until && !deadline_ns.compare_exchange_weak(cur, until, std::memory_order_relaxed)) {
  }
}

bool lease_expired() {
  auto d = deadline_ns.load(std::memory_order_relaxed);
  return d != 0 && lease_clock_ns() > d;
}

void disarm_lease() { deadline_ns.store(0, std::memory_order_relaxed); }

void check_lease(const char* what) {
  if (lease_expired())
    throw std::runtime_error(std::string{"fenced: this worker lost its coordinator, so it does not "} +
                             what);
}

}  // namespace sluice::checkpoints
