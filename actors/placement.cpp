#include "actors/placement.hpp"

#include <algorithm>

namespace sluice::actors {

uint32_t slots_needed(const physical_plan& plan) {
  uint32_t n = 0;
  for (const auto& t : plan.tasks)
    n = std::max(n, t.ctx.parallelism);
  return n;
}

std::vector<uint32_t> place_tasks(const physical_plan& plan,
                                  const std::vector<uint32_t>& slots_per_worker) {
  auto need = slots_needed(plan);
  std::vector<uint32_t> slot_owner;  // slot index -> worker
  auto most = slots_per_worker.empty()
                  ? 0u
                  : *std::max_element(slots_per_worker.begin(), slots_per_worker.end());
  for (uint32_t round = 0; round < most && slot_owner.size() < need; ++round)
    for (uint32_t w = 0; w < slots_per_worker.size() && slot_owner.size() < need; ++w)
      if (slots_per_worker[w] > round)
        slot_owner.push_back(w);
  if (slot_owner.size() < need)
    return {};
  std::vector<uint32_t> placement;
  placement.reserve(plan.tasks.size());
  for (const auto& t : plan.tasks)
    placement.push_back(slot_owner[t.ctx.subtask]);
  return placement;
}

}  // namespace sluice::actors
