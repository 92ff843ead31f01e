#include "sluice/environment.hpp"

#include <nlohmann/json.hpp>

#include <thread>

#include "connectors/file_source.hpp"
#include "connectors/socket_source.hpp"
#include "sluice/stream.hpp"

namespace sluice {

environment::environment(job_options opts) : opts_(std::move(opts)) {
  if (opts_.parallelism == 0)
    opts_.parallelism = std::max(1u, std::thread::hardware_concurrency());
}

stream<std::string> environment::read_text(const std::string& path, bool follow) {
  try {
    list_input_files(path);  // a missing or unreadable input fails now, not inside the job
  } catch (const std::exception& e) {
    throw job_error(e.what());
  }
  file_source_options o;
  o.path = path;
  o.follow = follow;
  return from_source<std::string>(
      [o](const task_context&) -> source_ptr { return std::make_unique<file_source>(o); },
      "file_source");
}

stream<std::string> environment::socket_text(const std::string& host_port) {
  socket_source_options o;
  try {
    o = parse_host_port(host_port);
  } catch (const std::exception& e) {
    throw job_error(std::string{"--socket: "} + e.what());
  }
  auto s = from_source<std::string>(
      [o](const task_context&) -> source_ptr { return std::make_unique<socket_source>(o); },
      "socket_source");
  graph_.node(s.node_id()).parallelism = 1;  // one connection, one reader
  return s;
}

stream<std::string> environment::text_input() {
  if (!opts_.socket.empty())
    return socket_text(opts_.socket);
  if (opts_.input.empty())
    throw job_error("no input: give --input PATH or --socket HOST:PORT");
  return read_text(opts_.input, opts_.follow);
}

const operator_metrics* job_result::find(const std::string& uid) const {
  for (const auto& m : operators)
    if (m.uid == uid)
      return &m;
  return nullptr;
}

std::string job_result::to_json() const {
  nlohmann::json j;
  j["ok"] = ok;
  if (!ok)
    j["error"] = error;
  j["seconds"] = seconds;
  j["bytes_read"] = bytes_read;
  j["source_records"] = source_records;
  j["checkpoints"] = {{"completed", checkpoints_completed},
                      {"failed", checkpoints_failed},
                      {"last_id", last_checkpoint_id},
                      {"last_duration_ms", last_checkpoint_ms},
                      {"last_state_bytes", last_checkpoint_bytes},
                      {"restored_from", restored_from},
                      {"restarts", restarts}};
  j["served_as_worker"] = served_as_worker;
  auto& ops = j["operators"] = nlohmann::json::array();
  for (const auto& m : operators)
    ops.push_back({{"uid", m.uid},
                   {"parallelism", m.parallelism},
                   {"records_in", m.records_in},
                   {"records_out", m.records_out},
                   {"backpressure_ms", m.backpressure_ms},
                   {"max_in_flight_records", m.max_in_flight_records},
                   {"max_in_flight_batches", m.max_in_flight_batches},
                   {"dead_letters", m.dead_letters},
                   {"gauges", m.gauges}});
  return j.dump(2);
}

}  // namespace sluice
