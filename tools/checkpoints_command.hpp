// `sluice checkpoints list|show`: what a job's --checkpoint-dir holds, for an operator deciding
// whether a restart will resume, and from where.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "tools/command.hpp"

namespace sluice::tools {

/// Adds `checkpoints` with its subcommands `list` and `show` to `app` (see command.hpp).
void add_checkpoints_command(CLI::App& app, action& chosen);

/// `sluice checkpoints list DIR`: the table of every chk-N directory, then the recovery line.
/// Returns 0 (damaged checkpoints are part of the report), 1 when DIR is not a directory.
int list_checkpoints(const std::string& dir, std::ostream& out);

/// What `sluice checkpoints show` was asked for.
struct show_request {
  std::string dir;
  std::optional<uint64_t> id;  ///< default: the newest valid checkpoint, as a restart chooses
  bool json = false;           ///< print the manifest's JSON instead of the readable layout
};

/// `sluice checkpoints show DIR [ID] [--json]`. Returns 0, or 1 after one error line when the
/// checkpoint does not exist, is incomplete or damaged, or DIR holds no valid checkpoint.
int show_checkpoint(const show_request& request, std::ostream& out);

}  // namespace sluice::tools
