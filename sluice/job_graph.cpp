#include "sluice/job_graph.hpp"

#include <stdexcept>

namespace sluice {

const char* to_string(output_mode m) {
  switch (m) {
    case output_mode::complete: return "complete";
    case output_mode::update: return "update";
    case output_mode::append: return "append";
  }
  return "?";
}

std::optional<output_mode> parse_output_mode(const std::string& s) {
  if (s == "complete") return output_mode::complete;
  if (s == "update") return output_mode::update;
  if (s == "append") return output_mode::append;
  return std::nullopt;
}

const char* to_string(partitioning p) {
  switch (p) {
    case partitioning::forward: return "forward";
    case partitioning::rebalance: return "rebalance";
    case partitioning::hash: return "hash";
    case partitioning::broadcast: return "broadcast";
  }
  return "?";
}

graph_node& job_graph::add(graph_node n, const std::string& base_name) {
  n.id = static_cast<uint32_t>(nodes_.size());
  if (n.uid.empty())
    n.uid = base_name + "-" + std::to_string(n.id);
  for (const auto& other : nodes_)
    if (other.uid == n.uid)
      throw std::invalid_argument("duplicate operator uid '" + n.uid + "'");
  nodes_.push_back(std::move(n));
  return nodes_.back();
}

std::vector<uint32_t> job_graph::consumers(uint32_t id) const {
  std::vector<uint32_t> out;
  for (const auto& n : nodes_)
    if ((n.input && *n.input == id) || (n.input2 && *n.input2 == id))
      out.push_back(n.id);
  return out;
}

void job_graph::set_uid(uint32_t id, const std::string& uid) {
  if (uid.empty())
    throw std::invalid_argument("operator uid must not be empty");
  for (const auto& other : nodes_)
    if (other.id != id && other.uid == uid)
      throw std::invalid_argument("duplicate operator uid '" + uid + "'");
  nodes_.at(id).uid = uid;
}

}  // namespace sluice
