// What a task reports when it took its part of a checkpoint: for each operator of its chain,
// where its state went (the manifest entry of that operator subtask). Wire type (CAF inspect).
#pragma once

#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "checkpoints/manifest.hpp"

namespace sluice::checkpoints {

struct operator_ack {
  std::string uid;
  uint32_t parallelism = 0;
  subtask_state state;
};

using task_ack = std::vector<operator_ack>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subtask_state& x) {
  return f(caf::meta::type_name("sluice.subtask_state"), x.subtask, x.key_group_first,
           x.key_group_last, x.state_file, x.state_bytes, x.state_checksum, x.external_dir,
           x.external_files, x.description);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_ack& x) {
  return f(caf::meta::type_name("sluice.operator_ack"), x.uid, x.parallelism, x.state);
}

}  // namespace sluice::checkpoints
