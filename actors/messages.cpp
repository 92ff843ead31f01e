#include "actors/messages.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>

#include "checkpoints/ack.hpp"
#include "sluice/codec.hpp"

namespace sluice::actors {

bool encode_handle(batch_handle& h) {
  h.wire.clear();
  return h.ptr && encode_batch(*h.ptr, h.wire);
}

bool decode_handle(batch_handle& h) {
  std::string error;
  h.ptr = decode_batch(h.wire, error);
  h.wire.clear();
  h.wire.shrink_to_fit();
  return h.ptr != nullptr;
}

void register_wire_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<batch_handle>("sluice.batch");
  cfg.add_message_type<task_metrics>("sluice.task_metrics");
  cfg.add_message_type<std::vector<caf::actor>>("std::vector<caf::actor>");
  cfg.add_message_type<std::vector<uint32_t>>("std::vector<uint32_t>");
  cfg.add_message_type<checkpoints::subtask_state>("sluice.subtask_state");
  cfg.add_message_type<checkpoints::operator_ack>("sluice.operator_ack");
  cfg.add_message_type<checkpoints::task_ack>("sluice.task_ack");
}

}  // namespace sluice::actors
